import ArgumentParser
import GHPKit

extension Escalation.Severity: ExpressibleByArgument {}

extension GHP {
  struct AgentEscalate: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "agent-escalate",
      abstract: "Ask a human to decide; your status becomes `escalated` until you report again.",
      discussion: """
        Example:
          ghp agent-escalate "Two issues need Sources/Core/Router.swift: which goes first?" --issue 4 --severity high --context -
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The question, in one or two sentences.")
    var question: String

    @Option(help: "The issue it is about.")
    var issue: String?

    @Option(help: "low, medium, high or critical.")
    var severity: Escalation.Severity = .medium

    @Option(help: "What the human needs to know; - reads standard input.")
    var context: String?

    func run() throws {
      let operation = EscalateOperation(
        question: question, issueID: try issue.map(Arguments.issueID), severity: severity,
        context: context.map(Arguments.text))
      let landed = try global.workspace().run(operation)
      if global.json {
        Output.json(landed.result.answerJSON)
      } else {
        Output.line("Escalated as \(landed.result.id); read the answer with `ghp escalations --mine`.")
      }
    }
  }
}
