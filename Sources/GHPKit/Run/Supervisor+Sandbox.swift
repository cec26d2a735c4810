import Glibc

// Containing workers (`agent.sandbox`, `WorkerSandbox`): whether they are, how one starts, and
// taking a contained worker's branch.

extension Supervisor {
  /// Decides once per run whether workers run contained, and says so when they do not.
  func decideContainment() throws(GHPError) {
    guard policy.sandbox != .off else {
      emit(
        "sandbox", nil, nil,
        "Workers run uncontained (agent.sandbox = off): each can move any branch and read every agent's key with plain git"
      )
      return
    }
    let program = GateSandbox.program(workspace.environment)
    if let problem = WorkerSandbox.problem(program: program) {
      if policy.sandbox == .on {
        throw .refused(
          "agent.sandbox is on, and \(problem); or set `ghp config set agent.sandbox auto` to run workers uncontained where it cannot"
        )
      }
      emit("sandbox", nil, nil, "Workers run uncontained: \(problem)")
      return
    }
    bubblewrap = program
  }

  /// The program, arguments and environment that start `program` contained for `agent`, whose
  /// worktree is `directory`: `ghp worker-sandbox` serving the worker's socket around bubblewrap.
  func contained(
    agent: String, directory: String, program: String, arguments: [String], environment: [String: String],
    bubblewrap: String, preset: String?
  ) throws(GHPError) -> (program: String, arguments: [String]) {
    let sandbox = WorkerSandbox(repository: repository, agent: agent, worktree: directory)
    var inside = environment
    for (name, value) in try sandbox.prepare(repository, preset: preset, environment: workspace.environment) {
      inside[name] = value
    }
    inside[WorkerSandbox.socketVariable] = WorkerSandbox.socketInside
    inside["TMPDIR"] = "/tmp"
    let wrapped = sandbox.arguments(
      program: program, arguments: arguments, environment: inside, realHome: workspace.environment["HOME"],
      writable: policy.writable, hooks: HookInstaller.hooksDirectory(repository), ghp: ghpPath,
      readable: policy.readable)
    return (
      ghpPath, ["worker-sandbox", "--agent", agent, "--worktree", sandbox.worktree, "--", bubblewrap] + wrapped
    )
  }

  /// Takes a contained worker's branch when it ended (its commits since its last ghp command).
  func takeBranch(of agent: String) {
    guard bubblewrap != nil, let directory = worktrees[agent] else { return }
    let sandbox = WorkerSandbox(repository: repository, agent: agent, worktree: directory)
    guard access(sandbox.gitDirectory, F_OK) == 0 else { return }
    do {
      switch try sandbox.take(repository, state: workspace.snapshot()) {
      case .unchanged: break
      case .moved(let old, let new):
        emit("taken", agent, nil, "\(agent): agent/\(agent) \(old.short)..\(new.short) taken from its sandbox")
      case .refused(let why):
        emit(
          "refused", agent, nil,
          "\(agent): agent/\(agent) stays at what was taken before; its sandbox's commits break the rules: "
            + why.joined(separator: "; "))
      }
    } catch {
      emit("refused", agent, nil, "\(agent): agent/\(agent) could not be taken from its sandbox: \(error.description)")
    }
  }

  /// A preset's command line for the claude or codex installed here (asked once, before any issue
  /// is touched); refuses in one line, with the version found, one that cannot run unattended.
  func adaptCommand() throws(GHPError) { command = try adapted(command) }

  /// The `[commands]` of the capabilities this run's workers have, adapted as `command` is; the
  /// others are left out (a preset nobody here runs is never asked for).
  func adaptCapabilityCommands() throws(GHPError) {
    let wanted = Set(capabilities.values.flatMap { $0 })
    for capability in Array(commands.keys) {
      commands[capability] = wanted.contains(capability) ? try adapted(commands[capability]!) : nil
    }
  }

  private func adapted(_ command: AgentCommand) throws(GHPError) -> AgentCommand {
    guard let preset = command.preset else { return command }
    let (program, asked) = try command.probeInstalled(
      environment: workspace.environment, names: policy.env,
      directory: repository.workingDirectory ?? repository.commonDirectory)
    guard let probe = asked else {
      throw .refused("\(program) did not answer --help within 15 s, so ghp run cannot tell how to start it headless")
    }
    var budget = policy.budget
    if preset == "codex", budget.micros == nil { budget.micros = policy.runBudget.micros }
    let adapted = try command.adapted(
      to: probe, contained: bubblewrap != nil, commonDirectory: repository.localPaths.common, budget: budget)
    emit("agent", nil, nil, "\(preset) \(probe.version): \(adapted.words.joined(separator: " "))")
    return adapted
  }
}
