/// One agent as `ghp agent-status` shows it.
public struct AgentStatusRow: Sendable {
  /// The agent's registered name.
  public var name: String
  /// The agent as `agent-status.json` has it: role, issue, status, last action, heartbeat.
  public var record: AgentRecord
  /// Seconds since the last heartbeat.
  public var age: Int64
  /// Silent for longer than staleAfter while it should be working: a worker (not one a live
  /// `ghp run` supervises), or anyone holding a claim. A human or orchestrator with nothing claimed
  /// is never stale.
  public var stale: Bool
  /// Whether `ghp reap` would act on it (a stale worker).
  public var reapable = false
  /// Answers to this agent's escalations given since its last report.
  public var answers: [Escalation] = []
  /// What this agent's branch conflicts with (`ghp conflicts`): the base or other agents' branches.
  public var conflicts: [String] = []
}

/// `ghp agent-status`: every agent with its age and stale mark, read from the tip tree only.
public struct StatusReport: Sendable {
  /// One row per registered agent, by name.
  public var rows: [AgentStatusRow]
  /// Seconds of silence after which an agent is stale (`staleAfter` in the policy).
  public var staleAfter: Int64
  /// The time the ages were measured at, in seconds since 1970.
  public var now: Int64
  /// Issues that failed `maxAttempts` times: they wait for an orchestrator's `ghp issue retry`.
  public var deadIssues: [IssueSummary]
  /// Documents that could not be read; the table still shows what could.
  public var warnings: [String] = []
  /// Open escalations, most severe first: what a human reads first.
  public var openEscalations: [Escalation] = []
  /// Pairs of branches that do not merge cleanly (see `addConflicts`).
  public var conflictPairs: [ConflictReport.Pair] = []
  /// The first time at which an agent not stale now becomes stale (`Int64.max` when none can): the
  /// report's stale marks hold from `now` until then.
  public var marksHoldUntil: Int64 = .max
  /// False when part of the report could not be read this time (the conflicts): it is shown as it
  /// is, and not kept for later calls.
  public var settled = true

  /// Reads the agents, dead issues and escalations of `state`, ages measured at `clock`; a
  /// broken issue or escalation document becomes a warning.
  public init(state: StateSnapshot, clock: Clock) throws(GHPError) {
    try state.requireInitialised()
    let config = try state.config()
    // A broken issue document must not hide who is doing what: report it beside the table.
    var holders: Set<String> = []
    do {
      // From the issue table's records: a summary is made only for a dead issue.
      var dead: [IssueSummary] = []
      if let table = try state.issueTable() {
        for index in 0..<table.count {
          switch table.status(index) {
          case .claimed: if let holder = table.assignee(index) { holders.insert(holder) }
          case .dead: dead.append(table.summary(index))
          default: break
          }
        }
      }
      deadIssues = dead.sorted { IssueID.precedes($0.id, $1.id) }
    } catch {
      guard case .corruptDocument = error else { throw error }
      deadIssues = []
      warnings.append(error.description)
    }
    let owned = try state.runOwnedAgents(now: clock.now)
    staleAfter = config.staleAfter
    now = clock.now
    var escalations: [Escalation] = []
    do { escalations = try state.escalations() } catch {
      guard case .corruptDocument = error else { throw error }
      warnings.append(error.description)
    }
    openEscalations = escalations.filter { $0.status == .open }.sorted(by: Escalation.inboxOrder)
    // Each agent as last heard from: its entry, or its own heartbeat ref when newer.
    let agents = try state.agents().withBeats(AliveRefs.latest(in: state)).agents
    let orchestrators = Set(agents.keys.filter { (try? state.role(of: $0)) == .orchestrator })
    rows = agents.map { name, record in
      let age = clock.now - record.timestamp
      let silent = age > config.staleAfter
      let worker = !orchestrators.contains(name) && !owned.contains(name)
      // Stale is for an agent that should be working: one holding an issue. An idle worker (no
      // claim, no run) may be silent as long as it likes.
      let holds = holders.contains(name)
      var row = AgentStatusRow(name: name, record: record, age: age, stale: silent && holds)
      row.reapable = silent && worker && holds
      row.answers = escalations.filter {
        $0.agent == name && $0.status == .resolved && $0.told == nil
      }
      return row
    }.sorted { $0.name < $1.name }
    for row in rows where !row.stale && holders.contains(row.name) {
      marksHoldUntil = min(marksHoldUntil, row.record.timestamp + config.staleAfter + 1)
    }
  }

