/// The page a human looks at (`ghp serve`, `ghp report --html`): the whole state as one view, read
/// from one snapshot of `ghp/state` and the agents' branches. `json` is the view as data (the
/// server's `/api/view`); `DashboardPage` renders the same view into HTML with the templates.
///
/// The view is bounded however large the state: each column of the board shows its first
/// `Dashboard.cardsPerColumn` issues (the count says how many there are), the timeline its
/// `timelineLimit` newest entries of the period.
public struct Dashboard: Sendable {
  /// What the view covers: the timeline and the per-agent summary count from `since` to `until`.
  public struct Period: Sendable {
    /// The period's start, in Unix seconds.
    public var since: Int64
    /// The period's end, in Unix seconds: now unless `--until` says otherwise.
    public var until: Int64
    /// The period from `since` to `until` (Unix seconds).
    public init(since: Int64, until: Int64) {
      self.since = since
      self.until = until
    }

    /// A time as the commands take it: RFC 3339, or a duration ago (`2h`, `30m`); nil when neither.
    public static func time(_ text: String, now: Int64) -> Int64? {
      RFC3339.parse(text) ?? Duration.seconds(text).map { now - $0 }
    }

    /// The time `text` gives (nil when none is given), or a usage error naming the option.
    public static func read(_ name: String, _ text: String?, now: Int64) throws(GHPError) -> Int64? {
      guard let text else { return nil }
      guard let value = time(text, now: now) else {
        throw .invalidValue(name, "\(name) takes a time (2026-11-22T10:00:00Z) or a duration ago (2h, 30m)")
      }
      return value
    }

    /// `since`/`until` as given (either may be nil): by default the last day up to now.
    public static func parse(since: String?, until: String?, now: Int64) throws(GHPError) -> Period {
      let end = try read("--until", until, now: now) ?? now
      let start = try read("--since", since, now: now) ?? end - 86_400
      guard start <= end else { throw .invalidValue("--since", "--since is after --until") }
      return Period(since: start, until: end)
    }
  }

  /// The most cards a column of the board shows; its count says how many issues it has.
  public static let cardsPerColumn = 60
  /// The board's columns, in order. `failed` holds open issues with a failed attempt behind them.
  public static let columns = ["open", "failed", "claimed", "landing", "done", "dead"]

  /// The view as data; the page renders it, `/api/view` serves it.
  public var json: JSON
  /// The state's goal as the view holds it, nil when none is set.
  public var goal: String? { json["goal"]?.stringValue }

