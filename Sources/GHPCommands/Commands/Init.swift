import ArgumentParser
import GHPKit

extension Config.UnknownAgents: ExpressibleByArgument {}

extension GHP {
  struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "init",
      abstract:
        "Start coordinating in this repository: creates the ghp/state branch; the caller becomes an orchestrator.",
      discussion: """
        The caller is --agent, GHP_AGENT, `git config ghp.agent`, or a name made from `git config \
        user.name`. It is recorded in this worktree's `ghp.agent`, so later commands here need no \
        flag.

        Example:
          ghp init --goal "Build a REST API"
        """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "The goal; it heads the plan (.ghp/plan.md).")
    var goal: String = ""

    @Option(
      help: ArgumentHelp(
        "What a command run as an unregistered name does: refuse it (a typo must not make an agent) or register it.",
        valueName: "refuse|register"))
    var unknownAgents: Config.UnknownAgents = .refuse

    @Option(help: "Seconds or a duration (\"10m\") after which a silent agent is stale.")
    var staleAfter: String?

    func run() throws {
      let workspace = try global.workspace()
      var config = Config.initial
      config.unknownAgents = unknownAgents
      if let staleAfter {
        guard let seconds = Duration.seconds(staleAfter), seconds > 0 else {
          throw ValidationError("--stale-after takes a duration such as 600, 90s or 10m")
        }
        config.staleAfter = seconds
      }
      let landed = try InitSession.initialise(workspace, goal: goal, config: config)
      if global.json {
        Output.json(
          .object([
            "orchestrator": .string(landed.result.orchestrator), "commit": .string(landed.commit?.hex ?? ""),
            "branch": .string(StatePaths.branchShort),
          ]))
      } else {
        Output.line(
          "Initialised ghp/state at \(landed.commit?.short ?? "?"); \(landed.result.orchestrator) is an orchestrator.")
        Output.line(
          unknownAgents == .refuse
            ? "Next: ghp issue add \"First task\", ghp agent add worker-1 (each agent is registered), then it runs: ghp claim 1"
            : "Next: ghp issue add \"First task\"   then workers run: ghp claim 1")
      }
    }
  }
}