  /// Marks each agent whose branch conflicts with the base or another agent's branch.
  public mutating func addConflicts(_ report: ConflictReport) {
    conflictPairs = report.pairs
    for index in rows.indices {
      let branch = "agent/\(rows[index].name)"
      rows[index].conflicts = report.pairs.compactMap { $0.one == branch ? $0.two : $0.two == branch ? $0.one : nil }
    }
  }

  /// The seed's shape, with `"stale"` added to each agent.
  public var json: JSON {
    guard case .object(var root) = jsonBesideAgents else { preconditionFailure("not an object") }
    root["agents"] = .object(Dictionary(uniqueKeysWithValues: rows.map { ($0.name, Self.json(of: $0)) }))
    return .object(root)
  }

  /// `json.pretty()`, written from the rows without the JSON tree (`StatusWriter`): what
  /// `agent-status --json` and the `ghp://status` resource answer.
  public var prettyJSON: String {
    String(decoding: StatusWriter(forms: .pretty, keeps: false).write(self).pretty, as: UTF8.self)
  }

  /// One agent's object: its entry as the agents' document writes it, with `"stale"`, and its
  /// conflicts and answers when it has any.
  static func json(of row: AgentStatusRow) -> JSON {
    guard case .object(var fields) = AgentStatusDocument.entry(row.record) else {
      preconditionFailure("an entry is an object")
    }
    fields["stale"] = .bool(row.stale)
    if !row.conflicts.isEmpty { fields["conflicts"] = .array(row.conflicts.map { .string($0) }) }
    if !row.answers.isEmpty { fields["answers"] = .array(row.answers.map(\.answerJSON)) }
    return .object(fields)
  }

  /// Everything in `json` but the agents: the open escalations, dead issues, conflicts and
  /// warnings, each only when there are some.
  var jsonBesideAgents: JSON {
    var root: [String: JSON] = [:]
    if !openEscalations.isEmpty { root["openEscalations"] = .array(openEscalations.map(\.answerJSON)) }
    if !deadIssues.isEmpty { root["deadIssues"] = .array(deadIssues.map(\.json)) }
    if !conflictPairs.isEmpty { root["conflicts"] = .array(conflictPairs.map(\.json)) }
    if !warnings.isEmpty { root["warnings"] = .array(warnings.map { .string($0) }) }
    return .object(root)
  }
}

/// `ghp issue list --status`: the statuses, plus `failed` (open again after at least one failure).
public enum IssueFilter: String, CaseIterable, Sendable {
  /// A status of that name; `failed`: open again after at least one failed attempt.
  case open, claimed, landing, done, failed, dead

  /// Whether the issue summarised by `summary` is one this filter keeps.
  public func matches(_ summary: IssueSummary) -> Bool {
    switch self {
    case .failed: summary.status == .open && summary.attempts > 0
    default: summary.status.rawValue == rawValue
    }
  }
}

/// `ghp issue show`: the issue, its full result and its history.
public struct IssueDetail: Sendable {
  /// The issue as its document has it.
  public var issue: Issue
  /// The text of `.ghp/results/<id>.md`, nil until its holder reported it done.
  public var result: String?
  /// Every state commit about the issue, newest first.
  public var history: [LogEntry]
  /// A best-of issue's attempts and vote (also an attempt's), nil for any other issue.
  public var bestOf: VoteBoard.Shown?

  /// Reads issue `id`, its result and its whole history; refused when there is no such issue.
  public init(state: StateSnapshot, id: String) throws(GHPError) {
    issue = try state.requireIssue(id)
    result = try state.text(StatePaths.result(id))
    history = try HistoryLog.entries(state, issue: id, limit: nil)
    if issue.kind == .bestOf || issue.attemptOf != nil { bestOf = try VoteBoard.show(state, id: id) }
  }

  /// The detail as JSON: `issue`, `result` and `history` (and a best-of issue's `attempts`).
  public var json: JSON {
    var fields: [String: JSON] = ["issue": issue.answerJSON, "history": .array(history.map(\.json))]
    if let bestOf, case .object(let vote) = bestOf.json { fields["bestOf"] = .object(vote) }
    fields["result"] = result.map { .string($0) } ?? .null
    return .object(fields)
  }
}

