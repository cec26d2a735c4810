import ArgumentParser
import GHPKit
import Glibc

extension GHP {
  struct AgentStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "agent-status",
      abstract: "Show every agent's issue, status, last action and heartbeat age; or update your own.",
      subcommands: [Show.self, Update.self],
      defaultSubcommand: Show.self)
  }
}

/// The agents whose hooks ghp speaks to.
enum HookKind: String, ExpressibleByArgument, CaseIterable {
  case claude, codex
}

/// The fields a heartbeat or status update may set.
struct StatusFields: ParsableArguments {
  @Option(help: "What you are doing: implementing, testing, blocked, reviewing, ...")
  var status: String?

  @Option(help: "What you just did, in a few words.")
  var action: String?

  @Option(help: "The issue you are working on (you must hold it).")
  var issue: String?

  func validate() throws {
    if let status {
      do { try StatusUpdateOperation.validateStatus(status) } catch { throw ValidationError(error.description) }
    }
    if let issue {
      do { try IssueID.validate(issue) } catch { throw ValidationError(error.description) }
    }
  }

  /// As a Claude Code or Codex hook: what the agent must be told goes to the model in the event's own form,
  /// and a failure too (a hook that fails is shown to the person, not the model); never exit 3, which
  /// the model would not see.
  func landAsHook(global: GlobalOptions, coalesce: Bool, tool: HookKind) throws {
    let (event, stopHookActive) = AgentHook.input(fallback: "PostToolUse")
    do {
      // A hook must end within its timeout (15 s, as setup writes it): with --auto, a state busy
      // for more than two seconds is skipped (the next tool use beats), never waited out; any other
      // hook waits at most ten.
      var environment = Output.environment
      let bound: Double = coalesce ? 2 : 10
      if (Double(environment["GHP_LOCK_TIMEOUT"] ?? "") ?? 30) > bound {
        environment["GHP_LOCK_TIMEOUT"] = String(Int(bound))
      }
      let workspace = try Workspace(path: global.directory, agent: global.agent, environment: environment)
      workspace.allowsNewAgent = global.new
      AgentHook.tell(
        try action(heartbeat: true, coalesce: coalesce).run(in: workspace).notices, event: event, tool: tool,
        stopHookActive: stopHookActive)
    } catch GHPError.writerBusy where coalesce {
      return
    } catch {
      let message = (error as? GHPError)?.description ?? "\(error)"
      // At a stop, a message that blocks would loop on a lasting failure: the person sees it instead.
      if event == "Stop" || event == "SubagentStop" {
        Output.error("heartbeat not recorded: \(message)")
        throw ExitCode(1)
      }
      AgentHook.tell(["your heartbeat was not recorded: \(message)"], event: event, tool: tool)
    }
  }

  /// The report these fields ask for.
  func action(heartbeat: Bool, coalesce: Bool) throws -> HeartbeatAction {
    try HeartbeatAction(status: status, action: action, issue: issue, isHeartbeat: heartbeat, coalesce: coalesce)
  }

  func land(global: GlobalOptions, heartbeat: Bool, coalesce: Bool = false) throws {
    let answer = try action(heartbeat: heartbeat, coalesce: coalesce).run(in: try global.workspace())
    Output.answer(answer, json: global.json)
    // The heartbeat landed (the agent is alive again), but work it held was taken: exit 3.
    if answer.lostClaims { throw ExitCode(3) }
  }
}

extension GHP.AgentStatus {
  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show", abstract: "The status table (default).",
      discussion: """
        Examples:
          ghp agent-status
          ghp agent-status --stale
          ghp agent-status --json
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Only agents whose heartbeat is older than staleAfter.")
    var stale = false

    func run() throws {
      let report = try StatusAction(staleOnly: stale).run(in: try global.workspace())
      if global.json {
        Output.console.write(1, report.prettyJSON)
      } else {
        Output.marked(report.table(width: Output.width))
      }
    }
  }

  struct Update: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "update", abstract: "Update your own status.",
      discussion: """
        Example:
          ghp agent-status update --status blocked --action "Waiting for #2" --issue 1
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var fields: StatusFields

    func validate() throws {
      if fields.status == nil && fields.action == nil && fields.issue == nil {
        throw ValidationError("give at least one of --status, --action, --issue")
      }
    }

    func run() throws {
      try fields.land(global: global, heartbeat: false)
    }
  }
}
