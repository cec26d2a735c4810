import ArgumentParser
import GHPKit

extension GHP {
  struct Handoff: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "handoff", abstract: "Read handoffs.", subcommands: [Show.self, List.self],
      defaultSubcommand: Show.self)

    struct List: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Every issue with a handoff: who holds it now, who it waits for, when it was written.",
        discussion: """
          Examples:
            ghp handoff list
            ghp handoff list --json
          """)

      @OptionGroup var global: ReadOptions

      func run() throws {
        let state = try global.workspace().snapshot()
        try state.requireInitialised()
        let waiting = try state.agents().agents.compactMap { name, record in record.handoffWaiting.map { ($0, name) } }
        let rows = try state.handoffIssues().map {
          (id) throws -> (id: String, title: String, holder: String, waitsFor: [String]) in
          let issue = try state.issue(id)
          let holder = issue.flatMap { $0.status == .claimed ? $0.assignee : nil } ?? "-"
          return (id, issue?.title ?? "?", holder, waiting.filter { $0.0 == id }.map(\.1).sorted())
        }
        if global.json {
          return Output.json(
            .object([
              "handoffs": .array(
                rows.map {
                  .object([
                    "issue": IssueReference.write($0.id), "title": .string($0.title),
                    "holder": $0.holder == "-" ? .null : .string($0.holder),
                    "waitingFor": .array($0.waitsFor.map { .string($0) }),
                  ])
                })
            ]))
        }
        guard !rows.isEmpty else { return Output.line("No handoffs yet (`ghp agent-handoff --issue ID` writes one).") }
        Output.text(
          TextTable.render(
            header: ["ISSUE", "TITLE", "HOLDER", "WAITING FOR"],
            rows: rows.map {
              [
                "#\($0.id)", TextTable.clip($0.title, 50), $0.holder,
                $0.waitsFor.isEmpty ? "-" : $0.waitsFor.joined(separator: ", "),
              ]
            }))
      }
    }

    struct Show: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print the latest handoff of an issue (older ones: git log ghp/state).",
        discussion: """
          Example:
            ghp handoff show 4
          """)

      @OptionGroup var global: ReadOptions

      @Argument(help: "The issue.")
      var issue: String

      func run() throws {
        let state = try global.workspace().snapshot()
        try state.requireInitialised()
        let id = try Arguments.issueID(issue)
        let text = try state.handoffDocument(id)
        if global.json {
          Output.json(.object(["issue": IssueReference.write(id), "document": .string(text)]))
        } else {
          Output.text(text)
        }
      }
    }
  }
}
