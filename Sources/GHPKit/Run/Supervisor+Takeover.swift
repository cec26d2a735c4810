import Glibc

// Starting a run, or taking over one whose supervisor is gone, and the workers' worktrees.

extension Supervisor {
  /// Takes a run: the one whose supervisor is gone, on this host or (its lease stale) another (its
  /// leftover processes here are killed and its workers' issues given back first), else a new one
  /// beside the runs of other hosts, with worker names none of them uses. Refuses while a live
  /// supervisor on this host holds one.
  public func begin() throws(GHPError) {
    try decideContainment()
    try adaptCommand()
    // Supervisors starting at once on several hosts may pick the same free worker names: the
    // later start is refused for them, and picks again from the state that refused it.
    var imported = false
    var attempt = 1
    while true {
      let start = try prepareStart(imported: &imported)
      do {
        run = try workspace.runNow(start).result
      } catch {
        if let remote { _ = try? workspace.ledger.sync(remote: remote, actor: actor, clock: workspace.clock) }
        let state = try workspace.snapshot()
        let taken = try state.runRecords().filter { $0.isActive && $0.id != start.id }.flatMap(\.workers)
        guard attempt < 5, start.workers.contains(where: taken.contains) else { throw error }
        attempt += 1
        continue
      }
      // The names are this run's now: only then are their agents registered with this host's
      // keys (a name another host's run holds keeps that host's key).
      try prepareWorktrees(start.workers)
      try adaptCapabilityCommands()
      try resolveWorkerEpics()
      return try started(start)
    }
  }

  /// Decides what to start (a takeover or a new run) on the state as the server has it now;
  /// imports `--tasks` once.
  private func prepareStart(imported: inout Bool) throws(GHPError) -> RunOperation {
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
    workspace.refreshClock()
    let now = workspace.clock.now
    let active = try state.runRecords().filter(\.isActive)
    if let mine = active.first(where: { $0.host == host && !$0.isAbandoned(now: now, host: host, lease: policy.lease) })
    {
      throw .refused(
        "\(mine.description) is running; watch it with `ghp run status` or stop it with `ghp run stop`")
    }
    // This host's own run first, then the one gone longest.
    let gone = active.filter { $0.isAbandoned(now: now, host: host, lease: policy.lease) }
      .sorted { ($0.host == host ? 0 : 1, $0.renewedAt) < ($1.host == host ? 0 : 1, $1.renewedAt) }
    if let current = gone.first {
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
      let others = Set(active.filter { $0.id != current.id }.flatMap(\.workers))
      start.workers =
        options.workers.map { workerNames($0, besides: others) }
        ?? (options.epics.isEmpty ? current.workers : workerNames(policy.maxWorkers, besides: others))
      start.goal = current.goal
      emit(
        "takeover", nil, nil,
        "Took over run \(current.id) from \(current.holder) (pid \(current.pid) on \(current.host)), which is gone"
          + (killed > 0 ? "; stopped \(killed) process\(killed == 1 ? "" : "es") it left" : "")
          + (current.slots.isEmpty ? "" : "; its workers' issues go back to the queue"))
    } else {
      let count = options.workers ?? policy.maxWorkers
      start.id = "run-" + String(UInt32.random(in: 0x1000_0000...UInt32.max), radix: 16)
      start.ownDocument = true
      start.workers = workerNames(count, besides: Set(active.flatMap(\.workers)))
      start.goal = options.goal
      if let tasks = options.tasks, !imported {
        imported = true
        let issues = try IssueImport.parse(tasks.bytes, actor: actor, clock: workspace.clock)
        let imported = try workspace.runNow(ImportIssuesOperation(issues: issues, source: tasks.source))
        emit(
          "import", nil, nil, "Imported \(issues.count) issue\(issues.count == 1 ? "" : "s") from \(tasks.source)",
          ["commit": imported.commit.map { .string($0.hex) } ?? .null])
      }
    }
    for worker in start.workers { try AgentName.validate(worker) }
    return start
  }

  /// What follows a run's start: its folder, progress, the event.
  private func started(_ start: RunOperation) throws(GHPError) {
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

  /// `count` workers' names, or `count` for each epic of `--epic` (`e<ID>-<prefix>-<n>`).
  func workerNames(_ count: Int, besides used: Set<String>) -> [String] {
    guard !options.epics.isEmpty else { return Self.names(count, prefix: options.prefix, besides: used) }
    return options.epics.flatMap { Self.names(count, prefix: "e\($0)-\(options.prefix)", besides: used) }
  }

  /// `count` worker names `<prefix>-<n>`, counting up from 1 past the names the runs of other
  /// hosts use.
  static func names(_ count: Int, prefix: String, besides used: Set<String>) -> [String] {
    var names: [String] = []
    var number = 1
    while names.count < count {
      let name = "\(prefix)-\(number)"
      if !used.contains(name) { names.append(name) }
      number += 1
    }
    return names
  }

  /// Makes (or reuses) each worker's agent, branch and worktree.
  func prepareWorktrees(_ names: [String]) throws(GHPError) {
    let agents = try workspace.snapshot().agents().agents
    for name in names {
      capabilities[name] = agents[name]?.capabilities ?? []
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
