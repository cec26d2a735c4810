/// What waits for a review, and what one is about, for `ghp review` and the reviewer's prompt.
public enum ReviewQueue {
  /// The landing issues whose merge waits for a verdict, in id order.
  public static func waiting(_ state: StateSnapshot) throws(GHPError) -> [Issue] {
    // From the table's records: only a landing issue is read (the page asks at every render).
    guard let table = try state.issueTable() else { return [] }
    var out: [Issue] = []
    for index in 0..<table.count where table.status(index) == .landing {
      let issue = try state.requireIssue(table.id(index))
      if let request = issue.reviewing, request.approvedBy == nil { out.append(issue) }
    }
    return out.sorted { IssueID.precedes($0.id, $1.id) }
  }

  /// One waiting issue as `ghp review list --json` answers it.
  public static func json(_ issue: Issue) -> JSON {
    .object([
      "issue": IssueReference.write(issue.id), "title": .string(issue.title),
      "assignee": issue.assignee.map { .string($0) } ?? .null,
      "reviewing": issue.reviewing.map(JSONEncoding.document) ?? .null,
    ])
  }

  /// The full id of the tree `name` (a prefix of at least 4 hex digits) of `issue`'s review.
  public static func tree(named name: String, for id: String, in state: StateSnapshot) throws(GHPError) -> ObjectID {
    guard let request = try state.requireIssue(id).reviewing else {
      throw .refused("#\(id) waits for no review; `ghp review list` shows what does")
    }
    let text = name.lowercased()
    guard text.count >= 4, text.allSatisfy(\.isHexDigit) else {
      throw .invalidValue("--tree", "'\(name)' is not a tree id (at least 4 hex digits: `ghp review show \(id)`)")
    }
    if request.tree.hex.hasPrefix(text) { return request.tree }
    throw otherTree(id, request.tree, name)
  }

  /// The refusal of a verdict on a tree the review is not about.
  static func otherTree(_ id: String, _ tree: ObjectID, _ given: String) -> GHPError {
    .refused(
      "#\(id)'s merge to review is tree \(tree.short), not \(given) (a mistyped id, or the base moved since you read it); read it again: `ghp review show \(id)`"
    )
  }

  /// What a review is about.
  public struct Shown: Sendable {
    public var issue: Issue
    public var request: ReviewRequest
    /// The files the merge changes on the base, as (path, what happened).
    public var files: [(path: String, change: String)]

    public var json: JSON {
      .object([
        "issue": issue.answerJSON, "reviewing": JSONEncoding.document(request),
        "files": .array(files.map { .object(["path": .string($0.path), "change": .string($0.change)]) }),
        "diff": .string("git diff \(request.baseTip.hex) \(request.tree.hex)"),
      ])
    }

    public var text: String {
      var lines = [
        "#\(issue.id) \(issue.title), by \(issue.assignee ?? "?"): waits for \(request.mode == .human ? "a person's" : "a reviewer's") review",
        "Its merge with \(request.base) at \(request.baseTip.short): tree \(request.tree.hex)",
        "Branch tip \(request.tip.short); the gate passed.",
      ]
      if let approver = request.approvedBy { lines.append("Approved by \(approver) at \(request.approvedAt ?? "?").") }
      lines.append("Files it changes (\(files.count)):")
      lines += files.prefix(200).map { "  \($0.change) \($0.path)" }
      lines.append("The whole change: git diff \(request.baseTip.short) \(request.tree.short)")
      lines.append(
        "Verdict: ghp review approve \(issue.id) --tree \(request.tree.short)   or   ghp review changes \(issue.id) --tree \(request.tree.short) \"what to change\""
      )
      return lines.joined(separator: "\n") + "\n"
    }
  }

  /// The review issue `id` waits on, with the files its merge changes.
  public static func show(_ workspace: Workspace, id: String) throws(GHPError) -> Shown {
    let state = try workspace.snapshot()
    let issue = try state.requireIssue(id)
    guard let request = issue.reviewing else {
      throw .refused("#\(id) waits for no review; `ghp review list` shows what does")
    }
    let repository = workspace.repository
    var files: [(String, String)] = []
    do {
      let base = try repository.commit(request.baseTip).treeID
      let before = try repository.tree(base)
      for delta in try repository.treeDeltas(from: base, to: request.tree) {
        let existed = try before.entryID(at: delta.path) != nil
        files.append((delta.path, delta.newID == nil ? "deleted" : existed ? "changed" : "added"))
      }
    } catch {
      throw .git(error)
    }
    return Shown(issue: issue, request: request, files: files)
  }
}
