import Glibc

/// `ghp doctor`: what this repository's agents would meet, each line ok or what to do — the agents
/// installed and what `ghp run` would start, whether setup is current here, whether workers can be
/// contained, and the git server (reachable, how it names pushers) in remote mode.
public enum Doctor {
  /// One line of the report.
  public struct Finding: Sendable {
    /// What was looked at ("claude", "sandbox", "server", ...).
    public var topic: String
    /// True when nothing needs doing.
    public var ok: Bool
    /// What was found, or what to do.
    public var text: String

    public var json: JSON { .object(["topic": .string(topic), "ok": .bool(ok), "text": .string(text)]) }
  }

  /// Everything, for the workspace's repository and worktree. `codexHome`: Codex's own folder;
  /// `ghp`: the command setup writes for ghp (quoted for a shell, or not).
  public static func examine(_ workspace: Workspace, codexHome: String?, ghp: (_ quoted: Bool) -> String)
    -> [Finding]
  {
    var findings: [Finding] = []
    let repository = workspace.repository
    let environment = workspace.environment
    let state: StateSnapshot
    do {
      state = try workspace.snapshot()
      try state.requireInitialised()
    } catch {
      return [Finding(topic: "state", ok: false, text: error.description)]
    }
    let config = (try? state.config()) ?? Config()
    let who = (try? workspace.actor()).map { "you act as \($0)" } ?? "no agent is named here (GHP_AGENT, --agent)"
    findings.append(Finding(topic: "state", ok: true, text: "ghp/state at \(state.commit?.short ?? "-"); \(who)"))

    // Containment first: what ghp run would pass the agents depends on it.
    let bubblewrap = GateSandbox.program(environment)
    let problem = WorkerSandbox.problem(program: bubblewrap)
    let contained = config.agent.sandbox != .off && problem == nil
    switch (config.agent.sandbox, problem) {
    case (.off, _):
      findings.append(
        Finding(
          topic: "sandbox", ok: false,
          text: "agent.sandbox is off: workers run uncontained (ghp config set agent.sandbox auto)"))
    case (_, let problem?):
      findings.append(
        Finding(
          topic: "sandbox", ok: config.agent.sandbox == .auto,
          text: config.agent.sandbox == .on
            ? "agent.sandbox is on, and \(problem)" : "workers would run uncontained: \(problem)"))
    case (_, nil):
      findings.append(
        Finding(topic: "sandbox", ok: true, text: "bubblewrap contains ghp run's workers (\(bubblewrap!))"))
    }

    let configured = config.agent.command.trimmingSpaces
    for preset in ["claude", "codex"] {
      findings.append(
        agent(preset, repository: repository, environment: environment, config: config, contained: contained))
    }
    findings.append(
      Finding(
        topic: "run", ok: true,
        text: configured.isEmpty
          ? "no agent.command: ghp run needs --agent-command, or ghp config set agent.command claude"
          : "ghp run starts agent.command = \(configured)"))

    if let place = AgentSetup.Place(workspace, ghp: ghp(true)) {
      findings.append(setup("claude", place: place, installed: { () throws(GHPError) in try AgentSetup.claude(place) }))
      var unquoted = place
      unquoted.ghp = ghp(false)
      if let codexHome {
        findings.append(
          setup(
            "codex", place: place,
            installed: { () throws(GHPError) in
              try AgentSetup.codex(
                unquoted, codexHome: codexHome, displayHome: codexHome,
                instructions: PromptRenderer.render("AGENTS.md", state: state, agent: unquoted.agent ?? ""))
            }))
      }
    }

    if let remote = state.remoteName {
      findings.append(server(remote, repository: repository))
      findings.append(
        Finding(
          topic: "pushers", ok: true,
          text:
            "the server's hook names a pusher by $\(config.pusherVariables.joined(separator: ", $")) (server.pusherVariable)"
        ))
    } else {
      findings.append(Finding(topic: "server", ok: true, text: "local mode: no git server (ghp remote set NAME)"))
    }
    return findings
  }

  /// An agent CLI: installed or not, its version, and the command line ghp run would give it.
  static func agent(
    _ preset: String, repository: Repository, environment given: [String: String], config: Config, contained: Bool
  ) -> Finding {
    guard var command = AgentCommand.presets[preset] else { return Finding(topic: preset, ok: false, text: "?") }
    let program: String
    let asked: AgentProbe?
    do {
      (program, asked) = try command.probeInstalled(
        environment: given, names: config.agent.env,
        directory: repository.workingDirectory ?? repository.commonDirectory)
    } catch {
      return Finding(topic: preset, ok: true, text: "not installed (not on PATH)")
    }
    guard let probe = asked else {
      return Finding(topic: preset, ok: false, text: "\(program) did not answer --help within 15 s")
    }
    do {
      command = try command.adapted(
        to: probe, contained: contained, commonDirectory: repository.localPaths.common,
        budget: AgentPolicy.Budget())
      return Finding(
        topic: preset, ok: true, text: "\(probe.version): ghp run would start \(command.words.joined(separator: " "))")
    } catch {
      return Finding(topic: preset, ok: false, text: error.description)
    }
  }

  /// Whether `ghp setup TOOL` is current in this worktree (not set up at all is no fault).
  static func setup(
    _ tool: String, place: AgentSetup.Place, installed: () throws(GHPError) -> [AgentSetup.PlannedFile]
  ) -> Finding {
    let files: [AgentSetup.PlannedFile]
    do { files = try installed() } catch {
      return Finding(topic: "setup \(tool)", ok: false, text: error.description)
    }
    // Every file setup writes whole or in part carries "ghp setup" somewhere once it has run.
    guard files.contains(where: { $0.display != ".git/info/exclude" && ($0.before ?? "").contains("ghp setup") })
    else {
      return Finding(topic: "setup \(tool)", ok: true, text: "not set up in this worktree (ghp setup \(tool))")
    }
    let stale = files.filter(\.changed).map(\.display)
    return stale.isEmpty
      ? Finding(topic: "setup \(tool)", ok: true, text: "current")
      : Finding(
        topic: "setup \(tool)", ok: false,
        text: "\(stale.joined(separator: ", ")) not current: run ghp setup \(tool)")
  }

  /// The server: reachable within 10 s, what it holds for ghp/state, and whether it lands
  /// operations itself (`Sequencer`).
  static func server(_ remote: String, repository: Repository) -> Finding {
    guard let url = repository.remoteURL(remote) else {
      return Finding(topic: "server", ok: false, text: "remote mode names \(remote), and there is no such git remote")
    }
    do {
      let (tip, refs) = try repository.fetchTip(
        remote: remote, ref: StatePaths.branch, also: AliveRefs.glob, seconds: 10)
      let lands =
        refs.contains { $0.name == Sequencer.markRef }
        ? "it lands operations itself (ghp's server hooks)"
        : "it does not land operations, so writes from many hosts race for ghp/state (`ghp hooks install --server` there)"
      return Finding(
        topic: "server", ok: true,
        text: "\(remote) (\(url)) answers; its ghp/state is at \(tip?.short ?? "nothing yet"); \(lands)")
    } catch {
      return Finding(topic: "server", ok: false, text: "\(remote) (\(url)) does not answer: \(error.description)")
    }
  }
}
