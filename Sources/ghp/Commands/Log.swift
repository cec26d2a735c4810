import ArgumentParser
import GHPKit

extension GHP {
  struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "log", abstract: "The coordination history, newest first (the commits of ghp/state).",
      discussion: "Examples: ghp log   ghp log --agent worker-1 -n 5   ghp log --issue 3 --json")

    @OptionGroup var global: ReadOptions

    @Option(help: "Only what this agent did.")
    var agent: String?

    @Option(help: "Only events about this issue.")
    var issue: String?

    @Option(name: .short, help: "At most this many events (0: all).")
    var n: Int = 20

    func validate() throws {
      if n < 0 { throw ValidationError("-n takes a number of events, 0 for all") }
    }

    func run() throws {
      let workspace = try global.workspace()
      let entries = try HistoryLog.entries(
        workspace.snapshot(), agent: agent, issue: try issue.map { try IssueID.validate($0) }, limit: n == 0 ? nil : n)
      if global.json {
        Output.json(.array(entries.map(\.json)))
      } else if entries.isEmpty {
        Output.line("No events.")
      } else {
        entries.forEach { Output.line($0.line) }
      }
    }
  }
}
