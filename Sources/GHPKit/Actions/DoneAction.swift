/// `ghp done` and the MCP tool `complete_task`: marks an issue the actor holds done with its result;
/// with `[landing]` in the policy, submits the actor's committed branch for landing instead.
public struct DoneAction {
  /// The issue (validated).
  public var issue: String
  /// What was done and how it was checked.
  public var result: String

  /// Done with `issue` (validated here).
  public init(issue: String, result: String) throws(GHPError) {
    self.issue = try IssueID.validate(issue)
    self.result = result
  }

  /// Reads the actor's branch (for landing), then lands the operation.
  public func run(in workspace: Workspace) throws(GHPError) -> IssueAnswer {
    let operation = try DoneOperation.reading(workspace, issueID: issue, result: result)
    // In remote mode the lander may be on another host: the branch goes to the server first (a
    // push that only fast-forwards, judged by the server's hook), then the submission naming it.
    if let branch = operation.branch, let remote = try workspace.snapshot().remoteName {
      switch try workspace.ledger.pushBranch(branch.tip, to: "refs/heads/\(branch.branch)", remote: remote) {
      case .accepted: break
      case .rejected:
        throw .refused(
          "#\(issue): \(remote)'s \(branch.branch) has commits this one lacks; merge them (git pull \(remote) \(branch.branch)), then `ghp done \(issue)` again"
        )
      }
    }
    let landed = try workspace.run(operation)
    let verb = landed.result.status == .landing ? "Submitted for landing (see `ghp queue`):" : "Done"
    return IssueAnswer(issue: landed.result, commit: landed.commit, verb: verb)
  }
}
