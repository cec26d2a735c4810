import ArgumentParser
import GHPKit

#if canImport(Glibc)
  import Glibc
#endif

extension GHP {
  struct Approve: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "approve", abstract: "Let an agent edit shared files matching globs (orchestrators).",
      discussion: "Example: ghp approve worker-1 README.md 'Sources/Core/**' --once --note \"for #4\"")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The agent.")
    var agent: String

    @Argument(help: "Files or globs.")
    var globs: [String]

    @Flag(help: "Used up by the first commit that needs it.")
    var once = false

    @Option(help: "Why, for the record.")
    var note: String?

    func run() throws {
      let action = ApproveAction(agent: agent, globs: globs, once: once, note: note, allowNew: global.new)
      Output.answer(try action.run(in: try global.workspace()), json: global.json)
    }
  }

  struct Approvals: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "approvals",
      abstract: "Shared-file approvals in force: who, which files, by whom; --all adds used and revoked ones.",
      discussion: "Examples: ghp approvals   ghp approvals --all --json")

    @OptionGroup var global: ReadOptions

    @Flag(help: "Also approvals used up or revoked.")
    var all = false

    func run() throws {
      let state = try global.workspace().snapshot()
      try state.requireInitialised()
      let approvals = try state.listedApprovals(all: all)
      if global.json { return Output.json(.array(approvals.map(\.json))) }
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

  struct Revoke: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "revoke", abstract: "Withdraw an approval (orchestrators).", discussion: "Example: ghp revoke 3")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The approval id.")
    var id: String

    func run() throws {
      let landed = try global.workspace().run(RevokeOperation(approvalID: id))
      if global.json {
        Output.json(landed.result.json)
      } else {
        Output.line("Revoked approval \(id) of \(landed.result.agent).")
      }
    }
  }
}
