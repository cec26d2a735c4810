import ArgumentParser
import GHPKit

extension GHP {
  struct Revoke: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "revoke", abstract: "Withdraw an approval (orchestrators; a manager, those it gave).",
      discussion: """
        Example:
          ghp revoke 3
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The approval id.")
    var id: String

    func run() throws {
      let landed = try global.workspace().run(RevokeOperation(approvalID: id))
      if global.json {
        Output.json(landed.result.answerJSON)
      } else {
        Output.line("Revoked approval \(id) of \(landed.result.agent).")
      }
    }
  }
}
