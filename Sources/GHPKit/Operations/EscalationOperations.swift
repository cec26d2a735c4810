extension StateSnapshot {
  /// The next escalation number.
  func nextEscalationID() throws(GHPError) -> String {
    let highest = try escalations().compactMap { Int($0.id) }.max() ?? 0
    guard highest < Int.max else { throw .exhausted("every escalation number is taken") }
    return String(highest + 1)
  }
}

/// The change that writes one escalation document, rendered from the (possibly overridden) template.
func escalationWrite(_ escalation: Escalation, state: StateSnapshot, into change: inout Change) throws(GHPError) {
  let template = try Templates.text("escalation.md", state: state)
  change.put(StatePaths.escalation(escalation.id), text: try escalation.document(template: template))
}

/// `ghp agent-escalate`: a question for a human; the asking agent's status becomes `escalated`.
public struct EscalateOperation: RecordedOperation {
  public var question: String
  public var issueID: String?
  public var severity: Escalation.Severity
  public var context: String?
  /// The escalation's number; nil takes the next free one (see `AddIssueOperation.id`).
  public var id: String?

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

  public var record: OperationRecord {
    OperationRecord(
      "escalate",
      [
        "id": id.map { .string($0) } ?? .null, "question": .string(question),
        "issue": issueID.map { .string($0) } ?? .null,
        "severity": .string(severity.rawValue), "context": context.map { .string($0) } ?? .null,
      ])
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    id = try arguments.optionalString("id")
    question = try arguments.string("question")
    issueID = try arguments.optionalString("issue")
    let word = try arguments.string("severity")
    guard let severity = Escalation.Severity(rawValue: word) else {
      throw .invalidValue("argument 'severity' of escalate", "'\(word)' is not one of low, medium, high, critical")
    }
    self.severity = severity
    context = try arguments.optionalString("context")
  }

  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.issueID = renames.issue(issueID)
    return renamed
  }

  public func remintingIDs() -> Self {
    var fresh = self
    fresh.id = nil
    return fresh
  }

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
    record.status = "escalated"
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

/// `ghp resolve`: an orchestrator (or the human behind one) answers an open escalation.
public struct ResolveOperation: RecordedOperation {
  public var escalationID: String
  public var answer: String

  public init(escalationID: String, answer: String) {
    self.escalationID = escalationID
    self.answer = answer
  }

  public var record: OperationRecord {
    OperationRecord("resolve", ["id": .string(escalationID), "answer": .string(answer)])
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    escalationID = try arguments.string("id")
    answer = try arguments.string("answer")
  }

  public func renaming(_ renames: IDRenames) -> Self {
    ResolveOperation(escalationID: renames.escalation(escalationID), answer: answer)
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Escalation) {
    try state.requireInitialised()
    let answer = answer.trimmingSpaces
    guard !answer.isEmpty else { throw .emptyText("the answer") }
    try TextLimit.check(answer, "the answer", TextLimit.note)
    try state.requireOrchestrator(actor, toDo: "resolve escalations")
    guard var escalation = try state.escalation(escalationID) else {
      throw .invalidValue("escalation", "there is no escalation \(escalationID) (see `ghp escalations`)")
    }
    guard escalation.status == .open else {
      throw .refused(
        "escalation \(escalation.id) was already resolved by \(escalation.answeredBy ?? "?") at \(escalation.answered.map(RFC3339.format) ?? "?")"
      )
    }
    escalation.status = .resolved
    escalation.answer = answer
    escalation.answeredBy = actor
    escalation.answered = clock.now
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): resolve \(escalation.id) for \(escalation.agent): \(TextTable.clip(answer, 60))",
        operation: ResolveOperation(escalationID: escalation.id, answer: answer).record, agent: actor,
        issue: escalation.issue))
    try escalationWrite(escalation, state: state, into: &change)
    return (change, escalation)
  }
}

extension Escalation {
  /// Open ones first, the most severe first, then the oldest.
  public static func inboxOrder(_ a: Escalation, _ b: Escalation) -> Bool {
    if a.status != b.status { return a.status == .open }
    if a.severity != b.severity { return a.severity > b.severity }
    if a.asked != b.asked { return a.asked < b.asked }
    return IssueID.precedes(a.id, b.id)
  }
}
