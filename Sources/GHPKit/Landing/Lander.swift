import CLibGit2
import Glibc

/// `ghp land`: takes queued issues in order, merges each branch onto the current base in memory,
/// runs the gate on the result in a scratch worktree, and moves the base by compare-and-swap,
/// recording the evidence on `ghp/state` before the base moves (`land-pending`) and the landing
/// after (`landed`). One lander per base holds the lease.
public final class Lander {
  /// What one run did, for printing.
  public struct Report: Sendable {
    /// The issues landed this run, done with their landing evidence.
    public var landed: [Issue] = []
    /// The issues sent back to their agents this run (claimed again, or dead).
    public var bounced: [Issue] = []
    /// Issues left queued this run, with why.
    public var waiting: [(id: String, reason: String)] = []
    /// How many times the gate ran this run (one run may gate several issues together).
    public var gateRuns = 0
    /// Ids of issues a killed lander had already put on the base, recorded landed this run.
    public var recovered: [String] = []

    /// An empty report: nothing landed, bounced or gated yet.
    public init() {}

    /// The report as `ghp land --json` prints it.
    public var json: JSON {
      .object([
        "landed": .array(
          landed.map {
            .object(["id": IssueReference.write($0.id), "landing": $0.landing.map(JSONEncoding.document) ?? .null])
          }),
        "bounced": .array(
          bounced.map {
            .object([
              "id": IssueReference.write($0.id), "status": .string($0.status.rawValue),
              "bounced": $0.answerJSON["bounced"] ?? .null,
            ])
          }),
        "waiting": .array(waiting.map { .object(["id": IssueReference.write($0.id), "reason": .string($0.reason)]) }),
        "recovered": .array(recovered.map { IssueReference.write($0) }),
        "gateRuns": .int(gateRuns),
      ])
    }
  }

  let workspace: Workspace
  let repository: Repository
  let actor: String
  /// The `[landing]` policy read when the lander was made: base, gate, mode, timeouts.
  public let policy: LandingPolicy
  let token: String
  let host: String
  /// In remote mode, the git remote the state, the base and the agents' branches are shared
  /// through: the queue is read after a sync, agents' branches are fetched from it, and the base
  /// moves there by a push that only fast-forwards (a refusal is someone else's move: merge and
  /// gate again). Nil in local mode.
  let remote: String?
  var lastRenewal: Int64 = 0
  var report = Report()
  /// Issues this run set aside (left queued); not taken again in the same run.
  var setAside: Set<String> = []
  /// How the gate is contained; nil with `landing.sandbox = "off"` or no gate.
  var sandbox: GateRunner.Sandbox?
  /// Tells the caller what happens as it happens (one line each).
  public var progress: (String) -> Void = { _ in }

  /// How many times a landing is merged and gated again when the base moved under it.
  static let baseMoveRetries = 3

