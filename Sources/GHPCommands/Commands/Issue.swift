import ArgumentParser
import GHPKit

extension GHP {
  struct IssueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "issue",
      abstract: "Create, import, list, show, edit and retry issues (the work queue).",
      subcommands: [Add.self, Import.self, List.self, Show.self, Edit.self, Retry.self])
  }
}

/// Prints an issue: its JSON, or one line.
func printIssue(_ issue: Issue, verb: String, json: Bool, commit: ObjectID?) {
  Output.answer(IssueAnswer(issue: issue, commit: commit, verb: verb), json: json)
}

extension GHP.IssueCommand {
  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add", abstract: "Add an issue (orchestrators; in an epic, its manager too); prints its id.",
      discussion: """
        With --epic, the issue is a sub-issue of that epic: the epic's manager may add it (with a \
        scope inside the epic's), and the epic is done when all its sub-issues are.

        With --attempts N, N workers attempt it independently: attempts <id>.1 to <id>.N are \
        issues of their own (each its own claim, branch and epoch; one agent makes one of them). \
        `ghp land` gates each submitted attempt, a vote chooses one (--vote: score, review or \
        lead; default landing.vote), it lands, and the others are closed. See `ghp vote`.

        Examples:
          ghp issue add "Create login endpoint" -p 1 --after 1 --scope 'Sources/Auth/**' --body -
          ghp issue add "Hash passwords" --epic 12 --scope 'Sources/Auth/Hash*.swift'
          ghp issue add "Speed up the parser" --attempts 3 --vote score
        """)

    @OptionGroup var global: GlobalOptions

    @OptionGroup var issue: NewIssueOptions

    @Option(help: ArgumentHelp("The epic this issue is a sub-issue of.", valueName: "id"))
    var epic: String?

    @Option(help: ArgumentHelp("How many workers attempt it independently, 2 to 9 (best-of-N).", valueName: "n"))
    var attempts: Int?

    @Option(help: "How the attempt that lands is chosen: score, review or lead (default: landing.vote).")
    var vote: VoteMethod?

    func run() throws {
      let landed = try issue.add(
        global, kind: nil, epic: try epic.map(Arguments.issueID), attempts: attempts, vote: vote)
      if global.json {
        Output.json(landed.result.answerJSON)
      } else {
        Output.line(landed.result.id)
      }
    }
  }

  /// What a new issue or epic is given: its title, priority, dependencies, scope and description.
  struct NewIssueOptions: ParsableArguments {
    @Argument(help: "The title.")
    var title: String

    @Option(name: .short, help: "Priority: a lower number comes first.")
    var priority: Int = 2

    @Option(help: ArgumentHelp("Issues that must be done first (1,3 or repeated).", valueName: "ids"))
    var after: [String] = []

    @Option(
      help: ArgumentHelp(
        "Globs of the files it owns (repeatable); an epic's bound what its manager may approve.", valueName: "glob"))
    var scope: [String] = []

    @Option(help: "The description; - reads standard input.")
    var body: String?

    @Option(
      help: ArgumentHelp(
        "What an agent must be able to do to take it (swift,docs or repeated; see `ghp agent add --can`).",
        valueName: "capabilities"))
    var needs: [String] = []

    @Option(help: "Its own review before landing: none, agent or human (default: landing.review).")
    var review: ReviewMode?

    /// Adds it as `global` says, an epic or a sub-issue of `epic`.
    func add(
      _ global: GlobalOptions, kind: Issue.Kind?, epic: String?, attempts: Int? = nil, vote: VoteMethod? = nil
    ) throws -> Landed<Issue> {
      try global.workspace().run(
        AddIssueOperation(
          title: title, body: body.map(Arguments.text) ?? "", priority: priority,
          dependencies: try Arguments.issueIDs(after), scope: scope, kind: kind, epic: epic,
          needs: try Capability.parse(needs), review: review, attempts: attempts, vote: vote))
    }
  }

  struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "import", abstract: "Add many issues in one commit from a JSON file (orchestrators only).",
      discussion: """
        Reads the prototype's task format, {"tasks": [{"id": "task-001", "description": ..., \
        "status": "available", "claimed_by": null, "priority": 1, "dependencies": [], "context": \
        {"files": [...], "hints": ...}}]}, or a JSON array of ghp issue objects. A file with a \
        repeated or existing id, an unknown dependency or a dependency cycle is refused, naming \
        them; nothing is written.

        Example:
          ghp issue import tasks.json
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The file; - reads standard input.")
    var file: String

    func run() throws {
      let workspace = try global.workspace()
      let issues = try IssueImport.parse(Arguments.fileBytes(file), actor: workspace.actor(), clock: workspace.clock)
      let name = file == "-" ? "standard input" : String(file.split(separator: "/").last ?? "")
      let landed = try workspace.run(ImportIssuesOperation(issues: issues, source: name))
      if global.json {
        Output.json(
          .object([
            "imported": .int(landed.result.count), "ids": .array(landed.result.map { .string($0.id) }),
            "commit": .string(landed.commit?.hex ?? ""),
          ]))
      } else {
        Output.line("Imported \(landed.result.count) issues in \(landed.commit?.short ?? "?").")
      }
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List issues, by id.",
      discussion: """
        --status failed lists open issues that failed at least once; dead ones failed maxAttempts \
        times.

        Example:
          ghp issue list --status open
        """)

    @OptionGroup var global: ReadOptions

    @Option(help: "open, claimed, done, failed or dead.")
    var status: IssueFilter?

    func run() throws {
      let workspace = try global.workspace()
      let state = try workspace.snapshot()
      try state.requireInitialised()
      var summaries = try state.issueSummaries().sorted { IssueID.precedes($0.id, $1.id) }
      if let status { summaries = summaries.filter(status.matches) }
      if global.json {
        Output.json(.object(["issues": .array(summaries.map(\.json))]))
      } else {
        Output.text(IssueSummary.table(summaries))
      }
    }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show", abstract: "Everything about an issue: fields, result and history.",
      discussion: """
        Example:
          ghp issue show 2
        """)

    @OptionGroup var global: ReadOptions

    @Argument(help: "The issue id.", completion: Completions.issues())
    var id: String

    func run() throws {
      let workspace = try global.workspace()
      let state = try workspace.snapshot()
      try state.requireInitialised()
      let detail = try IssueDetail(state: state, id: Arguments.issueID(id))
      if global.json { Output.json(detail.json) } else { Output.text(detail.text) }
    }
  }

  struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "edit",
      abstract: "Change an issue's title, body, priority, dependencies or scope (orchestrators only).",
      discussion: """
        Example:
          ghp issue edit 2 -p 1 --after 1,3
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The issue id.")
    var id: String

    @Option(help: "A new title.")
    var title: String?

    @Option(help: "A new description; - reads standard input.")
    var body: String?

    @Option(name: .short, help: "A new priority.")
    var priority: Int?

    @Option(help: ArgumentHelp("Replace the dependencies (1,3; \"\" for none).", valueName: "ids"))
    var after: [String] = []

    @Option(help: ArgumentHelp("Replace the scope (repeatable).", valueName: "glob"))
    var scope: [String] = []

    @Option(help: ArgumentHelp("Replace what it needs (swift,docs; \"\" for nothing).", valueName: "capabilities"))
    var needs: [String] = []

    @Option(help: "Its own review before landing: none, agent or human.")
    var review: ReviewMode?

    func run() throws {
      let workspace = try global.workspace()
      let operation = EditIssueOperation(
        issueID: try Arguments.issueID(id), title: title, body: body.map(Arguments.text), priority: priority,
        dependencies: after.isEmpty ? nil : try Arguments.issueIDs(after), scope: scope.isEmpty ? nil : scope,
        needs: needs.isEmpty ? nil : try Capability.parse(needs), review: review)
      let landed = try workspace.run(operation)
      printIssue(
        landed.result, verb: landed.commit == nil ? "Unchanged" : "Edited", json: global.json, commit: landed.commit)
    }
  }

  struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "retry", abstract: "Put a dead issue back in the queue with fresh attempts (orchestrators only).",
      discussion: """
        Example:
          ghp issue retry 2
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The issue id.")
    var id: String

    func run() throws {
      let landed = try global.workspace().run(RetryOperation(issueID: try Arguments.issueID(id)))
      printIssue(landed.result, verb: "Reopened", json: global.json, commit: landed.commit)
    }
  }
}

extension IssueFilter: ExpressibleByArgument {}
