/// Marks `--once` approvals as used by a commit that needed them.
struct UseApprovalsOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "approval-use"

  @Defaulted<NoStrings> var ids: [String]
  /// The commit that uses them, when its id is known (post-commit, pre-push, pre-receive).
  var commit: String?

  init(ids: [String], commit: String? = nil) {
    self.ids = ids
    self.commit = commit
  }

  func renaming(_ renames: IDRenames) -> Self { UseApprovalsOperation(ids: ids.map(renames.approval), commit: commit) }

  func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Void) {
    var approvals = try state.approvals()
    var used: [String] = []
    if let commit, ObjectID(hex: commit) == nil { throw .invalidValue("commit", "'\(commit)' is not a commit id") }
    // An agent uses up only approvals given to it; one used by another commit stays that commit's.
    for index in approvals.indices
    where ids.contains(approvals[index].id) && approvals[index].agent == actor && approvals[index].once {
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
        operation: UseApprovalsOperation(ids: used, commit: commit).record, agent: actor))
    change.put(StatePaths.approvals, json: approvalsDocument(approvals))
    return (change, ())
  }
}
