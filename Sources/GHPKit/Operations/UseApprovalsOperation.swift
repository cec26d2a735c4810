/// Marks `--once` approvals as used by a commit that needed them.
struct UseApprovalsOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "approval-use"

  /// The approvals used.
  @Defaulted<NoStrings> var ids: [String]
  /// The commit that uses them, when its id is known (post-commit, pre-push, pre-receive, a landing).
  var commit: String?
  /// `ghp land` uses them for the agent whose commit lands: the actor must be an orchestrator, and
  /// the approvals may be any agent's. Recorded as `"byLander": true`; absent, an agent uses up
  /// only its own (as every record before it did).
  @RecordFlag var byLander = false

  init(ids: [String], commit: String? = nil, byLander: Bool = false) {
    self.ids = ids
    self.commit = commit
    self.byLander = byLander
  }

  func renaming(_ renames: IDRenames) -> Self {
    UseApprovalsOperation(ids: ids.map(renames.approval), commit: commit, byLander: byLander)
  }

  func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Void) {
    var approvals = try state.approvals()
    var used: [String] = []
    if let commit, ObjectID(hex: commit) == nil { throw .invalidValue("commit", "'\(commit)' is not a commit id") }
    if byLander {
      guard commit != nil else { throw .invalidValue("approval-use", "a landing names the commit that uses them") }
      try state.requireOrchestrator(actor, toDo: "use approvals for a landing")
    }
    // An agent uses up only approvals given to it (a lander: the landing commit's agent's); one
    // used by another commit stays that commit's.
    for index in approvals.indices
    where ids.contains(approvals[index].id) && (byLander || approvals[index].agent == actor) && approvals[index].once {
      if approvals[index].usedAt == nil {
        approvals[index].usedAt = clock.now
        approvals[index].usedBy = commit
      } else if approvals[index].usedBy == nil, commit != nil {
        approvals[index].usedBy = commit
      } else {
        continue
      }
      used.append(approvals[index].id)
    }
    guard !used.isEmpty else { return (nil, ()) }
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): use approval \(used.joined(separator: ", ")) (once)"
          + (commit.map { " for \($0.prefix(12))" } ?? ""),
        operation: UseApprovalsOperation(ids: used, commit: commit, byLander: byLander).record, agent: actor))
    change.put(StatePaths.approvals, json: approvalsDocument(approvals))
    return (change, ())
  }
}
