import Glibc

/// Registers an agent with its role and branch (orchestrators). Registering again with the same
/// role changes nothing, so `ghp agent add` can be re-run after a failure.
public struct RegisterAgentOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "agent-add"

  /// The agent's name; its branch is `agent/<name>`.
  public var name: String
  /// Whether the agent is a worker or an orchestrator.
  public var role: AgentRecord.Role
  /// The public key its state commits are signed with (`ssh-ed25519 AAAA...`).
  public var key: String?
  /// What it can do, replacing what it could (`can` in the record); nil (not recorded) keeps it.
  public var capabilities: [String]?

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case name, role, key
    case capabilities = "can"
  }

  /// Registers `name` with `role` and, when given, its public key and capabilities.
  public init(name: String, role: AgentRecord.Role, key: String? = nil, capabilities: [String]? = nil) {
    self.name = name
    self.role = role
    self.key = key
    self.capabilities = capabilities
  }

  /// Registers the agent, or changes its role or key (orchestrators only); nothing to do when it
  /// is registered so already.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, AgentRecord) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "add agents")
    try AgentName.validate(name)
    if let key, SSHSignature.publicKey(key) == nil {
      throw .invalidValue("key", "'\(key.prefix(40))' is not an ssh-ed25519 public key")
    }
    if let capabilities { try Capability.validate(capabilities) }
    let can = capabilities.map { Array(Set($0)).sorted() }
    var agents = try state.agents()
    if let existing = agents.agents[name], existing.role == role, existing.branch == "agent/\(name)",
      key == nil || existing.signingKey == key, can == nil || existing.capabilities == can
    {
      return (nil, existing)
    }
    if let existing = agents.agents[name], existing.role == .manager, role != .manager {
      let held = try state.epicsManaged(by: name)
      if !held.isEmpty {
        throw .refused(
          "\(name) manages \(StateSnapshot.epicList(held)): give \(held.count == 1 ? "it" : "them") to another manager (`ghp assign EPIC MANAGER`) before it becomes \(role == .orchestrator ? "an" : "a") \(role.rawValue)"
        )
      }
    }
    var record =
      agents.agents[name] ?? AgentRecord(status: StatusWord.idle, lastAction: "Added by \(actor)", timestamp: clock.now)
    record.role = role
    record.branch = "agent/\(name)"
    if let key { record.signingKey = key }
    if let can { record.capabilities = can }
    agents.agents[name] = record
    var recorded = self
    recorded.capabilities = can
    let abilities = record.capabilities.isEmpty ? "" : ", can " + record.capabilities.joined(separator: ", ")
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): add agent \(name) (\(role.rawValue)\(abilities))", operation: recorded.record, agent: actor)
    )
    change.put(StatePaths.agentStatus, json: agents.json)
    return (change, record)
  }
}
