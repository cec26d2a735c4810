/// How a refusal names the holder of an issue: "#147 is held by worker-2 since 2025-01-25T10:31:00Z (epoch 3)".
/// The facts of a claim, for `--json` readers of a refusal.
func holderFacts(_ issue: Issue) -> [String: JSON] {
  [
    "issue": .string(issue.id), "holder": issue.assignee.map { .string($0) } ?? .null,
    "since": issue.claimedAt.map { .string(RFC3339.format($0)) } ?? .null, "epoch": .int(issue.epoch),
    "status": .string(issue.status.rawValue),
  ]
}

func holderDescription(_ issue: Issue) -> String {
  let since = issue.claimedAt.map { " since \(RFC3339.format($0))" } ?? ""
  return "#\(issue.id) is held by \(issue.assignee ?? "nobody")\(since) (epoch \(issue.epoch))"
}

extension AgentStatusDocument {
  /// The agent's record, or a new worker's.
  func record(for agent: String, clock: Clock) -> AgentRecord {
    agents[agent] ?? AgentRecord(status: "idle", lastAction: "", timestamp: clock.now, role: .worker)
  }
}

/// `ghp claim <id>`: take an issue, or be refused with the holder's name.
public struct ClaimOperation: RecordedOperation {
  public var issueID: String

  public init(issueID: String) { self.issueID = issueID }

  public var record: OperationRecord { OperationRecord("claim", ["issue": .string(issueID)]) }

  init(arguments: inout OperationArguments) throws(GHPError) { issueID = try arguments.string("issue") }

  public func renaming(_ renames: IDRenames) -> Self { ClaimOperation(issueID: renames.issue(issueID)) }

  public struct Output: Sendable {
    public var issue: Issue
    /// True when the caller already held it (nothing was written).
    public var alreadyHeld: Bool
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Output) {
    try state.requireInitialised()
    var issue = try state.requireIssue(issueID)
    switch issue.status {
    case .claimed where issue.assignee == actor:
      return (nil, Output(issue: issue, alreadyHeld: true))
    case .claimed:
      throw issue.lastReleasedFrom == actor
        ? issue.refusal(for: actor, action: "claim") : .refusedWith(holderDescription(issue), facts: holderFacts(issue))
    case .done:
      throw .refused("#\(issue.id) is done; there is nothing to claim")
    case .landing where issue.assignee == actor:
      // Its holder takes it back out of the landing queue, to change it: claimed again, same epoch.
      try issue.requireNotBeingLanded(toDo: "take it back")
      issue.submission = nil
      let change = try claimChange(&issue, state: state, actor: actor, clock: clock, takingBack: true)
      return (change, Output(issue: issue, alreadyHeld: false))
    case .landing:
      throw .refused(
        "#\(issue.id) is landing (submitted by \(issue.assignee ?? "?")); `ghp queue` shows where it waits")
    case .dead:
      throw .refused(
        "#\(issue.id) is dead after \(issue.attempts) failed attempts; an orchestrator can `ghp issue retry \(issue.id)`"
      )
    case .open:
      break
    }
    for dependency in issue.dependencies {
      let other = try state.issue(dependency)
      if other?.status != .done {
        throw .refused("#\(issue.id) waits on #\(dependency), which is \(other?.status.rawValue ?? "missing")")
      }
    }
    return (try claimChange(&issue, state: state, actor: actor, clock: clock), Output(issue: issue, alreadyHeld: false))
  }
}

extension Issue {
  /// Refuses while a lander has gated the issue and is moving the base (its evidence is pending):
  /// taking it out of the queue then would leave landed work on an issue that says otherwise.
  func requireNotBeingLanded(toDo action: String) throws(GHPError) {
    guard pending == nil else {
      throw .refused(
        "#\(id) passed its gate and is being landed; cannot \(action) now (if no `ghp land` runs, one finishes it: `ghp land --once`)"
      )
    }
  }
}

