/// `ghp init`: creates `ghp/state` with the policy, the plan and the caller registered as an orchestrator.
public struct InitOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "init"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case goal
    case configText = "config"
    case key
  }

  /// What the project is for, written as `Goal:` in `.ghp/plan.md`; empty writes no goal.
  public var goal: String
  /// The policy file as written (`Config.toml`).
  public var configText: String
  /// The caller's public signing key, registered with it.
  public var key: String?

  /// Initialises with `goal`, the policy `config` and the caller's public key.
  public init(goal: String, config: Config = .initial, key: String? = nil) {
    self.goal = goal
    configText = config.toml
    self.key = key
  }

  /// Who was registered by the initialisation.
  public struct Output: Sendable {
    /// The caller, registered as the first orchestrator.
    public var orchestrator: String
  }

  /// Writes the policy, the plan, the discoveries and the caller as orchestrator; refused when
  /// `ghp/state` exists already.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Output) {
    if let commit = state.commit { throw .alreadyInitialised(commit.short) }
    let goal = goal.trimmingSpaces
    do { _ = try Config(toml: configText) } catch { throw .invalidValue("config", error.detail) }
    if let key, SSHSignature.publicKey(key) == nil { throw .invalidValue("key", "it is not an ssh-ed25519 public key") }
    var agents = AgentStatusDocument(agents: [
      actor: AgentRecord(
        status: StatusWord.planning, lastAction: "Initialised ghp", timestamp: clock.now, role: .orchestrator)
    ])
    agents.agents[actor]?.signingKey = key
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): init" + (goal.isEmpty ? "" : " \(goal)"), operation: record, agent: actor))
    change.put(StatePaths.config, text: configText)
    change.put(StatePaths.agentStatus, json: agents.json)
    change.put(StatePaths.plan, text: "# Plan\n\n" + (goal.isEmpty ? "" : "Goal: \(goal)\n"))
    change.put(StatePaths.discoveries, text: "# Discoveries\n")
    return (change, Output(orchestrator: actor))
  }
}

/// `ghp init` as a whole: who the caller is, the state branch, and the caller's identity recorded in
/// this worktree's config.
public enum InitSession {
  /// The caller: the usual identity, else a ref-safe name made from `git config user.name`.
  public static func caller(_ workspace: Workspace) throws(GHPError) -> String {
    do {
      return try workspace.actor()
    } catch .noIdentity, .notInitialised {
      guard let userName = workspace.repository.configString("user.name"), let slug = AgentName.slug(userName) else {
        throw .noIdentity
      }
      return slug
    }
  }

  /// Initialises `ghp/state` as the caller, with a signing key made for it, and records the
  /// caller as this worktree's agent.
  public static func initialise(_ workspace: Workspace, goal: String, config: Config) throws(GHPError)
    -> Landed<InitOperation.Output>
  {
    let caller = try caller(workspace)
    if let commit = try workspace.snapshot().commit { throw .alreadyInitialised(commit.short) }
    let key = try SigningKeys.obtain(workspace.repository, agent: caller, file: nil)
    let operation = InitOperation(goal: goal, config: config, key: key.publicKeyLine)
    let landed = try workspace.ledger.transact(actor: caller, clock: workspace.clock) {
      (state, at) throws(GHPError) in
      try operation.apply(to: state, actor: caller, clock: at)
    }
    try workspace.recordIdentity(caller)
    try SigningKeys.installAllowedSigners(workspace.repository, state: workspace.snapshot())
    return landed
  }
}

extension Workspace {
  /// Records `name` as this worktree's `ghp.agent` (in its own `config.worktree`, with git's
  /// `extensions.worktreeConfig` switched on so plain `git config ghp.agent` reads it too).
  public func recordIdentity(_ name: String) throws(GHPError) {
    let shared = repository.localPaths.config
    do {
      try Repository.setConfigString("extensions.worktreeConfig", "true", inFile: shared)
      try Repository.setConfigString("ghp.agent", name, inFile: worktreeConfigPath)
    } catch {
      throw .git(error)
    }
  }
}
