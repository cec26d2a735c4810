import ArgumentParser
import GHPKit

extension Escalation.Severity: ExpressibleByArgument {}

extension GHP {
  struct AgentEscalate: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "agent-escalate",
      abstract: "Ask a human to decide; your status becomes `escalated` until you report again.",
      discussion: """
        Example: ghp agent-escalate "Two issues need Sources/Core/Router.swift: which goes first?" --issue 4 --severity high --context -
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
        Output.json(landed.result.json)
      } else {
        Output.line("Escalated as \(landed.result.id); read the answer with `ghp escalations --mine`.")
      }
    }
  }

  struct Escalations: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "escalations",
      abstract: "A human's inbox of questions (open first, most severe first); an agent's answers.",
      discussion: "Examples: ghp escalations --open   ghp escalations --mine --json   ghp escalations show 3",
      subcommands: [EscalationList.self, EscalationShow.self], defaultSubcommand: EscalationList.self)
  }

  struct EscalationShow: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show", abstract: "One escalation whole: the question, the context the agent gave, the answer.",
      discussion: "Examples: ghp escalations show 3   ghp escalations show 3 --json")

    @OptionGroup var global: ReadOptions

    @Argument(help: "The escalation number.")
    var id: String

    func run() throws {
      let state = try global.workspace().snapshot()
      try state.requireInitialised()
      guard let escalation = try state.escalation(id), let text = try state.text(StatePaths.escalation(id)) else {
        throw GHPError.invalidValue("escalation", "there is no escalation \(id) (see `ghp escalations`)")
      }
      if global.json { return Output.json(escalation.json) }
      // The document without its machine-readable first line.
      Output.text(String(text.drop { $0 != "\n" }.dropFirst()))
    }
  }

  struct EscalationList: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "The inbox (the default): open first, most severe first.",
      discussion: "Examples: ghp escalations --open   ghp escalations list --mine --json")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Only open escalations.")
    var open = false

    @Flag(help: "Only escalations you asked.")
    var mine = false

    func run() throws {
      let workspace = try global.workspace()
      let state = try workspace.snapshot()
      try state.requireInitialised()
      var list = try state.escalations().sorted(by: Escalation.inboxOrder)
      if open { list = list.filter { $0.status == .open } }
      if mine {
        let me = try workspace.actor()
        list = list.filter { $0.agent == me }
      }
      if global.json {
        Output.json(.array(list.map(\.json)))
        return
      }
      if list.isEmpty { return Output.line("No escalations.") }
      Output.marked(
        TextTable.render(
          header: ["ID", "STATUS", "SEVERITY", "AGENT", "ISSUE", "ASKED", "QUESTION", "ANSWER"],
          rows: list.map { item in
            [
              item.id, item.status.rawValue.uppercased(), item.severity.rawValue.uppercased(), item.agent,
              item.issue.map { "#\($0)" } ?? "-", RFC3339.format(item.asked), TextTable.clip(item.question, 60),
              item.answer.map { TextTable.clip($0, 40) + " (\(item.answeredBy ?? "?"))" } ?? "-",
            ]
          }))
      Output.line("The whole question, its context and the answer: ghp escalations show ID")
    }
  }

  struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "resolve", abstract: "Answer an open escalation (orchestrators and the humans behind them).",
      discussion: "Example: ghp resolve 7 --answer \"Do #4 first; #5 waits\"")

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
