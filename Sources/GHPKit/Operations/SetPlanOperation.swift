/// `ghp plan set`: replaces the master plan (orchestrators).
public struct SetPlanOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "plan-set"

  /// The record's keys.
  enum CodingKeys: String, CodingKey { case text, keepsGoal }

  /// The whole new `.ghp/plan.md`, Markdown; refused when blank.
  public var text: String
  /// Keeps the goal (`init --goal`, the plan's `Goal:` line) when the new plan has none of its own.
  /// Recorded as `"keepsGoal": true`; an older record replays as it was made.
  @RecordFlag public var keepsGoal = true

  /// Replaces the plan with `text`.
  public init(text: String) { self.text = text }

  /// `text` with the current goal kept: its `Goal:` line after the first heading (or first), unless
  /// `text` says a goal of its own.
  static func keepingGoal(_ goal: String?, in text: String) -> String {
    guard let goal, !goal.isEmpty else { return text }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard !lines.contains(where: { $0.hasPrefix("Goal: ") }) else { return text }
    if let heading = lines.firstIndex(where: { $0.hasPrefix("# ") }),
      heading == lines.firstIndex(where: { !$0.isEmpty })
    {
      lines.insert(contentsOf: ["", "Goal: \(goal)"], at: heading + 1)
      if heading + 3 < lines.count, !lines[heading + 3].isEmpty { lines.insert("", at: heading + 3) }
    } else {
      lines.insert(contentsOf: ["Goal: \(goal)", ""], at: 0)
    }
    return lines.joined(separator: "\n")
  }

  /// Writes `.ghp/plan.md` (orchestrators only) and returns its text.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, String) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "set the plan")
    guard !text.trimmingSpaces.isEmpty else { throw .emptyText("the plan") }
    try TextLimit.check(text, "the plan", TextLimit.plan)
    let written = keepsGoal ? Self.keepingGoal(try state.goal(), in: text) : text
    var change = Change(message: CommitMessage(subject: "\(actor): set the plan", operation: record, agent: actor))
    change.put(StatePaths.plan, text: written)
    return (change, written)
  }
}
