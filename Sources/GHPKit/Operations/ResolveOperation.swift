/// `ghp resolve`: an orchestrator (or the human behind one) answers an open escalation.
public struct ResolveOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "resolve"

  public var escalationID: String
  public var answer: String

  public init(escalationID: String, answer: String) {
    self.escalationID = escalationID
    self.answer = answer
  }

  public var record: OperationRecord {
    OperationRecord(Self.name, ["id": .string(escalationID), "answer": .string(answer)])
  }

  public init(arguments: inout OperationArguments) throws(GHPError) {
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
