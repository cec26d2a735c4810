import ArgumentParser
import GHPKit

extension GHP {
  struct AgentHandoff: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "agent-handoff",
      abstract:
        "Write a handoff for an issue you hold, built from the state and your branch; --to passes the claim on.",
      discussion: """
        The document names the issue, your status and recent actions, discoveries since your \
        claim, open escalations, and your branch agent/<you>: commits ahead of the base, files \
        changed, uncommitted work. It is stored at .ghp/handoffs/<issue>.md and printed.

        Example:
          ghp agent-handoff --issue 4 --to worker-3 --note "Tests for the router remain" --write handoff.md
        """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "The issue you hold.")
    var issue: String

    @Option(help: "The agent who takes the claim over (epoch + 1).")
    var to: String?

    @Option(help: "Your own words for the receiver; - reads standard input.")
    var note: String?

    @Option(
      help:
        "Also write the document to this path inside the repository (with --to: at that place in the receiver's worktree)."
    )
    var write: String?

    @Flag(help: "Let --write overwrite a tracked file.")
    var force = false

    func run() throws {
      let workspace = try global.workspace()
      let action = try HandoffAction(
        issue: issue, receiver: to, note: note.map(Arguments.text),
        destination: try write.map {
          try HandoffFile.validate(
            try Output.path($0), workspace: workspace, force: force, from: Output.console.directory)
        },
        allowNew: global.new)
      let answer = try action.run(in: workspace)
      for note in answer.notes { Output.error(note) }
      if global.json { Output.json(answer.json) } else { Output.text(answer.document) }
    }
  }
}