  /// A lander for this workspace's actor, with a fresh lease token; refuses when the actor is no
  /// orchestrator or `[landing]` is not set.
  public init(_ workspace: Workspace) throws(GHPError) {
    self.workspace = workspace
    repository = workspace.repository
    actor = try workspace.actor()
    let state = try workspace.snapshot()
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "land work")
    guard let policy = try state.config().landing else {
      throw .refused(
        "[landing] is not configured in .ghp/config.toml, so done is the holder's word and nothing lands; set it first: ghp config set landing.gate '[\"swift test\"]'"
      )
    }
    remote = state.remoteName
    self.policy = policy
    token = String(UInt64.random(in: 1...UInt64.max), radix: 16)
    host = Host.name
    if policy.sandbox && !policy.gate.isEmpty { sandbox = try Self.containment(workspace, policy: policy) }
  }

  /// The sandbox the gate runs in, once bubblewrap has shown it can run here; refused in one line
  /// when it cannot (the lander then gates nothing).
  static func containment(_ workspace: Workspace, policy: LandingPolicy) throws(GHPError) -> GateRunner.Sandbox {
    let unsafe =
      "or set `ghp config set landing.sandbox off` (unsafe: the gate then runs the agents' code as the lander)"
    guard let program = GateSandbox.program(workspace.environment) else {
      throw .refused(
        "ghp land runs the gate in a sandbox, and bubblewrap (bwrap) is not installed here: `apt-get install bubblewrap`, \(unsafe)"
      )
    }
    let repository = workspace.repository
    let sandbox = GateRunner.Sandbox(
      program: program, gitDirectory: repository.commonDirectory, network: policy.network,
      processes: policy.processes, memory: policy.memory)
    let folder = repository.localPaths.land
    _ = Files.makeDirectories(folder)
    GateLimits.removeLeftovers()
    let probe = GateRunner(
      directory: folder, timeout: 30,
      environment: GateSandbox.environment(from: workspace.environment, names: [], facts: [:]),
      logPath: folder + "/sandbox-check.log", marker: folder + "/sandbox-check.marker", sandbox: sandbox)
    let result: GateRunner.Run
    do { result = try probe.run(["true"]) } catch { throw .interrupted }
    guard result.passed else {
      let said = String(decoding: result.log, as: UTF8.self).split(separator: "\n").last { !$0.hasPrefix("$ ") } ?? ""
      throw .refused(
        "bubblewrap cannot contain the gate on this machine (\(said)); where user namespaces are restricted (Ubuntu's AppArmor), allow them for bwrap, \(unsafe)"
      )
    }
    return sandbox
  }

  // MARK: - Paths

  var landFolder: String { repository.localPaths.land }

  /// The landing worktree's repository, once a gate has run (see `ScratchWorktree.open`).
  var scratchRepository: Repository?

  /// A handle of this repository that only walks history (merge bases, ancestry), opened once a
  /// run, so that libgit2's cache keeps the commits its walks read (see
  /// `mergedTree(_:_:walking:)`). A revision walk parses the commits it starts from, so
  /// `judge`'s stays in `repository`.
  var walksHandle: Repository?

  func walks() throws(GitError) -> Repository {
    if let walksHandle { return walksHandle }
    let opened = try repository.reopened()
    walksHandle = opened
    return opened
  }
  var gateMarker: String { "\(landFolder)/\(BranchName.flat(policy.base)).gate" }

  // MARK: - The lease

  /// Takes the lease of the base: at once when free, from a lander on this machine whose process
  /// is gone (stopping the gate it left), or from one that stopped renewing. Otherwise refuses,
  /// naming the holder.
  public func acquire() throws(GHPError) {
    _ = try requireBaseTip()
    let state = try workspace.snapshot()
    var replaces: String?
    if let current = try state.landingLease(policy.base), current.host == host,
      ProcessIdentity.startTime(of: Int32(clamping: current.pid)).map({ Int($0) }) != current.start
    {
      replaces = current.token
      GateRunner.stopLeftover(marker: gateMarker)
    }
    try workspace.runNow(leaseOperation(.acquire, replaces: replaces))
    lastRenewal = workspace.clock.now
    if replaces != nil {
      progress("Took over the landing lease of \(policy.base) from a lander that is gone.")
      // Only after a lander died: the base's checkouts were clean when it began to move them.
      repairCheckouts()
    }
  }

  /// A lander killed after it moved the base and before (or while) a checkout of the base followed
  /// it leaves that checkout behind: its index still the old tree, perhaps its index lock and files
  /// half way. A lock provably left (`LeftLocks`) goes, and the checkout is brought to the base it
  /// has checked out (a person's change there is kept, never overwritten).
  func repairCheckouts() {
    for path in checkouts() {
      guard let checkout = try? Repository(discovering: path) else { continue }
      let folder = checkout.gitDirectory.hasSuffix("/") ? checkout.gitDirectory : checkout.gitDirectory + "/"
      let lock = folder + "index.lock"
      let locked = access(lock, F_OK) == 0
      if locked, let held = LeftLocks.clear(lock) {
        progress("\(policy.base)'s checkout in \(path) is locked: \(held)")
        continue
      }
      // The move the checkout was following: the base's last one, as its reflog records it; the
      // checkout is behind it when its lock was left or its index still records the old tree.
      guard let move = repository.lastMove(of: "refs/heads/\(policy.base)"),
        (try? repository.referenceTarget("refs/heads/\(policy.base)")) == move.new,
        locked || (try? repository.commit(move.old).treeID) == checkout.indexTree()
      else { continue }
      do {
        let kept = try checkout.completeFollow(from: move.old, to: move.new)
        progress(
          "\(policy.base)'s checkout in \(path), left half way by a killed lander, follows it again"
            + (kept.isEmpty ? "." : "; changed there since, and kept: \(kept.prefix(5).joined(separator: ", "))."))
      } catch {
        progress("\(policy.base)'s checkout in \(path) was left half way by a killed lander: \(error.message)")
      }
    }
  }

  /// Gives the lease back (nothing happens when it was lost meanwhile).
  public func release() {
    _ = try? workspace.runNow(leaseOperation(.release))
  }

  /// Between looks at the queue: renews the lease well before it could be judged stale.
  public func keepAlive() throws(GHPError) {
    workspace.refreshClock()
    guard workspace.clock.now - lastRenewal >= policy.leaseStaleAfter / 3 else { return }
    try workspace.runNow(leaseOperation(.renew))
    lastRenewal = workspace.clock.now
  }

  func renewIfDue() throws(GHPError) {
    workspace.refreshClock()
    guard workspace.clock.now - lastRenewal >= 60 else { return }
    try workspace.runNow(leaseOperation(.renew))
    lastRenewal = workspace.clock.now
  }

  func leaseOperation(_ action: LandingLeaseOperation.Action, replaces: String? = nil) -> LandingLeaseOperation {
    LandingLeaseOperation(
      base: policy.base, action: action, token: token, host: host, pid: Int(getpid()),
      start: Int(ProcessIdentity.ownStartTime),
      replaces: replaces)
  }

  // MARK: - The queue

  /// Lands what is queued (only `only` when given), until nothing can be taken. Returns what happened.
  public func run(only: Set<String>? = nil) throws(GHPError) -> Report {
    report = Report()
    setAside = []
    baseCheckouts = nil
    try settleVotes()
    while !LandingSignals.interrupted {
      workspace.refreshClock()
      // In remote mode the queue is the server's: what other hosts' agents submitted.
      if let remote { _ = try workspace.ledger.sync(remote: remote, actor: actor, clock: workspace.clock) }
      let state = try workspace.snapshot()
      let queue = try LandingQueue.gather(state, policy: policy, now: workspace.clock.now)
      var takeable: [LandingQueue.Entry] = []
      for entry in queue.entries where only?.contains(entry.issue.id) ?? true {
        if setAside.contains(entry.issue.id) { continue }
        if let blocked = entry.blockedBy {
          note(entry.issue.id, "waits: \(blocked)")
          continue
        }
        takeable.append(entry)
      }
      guard !takeable.isEmpty else { break }
      let baseTip = try requireBaseTip()
      let finished = try finishInterrupted(takeable, baseTip: baseTip)
      if finished { continue }
      try land(Array(takeable.prefix(policy.batch)).map(\.issue), retries: 0)
    }
    // What waited and has since left the queue (an attempt closed by its vote's winner) is not
    // said to wait.
    let final = try workspace.snapshot()
    report.waiting.removeAll { entry in (try? final.issue(entry.id))??.status != .landing }
    return report
  }

  func note(_ id: String, _ reason: String) {
    setAside.insert(id)
    if let index = report.waiting.firstIndex(where: { $0.id == id }) { report.waiting.remove(at: index) }
    report.waiting.append((id, reason))
  }

  func requireBaseTip() throws(GHPError) -> ObjectID {
    if let remote {
      // The server's base is the one work lands on; this clone's follows it when it can.
      guard let tip = try workspace.ledger.fetchBranch("refs/heads/\(policy.base)", remote: remote) else {
        throw GHPError.refused(
          "\(remote) has no branch \(policy.base) to land on; push it first (git push \(remote) \(policy.base))")
      }
      followServerBase(tip)
      return tip
    }
    do {
      guard let tip = try repository.referenceTarget("refs/heads/\(policy.base)") else {
        throw GHPError.refused(
          "there is no branch \(policy.base) to land on; create it, or set [landing] base: ghp config set landing.base <branch>"
        )
      }
      return tip
    } catch {
      throw GHPError.bridging(error)
    }
  }

  /// Issues whose gate passed and whose landing a killed lander already put on the base: the
  /// recorded base after is in the base now. They are recorded landed, not landed again.
  func finishInterrupted(_ entries: [LandingQueue.Entry], baseTip: ObjectID) throws(GHPError) -> Bool {
    var done: [String] = []
    for entry in entries {
      guard let pending = entry.issue.pending, pending.tip == entry.submission.tip else { continue }
      let after = pending.baseAfter
      var contained = after == baseTip
      // Evidence naming a commit this repository lacks cannot be in its base.
      if !contained && repository.contains(after) {
        do { contained = try repository.isAncestor(after, of: baseTip) } catch { throw .git(error) }
      }
      if contained { done.append(entry.issue.id) }
    }
    guard !done.isEmpty else { return false }
    let landed = try workspace.runNow(
      LandedOperation(base: policy.base, token: token, issues: done, head: baseTip, recovered: true))
    report.landed += landed.result
    report.recovered += done
    progress(
      "Recorded \(done.map { "#\($0)" }.joined(separator: " ")) landed: a killed lander had already moved \(policy.base) to include it."
    )
    return true
  }

  // MARK: - One landing

  struct Step {
    var issue: Issue
    var tip: ObjectID
    var before: ObjectID
    var after: ObjectID
    var merge: ObjectID?
  }

  /// Merges `issues` onto the base in order, gates the result once, and moves the base; on a
  /// failed gate, bisects (one issue alone bounces).
  func land(_ issues: [Issue], retries: Int) throws(GHPError) {
    guard !issues.isEmpty, !LandingSignals.interrupted else { return }
    // An issue reviewed before landing is merged, gated and reviewed alone: its reviewer approves
    // the merge of it alone onto the base, whatever else is queued.
    if issues.count > 1 {
      let state = try workspace.snapshot()
      var reviewed: [Issue] = []
      for issue in issues where try state.reviewMode(of: issue) != .none || issue.attemptOf != nil {
        reviewed.append(issue)
      }
      if !reviewed.isEmpty {
        let others = issues.filter { issue in !reviewed.contains { $0.id == issue.id } }
        for issue in reviewed { try land(try fresh([issue]), retries: retries) }
        return try land(try fresh(others), retries: retries)
      }
    }
    let baseTip = try requireBaseTip()
    if let dirty = try checkedOutElsewhereDirty() {
      for issue in issues { note(issue.id, dirty) }
      return
    }
    var steps: [Step] = []
    var current = baseTip
    for issue in issues {
      guard let tip = issue.submission?.tip else { continue }
      if let remote, !repository.contains(tip), let branch = issue.submission?.branch {
        _ = try workspace.ledger.fetchBranch("refs/heads/\(branch)", remote: remote)
      }
      guard repository.contains(tip) else {
        note(issue.id, "its branch tip \(tip.short) is not in this repository (fetch agent/\(issue.assignee ?? "?"))")
        continue
      }
      // An attempt of a best-of issue gated at this tip waits for its vote: it is not merged,
      // judged or gated again (a base that moved since does not send it back).
      if issue.attemptOf != nil, issues.count == 1, let waits = try waitsForVote(issue, tip: tip) {
        note(issue.id, waits)
        continue
      }
      switch try combine(issue, tip: tip, onto: current) {
      case .conflicts(let paths):
        try bounce(issue, tip: tip, baseTip: current, kind: .conflict, paths: paths, gate: [], log: nil)
      case .landed(let after, let merge):
        guard try judge(issue, tip: tip, baseTip: baseTip, before: current, after: after) else { continue }
        // Its merge passed the gate and waits for a verdict already: it is not gated again meanwhile.
        if let asked = issue.reviewing, asked.approvedBy == nil, issues.count == 1 {
          let tree = try treeOf(after)
          if asked.tree == tree && asked.tip == tip {
            note(issue.id, "its merge (tree \(tree.short)) waits for a review: `ghp review show \(issue.id)`")
            continue
          }
        }
        steps.append(Step(issue: issue, tip: tip, before: current, after: after, merge: merge))
        current = after
      }
    }
    guard !steps.isEmpty else { return }
    try renewIfDue()
    // The winner of a vote whose trial gated exactly this merge is not gated again: the trial's
    // commands (the gate's, and the score's) are its evidence.
    let run: GateRunner.Run
    if steps.count == 1, let trial = steps[0].issue.trial, steps[0].issue.attemptOf != nil, trial.passed,
      trial.tip == steps[0].tip, try treeOf(current) == trial.tree
    {
      progress("#\(steps[0].issue.id) won its vote with a merge gated already (tree \(trial.tree.short)).")
      run = GateRunner.Run(results: trial.gate, log: [])
    } else {
      run = try gate(current, issues: steps.map(\.issue.id))
    }
    let logBlob: ObjectID? =
      run.log.isEmpty
      ? nil
      : try workspace.ledger.writingBatched { (batched) throws(GHPError) in
        do throws(GitError) { return try batched.writeBlob(run.log) } catch { throw .git(error) }
      }
    // An attempt of a best-of issue not yet chosen: its trial (and score) is recorded, and it
    // waits for the vote; the base does not move.
    if steps.count == 1, let step = steps.first, step.issue.attemptOf != nil,
      try workspace.snapshot().chosenAttempt(of: step.issue) != step.issue.id
    {
      return try trial(step, run: run)
    }
    guard run.passed else {
      if steps.count == 1 {
        try bounce(
          steps[0].issue, tip: steps[0].tip, baseTip: baseTip, kind: .gate, paths: [], gate: run.results, log: logBlob)
        return
      }
      let failed = run.results.first { !$0.passed }?.summary ?? "the gate failed"
      progress("Gate failed on \(steps.map { "#\($0.issue.id)" }.joined(separator: " ")) (\(failed)); bisecting.")
      let half = steps.count / 2
      try land(steps[..<half].map(\.issue), retries: 0)
      try land(try fresh(steps[half...].map(\.issue)), retries: 0)
      return
    }
    // Review: the merge the gate passed lands only once a reviewer approved exactly its tree; until
    // then the issue waits, with a request naming that tree (a new one when the base moved).
    var reviewed: [String: ObjectID] = [:]
    if steps.count == 1, let step = steps.first {
      let issue = try workspace.snapshot().requireIssue(step.issue.id)
      if try workspace.snapshot().reviewMode(of: issue) != .none {
        let tree = try treeOf(step.after)
        guard issue.reviewing?.approves(tree) == true else {
          if issue.reviewing?.tree != tree {
            try workspace.runNow(
              ReviewRequestOperation(
                base: policy.base, token: token, issueID: issue.id, tip: step.tip, tree: tree, baseTip: step.before))
          }
          let dropped = issue.reviewing.flatMap { $0.approvedBy != nil && $0.tree != tree ? $0 : nil }
          note(issue.id, "its merge (tree \(tree.short)) waits for a review: `ghp review show \(issue.id)`")
          progress(
            "#\(issue.id) passed the gate; its merge waits for a review (`ghp review show \(issue.id)`)."
              + (dropped.map {
                " \($0.approvedBy ?? "")'s approval of tree \($0.tree.short) no longer applies: \(policy.base) moved since."
              } ?? ""))
          return
        }
        reviewed[issue.id] = tree
      }
    }
    do {
      try workspace.runNow(
        PendingLandingOperation(
          base: policy.base, token: token, mode: policy.mode,
          entries: steps.map {
            PendingEntry(
              issue: $0.issue.id, tip: $0.tip, baseBefore: $0.before, baseAfter: $0.after, merge: $0.merge,
              reviewed: reviewed[$0.issue.id])
          },
          gate: run.results, log: logBlob))
    } catch  where error.isRefusal {
      // An issue left the queue while its gate ran (its holder took it back, or it was released):
      // the rest is merged and gated again without it. A lost lease is the caller's to report.
      try requireLease()
      let still = try fresh(steps.map(\.issue))
      for step in steps where !still.contains(where: { $0.id == step.issue.id }) {
        note(step.issue.id, "it left the landing queue while its gate ran; nothing of it landed")
        progress("#\(step.issue.id) left the landing queue while its gate ran; not landed.")
      }
      guard retries < Self.baseMoveRetries else { throw error }
      try land(still, retries: retries + 1)
      return
    }
    // A person may have changed the base's checkout while the gate ran: checked again now, and
    // the base moves only with its checkouts (see `moveBase`).
    if let dirty = try checkedOutElsewhereDirty() {
      for step in steps { note(step.issue.id, "nothing landed: \(dirty)") }
      progress("Held back: \(dirty).")
      return
    }
    do {
      try moveBase(from: baseTip, to: current, message: steps.map { "#\($0.issue.id)" }.joined(separator: " "))
    } catch let error as HeldBack {
      for step in steps { note(step.issue.id, "nothing landed: \(error.reason)") }
      progress("Held back: \(error.reason).")
      return
    } catch let error as GitError {
      guard error.kind == .modified || error.kind == .exists || error.kind == .locked else { throw .git(error) }
      if error.kind == .locked {
        // A lock on the base: a killed lander's (or git's) is removed and the move tried again; a
        // live one is named, never taken for the base moving.
        let locks = [
          repository.localPaths.common + "/refs/heads/\(policy.base).lock",
          repository.localPaths.common + "/packed-refs.lock",
        ]
        let held = locks.compactMap { LeftLocks.clear($0) }
        guard held.isEmpty, retries < Self.baseMoveRetries else {
          throw .io(
            "\(policy.base) could not move: "
              + (held.isEmpty ? "its lock came back \(retries + 1) times" : held.joined(separator: "; "))
              + "; the landing waits (run `ghp land` again)")
        }
        progress("\(policy.base) was locked by a process that is gone; the lock is removed, moving it again.")
        try land(try fresh(steps.map(\.issue)), retries: retries + 1)
        return
      }
      // Someone moved the base meanwhile: merge again onto the new tip and gate again; never force.
      guard retries < Self.baseMoveRetries else {
        for step in steps {
          note(step.issue.id, "\(policy.base) kept moving during \(retries + 1) landings; run `ghp land` again")
        }
        return
      }
      progress("\(policy.base) moved while the gate ran; merging again onto its new tip.")
      try land(try fresh(steps.map(\.issue)), retries: retries + 1)
      return
    } catch {
      throw .io("\(policy.base) could not move: \(error)")
    }
    // Fault injection for the tests: die as a killed lander would, between the base move and the record.
    if workspace.environment["GHP_TEST_FAULT"] == "after-base-move" { _exit(137) }
    let landed = try workspace.runNow(
      LandedOperation(base: policy.base, token: token, issues: steps.map(\.issue.id), head: current, recovered: false))
    report.landed += landed.result
    for issue in landed.result {
      progress("Landed #\(issue.id) \(issue.title) on \(policy.base) (\(current.short)).")
    }
  }

  // MARK: - Best-of issues

  /// Why an attempt waits instead of being gated: it was gated at `tip` already and its vote has
  /// not chosen it. Nil when it is to be gated (its first trial at this tip, or it won).
  func waitsForVote(_ issue: Issue, tip: ObjectID) throws(GHPError) -> String? {
    let state = try workspace.snapshot()
    let parent = try state.bestOfParent(of: issue)
    guard let vote = parent.vote else { return nil }
    if let winner = BestOf.winner(of: vote, attempts: try state.attempts(of: parent)) {
      return winner == issue.id ? nil : "#\(winner) won the vote of #\(parent.id); this attempt closes when it lands"
    }
    if vote.method == .score, try state.config().landing?.score == nil {
      return
        "the vote of #\(parent.id) is by score and landing.score is not set: set it: `ghp config set landing.score CMD`"
    }
    guard issue.trial?.tip == tip else { return nil }
    return
      "it was gated (\(BestOf.describe(issue))) and waits for the vote of #\(parent.id): `ghp vote show \(parent.id)`"
  }

  /// Records what the votes decide without a trial or a ballot (an attempt given up was the last
  /// out, or a winner's choice lapsed), and sends back every attempt of a vote none of whose
  /// attempts passed. Run at the start of each landing run.
  func settleVotes() throws(GHPError) {
    let state = try workspace.snapshot()
    for parent in try VoteBoard.open(state) {
      guard let vote = parent.vote else { continue }
      let attempts = try state.attempts(of: parent)
      guard BestOf.winner(of: vote, attempts: attempts) == nil else { continue }
      if BestOf.decide(vote, attempts: attempts, voters: try state.voters()) != nil {
        let decided = try workspace.runNow(DecideOperation(base: policy.base, token: token, issueID: parent.id))
        progress(
          "#\(decided.result.vote?.winner ?? "?") wins the vote of #\(parent.id): \(decided.result.vote?.reason ?? "")."
        )
      } else {
        try sendBackIfNonePassed(attempts, of: parent)
      }
    }
  }

  /// When every attempt is in and none passed, each waiting one goes back to its agent, as a
  /// failed gate does.
  func sendBackIfNonePassed(_ attempts: [Issue], of parent: Issue) throws(GHPError) {
    guard attempts.allSatisfy(\.isIn), !attempts.contains(where: \.isCandidate),
      attempts.contains(where: { $0.status == .landing })
    else { return }
    progress("No attempt of #\(parent.id) passed its gate; each goes back to its agent.")
    for attempt in attempts where attempt.status == .landing {
      guard let trial = attempt.trial else { continue }
      try bounce(attempt, tip: trial.tip, baseTip: trial.baseTip, kind: .gate, paths: [], gate: trial.gate, log: nil)
    }
  }

  /// Records the trial of an attempt whose merge was gated (scoring it when its vote is by score
  /// and the gate passed). When that decides the vote, the winner is taken again in this run;
  /// when every attempt is in and none passed, each goes back to its agent as a failed gate.
  func trial(_ step: Step, run: GateRunner.Run) throws(GHPError) {
    let state = try workspace.snapshot()
    let parent = try state.bestOfParent(of: step.issue)
    var results = run.results
    var score: Double?
    var passed = run.passed
    if passed, parent.vote?.method == .score, let command = try state.config().landing?.score {
      let scored = try gate(step.after, issues: [step.issue.id], commands: [command], what: "Scoring")
      results += scored.results
      let last = scored.results.last?.tail.split(whereSeparator: \.isNewline).last.map(String.init)
      score = scored.passed ? last.flatMap(Trial.parse) : nil
      passed = score != nil
    }
    let tree = try treeOf(step.after)
    let recorded: Landed<Issue>
    do {
      recorded = try workspace.runNow(
        TrialOperation(
          base: policy.base, token: token, issueID: step.issue.id, tip: step.tip, tree: tree, baseTip: step.before,
          gate: results, score: score, passed: passed))
    } catch  where error.isRefusal {
      try requireLease()
      note(step.issue.id, "it left the landing queue while its gate ran")
      return
    }
    let attempt = recorded.result
    progress(
      "#\(attempt.id) "
        + (passed
          ? "passed the gate" + (score.map { " with score \(Trial.format($0))" } ?? "")
          : "failed the gate (\(attempt.trial?.failure ?? "")); it is out of the vote") + ".")
    let now = try workspace.snapshot()
    let decided = try now.bestOfParent(of: attempt)
    let attempts = try now.attempts(of: decided)
    note(attempt.id, try waitsForVote(attempt, tip: step.tip) ?? "it won the vote")
    if let winner = BestOf.winner(of: decided.vote, attempts: attempts) {
      progress("#\(winner) wins the vote of #\(decided.id): \(decided.vote?.reason ?? "").")
      setAside.remove(winner)
      if let index = report.waiting.firstIndex(where: { $0.id == winner }) { report.waiting.remove(at: index) }
      return
    }
    try sendBackIfNonePassed(attempts, of: decided)
  }

  /// The tree of a merge the lander made: what a review is about.
  func treeOf(_ commit: ObjectID) throws(GHPError) -> ObjectID {
    do { return try repository.commit(commit).treeID } catch { throw .git(error) }
  }

  /// Judges what landing `tip` would change, before any of its code runs, by the rules `pre-push`
  /// and a server's `pre-receive` hold each commit to (`EditPolicy.judge`): every commit the branch
  /// brings as its labelled author (a commit without a `Ghp-Agent` is the submitter's), and — since
  /// a label is the author's own word — a commit labelled as anyone else as the submitter's too;
  /// then whatever the landing changes (`before` to `after`) that no commit of the branch says it
  /// changed (a merge that drops or reverts a file) as the submitter's. A broken rule bounces the
  /// issue, naming each rule and path; otherwise the once-approvals its commits use are recorded as
  /// theirs. False when it bounced.
  func judge(_ issue: Issue, tip: ObjectID, baseTip: ObjectID, before: ObjectID, after: ObjectID) throws(GHPError)
    -> Bool
  {
    let state = try workspace.snapshot()
    let submitter = issue.submission?.by ?? issue.assignee ?? ""
    var refusals: [String] = []
    var paths: [String] = []
    var uses: [(ids: [String], commit: ObjectID)] = []
    var attributed: Set<String> = []
    /// Each path a rule is about, once, in the order found (a fenced commit's refusal names none).
    func name(_ found: [String]) { paths += found.filter { !$0.isEmpty && !paths.contains($0) } }
    func git<T>(_ body: () throws(GitError) -> T) throws(GHPError) -> T {
      do { return try body() } catch { throw .git(error) }
    }
    for commit in try git({ () throws(GitError) in
      try repository.newCommits(tip: tip, hiding: [baseTip], hidingGlobs: [])
    }) {
      let judgment = try EditPolicy.judge(commit, fallback: submitter, state: state, repository: repository)
      refusals += judgment.refusals
      name(judgment.paths)
      let changed = judgment.changed
      attributed.formUnion(changed)
      if judgment.agent != submitter {
        let own = try EditPolicy.check(paths: changed, agent: submitter, commit: commit.id.hex, state: state)
        refusals += own.violations.map {
          "commit \(commit.id.short) says it is \(judgment.agent ?? "nobody")'s, and lands as \(submitter)'s work: \($0.message)"
        }
        name(own.violations.map(\.path))
      }
      // A once-approval covers one commit: the first that uses it here.
      for id in judgment.approvalsUsed {
        if let first = uses.first(where: { $0.ids.contains(id) }) {
          refusals.append(
            "commit \(commit.id.short) needs approval \(id), which is for one commit and is \(first.commit.short)'s; ask for another: ghp agent-escalate \"Approval needed to edit \(changed.first ?? "…")\""
          )
        }
      }
      if judgment.refusals.isEmpty, !judgment.approvalsUsed.isEmpty { uses.append((judgment.approvalsUsed, commit.id)) }
    }
    let whole = try git({ () throws(GitError) in
      try repository.treeDeltas(from: repository.commit(before).treeID, to: repository.commit(after).treeID)
    })
    let unattributed = whole.map(\.path).filter { !attributed.contains($0) }
    let rest = try EditPolicy.check(paths: unattributed, agent: submitter, commit: nil, state: state)
    refusals += rest.violations.map {
      "the landing changes \($0.path), which no commit of the branch says it changes: \($0.message)"
    }
    name(rest.violations.map(\.path))
    guard refusals.isEmpty else {
      try bounce(
        issue, tip: tip, baseTip: baseTip, kind: .policy, paths: paths, gate: [], log: nil, violations: refusals)
      return false
    }
    for use in uses {
      try workspace.runNow(UseApprovalsOperation(ids: use.ids, commit: use.commit.hex, byLander: true))
    }
    return true
  }

  /// Fails when this lander no longer holds the lease (someone took it over).
  func requireLease() throws(GHPError) {
    try requireLandingLease(try workspace.snapshot(), base: policy.base, token: token, actor: actor)
  }

  /// The issues as the state holds them now (a bounce or a landing may have changed some).
  func fresh(_ issues: [Issue]) throws(GHPError) -> [Issue] {
    let state = try workspace.snapshot()
    var out: [Issue] = []
    for issue in issues {
      if let now = try state.issue(issue.id), now.status == .landing { out.append(now) }
    }
    return out
  }

  enum Combined {
    case conflicts([String])
    case landed(after: ObjectID, merge: ObjectID?)
  }

  /// The base after landing `tip` onto `current` in the policy's mode, or the conflicting paths.
  /// Its objects are written as a state write's are (`Ledger.writingBatched`): one flush makes
  /// them all durable before this returns, so before the base can point at them.
  func combine(_ issue: Issue, tip: ObjectID, onto current: ObjectID) throws(GHPError) -> Combined {
    try workspace.ledger.writingBatched { (batched) throws(GHPError) in
      do throws(GitError) {
        return try combineCommits(issue, tip: tip, onto: current, in: batched)
      } catch {
        throw .git(error)
      }
    }
  }

  private func combineCommits(_ issue: Issue, tip: ObjectID, onto current: ObjectID, in repository: Repository)
    throws(GitError) -> Combined
  {
    if tip == current { return .landed(after: current, merge: nil) }
    let walks = try walks()
    if try walks.isAncestor(tip, of: current) { return .landed(after: current, merge: nil) }
    let committer = Signature(name: actor, email: "\(actor)@ghp", time: workspace.clock.now)
    let branch = issue.submission?.branch ?? "agent/\(issue.assignee ?? "?")"
    let title = String(issue.title.map { $0.isNewline ? " " : $0 })
    let message = """
      Land #\(issue.id) \(title) (\(branch) \(tip.short))

      Landed by ghp land on \(policy.base) (\(policy.mode.rawValue)); the evidence is in
      ghp/state:\(StatePaths.issue(issue.id)).

      """
    switch policy.mode {
    case .merge, .squash:
      let outcome = try repository.mergedTree(current, tip, walking: walks)
      guard let tree = outcome.tree else { return .conflicts(outcome.conflicts) }
      let parents = policy.mode == .merge ? [current, tip] : [current]
      let commit = try repository.writeCommit(
        tree: tree, parents: parents, authorOf: nil, committer: committer, message: message)
      return .landed(after: commit, merge: commit)
    case .rebase:
      if try repository.isAncestor(current, of: tip) { return .landed(after: tip, merge: tip) }
      var head = current
      for picked in try repository.replayedCommits(tip, onto: current) {
        let outcome = try repository.cherryPickedTree(picked, onto: head)
        guard let tree = outcome.tree else { return .conflicts(outcome.conflicts) }
        // A commit whose change the base already has replays as nothing: left out, as git rebase does.
        if tree == (try repository.commit(head).treeID) { continue }
        let original = try repository.commit(picked)
        head = try repository.writeCommit(
          tree: tree, parents: [head], authorOf: picked, committer: committer, message: original.message)
      }
      return .landed(after: head, merge: head == current ? nil : head)
    }
  }

  /// Runs the gate on `commit` checked out in the scratch worktree.
  func gate(_ commit: ObjectID, issues: [String], commands: [String]? = nil, what: String = "Gating") throws(GHPError)
    -> GateRunner.Run
  {
    let scratch = try ScratchWorktree.open(repository, base: policy.base, at: commit, opened: &scratchRepository)
    // The gate is the agents' code: it gets a clean environment, never the lander's secrets.
    let environment = GateSandbox.environment(
      from: workspace.environment, names: policy.env,
      facts: [
        "GHP_LAND_BASE": policy.base, "GHP_LAND_ISSUES": issues.joined(separator: " "), "GHP_LAND_COMMIT": commit.hex,
      ])
    progress("\(what) \(issues.map { "#\($0)" }.joined(separator: " ")) on \(commit.short) in \(scratch).")
    let runner = GateRunner(
      directory: scratch, timeout: policy.timeout, environment: environment,
      logPath: "\(landFolder)/\(BranchName.flat(policy.base)).log", marker: gateMarker, sandbox: sandbox)
    if commands == nil { report.gateRuns += 1 }
    do { return try runner.run(commands ?? policy.gate) } catch { throw .interrupted }
  }

  func bounce(
    _ issue: Issue, tip: ObjectID, baseTip: ObjectID, kind: BounceOperation.Kind, paths: [String],
    gate: [GateCommandResult],
    log: ObjectID?, violations: [String]? = nil
  ) throws(GHPError) {
    let landed: Landed<Issue>
    do {
      landed = try workspace.runNow(
        BounceOperation(
          base: policy.base, token: token, issueID: issue.id, tip: tip, baseTip: baseTip, kind: kind, paths: paths,
          gate: gate,
          log: log, violations: violations))
    } catch  where error.isRefusal {
      // It left the queue while it was merged or gated; a lost lease is the caller's to report.
      try requireLease()
      let now = try workspace.snapshot().issue(issue.id)
      guard now?.status != .landing || now?.submission?.tip != tip else { throw error }
      note(issue.id, "it left the landing queue while it was merged or gated")
      return
    }
    report.bounced.append(landed.result)
    setAside.insert(issue.id)
    let why =
      switch kind {
      case .conflict: "conflicts in \(paths.joined(separator: ", "))"
      case .policy: "breaks the edit rules (\(violations?.count ?? 0) in all): \(violations?.first ?? "")"
      case .gate: gate.first { !$0.passed }?.summary ?? "gate failed"
      case .review: "changes asked for"
      }
    progress("Bounced #\(issue.id) to \(landed.result.assignee ?? "nobody (dead)"): \(why).")
  }

  // MARK: - Worktrees that have the base checked out

  /// The worktrees with the base checked out, listed once per run (opening every agent's worktree
  /// for each landing would cost more than the landing).
  var baseCheckouts: [String]?

  func checkouts() -> [String] {
    if let baseCheckouts { return baseCheckouts }
    let found = repository.worktrees().filter { $0.branch == "refs/heads/\(policy.base)" }.map(\.path)
    baseCheckouts = found
    return found
  }

  /// Each base checkout's repository, opened once per run (libgit2 reads its index again when
  /// the file changed, so a person's edits between landings are still seen).
  var checkoutRepositories: [String: Repository] = [:]

  func checkout(_ path: String) throws(GitError) -> Repository {
    if let opened = checkoutRepositories[path] { return opened }
    let opened = try Repository(discovering: path)
    checkoutRepositories[path] = opened
    return opened
  }

  /// Why the base cannot move now: it is checked out in a worktree with uncommitted changes to
  /// tracked files (moving it would leave that worktree looking like it reverts the landing).
  func checkedOutElsewhereDirty() throws(GHPError) -> String? {
    // In remote mode the base that moves is the server's: a checkout here follows when it can.
    if remote != nil { return nil }
    for path in checkouts() {
      do {
        let dirty = try checkout(path).uncommittedPaths(limit: 5, untracked: false)
        if !dirty.isEmpty {
          return
            "\(policy.base) is checked out in \(path) with uncommitted changes (\(dirty.joined(separator: ", "))); commit or stash them, then `ghp land` again"
        }
      } catch {
        throw .git(error)
      }
    }
    return nil
  }

  /// Why the base was not moved after all.
  /// In remote mode, this clone's base follows the server's when it is behind it (with its
  /// checkouts, as a landing moves them); a base that went its own way, or a checkout that cannot
  /// follow, is left as it is and said once.
  func followServerBase(_ tip: ObjectID) {
    let ref = "refs/heads/\(policy.base)"
    guard let local = try? repository.referenceTarget(ref), local != tip,
      (try? repository.isAncestor(local, of: tip)) == true
    else { return }
    do {
      try moveLocalBase(from: local, to: tip, message: "follow the server")
    } catch let error as HeldBack {
      progress("This clone's \(policy.base) did not follow the server's: \(error.reason)")
    } catch {
      progress("This clone's \(policy.base) did not follow the server's (\(error)); `git pull` it when you can.")
    }
  }

  struct HeldBack: Error {
    var reason: String
  }

  /// Moves the base from `old` to `new` by compare-and-swap, and the worktrees that have it checked
  /// out with it (files and index). When one cannot follow (a file changed since the check), the
  /// base goes back to `old` and nothing landed: never is a checkout left at the old tree behind a
  /// moved base.
  func moveBase(from old: ObjectID, to new: ObjectID, message: String) throws {
    if let remote {
      // On the server, by a push that only fast-forwards from `old`: a refusal means another
      // lander or a person moved it, which the caller takes as the base having moved.
      switch try workspace.ledger.pushBranch(new, to: "refs/heads/\(policy.base)", remote: remote) {
      case .accepted: followServerBase(new)
      case .rejected:
        throw GitError(code: GIT_EMODIFIED.rawValue, errorClass: 0, message: "\(remote) moved \(policy.base)")
      }
      return
    }
    try moveLocalBase(from: old, to: new, message: message)
  }

  /// Moves this repository's base from `old` to `new` by compare-and-swap, and the worktrees that
  /// have it checked out with it; when one cannot follow, everything goes back (`HeldBack`).
  func moveLocalBase(from old: ObjectID, to new: ObjectID, message: String) throws {
    try workspace.ledger.moveBranch(
      "refs/heads/\(policy.base)", to: new, expected: old, message: "ghp land: \(message)")
    var followed: [Repository] = []
    for path in checkouts() {
      do {
        let opened = try checkout(path)
        try opened.followBranchMove(from: old, to: new)
        followed.append(opened)
      } catch {
        // Back: the base, and the checkouts that had followed it.
        for checkout in followed { try? checkout.followBranchMove(from: new, to: old) }
        try? workspace.ledger.moveBranch(
          "refs/heads/\(policy.base)", to: old, expected: new, message: "ghp land: back, \(path) could not follow")
        throw HeldBack(
          reason:
            "\(policy.base) is checked out in \(path), which changed while the gate ran and could not follow (\(error.message)); commit or stash there, then `ghp land` again"
        )
      }
    }
  }
}

/// The worktree gates run in: `<git common dir>/ghp/land/<base>`, a linked worktree with a
/// detached HEAD, made once and reused; each run checks the result out over it, removing
/// untracked files (ignored ones, a build cache, are kept).
enum ScratchWorktree {
  /// Checks `commit` out in the base's landing worktree and returns its folder. `opened` keeps the
  /// worktree's repository from one landing to the next of a run (opening it reads four config
  /// files and the index again); the files that say where it lives are checked every time.
  static func open(_ repository: Repository, base: String, at commit: ObjectID, opened: inout Repository?)
    throws(GHPError) -> String
  {
    let local = repository.localPaths
    let name = "ghp-land-\(BranchName.flat(base))"
    let folder = "\(local.land)/\(BranchName.flat(base))"
    let admin = local.worktreeAdmin(name)
    guard Files.makeDirectories(folder), Files.makeDirectories(admin) else {
      throw .io("cannot make the landing worktree \(folder)")
    }
    // A killed lander's checkout leaves its locks; the worktree is this lander's (it holds the lease).
    for lock in LeftLocks.worktree(admin) {
      if let held = LeftLocks.clear(lock) { throw .io("the landing worktree is locked: \(held)") }
    }
    // Made right before every checkout: a gate (the agents' code) ran in this folder last time,
    // and a `.git` it rewrote must never choose where the lander, uncontained, checks files out.
    // Each is rewritten unless it is a plain file that already says exactly this.
    if Files.read("\(admin)/HEAD") == nil { try Files.replace("\(admin)/HEAD", with: Array("\(commit.hex)\n".utf8)) }
    try ensure("\(admin)/commondir", Array("../..\n".utf8))
    try ensure("\(admin)/gitdir", Array("\(folder)/.git\n".utf8))
    if Files.readRegular("\(folder)/.git") != Array("gitdir: \(admin)\n".utf8) {
      _ = unlink("\(folder)/.git")
      _ = rmdir("\(folder)/.git")
      try Files.replace("\(folder)/.git", with: Array("gitdir: \(admin)\n".utf8))
    }
    do throws(GitError) {
      let scratch: Repository
      if let opened { scratch = opened } else { scratch = try Repository(discovering: folder) }
      opened = scratch
      try scratch.checkoutTree(commit)
    } catch {
      opened = nil
      throw .io("cannot check \(commit.short) out in the landing worktree \(folder): \(error.message)")
    }
    // Its HEAD is a scratch's: written as a file, with no reflog and no fsync (nothing is lost
    // with it; a lander checks the next result out over whatever it finds).
    try Files.replace("\(admin)/HEAD", with: Array("\(commit.hex)\n".utf8))
    return folder
  }

  /// Writes `bytes` to `path` unless it is a regular file holding exactly them.
  static func ensure(_ path: String, _ bytes: [UInt8]) throws(GHPError) {
    if Files.readRegular(path) != bytes { try Files.replace(path, with: bytes) }
  }
}
