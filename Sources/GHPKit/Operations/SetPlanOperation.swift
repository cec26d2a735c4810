/// `ghp plan set`: replaces the master plan (orchestrators), or with `--epic` the epic's own section
/// of it (an orchestrator or the epic's manager).
public struct SetPlanOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "plan-set"

  /// The record's keys.
  enum CodingKeys: String, CodingKey { case text, keepsGoal, epic }

  /// The whole new `.ghp/plan.md`, Markdown; refused when blank.
  public var text: String
  /// Keeps the goal (`init --goal`, the plan's `Goal:` line) when the new plan has none of its own.
  /// Recorded as `"keepsGoal": true`; an older record replays as it was made.
  @RecordFlag public var keepsGoal = true
  /// The epic whose section (`## Epic #12: Title`) `text` replaces, the rest of the plan kept; nil
  /// (not recorded) replaces the whole plan.
  public var epic: String?

  /// The same plan with its epic's id renamed as the offline batch was.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.epic = epic.map(renames.issue)
    return renamed
  }

  /// Replaces the plan with `text`, or epic `epic`'s section of it.
  public init(text: String, epic: String? = nil) {
    self.text = text
    self.epic = epic
  }

  /// `plan` with `epic`'s section (its heading up to the next heading of level 1 or 2, or the
  /// end) holding `text`; appended when it has none.
  static func replacingSection(of epic: Issue, with text: String, in plan: String) -> String {
    let heading = "## Epic #\(epic.id)"
    var lines = plan.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let section =
      [heading + ": " + epic.title, ""]
      + text.trimmingTrailingNewlines.split(
        separator: "\n", omittingEmptySubsequences: false
      ).map(String.init) + [""]
    func isHeading(_ line: String) -> Bool { line.hasPrefix("# ") || line.hasPrefix("## ") }
    if let start = lines.firstIndex(where: { $0 == heading || $0.hasPrefix(heading + ":") }) {
      let end = lines[(start + 1)...].firstIndex(where: isHeading) ?? lines.count
      lines.replaceSubrange(start..<end, with: section)
    } else {
      while lines.last == "" { lines.removeLast() }
      lines += (lines.isEmpty ? [] : [""]) + section
    }
    while lines.count > 1 && lines.last == "" && lines[lines.count - 2] == "" { lines.removeLast() }
    return lines.joined(separator: "\n")
  }

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

  /// Writes `.ghp/plan.md` (orchestrators only; an epic's section, also its manager) and returns
  /// its text. An epic's section may not hold a heading of level 1 or 2, which would end it.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, String) {
    try state.requireInitialised()
    guard let epic else {
      try state.requireAuthority(actor, inEpic: nil, toDo: "set the plan")
      guard !text.trimmingSpaces.isEmpty else { throw .emptyText("the plan") }
      try TextLimit.check(text, "the plan", TextLimit.plan)
      let written = keepsGoal ? Self.keepingGoal(try state.goal(), in: text) : text
      var change = Change(message: CommitMessage(subject: "\(actor): set the plan", operation: record, agent: actor))
      change.put(StatePaths.plan, text: written)
      return (change, written)
    }
    let issue = try state.requireEpic(epic)
    try state.requireAuthority(actor, inEpic: issue.id, toDo: "plan epic #\(issue.id)")
    guard !text.trimmingSpaces.isEmpty else { throw .emptyText("the epic's plan") }
    guard !text.utf8.contains(UInt8(ascii: "\r")) else {
      throw .invalidValue("plan", "an epic's section is plain lines ending in \\n, without \\r")
    }
    let lines = text.split(separator: "\n")
    if let line = lines.first(where: { $0.hasPrefix("# ") || $0.hasPrefix("## ") }) {
      throw .invalidValue(
        "plan", "an epic's section cannot hold the heading '\(line)': it would end the section; use ### and below")
    }
    if lines.contains(where: { $0.hasPrefix("Goal: ") }) {
      throw .invalidValue("plan", "an epic's section cannot hold a 'Goal: ' line: the goal is the whole plan's")
    }
    let written = Self.replacingSection(of: issue, with: text, in: try state.text(StatePaths.plan) ?? "")
    try TextLimit.check(written, "the plan", TextLimit.plan)
    var recorded = self
    recorded.epic = issue.id
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): plan epic #\(issue.id) \(issue.title)", operation: recorded.record, agent: actor,
        issue: issue.id))
    change.put(StatePaths.plan, text: written)
    return (change, written)
  }
}
