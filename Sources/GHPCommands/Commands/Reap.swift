import ArgumentParser
import GHPKit

extension GHP {
  struct Reap: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "reap",
      abstract: "Act on stale agents (orchestrators): escalate to a human, or release their claims.",
      discussion: """
        The policy is onStale in .ghp/config.toml (default escalate); --release or --escalate \
        overrides it. Escalate raises one escalation per stale agent, never a second while the \
        first is open.

        Example:
          ghp reap --dry-run
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Show what would happen; change nothing.")
    var dryRun = false

    @Flag(help: "Release stale agents' claims for others.")
    var release = false

    @Flag(help: "Escalate each stale agent to a human.")
    var escalate = false

    func validate() throws {
      if release && escalate { throw ValidationError("give --release or --escalate, not both") }
    }

    func run() throws {
      let workspace = try global.workspace()
      let operation = ReapOperation(policy: release ? .release : escalate ? .escalate : nil)
      let actions: [ReapOperation.Action]
      var commit: ObjectID?
      if dryRun {
        actions = try operation.apply(to: workspace.snapshot(), actor: workspace.actor(), clock: workspace.clock).1
      } else {
        let landed = try workspace.run(operation)
        actions = landed.result
        commit = landed.commit
      }
      if global.json {
        Output.json(
          .object([
            "dryRun": .bool(dryRun), "commit": commit.map { .string($0.hex) } ?? .null,
            "agents": .array(
              actions.map {
                .object([
                  "agent": .string($0.agent), "lastHeartbeatAt": .string(RFC3339.format($0.lastHeartbeat)),
                  "outcome": .string($0.outcome), "changed": .bool($0.changed),
                ])
              }),
          ]))
        return
      }
      if actions.isEmpty { return Output.line("No stale agents.") }
      for action in actions {
        Output.line(
          "\(action.agent): silent since \(RFC3339.format(action.lastHeartbeat)): \(dryRun && action.changed ? "would be " : "")\(action.outcome)"
        )
      }
    }
  }
}
