/// `ghp claim ID`, `ghp claim --next` and the MCP tool `claim_task`: claims one issue, or the best
/// ready one that touches no path in conflict between agents' branches.
public struct ClaimAction {
  /// The issue to claim; nil takes the next ready one.
  public var issue: String?

  /// Claims `issue` (an id, validated here), or the next ready issue when it is nil.
  public init(issue: String?) throws(GHPError) {
    self.issue = try issue.map { (id) throws(GHPError) in try IssueID.validate(id) }
  }

  /// The claimed issue and whether the actor held it already.
  public struct Answer: ActionAnswer {
    /// The issue, claimed.
    public var issue: Issue
    /// Whether the actor held it before (nothing was written).
    public var alreadyHeld: Bool
    /// The state commit, nil when the claim was already held.
    public var commit: ObjectID?

    /// The answer as `--json` prints it and the MCP tool returns it.
    public var json: JSON {
      .object(["issue": issue.answerJSON, "alreadyHeld": .bool(alreadyHeld), "commit": commit.answerJSON])
    }

    /// The answer for a person, one sentence a line.
    public var lines: [String] {
      [
        (alreadyHeld ? "You already hold" : "Claimed") + " #\(issue.id) \(issue.title) (epoch \(issue.epoch))."
      ]
    }
  }

  /// Lands the claim as the acting agent.
  public func run(in workspace: Workspace) throws(GHPError) -> Answer {
    let landed: Landed<ClaimOperation.Output>
    if let issue {
      landed = try workspace.run(ClaimOperation(issueID: issue))
    } else {
      landed = try workspace.run(ClaimNextOperation(avoiding: ConflictReport.conflictingPaths(workspace)))
    }
    return Answer(issue: landed.result.issue, alreadyHeld: landed.result.alreadyHeld, commit: landed.commit)
  }
}
