/// `.ghp/run.json`: the run `ghp run` supervises — who supervises it (host, pid, lease), its
/// workers and what each runs now, the totals so far and the circuit breaker. Everything a
/// restarted supervisor needs, beside the process table.
public struct RunRecord: Equatable, Sendable {
  /// Running; stopping (asked to stop, workers ending); then finished (the queue worked off),
  /// stopped, or failed (the command could not start, a budget was reached).
  public enum State: String, Sendable, CaseIterable, RecordedWord { case running, stopping, finished, stopped, failed }

  /// One worker process the run started and has not yet seen end.
  public struct Slot: Equatable, Sendable {
    /// The worker agent running.
    public var agent: String
    /// The id of the issue it works on.
    public var issue: String
    /// The issue's epoch of the claim it works under.
    public var epoch: Int
    /// Which attempt at the issue this is, from 1.
    public var attempt: Int
    /// When the run assigned it the issue, in seconds since 1970.
    public var startedAt: Int64
    /// The keeper process (it leads the worker's process group) and its start time, once recorded.
    public var pid: Int?
    /// The keeper's start time (clock ticks after boot), telling it from a later process with its pid.
    public var start: Int?
    /// What the worker did last, as its output showed it at the last tick.
    public var lastAction = ""
    /// Millionths of a dollar the attempt reported spending, as of the last tick.
    public var costMicros = 0
    /// Tokens the attempt reported using, as of the last tick.
    public var tokens = 0

    var json: JSON {
      .object([
        "agent": .string(agent), "issue": .string(issue), "epoch": .int(epoch), "attempt": .int(attempt),
        "startedAt": .string(RFC3339.format(startedAt)), "pid": pid.map { .int($0) } ?? .null,
        "start": start.map { .int($0) } ?? .null, "lastAction": .string(lastAction), "costMicros": .int(costMicros),
        "tokens": .int(tokens),
      ])
    }

    init(agent: String, issue: String, epoch: Int, attempt: Int, startedAt: Int64) {
      self.agent = agent
      self.issue = issue
      self.epoch = epoch
      self.attempt = attempt
      self.startedAt = startedAt
    }

    init(json: JSON) throws(DocumentError) {
      guard let f = json.objectValue, let agent = f["agent"]?.stringValue, let issue = f["issue"]?.stringValue,
        let epoch = f["epoch"]?.intValue, let attempt = f["attempt"]?.intValue,
        let started = f["startedAt"]?.stringValue.flatMap(RFC3339.parse)
      else { throw DocumentError("a slot needs agent, issue, epoch, attempt and startedAt") }
      self.init(agent: agent, issue: issue, epoch: epoch, attempt: attempt, startedAt: started)
      pid = f["pid"]?.intValue
      start = f["start"]?.intValue
      lastAction = f["lastAction"]?.stringValue ?? ""
      costMicros = f["costMicros"]?.intValue ?? 0
      tokens = f["tokens"]?.intValue ?? 0
    }
  }

  /// What one worker did over the run.
  public struct Tally: Equatable, Sendable {
    /// Attempts that finished their issue.
    public var finished = 0
    /// Attempts that failed (counted against the issue's attempts).
    public var failed = 0
    /// Attempts given back uncounted (the run stopped, the command could not start).
    public var released = 0
    /// Seconds its attempts ran, added up.
    public var seconds = 0
    /// Millionths of a dollar its attempts reported spending, added up.
    public var costMicros = 0
    /// Tokens its attempts reported using, added up.
    public var tokens = 0
    /// Cache reads and writes its attempts reported, added up (apart from `tokens`).
    public var cacheTokens = 0
    /// Tokens its attempts' subagents reported using, added up (apart from `tokens`).
    public var subagentTokens = 0

    /// A tally of nothing yet.
    public init() {}

    var json: JSON {
      .object([
        "finished": .int(finished), "failed": .int(failed), "released": .int(released), "seconds": .int(seconds),
        "costMicros": .int(costMicros), "tokens": .int(tokens), "cacheTokens": .int(cacheTokens),
        "subagentTokens": .int(subagentTokens),
      ])
    }

