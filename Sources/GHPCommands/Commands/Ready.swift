import ArgumentParser
import GHPKit

extension GHP {
  struct Ready: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "ready",
      abstract: "Issues ready to claim: open, unclaimed, every dependency done; by priority, then age.",
      discussion: """
        Example:
          ghp ready --json
        """)

    @OptionGroup var global: ReadOptions

    @Option(name: .short, help: "At most this many (0: all).")
    var n: Int = 0

    func run() throws {
      let workspace = try global.workspace()
      let ready = try ReadyQueue.ready(workspace.snapshot(), limit: n > 0 ? n : nil)
      if global.json {
        Output.json(.object(["issues": .array(ready.map(\.json))]))
      } else {
        Output.text(ready.isEmpty ? "Nothing is ready.\n" : IssueSummary.table(ready))
      }
    }
  }
}
