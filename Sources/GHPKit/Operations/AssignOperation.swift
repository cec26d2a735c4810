/// `ghp assign <id> <agent>`: an orchestrator gives an issue to an agent (epoch + 1).
public struct AssignOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "assign"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case issueID = "issue"
    case agent = "to"
  }

  /// The issue to give, open or claimed.
  public var issueID: String
  /// The agent that receives the issue (`to` in the record).
  public var agent: String

  /// Gives `issueID` to `agent`.
  public init(issueID: String, agent: String) {
    self.issueID = issueID
    self.agent = agent
  }

  /// The same assignment with the issue's id renamed.
  public func renaming(_ renames: IDRenames) -> Self { AssignOperation(issueID: renames.issue(issueID), agent: agent) }

  /// Gives the issue to the agent, taking it from a former holder (epoch + 1); nothing to do
  /// when the agent already holds it.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    try AgentName.validate(agent)
    var issue = try state.requireIssue(issueID)
    try state.requireAuthority(actor, over: issue, toDo: "assign #\(issue.id)")
    if issue.kind == .epic {
      let role = try state.role(of: agent)
      guard role == .manager else {
        throw .refused(
          "#\(issue.id) is an epic: it goes to an agent with the manager role, and \(agent) is \(role == .orchestrator ? "an" : "a") \(role.rawValue) (`ghp agent add \(agent) --role manager --change-role` makes it one)"
        )
      }
    }
    if issue.status == .claimed && issue.assignee == agent { return (nil, issue) }
    try ReadyQueue.requireCapable(agent, of: issue, in: state, toDo: "be assigned it")
    try state.requireIndependentAttempt(issue, agent: agent, toDo: "be assigned")
    // A name nobody registered becomes an agent here: that is an orchestrator's to do.
    let registered = try state.agentRecord(agent) != nil
    let actorRole = try state.role(of: actor)
    if !registered && actorRole != .orchestrator {
      throw .refused("\(agent) is not a registered agent, and only an orchestrator may add agents")
    }
    if issue.status == .done || issue.status == .dead || issue.status == .landing {
      throw .refused("#\(issue.id) is \(issue.status.rawValue); only an open or claimed issue can be assigned")
    }
    let previous = issue.status == .claimed ? issue.assignee : nil
    if let previous { issue.recordTaking(from: previous, by: actor, at: clock.now, reason: "reassigned to \(agent)") }
    var agents = try state.agents()
    if let previous {
      try agents.finish(previous, issue: issue.id, action: "", clock: clock, byHolder: false, state: state)
    }
    handOver(
      &issue, to: agent, agents: &agents, clock: clock, status: StatusWord.assigned,
      action: "Assigned #\(issue.id) by \(actor)")
    // Being given work is not the assignee's own heartbeat.
    if let before = try state.agents().agents[agent] { agents.agents[agent]?.timestamp = before.timestamp }
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): assign #\(issue.id) \(issue.title) to \(agent)" + (previous.map { " (was \($0))" } ?? ""),
        operation: AssignOperation(issueID: issue.id, agent: agent).record, agent: actor, issue: issue.id,
        epoch: issue.epoch))
    change.put(StatePaths.issue(issue.id), json: issue.json)
    change.put(StatePaths.agentStatus, json: agents.json)
    return (change, issue)
  }
}

extension AssignOperation {
  /// The issue its record names.
  public var recordedIssue: String? { issueID }
  /// Who holds the issue once it landed.
  public func handsOver(actor: String) -> String? { agent }
}