    init(json: JSON?) {
      let f = json?.objectValue ?? [:]
      finished = f["finished"]?.intValue ?? 0
      failed = f["failed"]?.intValue ?? 0
      released = f["released"]?.intValue ?? 0
      seconds = f["seconds"]?.intValue ?? 0
      costMicros = f["costMicros"]?.intValue ?? 0
      tokens = f["tokens"]?.intValue ?? 0
      cacheTokens = f["cacheTokens"]?.intValue ?? 0
      subagentTokens = f["subagentTokens"]?.intValue ?? 0
    }

    mutating func add(_ other: Tally) {
      finished += other.finished
      failed += other.failed
      released += other.released
      seconds += other.seconds
      costMicros += other.costMicros
      tokens += other.tokens
      cacheTokens += other.cacheTokens
      subagentTokens += other.subagentTokens
    }
  }

  /// The circuit breaker of the run's agent command.
  public struct Breaker: Equatable, Sendable, Codable {
    /// Where the breaker is: closed, open, or half-open (one trial worker).
    public enum State: String, Sendable, CaseIterable, RecordedWord {
      /// Closed: workers start as usual. Open: no new worker starts until the cool-down is over.
      case closed, open
      /// The cool-down is over: one trial worker may run; its success closes the breaker, its failure opens it.
      case halfOpen = "half-open"
    }
    /// Where the breaker is now; a new one is closed.
    public var state: State = .closed
    /// The failures in a row that count (within the window), oldest first.
    public var failures: [(at: Int64, reason: String)] = []
    /// When it last opened, in seconds since 1970; nil while closed.
    public var openedAt: Int64?
    /// The escalation filed when it opened.
    public var escalation: String?

    /// A closed breaker with no failures.
    public init() {}

    /// Equal in state, failures, opening time and escalation.
    public static func == (a: Breaker, b: Breaker) -> Bool {
      a.state == b.state && a.openedAt == b.openedAt && a.escalation == b.escalation
        && a.failures.map(\.at) == b.failures.map(\.at) && a.failures.map(\.reason) == b.failures.map(\.reason)
    }

    /// The document's keys, each named once.
    enum CodingKeys: String, CodingKey { case state, failures, openedAt, escalation }

    /// One failure as written: its time as RFC 3339 text, and why.
    struct Failure: Codable {
      var at: String
      var reason: String
    }

    /// The breaker as `.ghp/run.json` and the `run` records hold it.
    public var json: JSON { JSONEncoding.encode(self) }

    /// Writes the breaker, its times as RFC 3339 text.
    public func encode(to encoder: any Encoder) throws {
      var fields = encoder.container(keyedBy: CodingKeys.self)
      try fields.encode(state, forKey: .state)
      try fields.encode(failures.map { Failure(at: RFC3339.format($0.at), reason: $0.reason) }, forKey: .failures)
      try fields.encodeIfPresent(openedAt.map(RFC3339.format), forKey: .openedAt)
      try fields.encodeIfPresent(escalation, forKey: .escalation)
    }

    /// Reads the breaker strictly: a field of the wrong type, a time that is not RFC 3339 or a
    /// field it does not have is an error.
    public init(from decoder: any Decoder) throws {
      let fields = try decoder.container(keyedBy: CodingKeys.self)
      func time(_ text: String, _ key: CodingKeys) throws -> Int64 {
        guard let time = RFC3339.parse(text) else {
          throw DecodingError.dataCorruptedError(
            forKey: key, in: fields, debugDescription: "'\(text)' is not an RFC 3339 time")
        }
        return time
      }
      state = try fields.decode(State.self, forKey: .state)
      for failure in try fields.decodeIfPresent([Failure].self, forKey: .failures) ?? [] {
        failures.append((try time(failure.at, .failures), failure.reason))
      }
      openedAt = try fields.decodeIfPresent(String.self, forKey: .openedAt).map { try time($0, .openedAt) }
      escalation = try fields.decodeIfPresent(String.self, forKey: .escalation)
    }

    init(json: JSON?) throws(DocumentError) {
      guard let json else { return }
      self = try JSONDecoding.document(Breaker.self, from: json, field: "breaker")
    }
  }

