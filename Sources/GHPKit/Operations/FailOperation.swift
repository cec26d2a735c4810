/// `ghp fail <id>`: the attempt failed; the issue goes back to open, or is dead after `maxAttempts`.
public struct FailOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "fail"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case issueID = "issue"
    case reason
  }

  /// The issue whose attempt failed.
  public var issueID: String
  /// Why it failed, kept with the issue's failures; refused when empty.
  public var reason: String

  /// Reports the attempt on `issueID` failed, for `reason`.
  public init(issueID: String, reason: String) {
    self.issueID = issueID
    self.reason = reason
  }

  /// The same failure with the issue's id renamed.
  public func renaming(_ renames: IDRenames) -> Self { FailOperation(issueID: renames.issue(issueID), reason: reason) }

  /// Counts the failed attempt and reopens the issue, dead once it reaches `maxAttempts`; only
  /// the holder or an orchestrator may.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    let reason = reason.trimmingSpaces
    guard !reason.isEmpty else { throw .emptyText("the reason") }
    try TextLimit.check(reason, "the reason", TextLimit.note)
    var issue = try state.requireIssue(issueID)
    try requireHolderOrOrchestrator(issue, actor, state, toDo: "failed")
    let holder = issue.assignee ?? actor
    issue.attempts += 1
    issue.failures.append(Issue.Failure(agent: holder, at: clock.now, reason: reason))
    issue.reopen(at: clock.now)
    if issue.attempts >= (try state.config().maxAttempts) { issue.status = .dead }
    // Only the holder's entry is read and written (`AgentEntries`).
    var agents = try state.agents(only: [holder])
    try agents.finish(
      holder, issue: issue.id, action: "Failed #\(issue.id): \(reason)", clock: clock, byHolder: holder == actor,
      state: state)
    let fate = issue.status == .dead ? "dead after \(issue.attempts) attempts" : "attempt \(issue.attempts)"
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): fail #\(issue.id) \(issue.title) (\(fate))", body: reason,
        operation: FailOperation(issueID: issue.id, reason: reason).record, agent: actor, issue: issue.id,
        epoch: issue.epoch))
    change.put(StatePaths.issue(issue.id), json: issue.json)
    try change.putAgents(agents.agents, onto: state)
    return (change, issue)
  }
}

extension FailOperation {
  /// The issue its record names.
  public var recordedIssue: String? { issueID }
}
