/// `ghp release <id>`: give an issue back to the queue. Its holder may; so may an orchestrator.
public struct ReleaseOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "release"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case issueID = "issue"
    case reason
    case tellsHolder = "tells"
  }

  /// The issue to give back, claimed or landing.
  public var issueID: String
  /// Why it is given back, in the holder's last action (and told to the holder when someone else
  /// releases it); nil when none was given.
  public var reason: String?
  /// An orchestrator's release tells the holder it lost the claim (on its next heartbeat, and a
  /// heartbeat naming the issue is refused), as the reaper's does. Recorded as `"tells": true`; a
  /// record without it (older) replays as it was made.
  @RecordFlag public var tellsHolder = true

  /// Releases `issueID`, for `reason` when given.
  public init(issueID: String, reason: String? = nil) {
    self.issueID = issueID
    self.reason = reason
  }

  /// The same release with the issue's id renamed.
  public func renaming(_ renames: IDRenames) -> Self {
    var copy = ReleaseOperation(issueID: renames.issue(issueID), reason: reason)
    copy.tellsHolder = tellsHolder
    return copy
  }

  /// Reopens the issue (taking it out of the landing queue) and frees its holder; anyone but the
  /// holder must be an orchestrator.
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
      let role = try state.role(of: actor)
      if role != .orchestrator {
        guard role == .manager || issue.epic != nil else { throw issue.refusal(for: actor, action: "release") }
        try state.requireAuthority(actor, inEpic: issue.epic, toDo: "release #\(issue.id)")
      }
    }
    issue.reopen(at: clock.now, takenBy: holder == actor ? nil : actor, reason: reason ?? "released by an orchestrator")
    // Only the holder's entry is read and written (`AgentEntries`).
    var agents = try state.agents(only: [holder])
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
    try change.putAgents(agents.agents, onto: state)
    return (change, issue)
  }
}

extension ReleaseOperation {
  /// The issue its record names.
  public var recordedIssue: String? { issueID }
}
