import ArgumentParser
import GHPKit
import Glibc

extension GHP {
  struct Queue: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "queue", abstract: "What waits to land, in the order `ghp land` takes it, with why.",
      discussion: """
        Issues submitted by `ghp done` with [landing] configured. One that waited longer than \
        landing.maxWait goes first, then by priority, then by age; one whose dependency has not \
        landed waits.

        Examples:
          ghp queue
          ghp queue --json
        """)

    @OptionGroup var global: ReadOptions

    func run() throws {
      let workspace = try global.workspace()
      let state = try workspace.snapshot()
      try state.requireInitialised()
      guard let policy = try state.config().landing else {
        throw GHPError.refused(
          "[landing] is not configured in .ghp/config.toml; nothing is queued (ghp config set landing.gate '[\"swift test\"]')"
        )
      }
      let queue = try LandingQueue.gather(state, policy: policy, now: workspace.clock.now)
      if global.json { return Output.json(queue.json) }
      if let lease = queue.lease { Output.line("Landing on \(policy.base): \(lease.description).") }
      guard !queue.entries.isEmpty else { return Output.line("Nothing waits to land on \(policy.base).") }
      Output.text(
        TextTable.render(
          header: ["#", "ID", "TITLE", "AGENT", "TIP", "WHY"],
          rows: queue.entries.enumerated().map { index, entry in
            [
              "\(index + 1)", entry.issue.id, TextTable.clip(entry.issue.title, 40), entry.issue.assignee ?? "-",
              entry.submission.tip.short, entry.reason,
            ]
          }))
    }
  }
}
