/// `ghp agent-heartbeat` and `ghp agent-status update`: the agent says it is alive, what it is doing,
/// and on which issue. A heartbeat is always a commit: it is the record that the agent was alive.
public struct StatusUpdateOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "heartbeat"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case status, action
    case issueID = "issue"
    case tellsOnce
  }
  /// The name of a status update's records (`ghp agent-status update`): the same operation, no heartbeat.
  public static let statusName = "status"

  /// The agent's new status word (`implementing`, `blocked`); nil keeps it.
  public var status: String?
  /// What the agent is doing now, kept as its last action; nil keeps it.
  public var action: String?
  /// The issue the agent works on; it must hold it.
  public var issueID: String?
  /// True for a heartbeat (the op recorded in the commit); a record's name says which
  /// (`OperationCatalog.decode`), so it is not an argument.
  public var isHeartbeat = true
  /// `--auto` (what hooks call): make no commit when the last heartbeat is younger than the
  /// config's `heartbeatMinimum`, nothing would change, and there is nothing to tell. Not part of
  /// the record: a heartbeat that lands is an ordinary one, and replays as one.
  public var coalesce = false
  /// An answer is told once, recorded on its escalation, and clears `escalated`. Recorded as
  /// `"tellsOnce": true`; a record without it (written before this existed) replays as it was made:
  /// answers given since the last report, nothing written back.
  @RecordFlag public var tellsOnce = true

  /// Recorded as a heartbeat, or as a status update.
  public var recordName: String { isHeartbeat ? Self.name : Self.statusName }

  /// A report from the actor: a heartbeat or a status update, each field nil to keep it.
  public init(
    status: String? = nil, action: String? = nil, issueID: String? = nil, isHeartbeat: Bool, coalesce: Bool = false
  ) {
    self.status = status
    self.action = action
    self.issueID = issueID
    self.isHeartbeat = isHeartbeat
    self.coalesce = coalesce
  }

  /// The same report with the issue's id renamed.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.issueID = renames.issue(issueID)
    return renamed
  }

  /// Validates a status word: lowercase letters, digits and '-', at most 32 characters.
  public static func validateStatus(_ status: String) throws(GHPError) {
    let ok =
      !status.isEmpty && status.utf8.count <= 32
      && status.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    if !ok {
      throw .invalidValue(
        "status '\(status)'", "use a lowercase word such as implementing, testing, blocked or reviewing")
    }
  }

  /// What the agent is told when it reports: claims it lost while silent, a handoff waiting for
  /// it, answers to its escalations since its last report. Each is told once.
  public struct Output: Sendable {
    /// The agent's record after the report.
    public var record: AgentRecord
    /// Claims taken from the agent while it was silent, told now.
    public var lostClaims: [LostClaim]
    /// Issues `ghp land` gave back (a conflict with the base, a failed gate).
    public var returned: [ReturnedIssue] = []
    /// The issue handed to the agent since its last report, nil when none.
    public var handoffWaiting: String?
    /// Answers to the agent's escalations it has not been told yet.
    public var answers: [Escalation]
    /// With `coalesce`: the time of the last heartbeat, when this one made no commit.
    public var skipped: Int64? = nil
  }

  /// Records the report and the heartbeat time, telling once what waited for the agent; with
  /// `coalesce`, writes nothing when there is nothing new.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Output) {
    try state.requireInitialised()
    if let status { try Self.validateStatus(status) }
    try TextLimit.check(action, "the action", TextLimit.action)
    // Only the actor's entry is read and written (`AgentEntries`).
    var agents = try state.agents(only: [actor])
    var record = agents.record(for: actor, clock: clock)
    let previous = agents.agents[actor]?.timestamp
    if let issueID {
      let issue = try state.requireIssue(issueID)
      guard issue.assignee == actor, issue.status == .claimed else {
        throw issue.refusal(for: actor, action: "report on")
      }
      record.issue = issue.id
    }
    let lost = record.lostClaims
    let returned = record.returned
    let handoff = record.handoffWaiting
    record.lostClaims = []
    record.returned = []
    record.handoffWaiting = nil
    let escalations = try state.escalations()
    let answers = escalations.filter {
      $0.agent == actor && $0.status == .resolved
        && (tellsOnce ? $0.told == nil : ($0.answered ?? 0) >= (previous ?? 0))
    }
    if coalesce, let previous, agents.agents[actor] != nil,
      clock.now - previous < (try state.config().heartbeatMinimum),
      lost.isEmpty, returned.isEmpty, handoff == nil, answers.isEmpty,
      status == nil || status == record.status, action == nil || action == record.lastAction,
      issueID == nil || agents.agents[actor]?.issue == record.issue
    {
      var unchanged = agents.agents[actor]!
      unchanged.lostClaims = []
      return (
        nil,
        Output(record: unchanged, lostClaims: [], returned: [], handoffWaiting: nil, answers: [], skipped: previous)
      )
    }
    let stillAsking = escalations.contains { $0.agent == actor && $0.status == .open }
    if let status {
      record.status = status
    } else if tellsOnce && record.status == StatusWord.escalated && !answers.isEmpty && !stillAsking {
      // Its questions are answered (and told now): it is no longer waiting on a human.
      record.status = record.issue == nil ? "idle" : "claimed"
    }
    if let action { record.lastAction = action }
    record.timestamp = clock.now
    agents.agents[actor] = record
    let detail = [status, action].compactMap { $0 }.joined(separator: ": ")
    var recorded = self
    if issueID != nil { recorded.issueID = record.issue }
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): \(self.record.name)" + (detail.isEmpty ? "" : " \(detail)"), operation: recorded.record,
        agent: actor, issue: record.issue))
    try change.putAgents(agents.agents, onto: state)
    // Told now, so never again, whatever the timing of later reports.
    for var answer in answers where tellsOnce {
      answer.told = clock.now
      try escalationWrite(answer, state: state, into: &change)
    }
    return (
      change, Output(record: record, lostClaims: lost, returned: returned, handoffWaiting: handoff, answers: answers)
    )
  }
}

extension StatusUpdateOperation {
  /// Whether it only says that someone is alive.
  public var isLiveness: Bool { isHeartbeat }
  /// The issue its record names.
  public var recordedIssue: String? { issueID }
}
