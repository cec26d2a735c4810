/// `ghp release` and the MCP tool `release_task`: gives an issue back to the queue (its holder, or an
/// orchestrator), uncounted.
public struct ReleaseAction {
  /// The issue (validated).
  public var issue: String
  /// Why, for the log.
  public var reason: String?

  /// A release of `issue` (validated here).
  public init(issue: String, reason: String? = nil) throws(GHPError) {
    self.issue = try IssueID.validate(issue)
    self.reason = reason
  }

  /// Lands the release as the acting agent.
  public func run(in workspace: Workspace) throws(GHPError) -> IssueAnswer {
    let landed = try workspace.run(ReleaseOperation(issueID: issue, reason: reason))
    return IssueAnswer(
      issue: landed.result, commit: landed.commit, sentence: "Released #\(landed.result.id) \(landed.result.title).")
  }
}
