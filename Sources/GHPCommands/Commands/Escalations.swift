import ArgumentParser
import GHPKit

extension GHP {
  struct Escalations: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "escalations",
      abstract: "A human's inbox of questions (open first, most severe first); an agent's answers.",
      discussion: """
        Examples:
          ghp escalations --open
          ghp escalations --mine --json
          ghp escalations show 3
        """,
      subcommands: [EscalationList.self, EscalationShow.self], defaultSubcommand: EscalationList.self)
  }

  struct EscalationShow: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show", abstract: "One escalation whole: the question, the context the agent gave, the answer.",
      discussion: """
        Examples:
          ghp escalations show 3
          ghp escalations show 3 --json
        """)

    @OptionGroup var global: ReadOptions

    @Argument(help: "The escalation number.")
    var id: String

    func run() throws {
      let state = try global.workspace().snapshot()
      try state.requireInitialised()
      guard let escalation = try state.escalation(id), let text = try state.text(StatePaths.escalation(id)) else {
        throw GHPError.invalidValue("escalation", "there is no escalation \(id) (see `ghp escalations`)")
      }
      if global.json { return Output.json(escalation.answerJSON) }
      // The document without its machine-readable first line.
      Output.text(String(text.drop { $0 != "\n" }.dropFirst()))
    }
  }

  struct EscalationList: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "The inbox (the default): open first, most severe first.",
      discussion: """
        Examples:
          ghp escalations --open
          ghp escalations list --mine --json
        """)

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
        Output.json(.object(["escalations": .array(list.map(\.answerJSON))]))
        return
      }
      if list.isEmpty { return Output.line("No escalations.") }
      Output.marked(
        TextTable.render(
          header: ["ID", "STATUS", "SEVERITY", "AGENT", "ISSUE", "ASKED", "QUESTION", "ANSWER"],
          rows: list.map { item in
            [
              item.id, item.status.rawValue.uppercased(), item.severity.rawValue.uppercased(), item.agent,
              item.issue.map { "#\($0)" } ?? "-", RFC3339.format(item.asked), item.question,
              item.answer.map { $0 + " (\(item.answeredBy ?? "?"))" } ?? "-",
            ]
          }, width: Output.width, flexible: [6, 7]))
      Output.line("The whole question, its context and the answer: ghp escalations show ID")
    }
  }
}
