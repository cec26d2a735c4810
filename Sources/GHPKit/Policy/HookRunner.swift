/// What `ghp hook <name>` decides for each git hook. Every refusal names the file, the rule, who
/// holds it and the command to ask for what is missing; the caller exits non-zero so git aborts.
public enum HookRunner {
  public struct Verdict: Sendable {
    public var refusals: [String] = []
    public var notes: [String] = []
    public var allowed: Bool { refusals.isEmpty }

    public init(refusals: [String] = [], notes: [String] = []) {
      self.refusals = refusals
      self.notes = notes
    }
  }

  /// The agent the hook runs for, or nil for a person with no ghp identity (not limited).
  static func agent(_ workspace: Workspace) -> String? { try? workspace.actor() }

  // MARK: - pre-commit and post-commit

  /// Checks the paths the commit records against the shared-file and scope rules, and against the
  /// scopes of claims the agent lost and has not yet been told of; a `--once` approval the commit
  /// needs is used (recorded in the state; post-commit binds it to the commit's id).
  public static func preCommit(_ workspace: Workspace) throws(GHPError) -> Verdict {
    let state = try workspace.snapshot()
    guard state.exists, let agent = agent(workspace) else { return Verdict() }
    let paths: [String]
    do { paths = try workspace.repository.stagedPaths() } catch { throw .git(error) }
    let result = try EditPolicy.check(paths: paths, agent: agent, state: state)
    var verdict = Verdict(refusals: result.violations.map(\.message))
    verdict.refusals += try EditPolicy.lostClaimViolations(paths: paths, agent: agent, state: state).map(\.message)
    if verdict.allowed && !result.approvalsUsed.isEmpty {
      try workspace.run(UseApprovalsOperation(ids: result.approvalsUsed))
      verdict.notes.append("used once-approval \(result.approvalsUsed.joined(separator: ", ")) (for this commit only)")
    }
    return verdict
  }

  /// Binds the once-approvals pre-commit used to the commit just made (HEAD).
  public static func postCommit(_ workspace: Workspace) throws(GHPError) -> Verdict {
    let state = try workspace.snapshot()
    guard state.exists, let agent = agent(workspace) else { return Verdict() }
    let pending = try state.approvals().filter { $0.agent == agent && $0.once && $0.usedAt != nil && $0.usedBy == nil }
    guard !pending.isEmpty, let head = workspace.repository.resolveCommit("HEAD") else { return Verdict() }
    let paths: [String]
    do { paths = try workspace.repository.changedPaths(of: head) } catch { throw .git(error) }
    let ids = pending.filter { approval in paths.contains { path in approval.globs.contains { Glob($0).matches(path) } } }.map(\.id)
    guard !ids.isEmpty else { return Verdict() }
    try workspace.run(UseApprovalsOperation(ids: ids, commit: head.hex))
    return Verdict()
  }

  // MARK: - prepare-commit-msg

  /// The message with `Ghp-Agent`, and `Ghp-Issue`/`Ghp-Epoch` for the claim the agent works under;
  /// an agent that lost its claim without knowing gets the lost claim's, so fencing sees the commit.
  public static func prepareCommitMessage(_ message: String, workspace: Workspace) throws(GHPError) -> String {
    let state = try workspace.snapshot()
    guard state.exists, let agent = agent(workspace) else { return message }
    // An amended or reworded message keeps the trailers it has.
    if message.contains("\nGhp-Agent: ") || message.hasPrefix("Ghp-Agent: ") { return message }
    var trailers = ["Ghp-Agent: \(agent)"]
    let record = try state.agents().agents[agent]
    if let issueID = record?.issue, let issue = try state.issue(issueID), issue.status == .claimed, issue.assignee == agent {
      trailers += ["Ghp-Issue: \(issue.id)", "Ghp-Epoch: \(issue.epoch)"]
    } else if let lost = record?.lostClaims.last, let issue = try state.issue(lost.issue),
      let taking = issue.taken.last(where: { $0.agent == agent })
    {
      trailers += ["Ghp-Issue: \(issue.id)", "Ghp-Epoch: \(taking.epoch)"]
    }
    // Keep git's comment lines (the editor's help) after the trailers.
    let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let firstComment = lines.firstIndex { $0.hasPrefix("#") } ?? lines.count
    var body = Array(lines[..<firstComment])
    while let last = body.last, last.trimmingSpaces.isEmpty { body.removeLast() }
    let comments = Array(lines[firstComment...])
    return (body + (body.isEmpty ? [] : [""]) + trailers + [""] + comments).joined(separator: "\n")
  }

  // MARK: - pre-push and pre-receive

