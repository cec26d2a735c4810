import CLibGit2
import Dispatch
import Glibc

/// A bound on one network step (a fetch or a push of `ghp/state`): `GHP_NETWORK_TIMEOUT` seconds,
/// default 60. A transfer that goes on past it is aborted through libgit2's progress callbacks.
/// A server that accepts the connection and then says nothing gives libgit2 no callback at all, so
/// a second thread watches: past the bound and a grace period, a one-shot command-line process
/// (`exitWhenSilent`) says so in one line and exits (no lock is held across the network, and
/// nothing local has changed at that point); a process that lives on (`ghp run`, the servers)
/// interrupts the blocked call instead (`SIGUSR2`, whose handler does nothing and does not restart
/// it), which then fails as a timeout, and goes on.
public final class NetworkDeadline: @unchecked Sendable {
  /// The bound for this process, from `GHP_NETWORK_TIMEOUT`.
  nonisolated(unsafe) public static var seconds: Double = 60
  /// Set by the `ghp` executable: a silent server ends the process with a clear line.
  nonisolated(unsafe) public static var exitWhenSilent = false

  /// Reads `GHP_NETWORK_TIMEOUT` (seconds, 1 to 86,400).
  public static func configure(_ environment: [String: String]) {
    if let text = environment["GHP_NETWORK_TIMEOUT"], let value = Double(text), value.isFinite {
      seconds = min(max(value, 0.5), 86_400)
    }
  }

  let what: String
  let seconds: Double
  /// CLOCK_MONOTONIC seconds when the step must be over.
  let deadline: Double
  private let lock = NSLockLike()
  private var done = false
  /// Whether the watcher interrupted the step (it then failed as a timeout).
  private var interrupted = false

  /// The handler of the interrupting signal, installed once.
  private static let installed: Bool = ghp_install_interrupt(SIGUSR2) == 0

  init(what: String, seconds: Double) {
    self.what = what
    self.seconds = seconds
    deadline = ProcessIdentity.monotonic() + seconds
    if Self.exitWhenSilent {
      let message =
        "ghp: \(what): the server did not answer within \(Int(seconds.rounded(.up))) s; nothing was changed here (check the server, or set GHP_NETWORK_TIMEOUT)\n"
      DispatchQueue.global().asyncAfter(deadline: .now() + seconds + 2) { [self] in
        let silent = lock.withLock { !done }
        guard silent else { return }
        _ = message.withCString { write(2, $0, strlen($0)) }
        _exit(1)
      }
      return
    }
    guard Self.installed, ghp_unblock_interrupt(SIGUSR2) == 0 else { return }
    let thread = pthread_self()
    interrupt(thread, after: seconds + 2)
  }

  /// Interrupts `thread`'s blocked call past the bound, again each second until the step ends (a
  /// signal that lands between two calls interrupts nothing).
  private func interrupt(_ thread: pthread_t, after delay: Double) {
    DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [self] in
      let silent = lock.withLock {
        if !done { interrupted = true }
        return !done
      }
      guard silent else { return }
      pthread_kill(thread, SIGUSR2)
      interrupt(thread, after: 1)
    }
  }

  func finish() { lock.withLock { done = true } }

  /// Whether the step was interrupted past the bound (what it failed with is the timeout).
  var timedOut: Bool { lock.withLock { interrupted } }

  func timeoutError() -> GitError {
    GitError(
      code: -1, errorClass: 0,
      message: "\(what): the server did not finish within \(Int(seconds.rounded(.up))) s (GHP_NETWORK_TIMEOUT)")
  }
}

/// A mutex without Foundation (GHPKit keeps Foundation off the start-up path where it can).
final class NSLockLike: @unchecked Sendable {
  private var mutex = pthread_mutex_t()
  init() { pthread_mutex_init(&mutex, nil) }
  deinit { pthread_mutex_destroy(&mutex) }
  func withLock<T>(_ body: () -> T) -> T {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    return body()
  }
}
