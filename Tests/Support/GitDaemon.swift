import Foundation

/// A real git server on loopback: `git daemon` serving bare repositories under a folder, with
/// pushes enabled. Stopped when released.
public final class GitDaemon {
  public let base: URL
  public let port: Int
  private let pidFile: String
  /// Read once it started: the folder holding the pid file may be gone by the time we stop.
  private var pid: Int32 = 0

  /// Starts a daemon on a free port of 127.0.0.1 and waits until it answers.
  public init(base: URL) throws {
    self.base = base
    try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    pidFile = base.appendingPathComponent("daemon.pid").path
    var lastError = ""
    for _ in 0..<20 {
      let port = Int.random(in: 20000..<60000)
      // The detached daemon must not hold our output pipes open, or reading them never ends.
      let log = base.appendingPathComponent("daemon.log").path
      let command = [
        "/usr/bin/git", "daemon", "--base-path=\(base.path)", "--export-all", "--enable=receive-pack",
        "--listen=127.0.0.1", "--port=\(port)", "--reuseaddr", "--detach", "--pid-file=\(pidFile)",
      ].map { "'\($0)'" }.joined(separator: " ")
      // Started and waited for with posix_spawn and waitpid: the daemon detaches and lives on.
      let status = Self.spawnAndWait(["/bin/sh", "-c", "cd '\(base.path)' && \(command) </dev/null >'\(log)' 2>&1"])
      lastError = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
      guard status == 0 else { continue }
      // Wait for it to answer (a bare repository named probe.git is made for the purpose).
      let probe = base.appendingPathComponent("probe.git").path
      if !FileManager.default.fileExists(atPath: probe) {
        _ = try ProcessRunner.run("/usr/bin/git", ["init", "-q", "--bare", probe], in: base.path)
      }
      for _ in 0..<50 {
        if try ProcessRunner.run("/usr/bin/git", ["ls-remote", "git://127.0.0.1:\(port)/probe.git"], in: base.path)
          .status == 0
        {
          self.port = port
          if let text = try? String(contentsOfFile: pidFile, encoding: .utf8) {
            pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
          }
          return
        }
        usleep(100_000)
      }
      Self.signal(pidFile, SIGTERM)
    }
    throw ScratchError("git daemon did not start: \(lastError)")
  }

  public func url(_ repository: String) -> String { "git://127.0.0.1:\(port)/\(repository)" }

  /// Makes a bare repository under the base folder that refuses non-fast-forward pushes.
  @discardableResult
  public func makeRepository(_ name: String) throws -> String {
    let path = base.appendingPathComponent(name).path
    _ = try ProcessRunner.run("/usr/bin/git", ["init", "-q", "--bare", path], in: base.path)
    _ = try ProcessRunner.run("/usr/bin/git", ["config", "receive.denyNonFastForwards", "true"], in: path)
    return path
  }

  static func spawnAndWait(_ arguments: [String]) -> Int32 {
    let argv = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, arguments[0], nil, nil, argv, environ) == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status
  }

  private static func signal(_ pidFile: String, _ signal: Int32) {
    if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
      let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    {
      kill(pid, signal)
    }
  }

  /// Stops the daemon (kill -9 when `hard`), e.g. to test a server restart.
  public func stop(hard: Bool = false) {
    if pid > 0 { kill(pid, hard ? SIGKILL : SIGTERM) }
  }

  deinit { stop() }
}
