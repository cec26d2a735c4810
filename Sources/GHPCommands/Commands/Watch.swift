import ArgumentParser
import GHPKit
import Glibc

extension GHP {
  struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "watch", abstract: "Print each state change as it lands, until interrupted.",
      discussion: """
        Looks at ghp/state every --interval seconds (default 0.2) and walks from the last seen \
        commit to the new tip, so no event is missed when several land between two looks. One line \
        per event (its subject and age), or one JSON object per line with --json.

        Examples:
          ghp watch
          ghp watch --json --author worker-1
          ghp watch --issue 4
        """)

    @OptionGroup var global: ReadOptions

    @Option(help: "Only what this agent did (as `git log --author`).", completion: Completions.agents)
    var author: String?

    /// The old name of --author: it still filters, and says so (`--agent` is "act as" everywhere else).
    @Option(help: ArgumentHelp(visibility: .hidden))
    var agent: String?

    /// The agent whose changes are shown, from --author or the old --agent (with a note).
    var only: String? {
      if agent != nil && author == nil {
        Output.note("--agent filters here for now; use --author (--agent means \"act as\" on every other command)")
      }
      return author ?? agent
    }

    @Option(help: "Only events about this issue.", completion: Completions.issues())
    var issue: String?

    @Option(help: "Seconds between looks.")
    var interval: Double = 0.2

    @Option(help: "Stop after this many events (for scripts).")
    var count: Int?

    func validate() throws {
      if interval <= 0 || interval > 60 { throw ValidationError("--interval takes seconds between 0 and 60") }
    }

    func run() throws {
      let workspace = try global.workspace()
      let issueID = try issue.map(Arguments.issueID)
      let watcher = try StateWatcher(repository: workspace.repository)
      var printed = 0
      let only = self.only
      if let only, let note = KnownAgent.unregisteredNote(only, in: try workspace.snapshot()) { Output.note(note) }
      while count.map({ printed < $0 }) ?? true {
        for entry in try watcher.poll() {
          if let only, entry.agentName != only { continue }
          if let issueID, entry.message?.issue != issueID { continue }
          let clock = try Clock.fromEnvironment(Output.environment)
          if global.json {
            guard case .object(var fields) = entry.json else { continue }
            fields["age"] = .int(Int(max(0, clock.now - entry.time)))
            Output.line(JSON.object(fields).compact())
          } else {
            Output.line("\(entry.line)  (\(Duration.describe(clock.now - entry.time)) ago)")
          }
          printed += 1
          if let count, printed >= count { return }
        }
        usleep(UInt32(interval * 1_000_000))
      }
    }
  }
}
