import ArgumentParser
import GHPKit

extension GHP {
  struct Fail: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "fail",
      abstract: "Report that your attempt at an issue failed: back to open, or dead after maxAttempts.",
      discussion: """
        Example:
          ghp fail 2 --reason "tests need a database"
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The issue id.", completion: Completions.issues([.claimed]))
    var id: String

    @Option(help: "Why it failed.")
    var reason: String

    func run() throws {
      let action = try FailAction(issue: id, reason: reason)
      Output.answer(try action.run(in: try global.workspace()), json: global.json)
    }
  }
}
