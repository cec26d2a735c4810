/// One rule a commit breaks, said so that the agent knows what to ask for.
public struct EditViolation: Sendable, Equatable {
  /// The file the rule is about, from the repository's top.
  public var path: String
  /// The sentence the hook prints: the rule, who holds it and the command that asks for what is missing.
  public var message: String
}

/// The authority rules on edits, read from the state branch (never from the agent's checkout):
/// shared files need an approval; files in the scope of an issue someone else holds are theirs.
public enum EditPolicy {
  /// The rules `agent` breaks by touching `paths` in `commit` (its id; nil for one being made), and
  /// the once-approvals the commit uses that are not yet recorded as used by it.
  public static func check(
    paths: [String], agent: String, commit: String? = nil, state: StateSnapshot
  ) throws(GHPError) -> (violations: [EditViolation], approvalsUsed: [String]) {
    guard state.exists, !paths.isEmpty else { return ([], []) }
    let config = try state.config()
    let isOrchestrator = try state.role(of: agent) == .orchestrator
    var violations: [EditViolation] = []
    var used: [String] = []

    if !isOrchestrator || config.sharedAppliesToOrchestrators {
      let shared = config.sharedGlobs.map(Glob.init)
      let approvals = try state.approvals().filter { $0.agent == agent }
      for path in paths {
        guard let rule = shared.first(where: { $0.matches(path) }) else { continue }
        // A once-approval covers one commit, named by its id, never by a time its author sets.
        let approval = approvals.first { approval in
          approval.globs.contains { Glob($0).matches(path) } && approval.allows(commit: commit)
        }
        if let approval {
          if approval.once && (approval.isActive || (commit != nil && approval.usedBy == nil)) {
            used.append(approval.id)
          }
          continue
        }
        violations.append(
          EditViolation(
            path: path,
            message:
              "\(path) is a shared file (shared glob '\(rule.pattern)' in .ghp/config.toml) and \(agent) has no approval for it; ask: ghp agent-escalate \"Approval needed to edit \(path)\" --severity high   (an orchestrator grants it: ghp approve \(agent) \(path))"
          ))
      }
    }

    if !isOrchestrator, let table = try state.issueTable() {
      // Scopes come from the issue table: no issue document is read unless a path falls in one.
      var scopes = table.scopesHeld(notBy: agent).map { (index: $0.index, globs: $0.globs.map(Glob.init)) }
      // The attempts of one best-of issue share its scope: each is its holder's own, made
      // independently on its own branch, so another attempt's holder is not kept out of it.
      if scopes.contains(where: { table.isAttempt($0.index) }) {
        let attempting = table.bestOfAttempted(by: agent)
        scopes.removeAll {
          table.isAttempt($0.index) && attempting.contains(BestOf.parentID(ofAttempt: table.id($0.index)))
        }
      }
      for path in paths {
        guard
          let (index, glob) = scopes.lazy.compactMap({ entry in
            entry.globs.first { $0.matches(path) }.map { (entry.index, $0) }
          }).first
        else { continue }
        let issue = try state.requireIssue(table.id(index))
        violations.append(
          EditViolation(
            path: path,
            message:
              "\(path) is in the scope of #\(issue.id) ('\(glob.pattern)'), \(holderDescription(issue).dropFirst("#\(issue.id) is ".count)); ask: ghp agent-escalate \"Need to edit \(path), in the scope of #\(issue.id)\" --issue \(issue.id)"
          ))
      }
    }
    return (violations, Array(Set(used)).sorted())
  }