  /// The run's id, `run-<hex>`; a takeover keeps it.
  public var id: String
  /// The goal a leader planned into issues, nil when the run had none.
  public var goal: String?
  /// The orchestrator whose supervisor holds the run.
  public var holder: String
  /// The random token of the supervisor holding the run; its records must carry it.
  public var token: String
  /// The host name of the supervisor's machine.
  public var host: String
  /// The supervisor's process id on `host`.
  public var pid: Int
  /// The supervisor process's start time (clock ticks after boot), telling it from a later
  /// process with the same pid.
  public var start: Int
  /// When the run started, in seconds since 1970 (a takeover keeps it).
  public var startedAt: Int64
  /// When the supervisor last renewed its lease (each tick), in seconds since 1970.
  public var renewedAt: Int64
  /// Where the run is: running, stopping, or how it ended.
  public var state: State = .running
  /// The agent command the workers run (a preset name or a command line).
  public var command: String
  /// The run's worker agents.
  public var workers: [String]
  /// The workers running now, one slot each.
  public var slots: [Slot] = []
  /// What each worker did over the run, by agent name.
  public var tallies: [String: Tally] = [:]
  /// The circuit breaker of the agent command.
  public var breaker = Breaker()
  /// Who asked the run to stop (`ghp run stop`) and when, nil when nobody did.
  public var stopRequested: (by: String, at: Int64)?
  /// How many times a supervisor took the run over from one that was gone.
  public var takeovers = 0
  /// The closing line, once the run ended.
  public var outcome: String?

  /// Equal when their documents are.
  public static func == (a: RunRecord, b: RunRecord) -> Bool { a.json == b.json }

  /// True while running or stopping: a supervisor holds it.
  public var isActive: Bool { state == .running || state == .stopping }

  /// All workers' tallies added up.
  public var total: Tally {
    var sum = Tally()
    for tally in tallies.values { sum.add(tally) }
    return sum
  }

  /// The document as canonical JSON.
  public var json: JSON {
    .object([
      "id": .string(id), "goal": goal.map { .string($0) } ?? .null, "holder": .string(holder), "token": .string(token),
      "host": .string(host), "pid": .int(pid), "start": .int(start), "startedAt": .string(RFC3339.format(startedAt)),
      "renewedAt": .string(RFC3339.format(renewedAt)), "state": .string(state.rawValue), "command": .string(command),
      "workers": .array(workers.map { .string($0) }), "slots": .array(slots.map(\.json)),
      "tallies": .object(tallies.mapValues(\.json)), "breaker": breaker.json,
      "stopRequested": stopRequested.map { .object(["by": .string($0.by), "at": .string(RFC3339.format($0.at))]) }
        ?? .null,
      "takeovers": .int(takeovers), "outcome": outcome.map { .string($0) } ?? .null,
    ])
  }

  init(
    id: String, holder: String, token: String, host: String, pid: Int, start: Int, at: Int64, command: String,
    workers: [String]
  ) {
    self.id = id
    self.holder = holder
    self.token = token
    self.host = host
    self.pid = pid
    self.start = start
    startedAt = at
    renewedAt = at
    self.command = command
    self.workers = workers
  }

  init(json: JSON) throws(DocumentError) {
    guard let f = json.objectValue, let id = f["id"]?.stringValue, let holder = f["holder"]?.stringValue,
      let token = f["token"]?.stringValue, let host = f["host"]?.stringValue, let pid = f["pid"]?.intValue,
      let start = f["start"]?.intValue, let started = f["startedAt"]?.stringValue.flatMap(RFC3339.parse),
      let renewed = f["renewedAt"]?.stringValue.flatMap(RFC3339.parse), let word = f["state"]?.stringValue,
      let state = State(rawValue: word), let command = f["command"]?.stringValue,
      let workers = f["workers"]?.arrayValue?.compactMap(\.stringValue)
    else {
      throw DocumentError(
        "a run needs id, holder, token, host, pid, start, startedAt, renewedAt, state, command and workers")
    }
    self.init(
      id: id, holder: holder, token: token, host: host, pid: pid, start: start, at: started, command: command,
      workers: workers)
    renewedAt = renewed
    self.state = state
    goal = f["goal"]?.stringValue
    for slot in f["slots"]?.arrayValue ?? [] { slots.append(try Slot(json: slot)) }
    for (agent, tally) in f["tallies"]?.objectValue ?? [:] { tallies[agent] = Tally(json: tally) }
    breaker = try Breaker(json: f["breaker"])
    if let stop = f["stopRequested"]?.objectValue, let by = stop["by"]?.stringValue,
      let at = stop["at"]?.stringValue.flatMap(RFC3339.parse)
    {
      stopRequested = (by, at)
    }
    takeovers = f["takeovers"]?.intValue ?? 0
    outcome = f["outcome"]?.stringValue
  }

