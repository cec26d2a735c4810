import ArgumentParser
import GHPKit

extension GHP {
  struct Prompt: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "prompt",
      abstract:
        "Instructions for an agent: worker, manager, leader, the AGENTS.md snippet, or its session context.",
      discussion: """
        worker, manager, reviewer, leader: the prompt for that role, with the goal and the heartbeat \
        cadence (manager: for an agent holding epics; reviewer: for one reviewing landings).

        agents-md: the coordination section for AGENTS.md (names no agent).

        session: the prompt for your role, the issues you hold, what you were told and your open \
        questions; with --hook claude|codex (the session-start hook `ghp setup claude|codex` \
        writes) it first records a heartbeat.

        Examples:
          ghp prompt worker --agent worker-2
          ghp prompt manager --agent m1
          ghp prompt leader
          ghp prompt agents-md >> AGENTS.md
          ghp prompt session
        """)

    enum Kind: String, ExpressibleByArgument, CaseIterable {
      case worker, manager, reviewer, leader
      case agentsMd = "agents-md"
      case session
      var template: String {
        switch self {
        case .worker, .session: "worker-prompt.md"
        case .manager: "manager-prompt.md"
        case .reviewer: "reviewer-prompt.md"
        case .leader: "leader-prompt.md"
        case .agentsMd: "AGENTS.md"
        }
      }
    }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "worker, manager, reviewer, leader, agents-md or session.")
    var kind: Kind

    @Option(
      help: ArgumentHelp("With session: run as this agent's session-start hook (claude or codex).", valueName: "agent"))
    var hook: HookKind?

    func validate() throws {
      if hook != nil && kind != .session { throw ValidationError("--hook goes with `ghp prompt session` only") }
    }

    func run() throws {
      let workspace = try global.workspace()
      if kind == .session { return try session(workspace) }
      let state = try workspace.snapshot()
      let agent: String
      switch kind {
      case .agentsMd: agent = ""
      default:
        // Nobody named: the prompt speaks of the role. A name the worktree refuses (another agent's
        // worktree) is refused here as everywhere.
        do { agent = try workspace.actor() } catch GHPError.noIdentity {
          agent =
            switch kind {
            case .leader: "the orchestrator"
            case .manager: "a manager"
            case .reviewer: "a reviewer"
            default: "a worker"
            }
        }
      }
      let text = try PromptRenderer.render(kind.template, state: state, agent: agent)
      if global.json { Output.json(.object(["prompt": .string(text)])) } else { Output.text(text) }
    }

    /// The session's context. As a hook it never fails the session's start: what went wrong is part
    /// of the context the agent reads.
    private func session(_ workspace: Workspace) throws {
      var told: [String] = []
      let agent: String
      do {
        agent = try workspace.actor()
      } catch {
        guard hook != nil else { throw error }
        return Output.line("ghp: \(error.description)")
      }
      if hook != nil {
        // Read (and so drain) the event Claude Code sends; session start has one form of answer.
        _ = AgentHook.event(fallback: "SessionStart")
        do {
          // Within the hook's 30 s: the writer lock is waited for 20 at most.
          var environment = workspace.environment
          if (Double(environment["GHP_LOCK_TIMEOUT"] ?? "") ?? 30) > 20 { environment["GHP_LOCK_TIMEOUT"] = "20" }
          let bounded = try Workspace(path: global.directory, agent: global.agent, environment: environment)
          bounded.allowsNewAgent = global.new
          let landed = try bounded.run(
            StatusUpdateOperation(status: nil, action: "Session started", issueID: nil, isHeartbeat: true))
          told = landed.result.notices
        } catch {
          told = ["your heartbeat was not recorded: \(error.description)"]
        }
      }
      let text = try SessionContext.render(state: workspace.snapshot(), agent: agent, told: told)
      if global.json {
        Output.json(.object(["prompt": .string(text), "told": .array(told.map { .string($0) })]))
      } else {
        Output.text(text)
      }
    }
  }
}
