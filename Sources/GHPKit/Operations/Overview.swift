/// `ghp status`: one screen of the whole state — the goal, issues by status, who works and who is
/// stale, open escalations, conflicts between branches, what waits to land, the run.
public struct Overview: Sendable {
  /// The goal from `.ghp/plan.md`, nil when the plan names none.
  public var goal: String?
  /// How many issues have each status, every status in order, zeros included.
  public var counts: [(status: String, count: Int)]
  /// How many issues are ready to claim.
  public var ready: Int
  /// Ready issues no registered agent can do (it lacks what they need): id and needs.
  public var nobodyCan: [(id: String, needs: [String])] = []
  /// The agents, stale ones, open escalations and conflicts, as `ghp agent-status` shows them.
  public var report: StatusReport
  /// What waits to land, nil when `[landing]` is not configured.
  public var landing: LandingQueue?
  /// The run `ghp run` supervises, nil when there has been none.
  public var run: RunRecord?
  /// Whether the active run's supervisor is still there (false when no run is active).
  public var runAlive = false
  /// Every active run (supervisors on several hosts), started first first, each with whether its
  /// supervisor is still there.
  public var runs: [(run: RunRecord, alive: Bool)] = []
  /// The issues the lander sent back and nobody has landed since: id, kind and reason.
  public var bounced: [(id: String, kind: String, reason: String)] = []
  /// The issues attempted independently whose vote is not over: id and where the vote stands.
  public var votes: [(id: String, standing: String)] = []

  /// Reads the whole state once, with the conflicts and landing queue when they can be had.
  public init(_ workspace: Workspace) throws(GHPError) {
    let state = try workspace.snapshot()
    try state.requireInitialised()
    goal = try state.goal()
    let summaries = try state.issueSummaries()
    counts = Issue.Status.allCases.map { status in (status.rawValue, summaries.filter { $0.status == status }.count) }
    let readyIssues = try ReadyQueue.ready(state)
    ready = readyIssues.count
    let unservable = try ReadyQueue.nobodyCan(readyIssues, in: state)
    nobodyCan = readyIssues.filter { unservable.contains($0.id) }.map { ($0.id, $0.needs) }
    // Only a held issue can be bounced and not yet landed (a few: one per agent at most).
    for summary in summaries where summary.status == .claimed || (summary.status == .open && summary.attempts > 0) {
      guard let issue = try? state.requireIssue(summary.id), let bounce = issue.bounced else { continue }
      bounced.append((issue.id, bounce.kind.rawValue, bounce.reason))
    }
    votes = try VoteBoard.open(state).map { (issue) throws(GHPError) in
      (issue.id, try VoteBoard.show(state, id: issue.id).standing)
    }
    report = try StatusReport(state: state, clock: workspace.clock)
    // Best effort, as in agent-status: no base branch means no conflicts to show.
    if let conflicts = try? ConflictReport.gather(workspace) { report.addConflicts(conflicts) }
    if let policy = try state.config().landing {
      landing = try LandingQueue.gather(state, policy: policy, now: workspace.clock.now)
    }
    let recorded = try state.runRecords()
    run = recorded.current
    let lease = try state.config().agent.lease
    for active in recorded.active {
      let alive = !active.isAbandoned(now: workspace.clock.now, host: Host.name, lease: lease)
      runs.append((active, alive))
      if active.id == run?.id { runAlive = alive }
    }
  }

  var working: [AgentStatusRow] { report.rows.filter { !$0.stale && $0.record.issue != nil } }
  var idle: [AgentStatusRow] { report.rows.filter { !$0.stale && $0.record.issue == nil } }
  var stale: [AgentStatusRow] { report.rows.filter(\.stale) }

