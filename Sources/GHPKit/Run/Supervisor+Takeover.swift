import Glibc

// Starting a run, or taking over one whose supervisor is gone, and the workers' worktrees.

extension Supervisor {
  /// Takes the run: a new one, or the one whose supervisor is gone (its leftover processes are
  /// killed and its workers' issues given back first). Refuses while a live supervisor holds it.
  public func begin() throws(GHPError) {
    try decideContainment()
    try adaptCommand()
    // In remote mode the run to take over, and the queue, are the server's.
    if let remote {
      _ = try workspace.ledger.sync(remote: remote, actor: actor, clock: workspace.clock)
      lastSync = ProcessIdentity.monotonic()
    }
    let state = try workspace.snapshot()
    var start = operation(.start)
    start.host = host
    start.pid = Int(getpid())
    start.start = Int(ProcessIdentity.ownStartTime)
    start.command = command.description
    if let current = try state.runRecord(), current.isActive {
      workspace.refreshClock()
      guard current.isAbandoned(now: workspace.clock.now, host: host) else {
        throw .refused(
          "\(current.description) is running; watch it with `ghp run status` or stop it with `ghp run stop`")
      }
      let killed = RunProcesses.stop(run: current.id, grace: policy.grace)
      for slot in current.slots where current.host == host {
        if let pid = slot.pid, let begun = slot.start,
          ProcessIdentity.startTime(of: Int32(clamping: pid)).map({ Int($0) }) == begun
        {
          kill(-Int32(clamping: pid), SIGKILL)
        }
      }
      start.id = current.id
      start.replaces = current.token
      start.workers = options.workers.map { count in (1...count).map { "\(options.prefix)-\($0)" } } ?? current.workers
      start.goal = current.goal
      emit(
        "takeover", nil, nil,
        "Took over run \(current.id) from \(current.holder) (pid \(current.pid) on \(current.host)), which is gone"
          + (killed > 0 ? "; stopped \(killed) process\(killed == 1 ? "" : "es") it left" : "")
          + (current.slots.isEmpty ? "" : "; its workers' issues go back to the queue"))
    } else {
      let count = options.workers ?? policy.maxWorkers
      start.id = "run-" + String(UInt32.random(in: 0x1000_0000...UInt32.max), radix: 16)
      start.workers = (1...count).map { "\(options.prefix)-\($0)" }
      start.goal = options.goal
      if let tasks = options.tasks {
        let issues = try IssueImport.parse(tasks.bytes, actor: actor, clock: workspace.clock)
        let imported = try workspace.runNow(ImportIssuesOperation(issues: issues, source: tasks.source))
        emit(
          "import", nil, nil, "Imported \(issues.count) issue\(issues.count == 1 ? "" : "s") from \(tasks.source)",
          ["commit": imported.commit.map { .string($0.hex) } ?? .null])
      }
    }
    for worker in start.workers { try AgentName.validate(worker) }
    try prepareWorktrees(start.workers)
    run = try workspace.runNow(start).result
    breaker.record = run.breaker
    folder = repository.localPaths.run(run.id)
    guard Files.makeDirectories(folder) else { throw .io("cannot make \(folder)") }
    let summaries = try workspace.snapshot().issueSummaries()
    progress = (summaries.filter { $0.status == .done || $0.status == .landing }.count, summaries.count)
    if start.replaces == nil {
      emit(
        "started", nil, nil,
        "Started \(run.id): \(run.workers.count) worker\(run.workers.count == 1 ? "" : "s") running \(command.description)",
        ["run": .string(run.id)])
    }
  }

  /// Makes (or reuses) each worker's agent, branch and worktree.
  func prepareWorktrees(_ names: [String]) throws(GHPError) {
    let agents = try workspace.snapshot().agents().agents
    for name in names {
      if agents[name] != nil, let path = repository.worktreePath(name: name), access(path, F_OK) == 0,
        repository.worktreeProblem(name: name, branch: "agent/\(name)") == nil
      {
        worktrees[name] = path
        continue
      }
      let added = try AgentWorktrees.add(workspace, name: name, role: .worker, base: nil, path: nil)
      worktrees[name] = added.path
      emit("worker", name, nil, "Made \(name): branch \(added.branch), worktree \(added.path)")
    }
  }
}
