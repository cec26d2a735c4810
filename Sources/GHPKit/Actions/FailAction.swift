/// `ghp fail` and the MCP tool `fail_task`: the actor's attempt at an issue failed; it goes back to
/// the queue, or is dead after `maxAttempts`.
public struct FailAction {
  /// The issue (validated).
  public var issue: String
  /// Why the attempt failed.
  public var reason: String

  /// A failed attempt at `issue` (validated here).
  public init(issue: String, reason: String) throws(GHPError) {
    self.issue = try IssueID.validate(issue)
    self.reason = reason
  }

  /// Lands the failure as the acting agent.
  public func run(in workspace: Workspace) throws(GHPError) -> IssueAnswer {
    let landed = try workspace.run(FailOperation(issueID: issue, reason: reason))
    let verb =
      landed.result.status == .dead ? "Dead after \(landed.result.attempts) attempts:" : "Failed, back in the queue:"
    return IssueAnswer(issue: landed.result, commit: landed.commit, verb: verb)
  }
}
