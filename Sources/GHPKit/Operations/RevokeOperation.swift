/// `ghp revoke`: withdraws an approval (orchestrators).
public struct RevokeOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "revoke"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case approvalID = "id"
    case keeps
  }

  /// The number of the approval to withdraw (`id` in the record).
  public var approvalID: String
  /// Keeps the withdrawn approval in `.ghp/approvals-revoked.json`. Recorded as `"keeps": true`; a
  /// record without it (older) replays as it was made: the approval just goes.
  @RecordFlag public var keeps = true

  /// Withdraws approval `approvalID`, keeping it among the revoked ones.
  public init(approvalID: String) { self.approvalID = approvalID }

  /// The same revocation with the approval's number renamed.
  public func renaming(_ renames: IDRenames) -> Self {
    var copy = RevokeOperation(approvalID: renames.approval(approvalID))
    copy.keeps = keeps
    return copy
  }

  /// Removes the approval from `approvals.json` (orchestrators; a manager, those it gave) and
  /// returns it, marked revoked when kept.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Approval) {
    try state.requireInitialised()
    var approvals = try state.approvals()
    let given = approvals.first { $0.id == approvalID }
    let isManager = try state.role(of: actor) == .manager
    if given?.by != actor || !isManager {
      try state.requireOrchestrator(actor, toDo: "revoke approvals")
    }
    guard let index = approvals.firstIndex(where: { $0.id == approvalID }) else {
      throw .invalidValue("approval", "there is no approval \(approvalID) (see `ghp approvals`)")
    }
    var removed = approvals.remove(at: index)
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): revoke approval \(removed.id) of \(removed.agent)", operation: record, agent: actor))
    change.put(StatePaths.approvals, json: approvalsDocument(approvals))
    if keeps {
      removed.revokedAt = clock.now
      removed.revokedBy = actor
      change.put(StatePaths.revokedApprovals, json: approvalsDocument(try state.revokedApprovals() + [removed]))
    }
    return (change, removed)
  }
}