/// One state commit as `ghp log` shows it.
public struct LogEntry: Sendable {
  /// The state commit.
  public var commit: ObjectID
  /// The commit's time, in seconds since 1970.
  public var time: Int64
  /// The first line of the commit's message.
  public var subject: String
  /// The parsed trailers; nil for a commit made by hand without them.
  public var message: CommitMessage?
  /// The commit's author name.
  public var author: String
  /// The operation its record describes, decoded once; nil for a commit without one ghp can read.
  public let operation: (any RecordedOperation)?

  /// An entry of the commit `commit`, its record decoded.
  public init(commit: ObjectID, time: Int64, subject: String, message: CommitMessage?, author: String) {
    self.commit = commit
    self.time = time
    self.subject = subject
    self.message = message
    self.author = author
    operation = message.flatMap { try? OperationCatalog.decode($0.operation) }
  }

  /// Who made it: the `Ghp-Agent` trailer, else the commit's author.
  public var agentName: String { message?.agent ?? author }

  /// A heartbeat or a supervisor's tick: liveness noise the log can leave out and the page folds.
  public var isLiveness: Bool {
    // A record this ghp cannot read (a newer one's) is judged by its name.
    operation?.isLiveness ?? (message?.op == StatusUpdateOperation.name)
  }

  /// The issue it is about: the one its record names, else (for an operation whose record names
  /// none, such as a landing of one issue) its `Ghp-Issue`, which `ghp verify` holds to what the
  /// record makes.
  public var issue: String? { operation?.recordedIssue ?? message?.issue }

  /// The entry as JSON (`ghp log --json`): `op`, `issue`, `epoch` and the record's `args`.
  public var json: JSON {
    var f: [String: JSON] = [
      "commit": .string(commit.hex), "committedAt": .string(RFC3339.format(time)), "subject": .string(subject),
      "agent": .string(agentName), "op": message.map { .string($0.op) } ?? .null,
      "issue": IssueReference.write(issue), "epoch": message?.epoch.map { .int($0) } ?? .null,
    ]
    if let arguments = message?.arguments { f["args"] = arguments }
    return .object(f)
  }
}

/// `ghp log`: the coordination history, newest first, from the commits of `ghp/state`.
public enum HistoryLog {
  /// At most `limit` entries (nil: all), filtered by agent and issue.
  /// `scanning` bounds how many commits are looked at (for filters that may match rarely).
  /// `since`/`until` bound the commit time (the walk stops at the first commit older than `since`:
  /// each state commit is made after its parent); `ops` keeps only those operations;
  /// `heartbeats: false` leaves out heartbeats and a supervisor's ticks.
  /// How many commits in a row older than `since` end a walk (as git log's --since slop).
  static let olderRun = 32

  public static func entries(
    _ state: StateSnapshot, agent: String? = nil, issue: String? = nil, limit: Int? = 20, scanning: Int? = nil,
    since: Int64? = nil, until: Int64? = nil, ops: Set<String> = [], heartbeats: Bool = true
  ) throws(GHPError) -> [LogEntry] {
    try state.requireInitialised()
    var out: [LogEntry] = []
    if limit == 0 { return out }
    var scanned = 0
    var older = 0
    do {
      try state.repository.walk(from: state.commit!) { commit in
        scanned += 1
        if let scanning, scanned > scanning { return false }
        // Times are the writers' clocks, not the order of the branch: one commit older than
        // `since` (a host whose clock is behind) does not end the period; a run of them does.
        if let since, commit.time < since {
          older += 1
          return older < Self.olderRun
        }
        older = 0
        if let until, commit.time > until { return true }
        let message = CommitMessage.parse(commit.message)
        let who = message?.agent ?? commit.authorName
        if let agent, who != agent { return true }
        if !ops.isEmpty && !ops.contains(message?.op ?? "") { return true }
        let entry = LogEntry(
          commit: commit.id, time: commit.time, subject: commit.summary, message: message, author: commit.authorName)
        if let issue, entry.issue != issue { return true }
        if !heartbeats, entry.isLiveness { return true }
        out.append(entry)
        return limit.map { out.count < $0 } ?? true
      }
    } catch {
      throw .git(error)
    }
    return out
  }
}
