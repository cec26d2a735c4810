/// Where each document lives in the tree of `ghp/state`.
public enum StatePaths {
  public static let branch = "refs/heads/ghp/state"
  public static let branchShort = "ghp/state"
  public static let agentStatus = ".ghp/agent-status.json"
  public static let config = ".ghp/config.toml"
  public static let plan = ".ghp/plan.md"
  public static let discoveries = ".ghp/discoveries.md"
  public static let approvals = ".ghp/approvals.json"
  public static let issuesFolder = ".ghp/issues"
  public static let resultsFolder = ".ghp/results"
  public static let escalationsFolder = ".ghp/escalations"
  public static let handoffsFolder = ".ghp/handoffs"

  public static func issue(_ id: String) -> String { "\(issuesFolder)/\(id).json" }
  public static func result(_ id: String) -> String { "\(resultsFolder)/\(id).md" }
}
