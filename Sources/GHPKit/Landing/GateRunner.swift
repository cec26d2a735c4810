import CProcess
import Glibc

/// Set by SIGINT/SIGTERM while `ghp land` runs, so that a gate is stopped and the lease given back.
public enum LandingSignals {
  nonisolated(unsafe) static let flag: UnsafeMutablePointer<sig_atomic_t> = {
    let pointer = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
    pointer.pointee = 0
    return pointer
  }()

  /// Installs handlers for SIGINT and SIGTERM that only set the flag.
  public static func install() {
    _ = flag
    signal(SIGINT) { _ in LandingSignals.flag.pointee = 1 }
    signal(SIGTERM) { _ in LandingSignals.flag.pointee = 1 }
    // A parent may have started this process with them blocked (the mask is inherited).
    var both = sigset_t()
    sigemptyset(&both)
    sigaddset(&both, SIGINT)
    sigaddset(&both, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &both, nil)
  }

  /// True once SIGINT or SIGTERM arrived after `install()`; the lander and supervisor then stop.
  public static var interrupted: Bool { flag.pointee != 0 }
}

/// Runs the gate commands (`/bin/sh -c`) in the merge result's checkout, all output into one log,
/// each in a process group led by a keeper (`ghp_spawn_supervised`, as `ghp run` starts its
/// workers): the group is killed at the timeout, after each command (nothing a gate starts outlives
/// it), and by the kernel's word when the lander dies. While a command runs, `marker` holds the
/// keeper's pid and start time, so that a lander taking over from one killed together with its
/// keeper can still stop the group it left.
struct GateRunner {
  var directory: String
  var timeout: Int64
  var environment: [String: String]
  var logPath: String
  var marker: String
  /// How each command is contained (see `GateSandbox`); nil runs it as the lander (`sandbox = "off"`).
  var sandbox: Sandbox?

  /// bubblewrap, and what it hides.
  struct Sandbox {
    /// The `bwrap` program.
    var program: String
    /// The repository's git folder, hidden from the gate.
    var gitDirectory: String
    /// Whether the gate may reach the network.
    var network: Bool
    /// The most processes one gate command may have at once.
    var processes = 4096
    /// The most memory one gate command may use, in bytes.
    var memory: Int64 = 8 << 30
  }

  /// The lines of output kept in the record of each command.
  static let tailLines = 20
  static let tailBytes = 2000
  /// The most of the whole log kept on `ghp/state` (its end).
  static let logBytes = 1 << 20

  struct Run {
    var results: [GateCommandResult]
    var log: [UInt8]
    var passed: Bool { results.allSatisfy(\.passed) }
  }

  struct Interrupted: Error {}

  func run(_ commands: [String]) throws(Interrupted) -> Run {
    let fd = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    defer { if fd >= 0 { close(fd) } }
    let deadline = ProcessIdentity.monotonic() + Double(timeout)
    var results: [GateCommandResult] = []
    for command in commands {
      let header = "$ \(command)\n"
      _ = header.withCString { write(fd, $0, strlen($0)) }
      let offset = lseek(fd, 0, SEEK_CUR)
      let started = ProcessIdentity.monotonic()
      var (exit, timedOut) = try runOne(command, output: fd, deadline: deadline)
      // bubblewrap that could not make the sandbox (a mount under `/` went away while it made the
      // read-only copy) ran nothing: that is not the gate's verdict, so it is tried again.
      var tries = 1
      var thisTry = offset
      while sandbox != nil, exit == 1, !timedOut, tries < GateSandbox.setupTries,
        GateSandbox.failedToSetUp(Self.output(of: logPath, from: Int(thisTry)))
      {
        let note = "ghp land: bubblewrap could not make the gate's sandbox; trying again\n"
        _ = note.withCString { write(fd, $0, strlen($0)) }
        thisTry = lseek(fd, 0, SEEK_CUR)
        usleep(UInt32(50_000 * tries))
        tries += 1
        (exit, timedOut) = try runOne(command, output: fd, deadline: deadline)
      }
      let elapsed = Int(((ProcessIdentity.monotonic() - started) * 1000).rounded())
      let tail = Self.tail(of: logPath, from: Int(offset))
      if timedOut {
        let note = "ghp land: killed after the gate's timeout (\(Duration.exact(timeout)))\n"
        _ = note.withCString { write(fd, $0, strlen($0)) }
      }
      results.append(
        GateCommandResult(command: command, exit: exit, milliseconds: elapsed, timedOut: timedOut, tail: tail))
      if exit != 0 || timedOut { break }
    }
    let log = Self.end(of: logPath, bytes: Self.logBytes)
    return Run(results: results, log: log)
  }

