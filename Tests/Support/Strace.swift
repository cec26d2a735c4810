import Foundation

/// The built ghp run under strace: its exit status and the system calls it made, so that a test
/// checks what a process did (the files it opened, the fsyncs, the sockets it connected).
public enum Strace {
  /// Whether strace is installed (`scripts/test` installs it); the tests that need it are skipped
  /// without it.
  public static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") }

  /// `ghp arguments` in `directory`, tracing the system calls `calls` names (strace's
  /// `trace=` list) in every thread and child: its status, and each call traced, one a line, the
  /// process id taken off.
  public static func ghp(
    _ arguments: [String], calls: String, in directory: String, environment: [String: String] = [:]
  ) throws -> (status: Int32, calls: [Substring]) {
    let trace = NSTemporaryDirectory() + "ghp-strace-\(UUID().uuidString)"
    defer { unlink(trace) }
    let result = try ProcessRunner.run(
      "/usr/bin/strace", ["-f", "-e", "trace=\(calls)", "-o", trace, GHPBinary.path] + arguments, in: directory,
      environment: environment)
    let text = try String(contentsOfFile: trace, encoding: .utf8)
    return (result.status, text.split(separator: "\n").map { $0.drop { $0.isNumber }.drop { $0 == " " } })
  }
}
