/// `ghp agent-escalate`: a question for a human; the asking agent's status becomes `escalated`.
public struct EscalateOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "escalate"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case question
    case issueID = "issue"
    case severity, context, id
  }

  /// What the agent asks a human; trimmed when applied, refused when empty.
  public var question: String
  /// The issue the question is about, nil when none; it must exist.
  public var issueID: String?
  /// How urgent the question is: low, medium, high or critical.
  public var severity: Escalation.Severity
  /// What a human needs to answer it, nil when none; trimmed, and dropped when empty.
  public var context: String?
  /// The escalation's number; nil takes the next free one (see `AddIssueOperation.id`).
  public var id: String?

  /// A question from the actor; `id` nil takes the next free number.
  public init(
    question: String, issueID: String? = nil, severity: Escalation.Severity = .medium, context: String? = nil,
    id: String? = nil
  ) {
    self.question = question
    self.issueID = issueID
    self.severity = severity
    self.context = context
    self.id = id
  }

  /// The same escalation with the issue's id renamed.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.issueID = renames.issue(issueID)
    return renamed
  }

  /// The same escalation without its number, so that it takes the next free one.
  public func remintingIDs() -> Self {
    var fresh = self
    fresh.id = nil
    return fresh
  }

  /// Writes the escalation, open, to `.ghp/escalations/<id>.md` and sets the actor's status to
  /// `escalated`.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Escalation) {
    try state.requireInitialised()
    let question = question.trimmingSpaces
    guard !question.isEmpty else { throw .emptyText("the question") }
    try TextLimit.check(question, "the question", TextLimit.question)
    try TextLimit.check(context, "the context", TextLimit.long)
    let issue = try issueID.map { (id) throws(GHPError) in try state.requireIssue(id).id }
    let number = try mintedID(
      id, "escalation", isTaken: { (id) throws(GHPError) in try state.escalation(id) != nil },
      next: { () throws(GHPError) in try state.nextEscalationID() })
    let escalation = Escalation(
      id: number, agent: actor, issue: issue, severity: severity, question: question,
      context: context.map(\.trimmingSpaces).flatMap { $0.isEmpty ? nil : $0 }, asked: clock.now)
    var agents = try state.agents()
    var record = agents.record(for: actor, clock: clock)
    record.status = StatusWord.escalated
    record.lastAction = "Escalated \(escalation.id): \(TextTable.clip(question, 80))"
    record.timestamp = clock.now
    agents.agents[actor] = record
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): escalate \(escalation.id) (\(severity.rawValue)) \(TextTable.clip(question, 60))",
        operation: EscalateOperation(
          question: question, issueID: issue, severity: severity, context: escalation.context, id: escalation.id
        ).record, agent: actor, issue: issue))
    try escalationWrite(escalation, state: state, into: &change)
    change.put(StatePaths.agentStatus, json: agents.json)
    return (change, escalation)
  }
}

extension EscalateOperation {
  /// The ids its record says it made.
  public var mintedIDs: MintedIDs { MintedIDs(escalations: id.map { [$0] } ?? []) }
  /// The issue its record names.
  public var recordedIssue: String? { issueID }
}
