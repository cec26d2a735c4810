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
    let landed = try workspace.run(try DoneOperation.reading(workspace, issueID: issue, result: result))
    let verb = landed.result.status == .landing ? "Submitted for landing (see `ghp queue`):" : "Done"
    return IssueAnswer(issue: landed.result, commit: landed.commit, verb: verb)
  }
}
