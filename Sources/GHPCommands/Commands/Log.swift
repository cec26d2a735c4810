import ArgumentParser
import GHPKit

extension GHP {
  struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "log", abstract: "The coordination history, newest first (the commits of ghp/state).",
      discussion: """
        Examples:
          ghp log
          ghp log --author worker-1 -n 5
          ghp log --issue 3 --json
          ghp log --since 2h --no-heartbeats
          ghp log --op claim --op done --until 2026-11-22T12:00:00Z
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

    @Option(name: .short, help: "At most this many events (0: all).")
    var n: Int = 20

    @Option(
      help: ArgumentHelp("Only events at or after this time: RFC 3339, or a duration ago (2h, 30m).", valueName: "time")
    )
    var since: String?

    @Option(help: ArgumentHelp("Only events at or before this time: RFC 3339, or a duration ago.", valueName: "time"))
    var until: String?

    @Option(
      help: ArgumentHelp("Only this operation (claim, done, heartbeat, ...); repeat for more.", valueName: "op"),
      completion: Completions.operations)
    var op: [String] = []

    @Flag(help: "Leave out heartbeats (and a supervisor's ticks).")
    var noHeartbeats = false

    func validate() throws {
      if n < 0 { throw ValidationError("-n takes a number of events, 0 for all") }
      try Arguments.validateTimes([("--since", since), ("--until", until)])
      for name in op {
        if let problem = OperationCatalog.unknown(name) { throw ValidationError("--op \(name): \(problem)") }
      }
    }

    func time(_ text: String?, now: Int64) -> Int64? {
      guard let text else { return nil }
      return Dashboard.Period.time(text, now: now)
    }

    func run() throws {
      let workspace = try global.workspace()
      let now = workspace.clock.now
      let only = self.only
      let entries = try HistoryLog.entries(
        workspace.snapshot(), agent: only, issue: try issue.map { try IssueID.validate($0) }, limit: n == 0 ? nil : n,
        since: time(since, now: now), until: time(until, now: now), ops: Set(op), heartbeats: !noHeartbeats)
      if global.json {
        Output.json(.object(["events": .array(entries.map(\.json))]))
      } else if entries.isEmpty {
        if let only, let note = KnownAgent.unregisteredNote(only, in: try workspace.snapshot()) { Output.note(note) }
        Output.line("No events.")
      } else {
        Output.line(LogEntry.header)
        for entry in entries {
          Output.line(entry.line)
          // An issue's history says what came of it.
          if issue != nil, let detail = entry.detail { Output.line(detail) }
        }
      }
    }
  }
}
