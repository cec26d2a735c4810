/// `ghp resolve`: an orchestrator (or the human behind one) answers an open escalation.
public struct ResolveOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "resolve"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case escalationID = "id"
    case answer
  }

  /// The open escalation to answer (`id` in the record).
  public var escalationID: String
  /// The answer, told to the asker on its next report; trimmed, refused when empty.
  public var answer: String

  /// Answers `escalationID` with `answer`.
  public init(escalationID: String, answer: String) {
    self.escalationID = escalationID
    self.answer = answer
  }

  /// The same answer with the escalation's id renamed.
  public func renaming(_ renames: IDRenames) -> Self {
    ResolveOperation(escalationID: renames.escalation(escalationID), answer: answer)
  }

  /// Marks the escalation resolved with the answer (orchestrators only); refused when it was
  /// resolved already.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Escalation) {
    try state.requireInitialised()
    let answer = answer.trimmingSpaces
    guard !answer.isEmpty else { throw .emptyText("the answer") }
    try TextLimit.check(answer, "the answer", TextLimit.note)
    guard var escalation = try state.escalation(escalationID) else {
      throw .invalidValue("escalation", "there is no escalation \(escalationID) (see `ghp escalations`)")
    }
    // A manager answers the questions asked about its epic's sub-issues.
    let epic = try escalation.issue.flatMap { (id) throws(GHPError) in try state.issue(id)?.epic }
    try state.requireAuthority(actor, inEpic: epic, toDo: "resolve escalation \(escalation.id)")
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
