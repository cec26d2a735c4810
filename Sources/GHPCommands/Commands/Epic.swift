import ArgumentParser
import GHPKit

extension GHP {
  struct EpicCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "epic",
      abstract: "Epics: issues whose sub-issues are the work, each coordinated by a manager.",
      discussion: """
        An orchestrator adds an epic and assigns it to an agent with the manager role; while the \
        manager holds it, it may add, edit, assign, release and retry the epic's sub-issues, answer \
        their escalations and approve edits inside the epic's scope, and nothing outside the epic. \
        The epic is done when all its sub-issues are.

        Examples:
          ghp epic add "Accounts" --scope 'Sources/Auth/**'
          ghp agent add m1 --role manager
          ghp assign 1 m1
          ghp issue add "Hash passwords" --epic 1
          ghp epic show 1
        """,
      subcommands: [Add.self, List.self, Show.self])
  }
}

extension GHP.EpicCommand {
  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add", abstract: "Add an epic (orchestrators only); prints its id.",
      discussion: """
        Example:
          ghp epic add "Accounts" -p 1 --scope 'Sources/Auth/**' --body -
        """)

    @OptionGroup var global: GlobalOptions

    @OptionGroup var issue: GHP.IssueCommand.NewIssueOptions

    func run() throws {
      let landed = try issue.add(global, kind: .epic, epic: nil)
      if global.json { Output.json(landed.result.answerJSON) } else { Output.line(landed.result.id) }
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "Every epic: its status, manager and sub-issues done.",
      discussion: """
        Example:
          ghp epic list --json
        """)

    @OptionGroup var global: ReadOptions

    func run() throws {
      let state = try global.workspace().snapshot()
      try state.requireInitialised()
      let summaries = try state.issueSummaries()
      let epics = summaries.filter { $0.kind == .epic }.sorted { IssueID.precedes($0.id, $1.id) }
      func progress(_ epic: IssueSummary) -> (done: Int, total: Int) {
        let subs = summaries.filter { $0.epic == epic.id }
        return (subs.count { $0.status == .done }, subs.count)
      }
      if global.json {
        return Output.json(
          .object([
            "epics": .array(
              epics.map { epic in
                let (done, total) = progress(epic)
                return .object([
                  "id": IssueReference.write(epic.id), "title": .string(epic.title),
                  "status": .string(epic.status.rawValue), "manager": epic.assignee.map { .string($0) } ?? .null,
                  "done": .int(done), "total": .int(total),
                ])
              })
          ]))
      }
      if epics.isEmpty { return Output.line("No epics (an orchestrator adds one with `ghp epic add`).") }
      Output.text(
        TextTable.render(
          header: ["EPIC", "STATUS", "MANAGER", "DONE", "TITLE"],
          rows: epics.map { epic in
            let (done, total) = progress(epic)
            return [
              "#\(epic.id)", epic.status.rawValue, epic.assignee ?? "-", "\(done)/\(total)",
              TextTable.clip(epic.title, 60),
            ]
          }))
    }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show", abstract: "An epic: its manager, its progress and each sub-issue (done, landed, blocked).",
      discussion: """
        Example:
          ghp epic show 1
        """)

    @OptionGroup var global: ReadOptions

    @Argument(help: "The epic's id.", completion: Completions.issues())
    var id: String

    func run() throws {
      let state = try global.workspace().snapshot()
      let report = try EpicReport(state: state, id: Arguments.issueID(id))
      if global.json { Output.json(report.json) } else { Output.text(report.text) }
    }
  }
}
