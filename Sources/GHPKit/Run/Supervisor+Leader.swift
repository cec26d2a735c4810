import Glibc

// The leader that plans a goal into issues before the workers start.

extension Supervisor {
  /// Runs the leader once with the goal; it plans by creating issues. Returns why it failed, or nil.
  public func plan(goal: String) throws(GHPError) -> String? {
    let name = "leader"
    let before = try workspace.snapshot().issueSummaries().count
    if (try workspace.snapshot().agents().agents[name]) == nil || repository.worktreePath(name: name) == nil {
      let added = try AgentWorktrees.add(workspace, name: name, role: .orchestrator, base: nil, path: nil)
      worktrees[name] = added.path
    } else {
      worktrees[name] = repository.worktreePath(name: name)
    }
    let state = try workspace.snapshot()
    var prompt = try PromptRenderer.render("leader-prompt.md", state: state, agent: name, goal: goal)
    prompt += """

      ## Now

      You are started by `ghp run` (\(run.id)) to plan, not to implement. Break the goal into issues
      with `ghp issue add` (or `ghp issue import`), each small enough for one agent, with its
      dependencies (`--after`) and scope. Then exit: \(run.workers.count) workers start on them.

      """
    emit("leader", name, nil, "The leader plans: \(TextTable.clip(goal, 80))")
    let leader = try start(agent: name, issue: nil, epoch: 0, prompt: prompt)
    guard let leader else { return fatal }
    while true {
      if LandingSignals.interrupted {
        leader.terminate(reason: "interrupted", outcome: .released)
      }
      waitForOutput([leader], milliseconds: 200)
      leader.drain()
      if ProcessIdentity.monotonic() - leader.startedAt >= Double(policy.taskTimeout) {
        leader.terminate(reason: "timed out after \(Duration.exact(policy.taskTimeout))", outcome: .failed)
      }
      leader.enforceGrace(policy.grace)
      if let code = leader.reap() {
        if bubblewrap != nil { RunProcesses.killLeftovers(run: run.id, agent: name) }
        takeBranch(of: name)
        let made = try workspace.snapshot().issueSummaries().count - before
        if LandingSignals.interrupted { return "interrupted while the leader planned" }
        if made > 0 {
          emit("planned", name, nil, "The leader created \(made) issue\(made == 1 ? "" : "s")")
          return nil
        }
        let why = leader.killReason ?? "it exited \(code)"
        return
          "the leader created no issue (\(why)); its output ended: \(leader.outputTail.isEmpty ? "(nothing)" : leader.outputTail)"
      }
    }
  }
}