  /// Reads the view. `timelineLimit` nil takes every operation of the period (the report).
  public init(
    _ workspace: Workspace, period: Period, timelineLimit: Int?, conflicts: ConflictReport? = nil
  ) throws(GHPError) {
    let state = try workspace.snapshot()
    try state.requireInitialised()
    let now = workspace.clock.now
    let config = try state.config()
    let tip = state.commit?.hex ?? ""
    let goal = try state.goal()
    let plan = try state.text(StatePaths.plan) ?? ""
    var report = try StatusReport(state: state, clock: workspace.clock)
    if let conflicts { report.addConflicts(conflicts) }
    // The issues are read from the issue table's records: no string is made for an issue that is
    // not shown, so 20,000 issues cost a scan of fixed-size records, not 20,000 summaries.
    // A broken issue document must not hide the rest: the board stays empty and says why (as
    // `ghp agent-status` does).
    var warnings = report.warnings
    var table: IssueTable?
    do { table = try state.issueTable() } catch {
      guard case .corruptDocument = error else { throw error }
      if !warnings.contains(error.description) { warnings.append(error.description) }
    }
    let issueCount = table?.count ?? 0
    let readyIndices = Set(table?.ready() ?? [])
    let records = try state.agents().agents
    var wanted = Set(records.values.compactMap(\.issue))
    for escalation in report.openEscalations { if let issue = escalation.issue { wanted.insert(issue) } }
    var titles: [String: String] = [:]
    if let table, !wanted.isEmpty {
      for index in 0..<issueCount {
        let id = table.id(index)
        if wanted.contains(id) { titles[id] = table.title(index) }
        if titles.count == wanted.count { break }
      }
    }
    let recordedRuns = try state.runRecords()
    let run = recordedRuns.current

    let agents = Self.agentCards(
      report, state: state, config: config, titles: titles, run: run, repository: workspace.repository)
    // What the registered agents can do, for the cards of issues that need what none of them has.
    let abilities = Set(records.values.map { Set($0.capabilities) })
    let (board, columns) = Self.board(table, ready: readyIndices) { needs in
      !abilities.contains { Set(needs).isSubset(of: $0) }
    }
    let baseTree = try? workspace.repository.referenceTarget("refs/heads/\(config.baseBranch)").map {
      try workspace.repository.tree(workspace.repository.commit($0).treeID)
    }
    let inbox = Self.inbox(report, agents: records, titles: titles, now: now) { path in
      guard let tree = baseTree, let entry = try? tree.entryID(at: path) else { return false }
      return entry != nil
    }
    let answered =
      (try? state.escalations())?.filter { $0.status == .resolved }
      .sorted { ($0.answered ?? 0) > ($1.answered ?? 0) }.prefix(10).map(\.answerJSON) ?? []
    let landing = try Self.landing(state, config: config, table: table, columns: columns, now: now, warnings: &warnings)
    // Landings that passed the gate and wait for a verdict on their merge (`ghp review`).
    // A broken issue document is named among the warnings already; the rest of the page shows.
    var waitingReviews: [Issue] = []
    do { waitingReviews = try ReviewQueue.waiting(state) } catch {
      guard case .corruptDocument = error else { throw error }
    }
    let reviews: [JSON] = waitingReviews.compactMap { issue in
      guard let request = issue.reviewing else { return nil }
      return .object([
        "id": IssueReference.write(issue.id), "title": .string(issue.title),
        "assignee": issue.assignee.map { .string($0) } ?? .null, "mode": .string(request.mode.rawValue),
        "human": .bool(request.mode == .human), "tree": .string(request.tree.hex),
        "treeShort": .string(request.tree.short), "base": .string(request.base),
        "baseTipShort": .string(request.baseTip.short),
      ])
    }
    // Issues attempted independently whose vote is open: each attempt, its gate and score.
    var openVotes: [VoteBoard.Shown] = []
    do {
      openVotes = try VoteBoard.open(state).map { (issue) throws(GHPError) in try VoteBoard.show(state, id: issue.id) }
    } catch {
      guard case .corruptDocument = error else { throw error }
    }
    let votes: [JSON] = openVotes.map(Self.voteCard)

    // The timeline and the summary of the period.
    let entries = try HistoryLog.entries(
      state, limit: timelineLimit, since: period.since, until: period.until)
    let timeline = Self.fold(entries)
    let summary = PeriodSummary(entries: entries, period: period, now: now, run: run)
    // The period in one line, for the report's opening: what landed and bounced, what was asked
    // and answered, what it cost.
    let ops = entries.compactMap { $0.message?.op }
    let day: JSON = .object([
      "landed": .int(ops.filter { $0 == LandedOperation.name }.count),
      "bounced": .int(ops.filter { $0 == BounceOperation.name }.count),
      "asked": .int(ops.filter { $0 == EscalateOperation.name }.count),
      "answered": .int(ops.filter { $0 == ResolveOperation.name }.count),
      "done": .int(ops.filter { $0 == DoneOperation.name }.count),
      "cost": run.map { .string(Money.format($0.total.costMicros)) } ?? .null,
    ])

    // What needs the lead, gathered for the band at the top of the page: who went silent holding
    // work, what the lander sent back, what failed too often; the questions are the inbox.
    let staleAgents = agents.filter { $0["stale"] == .bool(true) }
    let bouncedIssues = landing["bounced"]?.arrayValue ?? []
    let deadIssues = board.first { $0["status"] == .string("dead") }?["issues"]?.arrayValue ?? []
    let needsCount = staleAgents.count + bouncedIssues.count + deadIssues.count + inbox.count
    var fields: [String: JSON] = [
      "day": day,
      "needs": .object([
        "count": .int(needsCount), "any": .bool(needsCount > 0), "stale": .array(staleAgents),
        "bounced": .array(bouncedIssues), "dead": .array(deadIssues), "questions": .int(inbox.count),
        "hasQuestions": .bool(!inbox.isEmpty),
      ]),
      "goal": goal.map { .string($0) } ?? .null, "plan": .string(plan), "tip": .string(tip),
      "tipShort": .string(String(tip.prefix(8))), "generatedAt": .string(RFC3339.format(now)),
      "nowEpoch": .int(Int(now)),
      "staleAfter": .int(Int(config.staleAfter)),
      "sinceAt": .string(RFC3339.format(period.since)), "untilAt": .string(RFC3339.format(period.until)),
      "baseBranch": .string(config.baseBranch),
      "agents": .array(agents), "staleCount": .int(report.rows.filter(\.stale).count),
      "anyStale": .bool(report.rows.contains(where: \.stale)), "escalationCount": .int(inbox.count),
      "hasAnswered": .bool(!answered.isEmpty),
      "board": .array(board), "issueCount": .int(issueCount), "readyCount": .int(readyIndices.count),
      "escalations": .array(inbox), "answered": .array(Array(answered)),
      "reviews": .array(reviews), "reviewCount": .int(reviews.count), "votes": .array(votes),
      "voteCount": .int(votes.count),
      "landing": landing, "timeline": .array(timeline), "timelineCount": .int(entries.count),
      "timelineLimited": .bool(timelineLimit.map { entries.count >= $0 } ?? false),
      "summary": .array(summary.json), "warnings": .array(warnings.map { .string($0) }),
      "conflicts": .array(report.conflictPairs.map(\.json)),
    ]
    if let run {
      // Supervisors on several hosts: the run started last, with what every active run spent and runs.
      let active = recordedRuns.active
      let runs = active.isEmpty ? [run] : active
      let cost = runs.reduce(0) { $0 + $1.total.costMicros }
      fields["run"] = .object([
        "id": .string(run.id), "state": .string(run.state.rawValue), "holder": .string(run.holder),
        "hosts": .array(Array(Set(runs.map(\.host))).sorted().map { .string($0) }),
        "costMicros": .int(cost), "cost": .string(Money.format(cost)),
        "running": .array(
          runs.flatMap(\.slots).map { .object(["agent": .string($0.agent), "issue": IssueReference.write($0.issue)]) }),
      ])
    } else {
      fields["run"] = .null
    }
    json = .object(fields)
  }

