import ArgumentParser
import GHPKit

extension GHP {
  struct Approvals: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "approvals",
      abstract: "Shared-file approvals in force: who, which files, by whom; --all adds used and revoked ones.",
      discussion: """
        Examples:
          ghp approvals
          ghp approvals --all --json
        """)

    @OptionGroup var global: ReadOptions

    @Flag(help: "Also approvals used up or revoked.")
    var all = false

    func run() throws {
      let state = try global.workspace().snapshot()
      try state.requireInitialised()
      let approvals = try state.listedApprovals(all: all)
      if global.json { return Output.json(.object(["approvals": .array(approvals.map(\.answerJSON))])) }
      if approvals.isEmpty {
        return Output.line(
          all ? "No approvals." : "No approvals in force (`ghp approvals --all` shows used and revoked ones).")
      }
      Output.text(
        TextTable.render(
          header: ["ID", "AGENT", "FILES", "BY", "WHEN", "STATE"],
          rows: approvals.map {
            [
              $0.id, $0.agent, $0.globs.joined(separator: " "), $0.by, RFC3339.format($0.at),
              $0.state,
            ]
          }))
    }
  }
}
