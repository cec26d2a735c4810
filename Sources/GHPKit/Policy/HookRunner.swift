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

  // MARK: - pre-commit

  /// Checks the paths the commit records against the shared-file and scope rules; a `--once`
  /// approval the commit needs is used up (recorded in the state).
  public static func preCommit(_ workspace: Workspace) throws(GHPError) -> Verdict {
    let state = try workspace.snapshot()
    guard state.exists, let agent = agent(workspace) else { return Verdict() }
    let paths: [String]
    do { paths = try workspace.repository.stagedPaths() } catch { throw .git(error) }
    let result = try EditPolicy.check(paths: paths, agent: agent, state: state)
    var verdict = Verdict(refusals: result.violations.map(\.message))
    if verdict.allowed && !result.approvalsUsed.isEmpty {
      try workspace.ledger.transact(actor: agent, clock: workspace.clock) { (state) throws(GHPError) in
        try UseApprovalsOperation(ids: result.approvalsUsed).apply(to: state, actor: agent, clock: workspace.clock)
      }
      verdict.notes.append("used once-approval \(result.approvalsUsed.joined(separator: ", "))")
    }
    return verdict
  }

  // MARK: - prepare-commit-msg

  /// The message with `Ghp-Agent`, and `Ghp-Issue`/`Ghp-Epoch` for the claim the agent works under.
  public static func prepareCommitMessage(_ message: String, workspace: Workspace) throws(GHPError) -> String {
    let state = try workspace.snapshot()
    guard state.exists, let agent = agent(workspace) else { return message }
    // An amended or reworded message keeps the trailers it has.
    if message.contains("\nGhp-Agent: ") || message.hasPrefix("Ghp-Agent: ") { return message }
    var trailers = ["Ghp-Agent: \(agent)"]
    if let issueID = try state.agents().agents[agent]?.issue, let issue = try state.issue(issueID),
      issue.status == .claimed, issue.assignee == agent
    {
      trailers += ["Ghp-Issue: \(issue.id)", "Ghp-Epoch: \(issue.epoch)"]
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
  static func checkCommit(_ commit: Commit, fallback: String?, state: StateSnapshot, repository: Repository)
    throws(GHPError) -> [String]
  {
    let message = commit.message
    let trailers = CommitMessage.trailers(message)
    guard let agent = trailers["Ghp-Agent"] ?? fallback else { return [] }
    let paths: [String]
    do { paths = try repository.changedPaths(of: commit.id) } catch { throw .git(error) }
    var refusals = try EditPolicy.check(paths: paths, agent: agent, time: commit.time, state: state).violations.map {
      "commit \(commit.id.short): \($0.message)"
    }
    if let issue = trailers["Ghp-Issue"], let epoch = trailers["Ghp-Epoch"].flatMap({ Int($0) }),
      let fenced = try EditPolicy.fencingViolation(issueID: issue, epoch: epoch, agent: agent, commit: commit.id.short, state: state)
    {
      refusals.append(fenced.message)
    }
    return refusals
  }

  /// `pre-push`: every commit being pushed, so that a `git commit --no-verify` is caught here.
  /// `lines` are git's `<local ref> <local sha> <remote ref> <remote sha>`.
  public static func prePush(_ lines: [String], remote: String, workspace: Workspace) throws(GHPError) -> Verdict {
    let state = try workspace.snapshot()
    guard state.exists else { return Verdict() }
    let pusher = agent(workspace)
    let base = try state.config().baseBranch
    var verdict = Verdict()
    for line in lines {
      let fields = line.split(separator: " ").map(String.init)
      guard fields.count == 4, let local = ObjectID(hex: fields[1]), local != .zero else { continue }
      if fields[2] == StatePaths.branch { continue }  // the state itself: the server keeps it fast-forward
      let remoteTip = ObjectID(hex: fields[3]).flatMap { $0 == .zero ? nil : $0 }
      let commits: [Commit]
      do {
        commits = try workspace.repository.newCommits(
          tip: local, hiding: remoteTip.map { [$0] } ?? [],
          hidingGlobs: ["refs/remotes/\(remote)/*", "refs/heads/\(base)", StatePaths.branch])
      } catch {
        throw .git(error)
      }
      for commit in commits {
        // Commits without trailers were not made in an agent worktree; the pusher answers for them
        // only on its own branch.
        let fallback = fields[2].hasPrefix("refs/heads/agent/") ? pusher : nil
        verdict.refusals += try checkCommit(commit, fallback: fallback, state: state, repository: workspace.repository)
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
          verdict.refusals += try checkCommit(commit, fallback: nil, state: state, repository: repository)
        }
      }
    }
    return verdict
  }
}
