import ArgumentParser
import GHPKit

extension GHP {
  struct Ready: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "ready", abstract: "Issues ready to claim: open, unclaimed, every dependency done; by priority, then age.",
      discussion: "Example: ghp ready --json")

    @OptionGroup var global: ReadOptions

    @Option(name: .short, help: "At most this many (0: all).")
    var n: Int = 0

    func run() throws {
      let workspace = try global.workspace()
      let ready = try ReadyQueue.ready(workspace.snapshot(), limit: n > 0 ? n : nil)
      if global.json {
        Output.json(.array(ready.map(\.json)))
      } else {
        Output.text(ready.isEmpty ? "Nothing is ready.\n" : IssueSummary.table(ready))
      }
    }
  }

  struct Done: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "done", abstract: "Mark an issue you hold done, with its result; dependants become ready.",
      discussion: """
        With [landing] in the policy, done submits your branch agent/<you> for
        landing instead. It refuses a branch with no commits that change
        anything, or uncommitted work in your worktree (naming the files), and
        records the branch tip. The issue is `landing` until `ghp land` merged
        it onto the base with the gate passing (then done, and its dependants
        ready) or sent it back to you. `ghp claim <id>` takes it back.

        Examples: ghp done 2 --result "Endpoint and tests in place"
                  ghp done 2 --result-file out.md
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The issue id.")
    var id: String

    @Option(help: "What was done; - reads standard input.")
    var result: String?

    @Option(help: "A file holding the result.")
    var resultFile: String?

    func validate() throws {
      if (result == nil) == (resultFile == nil) { throw ValidationError("give one of --result or --result-file") }
    }

    func run() throws {
      let text = try resultFile.map { String(decoding: try Arguments.fileBytes($0), as: UTF8.self) }
        ?? Arguments.text(result ?? "")
      let workspace = try global.workspace()
      let issueID = try Arguments.issueID(id)
      let landed = try workspace.run(try DoneOperation.reading(workspace, issueID: issueID, result: text))
      let verb = landed.result.status == .landing ? "Submitted for landing (see `ghp queue`):" : "Done"
      printIssue(landed.result, verb: verb, json: global.json, commit: landed.commit)
    }
  }

  struct Fail: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "fail", abstract: "Report that your attempt at an issue failed: back to open, or dead after maxAttempts.",
      discussion: "Example: ghp fail 2 --reason \"tests need a database\"")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The issue id.")
    var id: String

    @Option(help: "Why it failed.")
    var reason: String

    func run() throws {
      let landed = try global.workspace().run(FailOperation(issueID: try Arguments.issueID(id), reason: reason))
      let verb = landed.result.status == .dead ? "Dead after \(landed.result.attempts) attempts:" : "Failed, back in the queue:"
      printIssue(landed.result, verb: verb, json: global.json, commit: landed.commit)
    }
  }

  struct Assign: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "assign", abstract: "Give an issue to an agent (orchestrators only).",
      discussion: "Example: ghp assign 2 worker-3")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The issue id.")
    var id: String

    @Argument(help: "The agent who gets it.")
    var to: String

    func run() throws {
      let workspace = try global.workspace()
      let state = try workspace.snapshot()
      // Authority first: a worker is refused as such, whatever name it typed.
      try state.requireOrchestrator(try workspace.actor(), toDo: "assign issues")
      try KnownAgent.require(to, in: state, toDo: "assign to it", allowNew: global.new)
      let landed = try workspace.run(AssignOperation(issueID: try Arguments.issueID(id), agent: to))
      printIssue(landed.result, verb: "Assigned to \(to):", json: global.json, commit: landed.commit)
    }
  }

  struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "plan", abstract: "The master plan (.ghp/plan.md).",
      subcommands: [Show.self, Set.self],
      defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
      static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the plan.", discussion: "Example: ghp plan show")

      @OptionGroup var global: ReadOptions

      func run() throws {
        let state = try global.workspace().snapshot()
        try state.requireInitialised()
        let text = try state.text(StatePaths.plan) ?? ""
        if global.json { Output.json(.object(["plan": .string(text)])) } else { Output.text(text) }
      }
    }

    struct Set: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Replace the plan with a file's text (orchestrators only).",
        discussion: "Examples: ghp plan set plan.md   cat plan.md | ghp plan set -")

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The file; - reads standard input.")
      var file: String

      func run() throws {
        let text = String(decoding: try Arguments.fileBytes(file), as: UTF8.self)
        let landed = try global.workspace().run(SetPlanOperation(text: text))
        if global.json {
          Output.json(.object(["commit": .string(landed.commit?.hex ?? "")]))
        } else {
          Output.line("Plan set in \(landed.commit?.short ?? "?").")
        }
      }
    }
  }

  struct Discover: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "discover", abstract: "Share a finding with every agent (appended to .ghp/discoveries.md).",
      discussion: "Example: ghp discover \"The API uses zod-style validation in Sources/Validation\"")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The finding; - reads standard input.")
    var text: String

    func run() throws {
      let landed = try global.workspace().run(DiscoverOperation(text: Arguments.text(text)))
      if global.json {
        Output.json(landed.result.json)
      } else {
        Output.line("Shared at \(RFC3339.format(landed.result.at)).")
      }
    }
  }

  struct Discoveries: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "discoveries", abstract: "What agents have found, oldest first.",
      discussion: "Example: ghp discoveries --since 2025-01-25T10:00:00Z --json")

    @OptionGroup var global: ReadOptions

    @Option(help: "Only entries at or after this RFC 3339 time.")
    var since: String?

    func validate() throws {
      if let since, RFC3339.parse(since) == nil {
        throw ValidationError("--since takes an RFC 3339 time such as 2025-01-25T10:30:00Z")
      }
    }

    func run() throws {
      let state = try global.workspace().snapshot()
      try state.requireInitialised()
      var entries = Discovery.parse(try state.text(StatePaths.discoveries) ?? "")
      if let since = since.flatMap(RFC3339.parse) { entries = entries.filter { $0.at >= since } }
      if global.json {
        Output.json(.array(entries.map(\.json)))
      } else if entries.isEmpty {
        Output.line("No discoveries.")
      } else {
        for entry in entries {
          Output.line("\(RFC3339.format(entry.at))  \(entry.agent)\(entry.issue.map { " #\($0)" } ?? "")")
          Output.line(entry.text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
        }
      }
    }
  }
}