  /// The overview as JSON (`ghp status --json`): agents by name, issues by id.
  public var json: JSON {
    var object: [String: JSON] = [
      "goal": goal.map { .string($0) } ?? .null,
      "issues": .object(Dictionary(uniqueKeysWithValues: counts.map { ($0.status, JSON.int($0.count)) })),
      "ready": .int(ready),
      "nobodyCan": .array(
        nobodyCan.map {
          .object(["issue": IssueReference.write($0.id), "needs": .array($0.needs.map { .string($0) })])
        }),
      "agents": .object([
        "working": .array(working.map { .string($0.name) }), "idle": .array(idle.map { .string($0.name) }),
        "stale": .array(stale.map { .string($0.name) }),
      ]),
      "openEscalations": .array(report.openEscalations.map(\.answerJSON)),
      "conflicts": .array(report.conflictPairs.map(\.json)),
      "landing": landing.map { .array($0.entries.map { IssueReference.write($0.issue.id) }) } ?? .null,
      "bounced": .array(
        bounced.map {
          .object(["issue": IssueReference.write($0.id), "kind": .string($0.kind), "reason": .string($0.reason)])
        }),
      "votes": .array(
        votes.map { .object(["issue": IssueReference.write($0.id), "standing": .string($0.standing)]) }),
    ]
    if let run {
      object["run"] = .object([
        "id": .string(run.id), "state": .string(run.state.rawValue), "supervisorAlive": .bool(runAlive),
        "running": .array(
          run.slots.map { .object(["agent": .string($0.agent), "issue": IssueReference.write($0.issue)]) }),
      ])
    } else {
      object["run"] = .null
    }
    object["runs"] = .array(
      runs.map { run, alive in
        .object([
          "id": .string(run.id), "state": .string(run.state.rawValue), "host": .string(run.host),
          "supervisorAlive": .bool(alive),
          "running": .array(
            run.slots.map { .object(["agent": .string($0.agent), "issue": IssueReference.write($0.issue)]) }),
        ])
      })
    return .object(object)
  }

  /// The screen.
  public func text() -> String {
    var lines: [String] = []
    if let goal { lines.append("Goal: \(goal)") }
    let nonzero = counts.filter { $0.count > 0 }.map { "\($0.count) \($0.status)" }
    lines.append(
      "Issues: " + (nonzero.isEmpty ? "none" : nonzero.joined(separator: ", ")) + "; \(ready) ready to claim")
    for issue in nobodyCan {
      lines.append(
        "Nobody can do #\(issue.id): it needs \(issue.needs.joined(separator: ", ")), which no registered agent has"
          + " (`ghp agent add NAME --can \(issue.needs.joined(separator: ","))`)")
    }
    func names(_ rows: [AgentStatusRow], issue: Bool) -> String {
      rows.map { $0.name + (issue ? ($0.record.issue.map { " (#\($0))" } ?? "") : "") }.joined(separator: ", ")
    }
    if !votes.isEmpty {
      lines.append("Votes (`ghp vote show ID`):")
      for vote in votes.prefix(5) { lines.append("  #\(vote.id): \(vote.standing)") }
    }
    lines.append("Working: " + (working.isEmpty ? "nobody" : names(working, issue: true)))
    if !idle.isEmpty { lines.append("Idle: " + names(idle, issue: false)) }
    if !stale.isEmpty {
      lines.append(
        "STALE (silent longer than \(Duration.describe(report.staleAfter))): " + names(stale, issue: true)
          + " — `ghp reap`")
    }
    if !report.openEscalations.isEmpty {
      lines.append("Open escalations (`ghp escalations show ID`, `ghp resolve ID --answer ...`):")
      for escalation in report.openEscalations.prefix(5) {
        lines.append(
          "  \(escalation.id) \(escalation.severity.rawValue.uppercased()) from \(escalation.agent): \(TextTable.clip(escalation.question, 70))"
        )
      }
      if report.openEscalations.count > 5 { lines.append("  … and \(report.openEscalations.count - 5) more") }
    }
    if !report.conflictPairs.isEmpty {
      lines.append("Conflicts (`ghp conflicts`):")
      for pair in report.conflictPairs.prefix(5) {
        lines.append("  \(pair.one) × \(pair.two): \(pair.paths.prefix(3).joined(separator: ", "))")
      }
    }
    if let landing, !landing.entries.isEmpty {
      lines.append(
        "Waiting to land (`ghp queue`): " + landing.entries.prefix(8).map { "#\($0.issue.id)" }.joined(separator: ", "))
    }
    for (run, alive) in runs {
      let who =
        alive
        ? "supervised by \(run.holder) (pid \(run.pid) on \(run.host))"
        : "its supervisor on \(run.host) is gone; `ghp run` on any host takes it over"
      let running = run.slots.map { "\($0.agent) on #\($0.issue)" }.joined(separator: ", ")
      lines.append("Run \(run.id): \(run.state.rawValue), \(who)" + (running.isEmpty ? "" : "; \(running)"))
    }
    if !bounced.isEmpty {
      lines.append("BOUNCED by the lander or a reviewer (`ghp issue show ID`):")
      for bounce in bounced.prefix(5) {
        lines.append("  #\(bounce.id) \(bounce.kind): \(TextTable.clip(bounce.reason, 70))")
      }
    }
    if !report.deadIssues.isEmpty {
      lines.append("DEAD (`ghp issue retry ID`): " + report.deadIssues.map { "#\($0.id)" }.joined(separator: ", "))
    }
    for warning in report.warnings { lines.append("warning: \(warning)") }
    return lines.joined(separator: "\n") + "\n"
  }
}
