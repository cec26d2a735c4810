import ArgumentParser
import GHPKit

extension GHP {
  struct AgentHeartbeat: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "agent-heartbeat",
      abstract: "Say you are alive (every few minutes), optionally with what you just did.",
      discussion: """
        With --auto (what agent hooks call after every tool use), no commit is made while the last \
        heartbeat is younger than heartbeatMinimum (default 60s), nothing changes and nothing \
        waits to be told: a busy session makes at most one state commit a minute.

        Examples:
          ghp agent-heartbeat --action "Wrote the model" --status implementing
          ghp agent-heartbeat --auto
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var fields: StatusFields

    @Flag(help: "Skip the commit when the last heartbeat is recent and nothing changed (for hooks).")
    var auto = false

    @Option(
      help: ArgumentHelp("Run as this agent's hook: claude or codex (what `ghp setup` writes).", valueName: "agent"))
    var hook: HookKind?

    func run() throws {
      if let hook { return try fields.landAsHook(global: global, coalesce: auto, tool: hook) }
      try fields.land(global: global, heartbeat: true, coalesce: auto)
    }
  }
}
