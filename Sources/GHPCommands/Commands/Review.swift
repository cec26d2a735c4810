import ArgumentParser
import GHPKit

extension ReviewMode: ExpressibleByArgument {}

extension GHP {
  struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "review",
      abstract: "Review before landing: approve the exact merge the gate passed, or send it back with changes.",
      discussion: """
        With `ghp config set landing.review agent` (a reviewer agent or an orchestrator reviews) or \
        `human` (a person, acting as an orchestrator), or an issue's own `--review`, `ghp land` stops \
        after the gate passes: the issue waits for a review of its merge, named by its tree. A verdict \
        names that tree; when the base moves, the merge is another tree and is reviewed again. Changes \
        asked for send the issue back to its agent with the reviewer's words. Nobody reviews their \
        own work.

        Examples:
          ghp review list
          ghp review show 3
          ghp review approve 3 --tree 1f2e3d4c --note "Clear and tested"
          ghp review changes 3 --tree 1f2e3d4c "Handle the empty password"
        """,
      subcommands: [List.self, Show.self, Approve.self, Changes.self], defaultSubcommand: List.self)
  }
}

extension GHP.Review {
  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "The issues whose landing waits for a review.",
      discussion: """
        Example:
          ghp review list --json
        """)

    @OptionGroup var global: ReadOptions

    func run() throws {
      let state = try global.workspace().snapshot()
      let waiting = try ReviewQueue.waiting(state)
      if global.json {
        return Output.json(.object(["reviews": .array(waiting.map(ReviewQueue.json))]))
      }
      if waiting.isEmpty { return Output.line("No landing waits for a review.") }
      Output.text(
        TextTable.render(
          header: ["ISSUE", "BY", "REVIEW", "TREE", "TITLE"],
          rows: waiting.map { issue in
            [
              "#\(issue.id)", issue.assignee ?? "-", issue.reviewing?.mode.rawValue ?? "-",
              issue.reviewing?.tree.short ?? "-", TextTable.clip(issue.title, 60),
            ]
          }))
    }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show",
      abstract: "What a review is about: the merge's tree, its base and branch, the files it changes.",
      discussion: """
        Example:
          ghp review show 3
        """)

    @OptionGroup var global: ReadOptions

    @Argument(help: "The issue.", completion: Completions.issues([.landing]))
    var id: String

    func run() throws {
      let workspace = try global.workspace()
      let shown = try ReviewQueue.show(workspace, id: Arguments.issueID(id))
      if global.json { return Output.json(shown.json) }
      Output.text(shown.text)
    }
  }

  struct Approve: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "approve", abstract: "Approve the merge an issue's landing waits on: the next `ghp land` lands it.",
      discussion: """
        Example:
          ghp review approve 3 --tree 1f2e3d4c --note "Clear and tested"
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The issue.")
    var id: String

    @Option(help: ArgumentHelp("The tree you were shown (`ghp review show`); a prefix will do.", valueName: "tree"))
    var tree: String

    @Option(help: "What you say with the approval.")
    var note: String?

    func run() throws {
      try Verdicts.give(global, id: id, tree: tree, verdict: .approve, text: note)
    }
  }

  struct Changes: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "changes", abstract: "Send an issue back to its agent with the changes its merge needs.",
      discussion: """
        Example:
          ghp review changes 3 --tree 1f2e3d4c "Handle the empty password"
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The issue.")
    var id: String

    @Argument(help: "The changes asked for; - reads standard input.")
    var text: String

    @Option(help: ArgumentHelp("The tree you were shown (`ghp review show`); a prefix will do.", valueName: "tree"))
    var tree: String

    func run() throws {
      try Verdicts.give(global, id: id, tree: tree, verdict: .changes, text: Arguments.text(text))
    }
  }

  enum Verdicts {
    static func give(_ global: GlobalOptions, id: String, tree: String, verdict: ReviewOperation.Verdict, text: String?)
      throws
    {
      let workspace = try global.workspace()
      let issueID = try Arguments.issueID(id)
      let state = try workspace.snapshot()
      // Who may review first: its own author hears that, whatever tree it typed.
      if let request = try state.requireIssue(issueID).reviewing {
        try state.requireReviewer(try workspace.actor(), of: try state.requireIssue(issueID), mode: request.mode)
      }
      let tree = try ReviewQueue.tree(named: tree, for: issueID, in: state)
      let landed = try workspace.run(ReviewOperation(issueID: issueID, tree: tree, verdict: verdict, text: text))
      let sentence =
        verdict == .approve
        ? "Approved the merge of #\(issueID) (tree \(tree.short)): the next `ghp land` lands it."
        : "Sent #\(issueID) back to \(landed.result.assignee ?? "its agent") with the changes asked for."
      if global.json {
        Output.json(.object(["issue": landed.result.answerJSON, "commit": .string(landed.commit?.hex ?? "")]))
      } else {
        Output.line(sentence)
      }
    }
  }
}
