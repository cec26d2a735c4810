import Glibc

// The planners that run before the workers start: the leader, which plans a goal into issues, and
// a manager per epic (`ghp run --epic`), which plans its epic into sub-issues.

extension Supervisor {
  /// Runs the leader once with the goal; it plans by creating issues. Returns why it failed, or nil.
  public func plan(goal: String) throws(GHPError) -> String? {
    let name = "leader"
    let before = try workspace.snapshot().issueSummaries().count
    try prepareAgent(name, role: .orchestrator)
    let state = try workspace.snapshot()
    var prompt = try PromptRenderer.render("leader-prompt.md", state: state, agent: name, goal: goal)
    prompt += """

      ## Now

      You are started by `ghp run` (\(run.id)) to plan, not to implement. Break the goal into issues
      with `ghp issue add` (or `ghp issue import`), each small enough for one agent, with its
      dependencies (`--after`) and scope. Then exit: \(run.workers.count) workers start on them.

      """
    emit("leader", name, nil, "The leader plans: \(TextTable.clip(goal, 80))")
    return try runPlanner(name, issue: nil, prompt: prompt, what: "the leader", made: "issue") {
      () throws(GHPError) in try workspace.snapshot().issueSummaries().count - before
    }
  }

  /// Gives epic `id` a manager (its holder, or `manager-<id>` registered and assigned it) and, when
  /// the epic has no sub-issue left to work, runs the manager once to plan it into sub-issues.
  /// Returns why it failed, or nil.
  public func plan(epic id: String) throws(GHPError) -> String? {
    let epic = try workspace.snapshot().requireEpic(id)
    guard epic.status == .open || epic.status == .claimed else {
      emit("manager", nil, epic.id, "Epic #\(epic.id) is \(epic.status.rawValue): nothing to plan")
      return nil
    }
    let name = StateSnapshot.manager(of: epic) ?? "manager-\(epic.id)"
    try prepareAgent(name, role: .manager)
    if StateSnapshot.manager(of: epic) == nil {
      _ = try workspace.runNow(AssignOperation(issueID: epic.id, agent: name))
      emit("manager", name, epic.id, "\(name) manages epic #\(epic.id) \(epic.title)")
    }
    var state = try workspace.snapshot()
    let held = try state.requireIssue(epic.id)
    let before = try state.subIssues(of: epic.id)
    let left = before.filter { $0.status != .done && $0.status != .dead }
    guard left.isEmpty else {
      emit(
        "manager", name, epic.id,
        "Epic #\(epic.id) has \(left.count) sub-issue\(left.count == 1 ? "" : "s") to work; its workers start on them")
      return nil
    }
    state = try workspace.snapshot()
    var prompt = try PromptRenderer.render("manager-prompt.md", state: state, agent: name)
    let perEpic = run.workers.filter { workerEpic($0) == epic.id }.count
    prompt += """

      ## Now

      You are started by `ghp run` (\(run.id)) to plan epic #\(epic.id) \(epic.title), not to implement.
      Break it into sub-issues with `ghp issue add "TITLE" --epic \(epic.id)`, each small enough for one
      agent, with its dependencies (`--after`) and a scope inside the epic's. Then exit: \(perEpic)
      workers start on them.

      """
    emit("manager", name, epic.id, "\(name) plans epic #\(epic.id) \(TextTable.clip(epic.title, 80))")
    return try runPlanner(
      name, issue: held, prompt: prompt, what: "the manager of epic #\(epic.id)", made: "sub-issue"
    ) { () throws(GHPError) in try workspace.snapshot().subIssues(of: epic.id).count - before.count }
  }

  /// The agent's worktree, made (with its branch and registration as `role`) when it has none.
  func prepareAgent(_ name: String, role: AgentRecord.Role) throws(GHPError) {
    if (try workspace.snapshot().agents().agents[name]) == nil || repository.worktreePath(name: name) == nil {
      let added = try AgentWorktrees.add(workspace, name: name, role: role, base: nil, path: nil)
      worktrees[name] = added.path
    } else {
      worktrees[name] = repository.worktreePath(name: name)
    }
  }

  /// Runs a planner to its exit (within the task timeout); fails when `made` counts nothing new.
  private func runPlanner(
    _ name: String, issue: Issue?, prompt: String, what: String, made noun: String,
    made: () throws(GHPError) -> Int
  ) throws(GHPError) -> String? {
    let planner = try start(agent: name, issue: issue, epoch: issue?.epoch ?? 0, prompt: prompt)
    guard let planner else { return fatal }
    while true {
      if LandingSignals.interrupted {
        planner.terminate(reason: "interrupted", outcome: .released)
      }
      waitForOutput([planner], milliseconds: 200)
      planner.drain()
      if ProcessIdentity.monotonic() - planner.startedAt >= Double(policy.taskTimeout) {
        planner.terminate(reason: "timed out after \(Duration.exact(policy.taskTimeout))", outcome: .failed)
      }
      planner.enforceGrace(policy.grace)
      if let code = planner.reap() {
        if bubblewrap != nil { RunProcesses.killLeftovers(run: run.id, agent: name) }
        takeBranch(of: name)
        let count = try made()
        if LandingSignals.interrupted { return "interrupted while \(what) planned" }
        if count > 0 {
          emit(
            "planned", name, issue?.id,
            "\(what.prefix(1).uppercased() + what.dropFirst()) created \(count) \(noun)\(count == 1 ? "" : "s")")
          return nil
        }
        let why = planner.killReason ?? "it exited \(code)"
        return
          "\(what) created no \(noun) (\(why)); its output ended: \(planner.outputTail.isEmpty ? "(nothing)" : planner.outputTail)"
      }
    }
  }

