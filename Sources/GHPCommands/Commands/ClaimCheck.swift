import ArgumentParser
import GHPKit

extension GHP {
  struct ClaimCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "claim-check",
      abstract: "Exit 0 if you still hold the issue at that epoch, 3 otherwise (for hooks and scripts).",
      discussion: """
        Example:
          ghp claim-check 4 --epoch 2
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The issue.")
    var issue: String

    @Option(help: "The epoch the work began under.")
    var epoch: Int

    func run() throws {
      let workspace = try global.workspace()
      let held = try GHPKit.ClaimCheck.check(
        workspace.snapshot(), issueID: try Arguments.issueID(issue), epoch: epoch, agent: workspace.actor())
      if global.json {
        Output.json(.object(["issue": held.answerJSON, "holds": .bool(true)]))
      } else {
        Output.line("You hold #\(held.id) at epoch \(held.epoch).")
      }
    }
  }
}
