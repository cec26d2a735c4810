/// `ghp epic show`: an epic, its manager and where each of its sub-issues stands.
public struct EpicReport: Sendable {
  /// One sub-issue's line.
  public struct Line: Sendable {
    /// The sub-issue as its document has it.
    public var issue: Issue
    /// Dead, or open and waiting on a dependency that is not done: named in `blockedBy`.
    public var blocked: Bool
    /// What blocks it: `dead`, or the dependencies not done yet (`#3`).
    public var blockedBy: [String]
  }

  /// The epic's own document.
  public var epic: Issue
  /// Its manager: its holder while it is claimed, the last one once it is done; nil when none.
  public var manager: String?
  /// Its sub-issues, in id order.
  public var lines: [Line]

  /// The epic `id` and its sub-issues, read from `state`.
  public init(state: StateSnapshot, id: String) throws(GHPError) {
    try state.requireInitialised()
    epic = try state.requireEpic(id)
    manager = epic.status == .done ? epic.assignee : StateSnapshot.manager(of: epic)
    var lines: [Line] = []
    for summary in try state.subIssues(of: epic.id) {
      let issue = try state.requireIssue(summary.id)
      var blockedBy: [String] = []
      if issue.status == .dead {
        blockedBy = ["dead"]
      } else if issue.status == .open {
        for dependency in issue.dependencies where try state.issue(dependency)?.status != .done {
          blockedBy.append("#\(dependency)")
        }
      }
      lines.append(Line(issue: issue, blocked: !blockedBy.isEmpty, blockedBy: blockedBy))
    }
    self.lines = lines
  }

  /// Sub-issues done, landed (done through `ghp land`) and blocked.
  public var done: Int { lines.count { $0.issue.status == .done } }
  public var landed: Int { lines.count { $0.issue.landing != nil } }
  public var blocked: Int { lines.count { $0.blocked } }

  /// The report as `--json` prints it.
  public var json: JSON {
    .object([
      "epic": epic.answerJSON, "manager": manager.map { .string($0) } ?? .null,
      "progress": .object([
        "total": .int(lines.count), "done": .int(done), "landed": .int(landed), "blocked": .int(blocked),
      ]),
      "subIssues": .array(
        lines.map { line in
          .object([
            "id": IssueReference.write(line.issue.id), "title": .string(line.issue.title),
            "status": .string(line.issue.status.rawValue), "assignee": line.issue.assignee.map { .string($0) } ?? .null,
            "landed": .bool(line.issue.landing != nil), "blocked": .bool(line.blocked),
            "blockedBy": .array(line.blockedBy.map { .string($0) }),
          ])
        }),
    ])
  }

  /// The report for a person: the epic's line, then a line per sub-issue.
  public var text: String {
    var out = "Epic #\(epic.id) \(epic.title) (\(epic.status.rawValue)), "
    out += manager.map { "managed by \($0)" } ?? "no manager (`ghp assign \(epic.id) MANAGER`)"
    out += "\n\(done)/\(lines.count) done, \(landed) landed, \(blocked) blocked"
    if !epic.scope.isEmpty { out += "; scope \(epic.scope.joined(separator: " "))" }
    out += "\n"
    if lines.isEmpty { out += "No sub-issues yet (`ghp issue add TITLE --epic \(epic.id)`).\n" }
    for line in lines {
      out += "  #\(line.issue.id) \(line.issue.title): \(line.issue.status.rawValue)"
      if let holder = line.issue.assignee, line.issue.status != .open { out += " (\(holder))" }
      if line.issue.landing != nil { out += ", landed" }
      if line.blocked { out += ", blocked by " + line.blockedBy.joined(separator: ", ") }
      out += "\n"
    }
    return out
  }
}
