import ArgumentParser
import GHPKit

extension GHP {
  struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "resolve", abstract: "Answer an open escalation (orchestrators and the humans behind them).",
      discussion: """
        Example:
          ghp resolve 7 --answer "Do #4 first; #5 waits"
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The escalation number.")
    var id: String

    @Option(help: "The decision; - reads standard input.")
    var answer: String

    func run() throws {
      let action = ResolveAction(escalation: id, answer: Arguments.text(answer))
      Output.answer(try action.run(in: try global.workspace()), json: global.json)
    }
  }
}
