import Foundation
import GHPCommands
import GHPKit

extension ScratchRepository {
  /// Runs `ghp ARGUMENTS` in this process, against a console of its own, as the binary run in
  /// `directory` (default: here) as `agent` would: the console has the clean environment a child
  /// gets (libgit2 in this process still reads the process's own HOME and git configuration), the
  /// folder is given as `-C`. For what a command prints and the code it exits with; races,
  /// signals, hooks git runs and servers need the binary (`ghp(_:)`).
  @discardableResult
  public func inProcess(
    _ arguments: [String], agent: String? = nil, environment: [String: String] = [:], input: String? = nil,
    in directory: String? = nil, terminal: Bool = false
  ) throws -> ProcessRunner.Result {
    var extra = environment
    if let agent { extra["GHP_AGENT"] = agent }
    let folder = directory ?? path
    guard FileManager.default.fileExists(atPath: folder) else {
      throw ScratchError("cannot run ghp: the folder \(folder) does not exist")
    }
    let (console, recording) = Console.recording(
      environment: ProcessRunner.environment(in: folder, extra), input: input ?? "", terminal: terminal)
    let code = GHPMain.run(["-C", folder] + arguments, console: console)
    return ProcessRunner.Result(status: code, stdout: recording.stdout, stderr: recording.stderr)
  }

  /// `inProcess` with the arguments as a list.
  @discardableResult
  public func inProcess(_ arguments: String..., agent: String? = nil, environment: [String: String] = [:])
    throws -> ProcessRunner.Result
  {
    try inProcess(arguments, agent: agent, environment: environment)
  }
}
