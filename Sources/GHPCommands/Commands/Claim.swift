import ArgumentParser
import GHPKit

extension GHP {
  struct Claim: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "claim",
      abstract: "Claim an issue: exit 0 when it is yours, exit 3 naming the holder when someone else has it.",
      discussion: """
        With --next, claims the first ready issue atomically; exit 4 when nothing is ready.

        Examples:
          ghp claim 1
          ghp claim --next
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The issue id.", completion: Completions.issues([.open, .landing]))
    var id: String?

    @Flag(help: "Claim the first issue of `ghp ready`.")
    var next = false

    func validate() throws {
      if (id == nil) == !next { throw ValidationError("give an issue id, or --next") }
      if let id { _ = try Arguments.issueID(id) }
    }

    func run() throws {
      let action = try ClaimAction(issue: next ? nil : id)
      Output.answer(try action.run(in: try global.workspace()), json: global.json)
    }
  }
}
