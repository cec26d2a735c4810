import ArgumentParser
import GHPKit

extension GHP {
  struct Discoveries: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "discoveries", abstract: "What agents have found, oldest first.",
      discussion: """
        Example:
          ghp discoveries --since 2025-01-25T10:00:00Z --json
        """)

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
        Output.json(.object(["discoveries": .array(entries.map(\.json))]))
      } else if entries.isEmpty {
        Output.line("No discoveries.")
      } else {
        for entry in entries {
          Output.line("\(RFC3339.format(entry.at))  \(entry.agent)\(entry.issue.map { " #\($0)" } ?? "")")
          Output.line(
            entry.text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(
              separator: "\n"))
        }
      }
    }
  }
}
