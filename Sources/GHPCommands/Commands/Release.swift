import ArgumentParser
import GHPKit

extension GHP {
  struct Release: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "release", abstract: "Give an issue back to the queue (its holder, or an orchestrator).",
      discussion: """
        Example:
          ghp release 1 --reason "needs a database"
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The issue id.", completion: Completions.issues([.claimed, .landing]))
    var id: String

    @Option(help: "Why, for the log.")
    var reason: String?

    func validate() throws { _ = try Arguments.issueID(id) }

    func run() throws {
      let action = try ReleaseAction(issue: id, reason: reason)
      Output.answer(try action.run(in: try global.workspace()), json: global.json)
    }
  }
}