  /// One commit's checks: who made it (its `Ghp-Agent`, else `fallback`), its paths, its fencing.
  /// Returns the refusals and the once-approvals it uses that are not yet recorded as its own.
  static func checkCommit(_ commit: Commit, fallback: String?, state: StateSnapshot, repository: Repository)
    throws(GHPError) -> (refusals: [String], approvalsUsed: [String], agent: String?)
  {
    let trailers = CommitMessage.trailers(commit.message)
    guard let agent = trailers["Ghp-Agent"] ?? fallback else { return ([], [], nil) }
    let paths: [String]
    do { paths = try repository.changedPaths(of: commit.id) } catch { throw .git(error) }
    let result = try EditPolicy.check(paths: paths, agent: agent, commit: commit.id.hex, state: state)
    var refusals = result.violations.map { "commit \(commit.id.short): \($0.message)" }
    if let issue = trailers["Ghp-Issue"], let epoch = trailers["Ghp-Epoch"].flatMap({ Int($0) }),
      let fenced = try EditPolicy.fencingViolation(issueID: issue, epoch: epoch, agent: agent, commit: commit.id.short, state: state)
    {
      refusals.append(fenced.message)
    }
    return (refusals, result.approvalsUsed, agent)
  }

  /// `pre-push`: every commit being pushed, so that a `git commit --no-verify` is caught here.
  /// `lines` are git's `<local ref> <local sha> <remote ref> <remote sha>`. What the base branch,
  /// `ghp/state` and the remote's own branches already hold is not the pusher's work.
  public static func prePush(_ lines: [String], remote: String, workspace: Workspace) throws(GHPError) -> Verdict {
    var state = try workspace.snapshot()
    guard state.exists else { return Verdict() }
    let pusher = agent(workspace)
    let repository = workspace.repository
    let base = try state.config().baseBranch
    var known: [ObjectID] = []
    do {
      for ref in ["refs/heads/\(base)", StatePaths.branch, "refs/remotes/\(remote)/\(base)"] {
        if let id = try repository.referenceTarget(ref) { known.append(id) }
      }
    } catch {
      throw .git(error)
    }
    var verdict = Verdict()
    for line in lines {
      let fields = line.split(separator: " ").map(String.init)
      guard fields.count == 4, let local = ObjectID(hex: fields[1]), local != .zero else { continue }
      if fields[2] == StatePaths.branch { continue }  // the state itself: the server verifies it
      let remoteTip = ObjectID(hex: fields[3]).flatMap { $0 == .zero ? nil : $0 }
      let commits: [Commit]
      do {
        commits = try repository.newCommits(
          tip: local, hiding: known + (remoteTip.map { [$0] } ?? []), hidingGlobs: ["refs/remotes/\(remote)/*"])
      } catch {
        throw .git(error)
      }
      for commit in commits {
        // Commits without trailers were not made in an agent worktree; the pusher answers for them
        // only on its own branch.
        let fallback = fields[2].hasPrefix("refs/heads/agent/") ? pusher : nil
        let checked = try checkCommit(commit, fallback: fallback, state: state, repository: repository)
        verdict.refusals += checked.refusals
        // A once-approval this commit uses becomes this commit's, by id, as it leaves.
        if checked.refusals.isEmpty, !checked.approvalsUsed.isEmpty, let agent = checked.agent, agent == pusher {
          try workspace.run(UseApprovalsOperation(ids: checked.approvalsUsed, commit: commit.id.hex))
          state = try workspace.snapshot()
        }
      }
    }
    return verdict
  }

  /// `pre-receive` on a shared server: agent X may update only `agent/X`; `ghp/state` only by
  /// fast-forward; and every new commit passes the same rules as on the client.
  /// `lines` are git's `<old sha> <new sha> <ref>`.
  public static func preReceive(_ lines: [String], workspace: Workspace) throws(GHPError) -> Verdict {
    let state = try workspace.snapshot()
    var verdict = Verdict()
    let repository = workspace.repository
    for line in lines {
      let fields = line.split(separator: " ").map(String.init)
      guard fields.count == 3, let old = ObjectID(hex: fields[0]), let new = ObjectID(hex: fields[1]) else { continue }
      let ref = fields[2]
      if ref == StatePaths.branch {
        if new == .zero {
          verdict.refusals.append("\(ref) may not be deleted")
        } else if old != .zero {
          let forward: Bool
          do { forward = try repository.isAncestor(old, of: new) } catch { throw .git(error) }
          if !forward {
            verdict.refusals.append(
              "\(ref) moves only by fast-forward: \(new.short) does not contain \(old.short); fetch, let ghp re-apply your operations (`ghp sync`), and push again")
          }
        }
        continue
      }
      guard new != .zero else { continue }
      let commits: [Commit]
      do {
        commits = try repository.newCommits(tip: new, hiding: old == .zero ? [] : [old], hidingGlobs: ["refs/heads/*", "refs/tags/*"])
      } catch {
        throw .git(error)
      }
      let owner = ref.hasPrefix("refs/heads/agent/") ? String(ref.dropFirst("refs/heads/agent/".count)) : nil
      for commit in commits {
        let author = CommitMessage.trailers(commit.message)["Ghp-Agent"]
        if let owner {
          guard let author else {
            verdict.refusals.append(
              "commit \(commit.id.short) on agent/\(owner) has no Ghp-Agent trailer: agent branches take only commits made in ghp agent worktrees (`ghp agent add`, `ghp hooks install`)")
            continue
          }
          guard author == owner else {
            verdict.refusals.append(
              "commit \(commit.id.short) is by \(author), but only \(owner) may update agent/\(owner); push it to agent/\(author)")
            continue
          }
        }
        if state.exists {
          verdict.refusals += try checkCommit(commit, fallback: nil, state: state, repository: repository).refusals
        }
      }
    }
    return verdict
  }
}
