import Foundation

/// The built `ghp` executable, run as a user would.
public enum GHPBinary {
  /// `.build/<config>/ghp`, next to the test bundle.
  public static var path: String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var folder = URL(fileURLWithPath: exe).deletingLastPathComponent()
    // The tests run from <bin>/ghpPackageTests.xctest.
    while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("ghp").path), folder.path != "/" {
      folder = folder.deletingLastPathComponent()
    }
    return folder.appendingPathComponent("ghp").path
  }
}

/// The Python the tests run their scripts with: `scripts/test` sets `GHP_TEST_PYTHON` to the one in
/// its virtual environment (which has the `mcp` client); else whatever `python3` is on PATH.
public enum TestPython {
  public static var path: String { ProcessInfo.processInfo.environment["GHP_TEST_PYTHON"] ?? "python3" }
}

extension ScratchRepository {
  /// Runs `ghp` here as `agent` (nil: no GHP_AGENT), with extra environment.
  @discardableResult
  public func ghp(
    _ arguments: [String], agent: String? = nil, environment: [String: String] = [:], input: String? = nil,
    in directory: String? = nil
  ) throws -> ProcessRunner.Result {
    var env = environment
    if let agent { env["GHP_AGENT"] = agent }
    return try ProcessRunner.run(GHPBinary.path, arguments, in: directory ?? path, environment: env, input: input)
  }

  @discardableResult
  public func ghp(_ arguments: String..., agent: String? = nil, environment: [String: String] = [:])
    throws -> ProcessRunner.Result
  {
    try ghp(arguments, agent: agent, environment: environment)
  }

  /// Starts `ghp` without waiting.
  public func startGHP(_ arguments: [String], agent: String?, environment: [String: String] = [:]) throws
    -> ProcessRunner.Running
  {
    var env = environment
    if let agent { env["GHP_AGENT"] = agent }
    return try ProcessRunner.start(GHPBinary.path, arguments, in: path, environment: env)
  }

  /// `ghp init` as the orchestrator `lead`, then `issues` issues titled "Issue N" (in process: the
  /// setting of a test, not what it tests).
  public func initialise(issues: Int = 0, lead: String = "lead") throws {
    let result = try inProcess(["init", "--goal", "Test goal", "--unknown-agents", "register"], agent: lead)
    guard result.status == 0 else { throw ScratchError("ghp init failed: \(result.stderr)") }
    for number in 0..<issues {
      let added = try inProcess(["issue", "add", "Issue \(number + 1)"], agent: lead)
      guard added.status == 0 else { throw ScratchError("ghp issue add failed: \(added.stderr)") }
    }
  }

  /// The subjects of `ghp/state`, newest first, via the git CLI.
  public func stateSubjects() throws -> [String] {
    try git("log", "--format=%s", "ghp/state").split(separator: "\n").map(String.init)
  }

  /// A document on `ghp/state`, via the git CLI.
  public func stateFile(_ path: String) throws -> String {
    try git("show", "ghp/state:\(path)")
  }
}