  /// One landing as the page shows it: the head it made, when, and each gate command.
  static func landingView(issue: Issue, landed evidence: LandingEvidence) -> JSON {
    landingView(
      issue: issue, head: evidence.head, at: evidence.landedAt, reason: nil, paths: [], gate: evidence.gate,
      bounced: false)
  }

  /// One bounce as the page shows it: the same row as a landing, with its reason and paths.
  static func landingView(issue: Issue, bounce: Bounce) -> JSON {
    landingView(
      issue: issue, head: nil, at: bounce.at, reason: bounce.reason, paths: bounce.paths, gate: bounce.gate,
      bounced: true)
  }

  private static func landingView(
    issue: Issue, head: ObjectID?, at: String?, reason: String?, paths: [String], gate: [GateCommandResult],
    bounced: Bool
  ) -> JSON {
    let commands = gate.map { command -> JSON in
      var view = JSONEncoding.fields(command)
      view["passed"] = .bool(command.passed)
      return .object(view)
    }
    return .object([
      "id": IssueReference.write(issue.id), "title": .string(issue.title),
      "agent": issue.assignee.map { .string($0) } ?? .null,
      "head": .string(String((head?.hex ?? "").prefix(8))),
      (bounced ? "bouncedAt" : "landedAt"): at.map { .string($0) } ?? .null,
      "reason": reason.map { .string($0) } ?? .null, "paths": .array(paths.map { .string($0) }),
      "gate": .array(commands), "bounced": .bool(bounced),
    ])
  }

  /// The timeline as shown: newest first; each run of consecutive heartbeats is folded behind one
  /// row that counts them (the heartbeats stay in the list, marked, for the page to unfold).
  static func fold(_ entries: [LogEntry]) -> [JSON] {
    var out: [JSON] = []
    var index = 0
    while index < entries.count {
      var end = index
      while end < entries.count, entries[end].isLiveness { end += 1 }
      if end > index {
        let run = entries[index..<end]
        var agents: [String] = []
        for entry in run where !agents.contains(entry.agentName) { agents.append(entry.agentName) }
        out.append(
          .object([
            "fold": .bool(true), "count": .int(run.count), "what": .string(run.count == 1 ? "heartbeat" : "heartbeats"),
            "agents": .string(agents.prefix(5).joined(separator: ", ") + (agents.count > 5 ? ", …" : "")),
            "firstAt": .string(RFC3339.format(run.last!.time)), "lastAt": .string(RFC3339.format(run.first!.time)),
          ]))
        for entry in run { out.append(Self.row(entry, heartbeat: true)) }
        index = end
      } else {
        out.append(Self.row(entries[index], heartbeat: false))
        index += 1
      }
    }
    return out
  }

