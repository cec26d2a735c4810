import Foundation

/// A real temporary git repository for one test, removed afterwards.
public final class ScratchRepository {
  public let root: URL
  public var path: String { root.path }

  /// Makes `<tmp>/ghp-test-XXXX/repo` with one commit on `main`.
  public init(initialCommit: Bool = true) throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("ghp-test-\(UUID().uuidString.prefix(8))")
    root = base.appendingPathComponent("repo")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    try git("init", "-q", "-b", "main")
    try git("config", "user.name", "Test Human")
    try git("config", "user.email", "human@example.com")
    if initialCommit {
      try write("README.md", "# scratch\n")
      try git("add", "README.md")
      try git("commit", "-q", "-m", "initial")
    }
  }

  deinit { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }

  /// Writes a file in the working tree.
  public func write(_ relative: String, _ text: String) throws {
    let url = root.appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: true, encoding: .utf8)
  }

  /// Runs the git CLI here; throws when it fails. Returns its standard output, trimmed.
  @discardableResult
  public func git(_ arguments: String...) throws -> String { try git(arguments) }

  @discardableResult
  public func git(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
    let result = try ProcessRunner.run("/usr/bin/git", arguments, in: path, environment: environment)
    guard result.status == 0 else {
      throw ScratchError("git \(arguments.joined(separator: " ")) failed: \(result.stderr)")
    }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }
}

public struct ScratchError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// Runs programs and captures what they print.
public enum ProcessRunner {
  public struct Result: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
  }

  /// Starts a process with a clean environment (plus `environment`), waits, and captures its output.
  public static func run(
    _ executable: String, _ arguments: [String], in directory: String, environment: [String: String] = [:],
    input: String? = nil
  ) throws -> Result {
    let process = try start(executable, arguments, in: directory, environment: environment, input: input)
    return process.wait()
  }

  /// A started process whose output is being collected.
  public final class Running: @unchecked Sendable {
    let process: Process
    let out: Pipe
    let err: Pipe
    private var outData = Data()
    private var errData = Data()
    private let group = DispatchGroup()

    init(process: Process, out: Pipe, err: Pipe) {
      self.process = process
      self.out = out
      self.err = err
      group.enter()
      DispatchQueue.global().async {
        self.outData = out.fileHandleForReading.readDataToEndOfFile()
        self.group.leave()
      }
      group.enter()
      DispatchQueue.global().async {
        self.errData = err.fileHandleForReading.readDataToEndOfFile()
        self.group.leave()
      }
    }

    public var pid: Int32 { process.processIdentifier }

    public func wait() -> Result {
      process.waitUntilExit()
      group.wait()
      return Result(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
    }
  }

  public static func start(
    _ executable: String, _ arguments: [String], in directory: String, environment: [String: String] = [:],
    input: String? = nil
  ) throws -> Running {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": directory, "LANG": "C"]
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_AUTHOR_NAME"] = "Test Human"
    env["GIT_AUTHOR_EMAIL"] = "human@example.com"
    env["GIT_COMMITTER_NAME"] = "Test Human"
    env["GIT_COMMITTER_EMAIL"] = "human@example.com"
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let inPipe = Pipe()
    process.standardInput = inPipe
    try process.run()
    if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
    try? inPipe.fileHandleForWriting.close()
    return Running(process: process, out: out, err: err)
  }
}