  /// The run's id, its holder, pid and host, and since when, as refusals name it.
  public var description: String {
    "run \(id) by \(holder) (pid \(pid) on \(host), since \(RFC3339.format(startedAt)))"
  }

  /// Whether the supervisor is gone: on this host, its process (pid and start time) is not there;
  /// anywhere, it has not renewed its lease for `lease` seconds (`agent.lease`).
  public func isAbandoned(now: Int64, host here: String, lease: Int64) -> Bool {
    if now - renewedAt > lease { return true }
    if host == here { return ProcessIdentity.startTime(of: Int32(clamping: pid)).map { Int($0) } != start }
    return false
  }
}

extension StatePaths {
  /// The one run document of an older ghp, when one run at a time drove a repository; a run it
  /// started is still read (and taken over) there.
  public static let run = ".ghp/run.json"
  /// The folder of the run documents, one per run: supervisors on several hosts run at once.
  public static let runsFolder = ".ghp/runs"
  /// A run's own document.
  public static func run(_ id: String) -> String { "\(runsFolder)/\(id).json" }
}

extension Array where Element == RunRecord {
  /// The active runs (on any host), the one started first first.
  public var active: [RunRecord] { filter(\.isActive).sorted { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) } }

  /// The run a person asks about: the active run started last, else the run that ended last.
  public var current: RunRecord? { active.last ?? self.max { ($0.renewedAt, $0.id) < ($1.renewedAt, $1.id) } }
}

extension StateSnapshot {
  /// Every run document with its path: the older single one first, then the runs folder in name
  /// order.
  func runDocuments() throws(GHPError) -> [(path: String, run: RunRecord)] {
    var documents: [(path: String, run: RunRecord)] = []
    func read(_ path: String) throws(GHPError) {
      guard let value = try json(path) else { return }
      do { documents.append((path, try RunRecord(json: value))) } catch {
        throw .corruptDocument(path: path, commit: shortCommit, detail: error.detail)
      }
    }
    try read(StatePaths.run)
    guard let tree else { return documents }
    let folder: ObjectID?
    do { folder = try tree.entryID(at: StatePaths.runsFolder) } catch { throw GHPError.bridging(error) }
    guard let folder else { return documents }
    let entries: [(name: String, id: ObjectID)]
    do { entries = try repository.tree(folder).entries() } catch { throw GHPError.bridging(error) }
    for entry in entries.sorted(by: { $0.name < $1.name }) where entry.name.hasSuffix(".json") {
      try read("\(StatePaths.runsFolder)/\(entry.name)")
    }
    return documents
  }

  /// Every run recorded: those running (on any host) and the last one each host finished.
  public func runRecords() throws(GHPError) -> [RunRecord] { try runDocuments().map(\.run) }

  /// The run a person asks about: the active run started last, else the run that ended last; nil
  /// when `ghp run` never ran here.
  public func runRecord() throws(GHPError) -> RunRecord? { try runRecords().current }

  /// The run `id`, nil when no document holds it.
  public func runRecord(id: String) throws(GHPError) -> RunRecord? {
    try runRecords().first { $0.id == id }
  }

  /// The workers of every run whose supervisor renewed its lease within `agent.lease`: `ghp reap`
  /// leaves them to it. A run document that cannot be read owns nothing (`ghp run status` names
  /// the problem).
  func runOwnedAgents(now: Int64) throws(GHPError) -> Set<String> {
    guard let runs = try? runRecords() else { return [] }
    let lease = try config().agent.lease
    var owned = Set<String>()
    for run in runs where run.isActive && now - run.renewedAt <= lease {
      owned.formUnion(run.workers)
    }
    return owned
  }
}
