/// Where each document lives in the tree of `ghp/state`.
public enum StatePaths {
  /// The full name of the state branch's ref.
  public static let branch = "refs/heads/ghp/state"
  /// The state branch's short name, as people type it and messages show it.
  public static let branchShort = "ghp/state"
  /// The agents' document: role, branch, issue, status, heartbeat and key of each.
  public static let agentStatus = ".ghp/agent-status.json"
  /// The policy (`Config`), in TOML.
  public static let config = ".ghp/config.toml"
  /// The plan, free text.
  public static let plan = ".ghp/plan.md"
  /// What agents found out along the way, free text.
  public static let discoveries = ".ghp/discoveries.md"
  /// The shared-file approvals in force or used up: `{"approvals": [...]}`, an `Approval` each.
  public static let approvals = ".ghp/approvals.json"
  /// Approvals withdrawn by `ghp revoke`, kept for `ghp approvals --all` (newest last).
  public static let revokedApprovals = ".ghp/approvals-revoked.json"
  /// The folder of the issue documents, one shard folder per last two characters of the id.
  public static let issuesFolder = ".ghp/issues"
  /// The folder of what `done` said: `<id>.md`, and `<id>.gate.log` the gate's output.
  public static let resultsFolder = ".ghp/results"
  /// The folder of the escalations, `<id>.md` each.
  public static let escalationsFolder = ".ghp/escalations"
  /// The folder of the issues' last handoffs, `<issue>.md` each.
  public static let handoffsFolder = ".ghp/handoffs"
  /// What each `ghp issue import` brought, as one document named by its blob id.
  public static let importsFolder = ".ghp/imports"

  /// `.ghp/issues/<shard>/<id>.json`, the shard being the id's last two characters (`1` -> `01`,
  /// `123` -> `23`, `task-001` -> `01`). A flat folder of 20,000 issues is one 770 KB tree that every
  /// claim would rewrite; fanned out, a claim rewrites a tree a hundredth of that size.
  public static func issue(_ id: String) -> String { "\(issuesFolder)/\(issueShard(id))/\(id).json" }

  /// The shard folder of an issue: the id's last two characters, a lone character with a leading `0`.
  public static func issueShard(_ id: String) -> String {
    let tail = String(id.suffix(2))
    return tail.count == 2 ? tail : "0" + tail
  }
  /// `.ghp/results/<id>.md`: the full result `ghp done` gave for the issue.
  public static func result(_ id: String) -> String { "\(resultsFolder)/\(id).md" }
  /// `.ghp/escalations/<id>.md`: the escalation with this number.
  public static func escalation(_ id: String) -> String { "\(escalationsFolder)/\(id).md" }
  /// `.ghp/handoffs/<issue>.md`: the issue's last handoff.
  public static func handoff(_ issue: String) -> String { "\(handoffsFolder)/\(issue).md" }
}
