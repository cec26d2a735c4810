/// What `ghp hook <name>` decides for each git hook. Every refusal names the file, the rule, who
/// holds it and the command to ask for what is missing; the caller exits non-zero so git aborts.
public enum HookRunner {
  /// What a hook decided: the refusals that make git abort, and notes to print either way.
  public struct Verdict: Sendable {
    /// One sentence per rule broken; any makes the hook exit non-zero.
    public var refusals: [String] = []
    /// Sentences printed on stderr that refuse nothing, such as a once-approval used.
    public var notes: [String] = []
    /// Whether git may go on: no refusal.
    public var allowed: Bool { refusals.isEmpty }

    /// A verdict with these refusals and notes; with none, it allows.
    public init(refusals: [String] = [], notes: [String] = []) {
      self.refusals = refusals
      self.notes = notes
    }
  }

  /// The agent the hook runs for, or nil for a person with no ghp identity (not limited). In an
  /// agent's worktree it is always that agent: a `GHP_AGENT` naming someone else does not turn
  /// the checks off.
  static func agent(_ workspace: Workspace) -> String? {
    if let bound = try? workspace.boundAgent() { return bound }
    return try? workspace.actor()
  }

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
    let ids = pending.filter { approval in paths.contains { path in approval.globs.contains { Glob($0).matches(path) } }
    }.map(\.id)
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
    if message.contains("\n\(CommitMessage.Trailer.agent): ") || message.hasPrefix("\(CommitMessage.Trailer.agent): ") {
      return message
    }
    var trailers = ["\(CommitMessage.Trailer.agent): \(agent)"]
    let record = try state.agents().agents[agent]
    if let issueID = record?.issue, let issue = try state.issue(issueID), issue.status == .claimed,
      issue.assignee == agent
    {
      trailers += ["\(CommitMessage.Trailer.issue): \(issue.id)", "\(CommitMessage.Trailer.epoch): \(issue.epoch)"]
    } else if let lost = record?.lostClaims.last, let issue = try state.issue(lost.issue),
      let taking = issue.taken.last(where: { $0.agent == agent })
    {
      trailers += ["\(CommitMessage.Trailer.issue): \(issue.id)", "\(CommitMessage.Trailer.epoch): \(taking.epoch)"]
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
        let checked = try EditPolicy.judge(commit, fallback: fallback, state: state, repository: repository)
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

  /// The pusher a server names in the environment (`[server] pusherVariable`, by default
  /// `GHP_PUSHER`, GitLab's `GL_USERNAME`, Gitea's `GITEA_PUSHER_NAME`, gitolite's `GL_USER`).
  static func pusher(_ environment: [String: String], config: Config) -> String? {
    for name in config.pusherVariables {
      if let value = environment[name], !value.isEmpty { return value }
    }
    return nil
  }

  /// `pre-receive` on a shared server. Every pushed `ghp/state` commit is re-executed (see
  /// `Verifier`) and moves the branch only by fast-forward; so does the base branch, which is never
  /// deleted. When the server names its pusher, only an orchestrator moves the base branch (`ghp
  /// land` runs as one: work reaches the base through the merge queue), the pusher may push only
  /// its own agents' `agent/<name>` (an orchestrator any, to restore one), delete only those (an
  /// orchestrator any), push only commits labelled as its agents', and only state operations its
  /// agents made. Every new commit passes the same edit rules as on the client.
  /// `lines` are git's `<old sha> <new sha> <ref>`.
  public static func preReceive(_ lines: [String], workspace: Workspace) throws(GHPError) -> Verdict {
    let current = try workspace.snapshot()
    var verdict = Verdict()
    let repository = workspace.repository
    let updates: [(old: ObjectID, new: ObjectID, ref: String)] = lines.compactMap { line in
      let fields = line.split(separator: " ").map(String.init)
      guard fields.count == 3, let old = ObjectID(hex: fields[0]), let new = ObjectID(hex: fields[1]) else {
        return nil
      }
      return (old, new, fields[2])
    }
    // The state first: when it is pushed too (the first push to a new server, say) and proves
    // itself, the rest of the push is judged by it.
    let pusherFromCurrent = pusher(workspace.environment, config: current.exists ? try current.config() : Config())
    var state = current
    for update in updates where update.ref == StatePaths.branch {
      let config = current.exists ? try current.config() : Config()
      let agents = pusherFromCurrent.map { config.agents(ofPusher: $0) } ?? []
      let refusals = try checkStatePush(
        old: update.old, new: update.new, repository: repository, pusher: pusherFromCurrent, agents: agents,
        who: describe(pusherFromCurrent, agents), now: workspace.clock.now)
      verdict.refusals += refusals
      if refusals.isEmpty && update.new != .zero {
        state = try StateSnapshot(repository: repository, commit: update.new)
      }
    }
    let config = try state.exists ? state.config() : Config()
    let pusher = pusher(workspace.environment, config: config)
    let pusherAgents = pusher.map { config.agents(ofPusher: $0) } ?? []
    let pusherIsOrchestrator = state.exists ? try anyOrchestrator(pusherAgents, in: state) : false
    let who = describe(pusher, pusherAgents)
    var baseTip: ObjectID?
    do { baseTip = try repository.referenceTarget("refs/heads/\(config.baseBranch)") } catch { throw .git(error) }
    let pushed = Pusher(name: pusher, agents: pusherAgents, isOrchestrator: pusherIsOrchestrator, who: who)
    for (old, new, ref) in updates where ref.hasPrefix(AliveRefs.prefix) {
      verdict.refusals += try judgeAlive(
        old: old, new: new, ref: ref, by: pushed, state: state, repository: repository, now: workspace.clock.now)
    }
    for (_, new, ref) in updates where ref.hasPrefix(Sequencer.prefix) {
      verdict.refusals += try judgeOperation(
        new: new, ref: ref, by: pushed, state: state, repository: repository, now: workspace.clock.now)
    }
    for (old, new, ref) in updates
    where ref != StatePaths.branch && !ref.hasPrefix(AliveRefs.prefix) && !ref.hasPrefix(Sequencer.prefix) {
      verdict.refusals += try judgeUpdate(
        old: old, new: new, ref: ref, by: pushed, state: state, config: config, baseTip: baseTip, repository: repository
      )
    }
    return verdict
  }

  /// Who pushes, as `pre-receive` knows them: the server's name for the pusher (nil: unnamed), the
  /// agents that name stands for, and whether any of them is an orchestrator.
  struct Pusher {
    var name: String?
    var agents: [String]
    var isOrchestrator: Bool
    var who: String
  }

  /// One pushed update of a ref other than `ghp/state`, judged as `pre-receive` judges it: who may
  /// move or delete the base and agents' branches, and every new commit's label and edits. A
  /// supervisor judges what a contained worker committed the same way (`WorkerSandbox.take`).
  /// `unlabelled`: who made a commit without a `Ghp-Agent` trailer, when that is known otherwise
  /// (a contained worker's own repository has one author); nil on a server, which refuses it.
  static func judgeUpdate(
    old: ObjectID, new: ObjectID, ref: String, by pusher: Pusher, state: StateSnapshot, config: Config,
    baseTip: ObjectID?, repository: Repository, unlabelled: String? = nil
  ) throws(GHPError) -> [String] {
    var refusals: [String] = []
    let base = "refs/heads/\(config.baseBranch)"
    let owner = ref.hasPrefix("refs/heads/agent/") ? String(ref.dropFirst("refs/heads/agent/".count)) : nil
    let foreign = owner.map { pusher.name != nil && !pusher.agents.contains($0) && !pusher.isOrchestrator } ?? false
    if new == .zero {
      if ref == base {
        refusals.append("\(config.baseBranch) may not be deleted")
      } else if let owner, foreign {
        refusals.append(
          "\(pusher.who) may not delete agent/\(owner): only \(owner) or an orchestrator deletes an agent's branch")
      }
      return refusals
    }
    if ref == base {
      // Before ghp/state exists nobody is an orchestrator and nothing is coordinated yet: the
      // project's first push of its base (the order people set a server up in) is taken.
      if state.exists && pusher.name != nil && !pusher.isOrchestrator {
        refusals.append(
          "\(pusher.who) may not update \(config.baseBranch): only an orchestrator moves it (work reaches it through `ghp land`); submit your work with `ghp done` and push agent/<name>"
        )
        return refusals
      }
      if old != .zero {
        let forward: Bool
        do { forward = try repository.isAncestor(old, of: new) } catch { throw .git(error) }
        guard forward else {
          refusals.append(
            "\(config.baseBranch) moves only by fast-forward: \(new.short) does not contain \(old.short), so landed work would be lost; fetch and build on \(config.baseBranch) as it is"
          )
          return refusals
        }
      }
    }
    if let owner, foreign {
      refusals.append("\(pusher.who) may not update agent/\(owner): push only your own agent/<name> branches")
      return refusals
    }
    // What is new to this ref: not in its old value, nor in the base branch (merging main brings
    // main's commits, already judged there), nor in the state.
    let commits: [Commit]
    do {
      var hidden: [ObjectID] = old == .zero ? [] : [old]
      if let baseTip, ref != "refs/heads/\(config.baseBranch)" { hidden.append(baseTip) }
      commits = try repository.newCommits(tip: new, hiding: hidden, hidingGlobs: [])
    } catch {
      throw .git(error)
    }
    for commit in commits {
      let label = CommitMessage.trailers(commit.message)[CommitMessage.Trailer.agent] ?? unlabelled
      if let owner {
        guard let label else {
          refusals.append(
            "commit \(commit.id.short) on agent/\(owner) has no Ghp-Agent trailer: agent branches take only commits made in ghp agent worktrees (`ghp agent add`, `ghp hooks install`)"
          )
          continue
        }
        guard label == owner else {
          refusals.append(
            "commit \(commit.id.short) is by \(label), but only \(owner) may update agent/\(owner); push it to agent/\(label)"
          )
          continue
        }
      }
      if pusher.name != nil {
        if let label, !pusher.agents.contains(label), !pusher.isOrchestrator {
          refusals.append(
            "commit \(commit.id.short) says it is by \(label), but \(pusher.who) may push only its own agents' commits")
          continue
        }
        if label == nil, ref == "refs/heads/\(config.baseBranch)", !pusher.isOrchestrator, state.exists {
          refusals.append(
            "commit \(commit.id.short) on \(config.baseBranch) has no Ghp-Agent trailer: only an orchestrator pushes unlabelled commits to \(config.baseBranch); agents' work reaches it through their agent/<name> branches"
          )
          continue
        }
      }
      if state.exists {
        refusals += try EditPolicy.judge(commit, fallback: unlabelled, state: state, repository: repository).refusals
      }
    }
    return refusals
  }

  /// A push of an agent's heartbeat ref (`AliveRefs`): only by that agent (when the server names
  /// its pushers), a registered one, moving it only forward, and each new commit one beat by it —
  /// its document alone, dated as the commit, no earlier than the beat before, not ahead of this
  /// server's clock, signed with its registered key (as its state commits must be). Deleted only by
  /// an orchestrator.
  static func judgeAlive(
    old: ObjectID, new: ObjectID, ref: String, by pusher: Pusher, state: StateSnapshot, repository: Repository,
    now: Int64
  ) throws(GHPError) -> [String] {
    let agent = String(ref.dropFirst(AliveRefs.prefix.count))
    if new == .zero {
      return pusher.isOrchestrator ? [] : ["\(ref) may be deleted only by an orchestrator"]
    }
    guard (try? AgentName.validate(agent)) != nil, state.exists, try state.agents().agents[agent] != nil else {
      return ["\(ref): \(agent) is not a registered agent; heartbeats go to refs/ghp/alive/<agent> of a registered one"]
    }
    if pusher.name != nil, !pusher.agents.contains(agent) {
      return ["\(pusher.who) may not push \(agent)'s heartbeats: an agent's heartbeat ref is its own"]
    }
    var refusals: [String] = []
    let commits: [Commit]
    do {
      if old != .zero, try !repository.isAncestor(old, of: new) {
        return ["\(ref) moves only by fast-forward: \(new.short) does not contain \(old.short)"]
      }
      commits = try repository.newCommits(tip: new, hiding: old == .zero ? [] : [old], hidingGlobs: [])
    } catch {
      throw .git(error)
    }
    let skew = try state.config().clockSkew
    for commit in commits {
      let (_, problem) = AliveRefs.beat(in: commit, of: agent, repository: repository)
      if let problem {
        refusals.append("\(ref): commit \(commit.id.short) is not a heartbeat of \(agent): \(problem)")
        continue
      }
      let parent: ObjectID?
      do { parent = try repository.parent(of: commit.id) } catch { throw .git(error) }
      if let parent, let before = try? repository.commit(parent), before.authorTime > commit.authorTime {
        refusals.append("\(ref): commit \(commit.id.short) is dated before the heartbeat it follows")
      }
      if commit.authorTime > now + skew {
        refusals.append(
          "\(ref): commit \(commit.id.short) is dated \(RFC3339.format(commit.authorTime)), more than \(Duration.exact(skew)) ahead of this server's clock (\(RFC3339.format(now)))"
        )
      }
      if let problem = try Verifier.signatureProblem(commit, author: agent, before: state, in: repository) {
        refusals.append("\(ref): commit \(commit.id.short) \(problem)")
      }
    }
    return refusals
  }

  static func describe(_ pusher: String?, _ agents: [String]) -> String {
    pusher.map { "pusher \($0)" + (agents == [$0] ? "" : " (\(agents.joined(separator: ", ")))") } ?? ""
  }

  static func anyOrchestrator(_ agents: [String], in state: StateSnapshot) throws(GHPError) -> Bool {
    for agent in agents where try state.role(of: agent) == .orchestrator { return true }
    return false
  }

  /// A push of `ghp/state`: fast-forward only, every new commit re-executed, and made by the pusher.
  static func checkStatePush(
    old: ObjectID, new: ObjectID, repository: Repository, pusher: String?, agents: [String], who: String, now: Int64
  ) throws(GHPError) -> [String] {
    let ref = StatePaths.branch
    if new == .zero { return ["\(ref) may not be deleted"] }
    if old != .zero {
      let forward: Bool
      do { forward = try repository.isAncestor(old, of: new) } catch { throw .git(error) }
      if !forward {
        return [
          "\(ref) moves only by fast-forward: \(new.short) does not contain \(old.short); fetch, let ghp re-apply your operations (`ghp sync`), and push again"
        ]
      }
    }
    var refusals: [String] = []
    let hidden = old == .zero ? [] : [old]
    let report = try Verifier(repository: repository).verify(tip: new, hiding: hidden)
    for finding in report.findings {
      refusals.append("\(ref): commit \(finding.commit.short) \(finding.problem)")
    }
    let commits: [Commit]
    do { commits = try repository.newCommits(tip: new, hiding: hidden, hidingGlobs: []) } catch { throw .git(error) }
    // Time is the server's to check: a commit dated later than its clock (and the skew it allows)
    // would keep its agent from ever going stale.
    // The skew the state allowed before this push (a pushed config cannot widen its own check).
    let skew = try (StateSnapshot(repository: repository, commit: old == .zero ? new : old).config()).clockSkew
    for commit in commits where commit.authorTime > now + skew {
      refusals.append(
        "\(ref): commit \(commit.id.short) is dated \(RFC3339.format(commit.authorTime)), more than \(Duration.exact(skew)) ahead of this server's clock (\(RFC3339.format(now))); set the clock of the machine that made it right, then `ghp sync` there re-applies it at that clock's time"
      )
    }
    guard let pusher, refusals.isEmpty else { return refusals }
    // Each operation must be one of the pusher's agents' (an orchestrator's machine may carry
    // others' offline work: `ghp sync` re-applies them as their own agents).
    for commit in commits where !agents.contains(commit.authorName) {
      let parent: ObjectID?
      do { parent = try repository.parent(of: commit.id) } catch { throw .git(error) }
      let before = try StateSnapshot(repository: repository, commit: parent)
      let orchestrator = before.exists ? try anyOrchestrator(agents, in: before) : false
      if !orchestrator {
        refusals.append(
          "\(ref): commit \(commit.id.short) is \(commit.authorName)'s operation, but \(who) may push only its own agents' (\(pusher) acts as \(agents.joined(separator: ", ")))"
        )
      }
    }
    return refusals
  }
}
