/// `ghp queue`: what waits to land, in the order `ghp land` takes it, and why.
public struct LandingQueue: Sendable {
  /// One issue waiting to land, with where it stands in the queue.
  public struct Entry: Sendable {
    /// The issue, in status landing.
    public var issue: Issue
    /// What `ghp done` submitted: the branch, its tip, the base and the base tip then.
    public var submission: Submission
    /// Seconds since it was submitted.
    public var waited: Int64
    /// It waited longer than `maxWait` and goes before higher priorities.
    public var overdue: Bool
    /// Why it cannot land yet (a dependency that has not landed), or nil.
    public var blockedBy: String?

    /// Why it is where it is in the queue, in a few words for `ghp queue`.
    public var reason: String {
      if let blockedBy { return "waits: \(blockedBy)" }
      if overdue { return "waited \(Duration.exact(waited)), longer than maxWait: goes first" }
      return "priority \(issue.priority), waited \(Duration.exact(waited))"
    }

    /// The entry as `ghp queue --json` prints it.
    public var json: JSON {
      .object([
        "id": IssueReference.write(issue.id), "title": .string(issue.title), "priority": .int(issue.priority),
        "agent": issue.assignee.map { .string($0) } ?? .null, "branch": .string(submission.branch),
        "tip": .string(submission.tip.hex), "submittedAt": .string(RFC3339.format(submission.at)),
        "waitedSeconds": .int(Int(waited)), "overdue": .bool(overdue),
        "blockedBy": blockedBy.map { .string($0) } ?? .null, "reason": .string(reason),
        "pending": issue.pending.map(JSONEncoding.document) ?? .null,
      ])
    }
  }

  /// The branch the queue lands on (`[landing] base`).
  public var base: String
  /// The issues waiting, in the order `ghp land` takes them.
  public var entries: [Entry]
  /// The landing lease of `base`, nil when no lander holds it.
  public var lease: LandingLease?

  /// The queue as `ghp queue --json` prints it: base, entries and lease.
  public var json: JSON {
    .object([
      "base": .string(base), "queue": .array(entries.map(\.json)), "lease": lease?.json ?? .null,
    ])
  }

  /// The issues waiting to land on the policy's base: overdue ones first (oldest first), then by
  /// priority, then by age; one whose dependency has not landed waits behind the rest.
  public static func gather(_ state: StateSnapshot, policy: LandingPolicy, now: Int64) throws(GHPError) -> LandingQueue
  {
    var entries: [Entry] = []
    for summary in try state.issueSummaries() where summary.status == .landing {
      let issue = try state.requireIssue(summary.id)
      guard let submission = issue.submission, submission.base == policy.base else { continue }
      let waited = max(0, now - submission.at)
      var blockedBy: String?
      for dependency in issue.dependencies {
        let other = try state.issue(dependency)
        if other?.status != .done {
          blockedBy = "#\(dependency) has not landed (\(other?.status.rawValue ?? "missing"))"
          break
        }
      }
      entries.append(
        Entry(
          issue: issue, submission: submission, waited: waited, overdue: waited > policy.maxWait, blockedBy: blockedBy))
    }
    entries.sort { a, b in
      if (a.blockedBy == nil) != (b.blockedBy == nil) { return a.blockedBy == nil }
      if a.overdue != b.overdue { return a.overdue }
      if a.overdue && a.submission.at != b.submission.at { return a.submission.at < b.submission.at }
      if a.issue.priority != b.issue.priority { return a.issue.priority < b.issue.priority }
      if a.submission.at != b.submission.at { return a.submission.at < b.submission.at }
      return IssueID.precedes(a.issue.id, b.issue.id)
    }
    return LandingQueue(base: policy.base, entries: entries, lease: try state.landingLease(policy.base))
  }
}

/// What `ghp done` reads from the repository before submitting an issue for landing: the holder's
/// branch tip and the base tip, refusing a branch that changes nothing or a worktree with
/// uncommitted work (naming the files).
public enum LandingSubmission {
  /// The branch and tips `done` carries for `issueID`, nil without `[landing]` or when the issue
  /// is not claimed (the operation refuses it then).
  public static func branch(_ workspace: Workspace, issueID: String) throws(GHPError) -> DoneOperation.Branch? {
    let state = try workspace.snapshot()
    try state.requireInitialised()
    guard let policy = try state.config().landing else { return nil }
    let issue = try state.requireIssue(issueID)
    // Anything else is the operation's to refuse, with its own words.
    guard issue.status == .claimed, let holder = issue.assignee else { return nil }
    // Someone who may not mark it done hears that from the operation, not about the holder's branch.
    let actor = try workspace.actor()
    if actor != holder, try state.role(of: actor) != .orchestrator, try !state.manages(actor, epic: issue.epic) {
      return nil
    }
    let repository = workspace.repository
    let name = "agent/\(holder)"
    do {
      guard let tip = try repository.referenceTarget("refs/heads/\(name)") else {
        throw GHPError.refused("#\(issue.id): there is no branch \(name) to land; `ghp agent add \(holder)` makes it")
      }
      // A clone in remote mode may have no local base: the server's, as last fetched, stands.
      let tracked = try state.remoteName.flatMap { try repository.referenceTarget("refs/remotes/\($0)/\(policy.base)") }
      guard let baseTip = try repository.referenceTarget("refs/heads/\(policy.base)") ?? tracked else {
        throw GHPError.refused("#\(issue.id): there is no branch \(policy.base) to land on ([landing] base)")
      }
      if let path = repository.worktreePath(checkingOut: "refs/heads/\(name)") {
        let dirty = try Repository(discovering: path).uncommittedPaths(limit: 20)
        if !dirty.isEmpty {
          throw GHPError.refused(
            "#\(issue.id): \(path) has uncommitted work (\(dirty.prefix(10).joined(separator: ", "))\(dirty.count > 10 ? ", …" : "")); commit or remove it first: done lands only what is committed"
          )
        }
      }
      let contained = try repository.isAncestor(tip, of: baseTip)
      if tip == baseTip || contained {
        throw GHPError.refused(
          "#\(issue.id): \(name) has no commits that \(policy.base) does not have; commit the work on it (git commit), then `ghp done \(issue.id)` again"
        )
      }
      let tipTree = try repository.commit(tip).treeID
      if let base = try repository.mergeBase(tip, baseTip), try repository.commit(base).treeID == tipTree {
        throw GHPError.refused(
          "#\(issue.id): the commits of \(name) since \(policy.base) change no file; there is nothing to land")
      }
      return DoneOperation.Branch(branch: name, tip: tip, base: policy.base, baseTip: baseTip)
    } catch {
      throw GHPError.bridging(error)
    }
  }
}

extension DoneOperation {
  /// `done` as a caller in this repository makes it: with `[landing]`, carrying the holder's branch
  /// tip and the base tip read now (see `LandingSubmission`).
  public static func reading(_ workspace: Workspace, issueID: String, result: String) throws(GHPError) -> DoneOperation
  {
    DoneOperation(issueID: issueID, result: result, branch: try LandingSubmission.branch(workspace, issueID: issueID))
  }
}