/// Gives `issue` to `agent` (epoch + 1) and points the agent's status at it. `sameClaim`: its
/// holder takes back what it submitted for landing (same epoch, same claim time).
func handOver(
  _ issue: inout Issue, to agent: String, agents: inout AgentStatusDocument, clock: Clock, status: String,
  action: String, sameClaim: Bool = false
) {
  issue.status = .claimed
  issue.assignee = agent
  if !sameClaim {
    issue.epoch += 1
    issue.claimedAt = clock.now
  }
  issue.updatedAt = clock.now
  var record = agents.record(for: agent, clock: clock)
  record.issue = issue.id
  record.status = status
  record.lastAction = action
  record.timestamp = clock.now
  agents.agents[agent] = record
}

/// `actor` claims `issue` (or, `takingBack`, takes back what it submitted for landing): the change to land.
func claimChange(_ issue: inout Issue, state: StateSnapshot, actor: String, clock: Clock, takingBack: Bool = false)
  throws(GHPError) -> Change
{
  var agents = try state.agents()
  let action = takingBack ? "Took #\(issue.id) back from the landing queue" : "Claimed #\(issue.id) \(issue.title)"
  handOver(&issue, to: actor, agents: &agents, clock: clock, status: "claimed", action: action, sameClaim: takingBack)
  var change = Change(
    message: CommitMessage(
      subject: "\(actor): claim #\(issue.id) \(issue.title)" + (takingBack ? " (back from the landing queue)" : ""),
      operation: ClaimOperation(issueID: issue.id).record, agent: actor, issue: issue.id, epoch: issue.epoch))
  change.put(StatePaths.issue(issue.id), json: issue.json)
  change.put(StatePaths.agentStatus, json: agents.json)
  return change
}

/// `ghp release <id>`: give an issue back to the queue. Its holder may; so may an orchestrator.
public struct ReleaseOperation: RecordedOperation {
  public var issueID: String
  public var reason: String?
  /// An orchestrator's release tells the holder it lost the claim (on its next heartbeat, and a
  /// heartbeat naming the issue is refused), as the reaper's does. Recorded as `"tells": true`; a
  /// record without it (older) replays as it was made.
  public var tellsHolder = true

  public init(issueID: String, reason: String? = nil) {
    self.issueID = issueID
    self.reason = reason
  }

  public var record: OperationRecord {
    var fields: [String: JSON] = ["issue": .string(issueID), "reason": reason.map { .string($0) } ?? .null]
    if tellsHolder { fields["tells"] = .bool(true) }
    return OperationRecord("release", fields)
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    issueID = try arguments.string("issue")
    reason = try arguments.optionalString("reason")
    tellsHolder = try arguments.bool("tells", default: false)
  }

  public func renaming(_ renames: IDRenames) -> Self {
    var copy = ReleaseOperation(issueID: renames.issue(issueID), reason: reason)
    copy.tellsHolder = tellsHolder
    return copy
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    var issue = try state.requireIssue(issueID)
    try TextLimit.check(reason, "the reason", TextLimit.note)
    guard issue.status == .claimed || issue.status == .landing, let holder = issue.assignee else {
      throw .refused("#\(issue.id) is not claimed (it is \(issue.status.rawValue)); there is nothing to release")
    }
    if issue.status == .landing {
      try issue.requireNotBeingLanded(toDo: "release it")
      issue.submission = nil
    }
    if holder != actor {
      guard try state.role(of: actor) == .orchestrator else { throw issue.refusal(for: actor, action: "release") }
    }
    issue.reopen(at: clock.now, takenBy: holder == actor ? nil : actor, reason: reason ?? "released by an orchestrator")
    var agents = try state.agents()
    try agents.finish(
      holder, issue: issue.id, action: "Released #\(issue.id)" + (reason.map { ": \($0)" } ?? ""), clock: clock,
      byHolder: holder == actor, state: state)
    if tellsHolder, holder != actor, let lost = issue.lastRelease, var record = agents.agents[holder] {
      record.lostClaims.append(lost)
      agents.agents[holder] = record
    }
    var recorded = ReleaseOperation(issueID: issue.id, reason: reason)
    recorded.tellsHolder = tellsHolder
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): release #\(issue.id) \(issue.title)" + (holder == actor ? "" : " (held by \(holder))"),
        operation: recorded.record, agent: actor, issue: issue.id, epoch: issue.epoch))
    change.put(StatePaths.issue(issue.id), json: issue.json)
    change.put(StatePaths.agentStatus, json: agents.json)
    return (change, issue)
  }
}
