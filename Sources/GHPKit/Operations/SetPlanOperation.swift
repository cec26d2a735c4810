/// `ghp plan set`: replaces the master plan (orchestrators).
public struct SetPlanOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "plan-set"

  /// The whole new `.ghp/plan.md`, Markdown; refused when blank.
  public var text: String

  /// Replaces the plan with `text`.
  public init(text: String) { self.text = text }

  /// Writes `.ghp/plan.md` (orchestrators only) and returns its text.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, String) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "set the plan")
    guard !text.trimmingSpaces.isEmpty else { throw .emptyText("the plan") }
    try TextLimit.check(text, "the plan", TextLimit.plan)
    var change = Change(message: CommitMessage(subject: "\(actor): set the plan", operation: record, agent: actor))
    change.put(StatePaths.plan, text: text)
    return (change, text)
  }
}