  /// The epic a worker of this run works (`ghp run --epic`: its workers are `e<ID>-<prefix>-<n>`),
  /// nil for a worker of the whole queue.
  func workerEpic(_ agent: String) -> String? { workerEpics[agent] }

  /// Which epic each worker works, from the epics given, or (a takeover without `--epic`) from the
  /// workers' names: `e<ID>-…` where #ID is an epic.
  func resolveWorkerEpics() throws(GHPError) {
    let state = try workspace.snapshot()
    workerEpics = [:]
    for worker in run.workers {
      if let given = options.epics.first(where: { worker.hasPrefix("e\($0)-\(options.prefix)-") }) {
        workerEpics[worker] = given
        continue
      }
      guard options.epics.isEmpty, worker.hasPrefix("e") else { continue }
      let rest = worker.dropFirst()
      for dash in rest.indices where rest[dash] == "-" {
        let id = String(rest[..<dash])
        if let epic = try? state.issue(id), epic.kind == .epic {
          workerEpics[worker] = id
          break
        }
      }
    }
  }

  /// Whether `agent` may be given `issue` from the ready queue: only what it can do (every need
  /// among its capabilities); a worker of an epic, only the epic's sub-issues.
  func mayTake(_ agent: String, _ issue: IssueSummary, in state: StateSnapshot) throws(GHPError) -> Bool {
    let can = capabilities[agent] ?? []
    guard issue.needs.allSatisfy(can.contains) else { return false }
    // One agent makes one attempt of a best-of issue.
    if try state.otherAttemptHeld(by: agent, besides: issue.id) != nil { return false }
    guard let epic = workerEpic(agent) else { return true }
    return issue.epic == epic
  }

  /// The command `agent` runs: that of the first of its capabilities with one (`[commands]`), else
  /// the run's.
  func command(for agent: String) -> AgentCommand {
    (capabilities[agent] ?? []).lazy.compactMap { self.commands[$0] }.first ?? command
  }
}

extension Supervisor {
  /// Starts `<prefix>-reviewer` (a reviewer agent, made when missing) on the first landing whose
  /// merge waits for an agent's review, with the reviewer prompt and what to review; one at a time,
  /// and once per merge (a reviewer that gave no verdict is not started again on the same tree).
  func spawnReviewer(_ state: StateSnapshot) throws(GHPError) {
    guard stopping == nil, fatal == nil, reviewer == nil, config.landing != nil else { return }
    for issue in try ReviewQueue.waiting(state) {
      guard let request = issue.reviewing, request.mode == .agent else { continue }
      let key = "\(issue.id)@\(request.tree.hex)"
      guard !reviewsStarted.contains(key) else { continue }
      reviewsStarted.insert(key)
      let name = "\(options.prefix)-reviewer"
      try prepareAgent(name, role: .reviewer)
      let shown = try ReviewQueue.show(workspace, id: issue.id)
      var prompt = try PromptRenderer.render("reviewer-prompt.md", state: state, agent: name)
      prompt += """

        ## Now

        You are started by `ghp run` (\(run.id)) to review one landing, then exit: #\(issue.id) \(issue.title).
        Read the change (`git diff \(request.baseTip.short) \(request.tree.short)` in your worktree, and
        `ghp issue show \(issue.id)`), then give your verdict on tree \(request.tree.short).


        """ + shown.text
      emit("reviewer", name, issue.id, "\(name) reviews #\(issue.id) \(issue.title) (tree \(request.tree.short))")
      reviewer = try start(agent: name, issue: issue, epoch: issue.epoch, prompt: prompt)
      return
    }
    try spawnVoter(state)
  }

  /// Starts `<prefix>-reviewer` on the first vote by review whose attempts are all in and that
  /// waits for ballots, with the reviewer prompt and each candidate's change; once per set of
  /// candidates (their tips), and never on a vote its ballot already counts in.
  func spawnVoter(_ state: StateSnapshot) throws(GHPError) {
    let name = "\(options.prefix)-reviewer"
    for parent in try VoteBoard.open(state) where parent.vote?.method == .review {
      guard let vote = parent.vote else { continue }
      let shown = try VoteBoard.show(state, id: parent.id)
      let candidates = shown.attempts.filter(\.isCandidate)
      guard shown.winner == nil, shown.attempts.allSatisfy(\.isIn), !candidates.isEmpty,
        !BestOf.standingBallots(vote, attempts: shown.attempts).contains(where: { $0.by == name }),
        !shown.attempts.contains(where: { $0.assignee == name })
      else { continue }
      let key = "vote:\(parent.id)@" + candidates.compactMap { $0.trial?.tip.hex }.joined(separator: ",")
      guard !reviewsStarted.contains(key) else { continue }
      reviewsStarted.insert(key)
      try prepareAgent(name, role: .reviewer)
      var prompt = try PromptRenderer.render("reviewer-prompt.md", state: state, agent: name)
      let diffs = candidates.compactMap { attempt in
        attempt.trial.map {
          "- #\(attempt.id) by \(attempt.assignee ?? "?"): `git diff \($0.baseTip.short) \($0.tree.short)`"
        }
      }
      prompt += """

        ## Now

        You are started by `ghp run` (\(run.id)) to vote once, then exit: #\(parent.id) \(parent.title) was
        attempted \(shown.attempts.count) times independently, and the attempts whose merge passed the gate
        wait for your ballot. Read each one's change (in your worktree), then `ghp vote for ATTEMPT --note
        "why"` for the one that should land.

        \(diffs.joined(separator: "\n"))


        """ + shown.text
      emit(
        "reviewer", name, parent.id, "\(name) votes on #\(parent.id) \(parent.title) (\(candidates.count) candidates)")
      reviewer = try start(agent: name, issue: parent, epoch: parent.epoch, prompt: prompt)
      return
    }
  }
}