  /// One commit judged by every rule, as `pre-push`, a server's `pre-receive` and `ghp land` judge
  /// it: who made it (its `Ghp-Agent`, else `fallback`), the paths it changes (a merge: what the
  /// merge itself brings), the shared files and held scopes among them, and its fencing. Returns
  /// the refusals, the paths they are about, and the once-approvals it uses that are not yet
  /// recorded as its own.
  public static func judge(_ commit: Commit, fallback: String?, state: StateSnapshot, repository: Repository)
    throws(GHPError) -> CommitJudgment
  {
    let trailers = CommitMessage.trailers(commit.message)
    guard let agent = trailers[CommitMessage.Trailer.agent] ?? fallback else { return CommitJudgment(agent: nil) }
    let paths: [String]
    do { paths = try repository.changedPaths(of: commit.id) } catch { throw .git(error) }
    let result = try check(paths: paths, agent: agent, commit: commit.id.hex, state: state)
    var judgment = CommitJudgment(agent: agent)
    judgment.changed = paths
    judgment.refusals = result.violations.map { "commit \(commit.id.short): \($0.message)" }
    judgment.paths = result.violations.map(\.path)
    judgment.approvalsUsed = result.approvalsUsed
    if let issue = trailers[CommitMessage.Trailer.issue],
      let epoch = trailers[CommitMessage.Trailer.epoch].flatMap({ Int($0) }),
      let fenced = try fencingViolation(
        issueID: issue, epoch: epoch, agent: agent, commit: commit.id.short, state: state)
    {
      judgment.refusals.append(fenced.message)
    }
    return judgment
  }

  /// Fencing: a commit made under a claim that was later taken from its author (reaped, or released
  /// or reassigned by an orchestrator) is a returning zombie's work, however many times the issue
  /// changed hands since. A voluntary release or handoff fences nothing: the receiver may build on
  /// the giver's branch.
  public static func fencingViolation(issueID: String, epoch: Int, agent: String, commit: String, state: StateSnapshot)
    throws(GHPError) -> EditViolation?
  {
    guard state.exists, let issue = try state.issue(issueID) else { return nil }
    guard let release = issue.taking(of: agent, epoch: epoch) else { return nil }
    let now =
      issue.status == .claimed
      ? "held by \(issue.assignee ?? "?") (epoch \(issue.epoch))" : "\(issue.status.rawValue) (epoch \(issue.epoch))"
    return EditViolation(
      path: "",
      message:
        "commit \(commit) was made by \(agent) under #\(issue.id) epoch \(epoch), but that claim was released by \(release.by) at \(RFC3339.format(release.at)) (\(release.reason)); #\(issue.id) is now \(now): this is stale work — check with `ghp claim-check \(issue.id) --epoch \(epoch)`, then claim again or hand the work to the holder"
    )
  }

  /// An agent that lost a claim (reaped, or released by an orchestrator) and has not yet been told:
  /// its commits in that issue's scope are refused, with the facts, until it reads its status.
  public static func lostClaimViolations(paths: [String], agent: String, state: StateSnapshot) throws(GHPError)
    -> [EditViolation]
  {
    guard let record = try state.agents().agents[agent], !record.lostClaims.isEmpty, !paths.isEmpty else { return [] }
    var violations: [EditViolation] = []
    for lost in record.lostClaims {
      guard let issue = try state.issue(lost.issue) else { continue }
      if (issue.status == .claimed && issue.assignee == agent) || issue.kind == .epic { continue }
      let globs = issue.scope.map(Glob.init)
      for path in paths where globs.contains(where: { $0.matches(path) }) {
        violations.append(
          EditViolation(
            path: path,
            message:
              "\(path) is in the scope of #\(issue.id), and \(agent)'s claim on it was released by \(lost.by) at \(RFC3339.format(lost.at))\(lost.reason.isEmpty ? "" : " (\(lost.reason))"); this work is stale: read `ghp agent-status` (your next heartbeat acknowledges it) and claim again before you commit there"
          ))
      }
    }
    return violations
  }
}

/// What the edit rules say of one commit (`EditPolicy.judge`).
public struct CommitJudgment: Sendable, Equatable {
  /// Whose commit it is: its `Ghp-Agent`, else the fallback; nil when neither names one (nothing judged).
  public var agent: String?
  /// One sentence per rule it breaks, each naming the commit.
  public var refusals: [String] = []
  /// The paths of the rules it breaks (a fenced commit's refusal names no path).
  public var paths: [String] = []
  /// Every path it changes, as `Repository.changedPaths` reads them (empty when nothing was judged).
  public var changed: [String] = []
  /// The once-approvals it uses that are not yet recorded as this commit's.
  public var approvalsUsed: [String] = []
}
