/// Where each document lives in the tree of `ghp/state`.
public enum StatePaths {
  public static let branch = "refs/heads/ghp/state"
  public static let branchShort = "ghp/state"
  public static let agentStatus = ".ghp/agent-status.json"
  public static let config = ".ghp/config.toml"
  public static let plan = ".ghp/plan.md"
  public static let discoveries = ".ghp/discoveries.md"
  public static let approvals = ".ghp/approvals.json"
  /// Approvals withdrawn by `ghp revoke`, kept for `ghp approvals --all` (newest last).
  public static let revokedApprovals = ".ghp/approvals-revoked.json"
  public static let issuesFolder = ".ghp/issues"
  public static let resultsFolder = ".ghp/results"
  public static let escalationsFolder = ".ghp/escalations"
  public static let handoffsFolder = ".ghp/handoffs"
  /// What each `ghp issue import` brought, as one document named by its blob id.
  public static let importsFolder = ".ghp/imports"

  /// `.ghp/issues/<shard>/<id>.json`, the shard being the id's last two characters (`1` -> `01`,
  /// `123` -> `23`, `task-001` -> `01`). A flat folder of 20,000 issues is one 770 KB tree that every
  /// claim would rewrite; fanned out, a claim rewrites a tree a hundredth of that size.
  public static func issue(_ id: String) -> String { "\(issuesFolder)/\(issueShard(id))/\(id).json" }

  public static func issueShard(_ id: String) -> String {
    let tail = String(id.suffix(2))
    return tail.count == 2 ? tail : "0" + tail
  }
  public static func result(_ id: String) -> String { "\(resultsFolder)/\(id).md" }
  public static func escalation(_ id: String) -> String { "\(escalationsFolder)/\(id).md" }
  public static func handoff(_ issue: String) -> String { "\(handoffsFolder)/\(issue).md" }
}