  static func row(_ entry: LogEntry, heartbeat: Bool) -> JSON {
    .object([
      "commit": .string(entry.commit.hex), "short": .string(entry.commit.short),
      "committedAt": .string(RFC3339.format(entry.time)), "epoch": .int(Int(entry.time)),
      "agent": .string(entry.agentName), "op": .string(entry.message?.op ?? "manual"),
      "issue": entry.issue.map { IssueReference.write($0) } ?? .null, "hasIssue": .bool(entry.issue != nil),
      "subject": .string(entry.subject), "heartbeat": .bool(heartbeat), "fold": .bool(false),
    ])
  }
}

/// What each agent did over a period, from the operations of the timeline: issues it finished,
/// failures (its own `fail`, and its work that `ghp land` sent back), time it held claims, and the
/// cost a `ghp run` counted for it.
struct PeriodSummary {
  struct Tally {
    var operations = 0
    var heartbeats = 0
    var done: Set<String> = []
    var failures = 0
    var claimedSeconds: Int64 = 0
    var escalations = 0
  }

  var tallies: [String: Tally] = [:]
  var costs: [String: Int] = [:]

  /// `entries` newest first, as the log gives them.
  init(entries: [LogEntry], period: Dashboard.Period, now: Int64, run: RunRecord?) {
    var open: [String: (agent: String, since: Int64)] = [:]
    /// The last agent each issue was claimed by or handed to.
    var holders: [String: String] = [:]
    let end = min(period.until, now)
    for entry in entries.reversed() {
      let agent = entry.agentName
      tallies[agent, default: Tally()].operations += 1
      guard let message = entry.message, let operation = entry.operation else { continue }
      let issue = operation.recordedIssue ?? message.issue
      // A claim, an assignment, a run giving a worker its issue: the issue is the holder's from now.
      if let issue, let holder = operation.handsOver(actor: agent), message.op != HandoffOperation.name {
        if let previous = open[issue] {
          tallies[previous.agent, default: Tally()].claimedSeconds += entry.time - previous.since
        }
        open[issue] = (holder, entry.time)
        holders[issue] = holder
        continue
      }
      // A run's worker exited: what it still held is no longer held by it (a claim it handed on, or
      // that was taken from it, is the new holder's).
      let exit = (operation as? RunOperation).flatMap { $0.action == .exit ? $0 : nil }
      let exited = exit.map { exit in issue.flatMap { open[$0]?.agent } == exit.agent } ?? false
      switch exited ? ReleaseOperation.name : message.op {
      case StatusUpdateOperation.name: tallies[agent, default: Tally()].heartbeats += 1
      case BounceOperation.name:
        // The gate or a conflict sent the work back to whoever submitted it: a failure of theirs,
        // and the issue is theirs again.
        if let issue, let submitter = holders[issue] {
          tallies[submitter, default: Tally()].failures += 1
          open[issue] = (submitter, entry.time)
        }
      case DoneOperation.name, ReleaseOperation.name, FailOperation.name, HandoffOperation.name, LandedOperation.name:
        if message.op == DoneOperation.name, let issue { tallies[agent, default: Tally()].done.insert(issue) }
        if message.op == FailOperation.name { tallies[agent, default: Tally()].failures += 1 }
        if let issue, let previous = open[issue] {
          tallies[previous.agent, default: Tally()].claimedSeconds += entry.time - previous.since
          open[issue] = nil
          if message.op == HandoffOperation.name, let to = operation.handsOver(actor: agent) {
            open[issue] = (to, entry.time)
            holders[issue] = to
          }
        }
      case EscalateOperation.name: tallies[agent, default: Tally()].escalations += 1
      default: break
      }
    }
    for (_, claim) in open { tallies[claim.agent, default: Tally()].claimedSeconds += max(0, end - claim.since) }
    for (agent, tally) in run?.tallies ?? [:] where tally.costMicros > 0 { costs[agent] = tally.costMicros }
  }

  var json: [JSON] {
    tallies.keys.sorted().map { agent in
      let tally = tallies[agent]!
      return .object([
        "agent": .string(agent), "operations": .int(tally.operations), "heartbeats": .int(tally.heartbeats),
        "done": .int(tally.done.count), "failures": .int(tally.failures), "escalations": .int(tally.escalations),
        "claimedSeconds": .int(Int(tally.claimedSeconds)), "claimed": .string(Duration.describe(tally.claimedSeconds)),
        "costMicros": costs[agent].map { .int($0) } ?? .null,
        "cost": costs[agent].map { .string(Money.format($0)) } ?? .null,
      ])
    }
  }
}