  private func runOne(_ command: String, output fd: Int32, deadline: Double) throws(Interrupted) -> (Int, Bool) {
    // Started as `ghp run` starts its workers (`ghp_spawn_supervised`): a keeper leads the gate's
    // process group and takes the whole group with it when this lander dies, however it dies.
    // `cd` by the shell as well: the gate starts in the checkout whatever this process's folder is.
    var program = "/bin/sh"
    var arguments = ["/bin/sh", "-c", "cd -- \"$1\" || exit 127; eval \"$2\"", "ghp-gate", directory, command]
    var limits: GateLimits?
    defer { limits?.remove() }
    if let sandbox {
      program = sandbox.program
      arguments =
        [sandbox.program]
        + GateSandbox.arguments(
          command: command, directory: directory, gitDirectory: sandbox.gitDirectory, network: sandbox.network,
          environment: environment)
      limits = GateLimits.make(
        name: "ghp-gate-\(getpid())-\(UInt32.random(in: 0...UInt32.max))", processes: sandbox.processes,
        memory: sandbox.memory)
      if let limits {
        arguments = limits.wrap(arguments)
        program = "/bin/sh"
      } else {
        let note = "ghp land: no cgroups can be made here; the gate's processes and memory are not bounded\n"
        _ = note.withCString { write(fd, $0, strlen($0)) }
      }
    }
    let environmentLines = environment.map { "\($0.key)=\($0.value)" }.sorted()
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    var envp: [UnsafeMutablePointer<CChar>?] = environmentLines.map { strdup($0) } + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in envp { free(pointer) }
    }
    let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
    defer { if input >= 0 { close(input) } }
    var report: [Int32] = [-1, -1]
    guard input >= 0, ghp_pipe_cloexec(&report) == 0 else { return (127, false) }
    let keeper = ghp_spawn_supervised(program, &argv, &envp, directory, input, fd, report[1])
    close(report[1])
    close(report[0])
    guard keeper > 0 else { return (127, false) }
    // For a lander that takes over from one killed with its keeper: the group to stop.
    try? Files.replace(marker, with: Array("\(keeper) \(ProcessIdentity.startTime(of: keeper) ?? 0)\n".utf8))
    defer { unlink(marker) }
    // Woken the moment the keeper ends (a pidfd); where the kernel has none, looked at often
    // while the command is young, then every 20 ms.
    let ended = ghp_pidfd_open(keeper)
    defer { if ended >= 0 { close(ended) } }
    var status: Int32 = 0
    var pause: UInt32 = 200
    let started = ProcessIdentity.monotonic()
    var timedOut = false
    var terminatedAt: Double?
    while true {
      let reaped = ghp_reap_supervised(keeper, &status)
      if reaped == 1 { break }
      if reaped < 0 && errno != EINTR {
        kill(-keeper, SIGKILL)
        return (127, timedOut)
      }
      let now = ProcessIdentity.monotonic()
      if LandingSignals.interrupted {
        kill(-keeper, SIGKILL)
        while ghp_reap_supervised(keeper, &status) == 0 { usleep(1000) }
        throw Interrupted()
      }
      if now > deadline && terminatedAt == nil {
        timedOut = true
        terminatedAt = now
        // The keeper ignores SIGTERM; the gate's commands get it.
        kill(-keeper, SIGTERM)
      } else if let terminatedAt, now - terminatedAt > 5 {
        kill(-keeper, SIGKILL)
      }
      if ended >= 0 {
        // At most 20 ms, so that the deadline and an interruption (which also ends the wait) are seen.
        _ = ghp_wait_readable(ended, 20)
      } else {
        usleep(pause)
        pause = min(pause * 2, now - started < 1 ? 1_000 : 20_000)
      }
    }
    return (Int(status), timedOut)
  }

  /// The last lines of the file from `offset` on, cut to `tailBytes`.
  static func tail(of path: String, from offset: Int) -> String {
    let bytes = Files.read(path) ?? []
    let part = offset < bytes.count ? bytes[offset...] : []
    let text = String(decoding: part.suffix(tailBytes * 2), as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    var out = lines.suffix(tailLines).joined(separator: "\n")
    if out.utf8.count > tailBytes { out = String(decoding: Array(out.utf8).suffix(tailBytes), as: UTF8.self) }
    return Terminal.safe(out)
  }

  /// What `path` holds from `offset` on, at most 4 KiB of it.
  static func output(of path: String, from offset: Int) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
    return count > 0 ? Array(buffer[..<count]) : []
  }

  static func end(of path: String, bytes limit: Int) -> [UInt8] {
    let bytes = Files.read(path) ?? []
    guard bytes.count > limit else { return bytes }
    return Array("[… the first \(bytes.count - limit) bytes are left out]\n".utf8) + bytes.suffix(limit)
  }

  /// Kills a gate a killed lander left running, when the marker names a live process that is it.
  static func stopLeftover(marker: String) {
    guard let bytes = Files.read(marker) else { return }
    let words = String(decoding: bytes, as: UTF8.self).split(separator: " ").map { String($0).trimmingSpaces }
    guard words.count == 2, let pid = Int32(words[0]), pid > 1, let start = UInt64(words[1]) else { return }
    if ProcessIdentity.startTime(of: pid) == start { kill(-pid, SIGKILL) }
    unlink(marker)
  }
}
