import Glibc

// Before an attempt: the worker's worktree made exactly its branch's tip.

extension Supervisor {
  /// Makes `agent`'s worktree its branch's tip before an attempt: the locks a killed git or agent
  /// left in its administrative folder are removed (a live holder is named and the worker waits),
  /// and what a killed attempt left staged, changed or untracked is kept as a commit under
  /// `refs/ghp/set-aside/<agent>/<time>` (parent: the branch's tip), then the worktree is reset.
  /// False when the worktree cannot be used now (said in an event).
  func cleanWorktree(_ agent: String, for issue: String) -> Bool {
    guard let path = worktrees[agent] else { return false }
    let sandbox = WorkerSandbox(repository: repository, agent: agent, worktree: path)
    // The worktree's locks and its branch's: a killed supervisor may have left one mid-move.
    let branchLock = repository.localPaths.common + "/refs/heads/agent/\(agent).lock"
    for lock in LeftLocks.worktree(sandbox.adminFolder) + [branchLock] {
      if let held = LeftLocks.clear(lock) {
        waiting(agent, issue, "\(agent) waits: its worktree is locked: \(held)")
        return false
      }
    }
    do {
      let worktree = try Repository(discovering: path)
      let dirty = try worktree.uncommittedPaths(limit: 20)
      guard !dirty.isEmpty else { return true }
      waitingFor[agent] = nil
      guard let head = worktree.resolveCommit("HEAD") else { return true }
      let tree = try worktree.workingTree()
      workspace.refreshClock()
      let now = workspace.clock.now
      let kept = try worktree.writeCommit(
        tree: tree, parents: [head], authorOf: nil,
        committer: Signature(name: actor, email: "\(actor)@ghp", time: now),
        message:
          "ghp run: set aside from \(agent)'s worktree before an attempt on #\(issue)\n\nWhat an earlier attempt left uncommitted: \(dirty.prefix(20).joined(separator: ", "))\n"
      )
      let name = "refs/ghp/set-aside/\(agent)/\(now)-\(kept.short)"
      try repository.setReference(name, to: kept, logMessage: "ghp run: set aside")
      try worktree.resetHard()
      emit(
        "set-aside", agent, issue,
        "\(agent): what an earlier attempt left uncommitted (\(dirty.prefix(5).joined(separator: ", "))\(dirty.count > 5 ? ", …" : "")) is kept as \(name) (\(kept.short)); the worktree starts from agent/\(agent)"
      )
      return true
    } catch {
      waiting(agent, issue, "\(agent) waits: its worktree cannot be reset: \(error.message)")
      return false
    }
  }

  /// Says why a worker waits, once for as long as the reason stays the same.
  func waiting(_ agent: String, _ issue: String, _ why: String) {
    guard waitingFor[agent] != why else { return }
    waitingFor[agent] = why
    emit("worktree", agent, issue, why)
  }
}
