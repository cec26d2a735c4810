import ArgumentParser
import GHPKit

extension GHP {
  struct Hook: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "hook", abstract: "Run one hook's check (called by the installed hook scripts).",
      discussion: """
        Names: pre-commit, prepare-commit-msg, post-commit, pre-push, pre-receive, proc-receive. Exit 3 refuses.
        """)

    @Argument(help: "The hook.")
    var name: String

    @Argument(parsing: .allUnrecognized, help: "What git passed to the hook.")
    var arguments: [String] = []

    func run() throws {
      let workspace = try Workspace(hookEnvironment: Output.environment)
      guard let hook = GitHook(rawValue: name) else {
        let names = GitHook.allCases.map(\.rawValue)
        throw ValidationError(
          "unknown hook '\(name)': \(names.dropLast().joined(separator: ", ")) or \(names.last!)")
      }
      var verdict = HookRunner.Verdict()
      switch hook {
      case .preCommit:
        verdict = try HookRunner.preCommit(workspace)
      case .postCommit:
        verdict = try HookRunner.postCommit(workspace)
      case .prepareCommitMessage:
        guard let file = arguments.first else { throw ValidationError("prepare-commit-msg needs the message file") }
        let message = String(decoding: try Arguments.fileBytes(file), as: UTF8.self)
        let updated = try HookRunner.prepareCommitMessage(message, workspace: workspace)
        if updated != message { try Files.replace(try Output.path(file), with: Array(updated.utf8)) }
      case .prePush:
        let lines = Output.readStandardInput().split(separator: "\n").map(String.init)
        verdict = try HookRunner.prePush(lines, remote: arguments.first ?? "origin", workspace: workspace)
      case .preReceive:
        let lines = Output.readStandardInput().split(separator: "\n").map(String.init)
        verdict = try HookRunner.preReceive(lines, workspace: workspace)
      case .procReceive:
        // Its standard output is git's protocol: nothing else may be written there.
        try HookRunner.procReceive(workspace: workspace)
      }
      for note in verdict.notes { Output.error(note) }
      guard verdict.allowed else {
        for refusal in verdict.refusals { Output.error("\(name): \(refusal)") }
        Output.error(
          "\(name): refused by ghp (\(verdict.refusals.count) problem\(verdict.refusals.count == 1 ? "" : "s")); nothing was \(hook.refusedWhat)"
        )
        throw ExitCode(3)
      }
    }
  }
}
