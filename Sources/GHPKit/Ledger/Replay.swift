/// Rebuilding an operation from the trailers of the commit that recorded it, so that work done
/// offline can be re-applied onto a newer tip instead of merging documents.
enum Replay {
  /// The operation a commit recorded, or nil when its op is replayed by documents instead.
  static func operation(_ message: CommitMessage) -> (any StateOperation)? {
    let args = message.arguments?.objectValue ?? [:]
    func string(_ key: String) -> String? { args[key]?.stringValue }
    func strings(_ key: String) -> [String] { args[key]?.arrayValue?.compactMap { $0.stringValue ?? $0.intValue.map(String.init) } ?? [] }
    switch message.op {
    case "heartbeat", "status":
      return StatusUpdateOperation(
        status: string("status"), action: string("action"), issueID: string("issue"), isHeartbeat: message.op == "heartbeat")
    case "claim":
      return message.issue.map { ClaimOperation(issueID: $0) }
    case "release":
      return message.issue.map { ReleaseOperation(issueID: $0, reason: string("reason")) }
    case "discover":
      return string("text").map { DiscoverOperation(text: $0) }
    case "done":
      guard let issue = message.issue, let result = string("result") else { return nil }
      return DoneOperation(issueID: issue, result: result)
    case "fail":
      guard let issue = message.issue, let reason = string("reason") else { return nil }
      return FailOperation(issueID: issue, reason: reason)
    case "assign":
      guard let issue = message.issue, let to = string("to") else { return nil }
      return AssignOperation(issueID: issue, agent: to)
    case "escalate":
      guard let question = string("question") else { return nil }
      return EscalateOperation(
        question: question, issueID: message.issue,
        severity: string("severity").flatMap(Escalation.Severity.init(rawValue:)) ?? .medium, context: string("context"))
    case "resolve":
      guard let id = string("id"), let answer = string("answer") else { return nil }
      return ResolveOperation(escalationID: id, answer: answer)
    case "issue-add":
      guard let title = string("title") else { return nil }
      return AddIssueOperation(
        title: title, body: string("body") ?? "", priority: args["priority"]?.intValue ?? 2,
        dependencies: strings("dependencies"), scope: strings("scope"))
    case "approve":
      guard let to = string("to"), !strings("globs").isEmpty else { return nil }
      return ApproveOperation(agent: to, globs: strings("globs"), once: args["once"]?.boolValue ?? false, note: string("note"))
    default:
      return nil
    }
  }

  /// The change an operation makes on `state` (opening the existential).
  static func change<O: StateOperation>(_ operation: O, state: StateSnapshot, actor: String, clock: Clock) throws(GHPError)
    -> Change?
  {
    try operation.apply(to: state, actor: actor, clock: clock).0
  }

  /// Replays a commit by its documents: each path it changed is taken as it left it, provided the
  /// new tip still has that path as the commit found it; otherwise it is a conflict (nil, with why).
  static func documentChange(
    of commit: Commit, message: CommitMessage, onto state: StateSnapshot, repository: Repository
  ) throws(GHPError) -> (Change?, String?) {
    do {
      let parentTree: ObjectID
      if commit.parentCount > 0, let parent = try repository.parent(of: commit.id) {
        parentTree = try repository.commit(parent).treeID
      } else {
        parentTree = try repository.emptyTree()
      }
      let before = try repository.tree(parentTree)
      let after = try repository.tree(commit.treeID)
      var change = Change(message: message)
      for delta in try repository.treeDeltas(from: parentTree, to: commit.treeID) {
        let found = try state.tree?.entryID(at: delta.path)
        let original = try before.entryID(at: delta.path)
        if found != original && found != delta.newID {
          return (nil, "\(delta.path) was changed on the remote too")
        }
        if let id = try after.entryID(at: delta.path) {
          change.writes[delta.path] = try repository.blobBytes(id)
        } else {
          change.writes[delta.path] = .some(nil)
        }
      }
      return (change, nil)
    } catch {
      throw .git(error)
    }
  }
}
