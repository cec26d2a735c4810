/// `run`: what the supervisor records on `ghp/state`. Each action names the run's lease token, so
/// that only the supervisor holding the run acts for it; `stop` may come from any orchestrator.
public struct RunOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "run"

  /// `start` a run or take one over, `tick` (renew and news), `assign` an issue to a worker, a
  /// worker's `exit`, `stop` (asked by any orchestrator), `finish` the run, `adopt` the run of a
  /// supervisor gone from another host (its lease stale): its workers' issues go back to the queue
  /// and it ends.
  public enum Action: String, Sendable, CaseIterable, RecordedWord {
    case start, tick, assign, exit, stop, finish, adopt
  }

  /// One worker's news in a `tick`: its process once started, what it did last, what it spent.
  public struct Update: Equatable, Sendable, Codable {
    /// The worker the news is about.
    public var agent: String
    /// What it did last, as its output shows it; nil: unchanged.
    public var action: String?
    /// The pid of its keeper process (the leader of its process group), once started; nil: unchanged.
    public var pid: Int?
    /// The keeper's start time (clock ticks after boot), recorded with `pid`.
    public var start: Int?
    /// Millionths of a dollar its attempt reports spent so far; nil: unchanged.
    public var costMicros: Int?
    /// Tokens its attempt reports used so far; nil: unchanged.
    public var tokens: Int?
    /// Whether the worker showed progress since the last tick (a heartbeat for its agent).
    public var progressed: Bool

    /// One worker's news; whatever is nil is left as recorded.
    public init(
      agent: String, action: String? = nil, pid: Int? = nil, start: Int? = nil, costMicros: Int? = nil,
      tokens: Int? = nil, progressed: Bool = false
    ) {
      self.agent = agent
      self.action = action
      self.pid = pid
      self.start = start
      self.costMicros = costMicros
      self.tokens = tokens
      self.progressed = progressed
    }

  }

  /// How a worker's attempt ended.
  public enum Outcome: String, Sendable, CaseIterable, RecordedWord {
    /// The issue was done or submitted (by the worker, or before the exit was seen).
    case finished
    /// A failed attempt: counted, the issue reopened (dead after maxAttempts).
    case failed
    /// Given back uncounted: the run stopped, or the command could not start.
    case released
  }

  /// What this record does to the run.
  public var action: Action
  /// The supervisor's run token; every action but `stop` must carry the one the run holds.
  public var token = ""
  // start
  /// `start`: the run's id (`run-<hex>`), kept by a takeover. `adopt`: the id of the run ended.
  public var id = ""
  /// `start`: the goal a leader plans into issues, nil when the run has none.
  public var goal: String?
  /// `start`: the host name of the supervisor's machine.
  public var host = ""
  /// `start`: the supervisor's process id.
  public var pid = 0
  /// `start`: the supervisor process's start time (clock ticks after boot).
  public var start = 0
  /// `start`: the agent command the workers run (a preset name or a command line).
  public var command = ""
  /// `start`: the run's worker agents (1 to 64).
  public var workers: [String] = []
  /// `start`: the token of the run taken over from a supervisor that is gone; nil for a new run.
  /// `adopt`: the token of the run ended.
  public var replaces: String?
  /// `start`: a new run keeps its own document (`.ghp/runs/<id>.json`), beside the runs of other
  /// hosts; absent (an older ghp's record): the one `.ghp/run.json`, one run at a time.
  public var ownDocument = false
  // tick
  /// `tick`: the news of each worker that has some.
  public var updates: [Update] = []
  /// `tick`, `exit`: the breaker as the supervisor keeps it now; nil: unchanged.
  public var breaker: RunRecord.Breaker?
  // assign, exit
  /// `assign`, `exit`: the worker.
  public var agent = ""
  /// `assign`, `exit`: the id of the issue it works on.
  public var issue = ""
  /// `exit`: how the attempt ended.
  public var outcome: Outcome = .finished
  /// `exit`: why it failed or was given back, nil when it finished.
  public var reason: String?
  /// `exit`: how long the attempt ran, in seconds.
  public var seconds = 0
  /// `exit`: millionths of a dollar the attempt reported spending.
  public var costMicros = 0
  /// `exit`: tokens the attempt reported using (input and output of its own conversation).
  public var tokens = 0
  /// `exit`: cache reads and writes the attempt reported, apart from `tokens`.
  public var cacheTokens = 0
  /// `exit`: tokens its subagents reported using, apart from `tokens`.
  public var subagentTokens = 0
  // finish
  /// `finish`: how the run ended (finished, stopped or failed).
  public var state: RunRecord.State = .finished
  /// `finish`: the closing line, kept as the run's outcome.
  public var summary = ""

  /// An operation doing `action` for the run holding `token`; the caller sets that action's fields.
  public init(action: Action, token: String) {
    self.action = action
    self.token = token
  }

  /// The record's keys, each named once; which of them an action records is `fields(of:)`.
  enum CodingKeys: String, CodingKey {
    case action, token, id, goal, host, pid, start, command, workers, replaces, ownDocument, updates, breaker, agent
    case issue
    case outcome, reason, seconds, costMicros, tokens, cacheTokens, subagentTokens, state, summary
  }

  /// The record: the action, the token (not for `stop`) and that action's fields only.
  public func encode(to encoder: any Encoder) throws {
    var record = encoder.container(keyedBy: CodingKeys.self)
    try record.encode(action, forKey: .action)
    if action != .stop { try record.encode(token, forKey: .token) }
    switch action {
    case .start:
      try record.encode(id, forKey: .id)
      try record.encodeIfPresent(goal, forKey: .goal)
      try record.encode(host, forKey: .host)
      try record.encode(pid, forKey: .pid)
      try record.encode(start, forKey: .start)
      try record.encode(command, forKey: .command)
      try record.encode(workers, forKey: .workers)
      try record.encodeIfPresent(replaces, forKey: .replaces)
      if ownDocument { try record.encode(true, forKey: .ownDocument) }
    case .tick:
      try record.encode(updates, forKey: .updates)
      try record.encodeIfPresent(breaker, forKey: .breaker)
    case .assign:
      try record.encode(agent, forKey: .agent)
      try record.encode(issue, forKey: .issue)
    case .exit:
      try record.encode(agent, forKey: .agent)
      try record.encode(issue, forKey: .issue)
      try record.encode(outcome, forKey: .outcome)
      try record.encodeIfPresent(reason, forKey: .reason)
      try record.encode(seconds, forKey: .seconds)
      try record.encode(costMicros, forKey: .costMicros)
      try record.encode(tokens, forKey: .tokens)
      // Recorded only when reported: records of an older ghp have neither, and mean none.
      if cacheTokens > 0 { try record.encode(cacheTokens, forKey: .cacheTokens) }
      if subagentTokens > 0 { try record.encode(subagentTokens, forKey: .subagentTokens) }
      try record.encodeIfPresent(breaker, forKey: .breaker)
    case .stop: break
    case .finish:
      try record.encode(state, forKey: .state)
      try record.encode(summary, forKey: .summary)
    case .adopt:
      try record.encode(id, forKey: .id)
      try record.encode(replaces ?? "", forKey: .replaces)
    }
  }

  /// Reads the operation back from its record: the action's own fields, each with its type, and
  /// counts of at least 0; a field of another action is refused as unknown.
  public init(from decoder: any Decoder) throws {
    let record = try decoder.container(keyedBy: CodingKeys.self)
    action = try record.decode(Action.self, forKey: .action)
    if action != .stop { token = try record.decode(String.self, forKey: .token) }
    func count(_ key: CodingKeys) throws -> Int {
      let value = try record.decode(Int.self, forKey: key)
      guard value >= 0 else {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: record, debugDescription: "expected a whole number of at least 0, got \(value)")
      }
      return value
    }
    switch action {
    case .start:
      id = try record.decode(String.self, forKey: .id)
      goal = try record.decodeIfPresent(String.self, forKey: .goal)
      host = try record.decode(String.self, forKey: .host)
      pid = try count(.pid)
      start = try count(.start)
      command = try record.decode(String.self, forKey: .command)
      workers = try record.decodeIfPresent([String].self, forKey: .workers) ?? []
      replaces = try record.decodeIfPresent(String.self, forKey: .replaces)
      ownDocument = try record.decodeIfPresent(Bool.self, forKey: .ownDocument) ?? false
    case .tick:
      updates = try record.decode([Update].self, forKey: .updates)
      breaker = try record.decodeIfPresent(RunRecord.Breaker.self, forKey: .breaker)
    case .assign:
      agent = try record.decode(String.self, forKey: .agent)
      issue = try record.decode(String.self, forKey: .issue)
    case .exit:
      agent = try record.decode(String.self, forKey: .agent)
      issue = try record.decode(String.self, forKey: .issue)
      outcome = try record.decode(Outcome.self, forKey: .outcome)
      reason = try record.decodeIfPresent(String.self, forKey: .reason)
      seconds = try count(.seconds)
      costMicros = try count(.costMicros)
      tokens = try count(.tokens)
      cacheTokens = try record.contains(.cacheTokens) ? count(.cacheTokens) : 0
      subagentTokens = try record.contains(.subagentTokens) ? count(.subagentTokens) : 0
      breaker = try record.decodeIfPresent(RunRecord.Breaker.self, forKey: .breaker)
    case .stop: break
    case .finish:
      state = try record.decode(RunRecord.State.self, forKey: .state)
      guard state != .running && state != .stopping else {
        throw DecodingError.dataCorruptedError(
          forKey: .state, in: record, debugDescription: "expected finished, stopped or failed, got \(state.rawValue)")
      }
      summary = try record.decode(String.self, forKey: .summary)
    case .adopt:
      id = try record.decode(String.self, forKey: .id)
      replaces = try record.decode(String.self, forKey: .replaces)
    }
  }

  /// The same operation with its issue's id renamed as the offline batch was.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    if !issue.isEmpty { renamed.issue = renames.issue(issue) }
    return renamed
  }

  /// Applies the action to the run's document (and to the issue on `assign` and `exit`); returns
  /// the run as written. `stop` asks every active run to stop, on whatever host it runs; the other
  /// actions act on the run holding `token`.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, RunRecord) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: action == .stop ? "stop a run" : "supervise a run")
    let documents = try state.runDocuments()
    if action == .start { return try begin(state, documents: documents, actor: actor, clock: clock) }
    let active = documents.filter { $0.run.isActive }
    if action == .stop {
      guard let newest = active.max(by: { ($0.run.startedAt, $0.run.id) < ($1.run.startedAt, $1.run.id) }) else {
        throw .refused("no run is active in this repository (ghp run status shows the last one)")
      }
      let asked = active.filter { $0.run.stopRequested == nil }
      guard !asked.isEmpty else { return (nil, newest.run) }
      var change = Change(
        message: CommitMessage(
          subject: "\(actor): ask run \(asked.map(\.run.id).joined(separator: ", ")) to stop", operation: record,
          agent: actor))
      var answer = newest.run
      for (path, run) in asked {
        var run = run
        run.stopRequested = (actor, clock.now)
        run.state = .stopping
        change.put(path, json: run.json)
        if run.id == newest.run.id { answer = run }
      }
      return (change, answer)
    }
    guard let (path, held) = active.first(where: { $0.run.token == token }), held.holder == actor else {
      // The run it held, ended or taken over (its token replaced), or none left at all.
      let was = documents.first { $0.run.token == token }?.run ?? documents.first { $0.run.id == id }?.run
      throw .refused(
        "this supervisor no longer holds \(was?.description ?? "its run") (taken over, adopted or ended); nothing was recorded"
      )
    }
    var run = held
    var change = Change(message: CommitMessage(subject: "", operation: record, agent: actor))
    switch action {
    case .start, .stop: break
    case .adopt: return try adopt(run, documents: documents, state: state, actor: actor, clock: clock)
    case .tick: try tick(&run, state: state, actor: actor, clock: clock, change: &change)
    case .assign:
      try assign(&run, state: state, actor: actor, clock: clock, change: &change, shared: path != StatePaths.run)
    case .exit: try exit(&run, state: state, actor: actor, clock: clock, change: &change)
    case .finish: try finish(&run, actor: actor, clock: clock, change: &change)
    }
    change.put(path, json: run.json)
    return (change, run)
  }

  /// `tick`: renews the lease and records the workers' news; a worker that showed progress gets a
  /// heartbeat.
  func tick(
    _ run: inout RunRecord, state: StateSnapshot, actor: String, clock: Clock, change: inout Change
  ) throws(GHPError) {
    run.renewedAt = clock.now
    var agents = try state.agents()
    var beats: [String] = []
    for update in updates {
      guard let index = run.slots.firstIndex(where: { $0.agent == update.agent }) else {
        throw .refused("\(update.agent) runs nothing in run \(run.id)")
      }
      if let action = update.action {
        try TextLimit.check(action, "the last action", TextLimit.note)
        run.slots[index].lastAction = action
      }
      if let pid = update.pid { run.slots[index].pid = pid }
      if let start = update.start { run.slots[index].start = start }
      if let cost = update.costMicros { run.slots[index].costMicros = max(0, cost) }
      if let tokens = update.tokens { run.slots[index].tokens = max(0, tokens) }
      if update.progressed, var record = agents.agents[update.agent] {
        record.timestamp = clock.now
        if let action = update.action { record.lastAction = action }
        agents.agents[update.agent] = record
        beats.append(update.agent)
      }
    }
    if let breaker { run.breaker = breaker }
    if !beats.isEmpty { change.put(StatePaths.agentStatus, json: agents.json) }
    change.message.subject =
      "\(actor): run \(run.id) tick" + (beats.isEmpty ? "" : " (progress: \(beats.joined(separator: ", ")))")
  }

  /// `assign`: claims the issue for a worker of the run (unless it holds it already) and opens its slot.
  /// A run beside others (`shared`: its own document) never takes an issue another agent holds:
  /// two supervisors picking the same ready issue at once, the later one is refused and picks
  /// another, where an orchestrator's assign would have taken it from the first one's worker. (An
  /// older ghp's single run replays as it was recorded.)
  func assign(
    _ run: inout RunRecord, state: StateSnapshot, actor: String, clock: Clock, change: inout Change, shared: Bool
  ) throws(GHPError) {
    guard run.state == .running else { throw .refused("run \(run.id) is stopping; nothing new starts") }
    guard run.workers.contains(agent) else { throw .refused("\(agent) is not a worker of run \(run.id)") }
    guard !run.slots.contains(where: { $0.agent == agent }) else {
      throw .refused("\(agent) already runs in run \(run.id)")
    }
    var target = try state.requireIssue(issue)
    if shared, target.status == .claimed, let holder = target.assignee, holder != agent {
      throw .refused("#\(target.id) is held by \(holder) now (epoch \(target.epoch)); run \(run.id) takes another")
    }
    if !(target.status == .claimed && target.assignee == agent) {
      let (assigned, issued) = try AssignOperation(issueID: issue, agent: agent).apply(
        to: state, actor: actor, clock: clock)
      if let assigned { change.writes = assigned.writes }
      target = issued
    }
    run.slots.append(
      RunRecord.Slot(
        agent: agent, issue: target.id, epoch: target.epoch, attempt: target.attempts + 1, startedAt: clock.now))
    change.message = CommitMessage(
      subject:
        "\(actor): run \(run.id) starts \(agent) on #\(target.id) \(target.title) (attempt \(target.attempts + 1))",
      operation: record, agent: actor, issue: target.id, epoch: target.epoch)
  }

  /// `exit`: closes a worker's slot, counts its attempt, and fails or releases the issue it still holds.
  func exit(
    _ run: inout RunRecord, state: StateSnapshot, actor: String, clock: Clock, change: inout Change
  ) throws(GHPError) {
    guard let index = run.slots.firstIndex(where: { $0.agent == agent && $0.issue == issue }) else {
      throw .refused("\(agent) runs nothing on #\(issue) in run \(run.id)")
    }
    let slot = run.slots.remove(at: index)
    var tally = run.tallies[agent] ?? RunRecord.Tally()
    tally.seconds += seconds
    tally.costMicros += costMicros
    tally.tokens += tokens
    tally.cacheTokens += cacheTokens
    tally.subagentTokens += subagentTokens
    let target = try state.requireIssue(issue)
    let stillHeld = target.status == .claimed && target.assignee == agent && target.epoch == slot.epoch
    var subject = "\(actor): run \(run.id): \(agent) ended on #\(issue)"
    switch outcome {
    case .finished:
      tally.finished += 1
      subject += " (finished)"
    case .failed:
      tally.failed += 1
      let why = (reason ?? "").trimmingSpaces.isEmpty ? "the agent ended without finishing" : reason!.trimmingSpaces
      subject += " (failed: \(TextTable.clip(why, 120)))"
      if stillHeld {
        let (failed, _) = try FailOperation(issueID: issue, reason: why).apply(to: state, actor: actor, clock: clock)
        if let failed { change.writes = failed.writes }
      }
    case .released:
      tally.released += 1
      let why = (reason ?? "").trimmingSpaces.isEmpty ? "run \(run.id) gave it back" : reason!.trimmingSpaces
      subject += " (released: \(TextTable.clip(why, 120)))"
      if stillHeld {
        // Inside a run record, as it always replayed: the supervisor gives the issue back itself.
        var release = ReleaseOperation(issueID: issue, reason: why)
        release.tellsHolder = false
        let (released, _) = try release.apply(to: state, actor: actor, clock: clock)
        if let released { change.writes = released.writes }
      } else {
        try TextLimit.check(why, "the reason", TextLimit.note)
      }
    }
    run.tallies[agent] = tally
    if let breaker { run.breaker = breaker }
    change.message = CommitMessage(
      subject: subject, body: reason, operation: record, agent: actor, issue: issue, epoch: slot.epoch)
  }

  /// `finish`: ends the run with its summary, once no worker runs.
  func finish(_ run: inout RunRecord, actor: String, clock: Clock, change: inout Change) throws(GHPError) {
    guard run.slots.isEmpty else {
      throw .refused(
        "run \(run.id) still has workers running (\(run.slots.map(\.agent).joined(separator: ", "))); end them first")
    }
    try TextLimit.check(summary, "the summary", TextLimit.note)
    run.state = self.state
    run.outcome = summary
    run.renewedAt = clock.now
    change.message.subject =
      "\(actor): "
      + TextTable.clip(
        summary.hasPrefix(run.id) ? "run " + summary : "run \(run.id) \(self.state.rawValue): \(summary)", 200)
  }

  /// `start`: a new run, or the takeover of one whose supervisor is gone (`replaces` names its
  /// token), from this host or another. Issues its workers still held are given back uncounted;
  /// the caller killed what was left of their processes first. A new run with its own document
  /// runs beside the others, none of whose workers it may name, and clears the documents of the
  /// runs its host finished before.
  private func begin(
    _ state: StateSnapshot, documents: [(path: String, run: RunRecord)], actor: String, clock: Clock
  ) throws(GHPError) -> (Change?, RunRecord) {
    guard !token.isEmpty, token.utf8.count <= 64 else {
      throw .invalidValue("run token", "it must be 1 to 64 characters")
    }
    guard !id.isEmpty, id.utf8.count <= 64, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
      throw .invalidValue("run id", "'\(id)' must be 1 to 64 letters, digits or dashes")
    }
    try TextLimit.check(host, "the host name", TextLimit.title)
    try TextLimit.check(command, "the agent command", TextLimit.note)
    if let goal { try TextLimit.check(goal, "the goal", TextLimit.long) }
    guard !workers.isEmpty, workers.count <= 64 else { throw .invalidValue("workers", "a run has 1 to 64 workers") }
    for worker in workers { try AgentName.validate(worker) }
    var change = Change(message: CommitMessage(subject: "", operation: record, agent: actor))
    var run = RunRecord(
      id: id, holder: actor, token: token, host: host, pid: pid, start: start, at: clock.now, command: command,
      workers: workers)
    run.goal = goal
    let path: String
    let taken = replaces.flatMap { token in documents.first { $0.run.isActive && $0.run.token == token } }
    let legacy = documents.first { $0.path == StatePaths.run && $0.run.isActive }
    if let current = taken?.run ?? (ownDocument ? nil : legacy?.run) {
      guard let replaces, replaces == current.token else {
        throw .refused(
          "\(current.description) is running; stop it first (ghp run stop) or watch it (ghp run status)")
      }
      path = taken?.path ?? StatePaths.run
      guard current.id == id else { throw .refused("a takeover continues run \(current.id), not \(id)") }
      // The run goes on under its new supervisor: totals, breaker and goal carry over.
      run.goal = current.goal
      run.startedAt = current.startedAt
      run.tallies = current.tallies
      run.breaker = current.breaker
      run.takeovers = current.takeovers + 1
      let released = try Self.giveBack(current, into: &run, state: state, actor: actor, clock: clock, change: &change)
      change.message.subject =
        "\(actor): take over run \(id) from \(current.holder) (pid \(current.pid) on \(current.host))"
        + (released.isEmpty ? "" : "; gave back \(released.joined(separator: ", "))")
    } else {
      guard replaces == nil else { throw .refused("there is no active run to take over") }
      path = ownDocument ? StatePaths.run(id) : StatePaths.run
      guard !documents.contains(where: { $0.run.id == id }) else {
        throw .refused("a run named \(id) is recorded already; a new run needs a new id")
      }
      for other in documents where other.run.isActive {
        if let shared = workers.first(where: other.run.workers.contains) {
          throw .refused(
            "\(shared) is a worker of \(other.run.description); a run beside it needs other worker names (ghp run --prefix)"
          )
        }
      }
      if ownDocument {
        for other in documents where !other.run.isActive && other.run.host == host {
          change.writes[other.path] = .some(nil)
        }
      }
      change.message.subject =
        "\(actor): start run \(id) (\(workers.count) workers, \(TextTable.clip(command, 60)))"
        + (goal.map { ": \(TextTable.clip($0, 80))" } ?? "")
    }
    change.put(path, json: run.json)
    return (change, run)
  }
}

extension RunOperation {
  /// Gives back the issues the workers of `gone` still hold (uncounted, each tallied released in
  /// `run`), for a takeover or an adoption; returns them as `#id`.
  static func giveBack(
    _ gone: RunRecord, into run: inout RunRecord, state: StateSnapshot, actor: String, clock: Clock,
    change: inout Change
  ) throws(GHPError) -> [String] {
    var agents = try state.agents()
    var released: [String] = []
    for slot in gone.slots {
      var issue = try state.requireIssue(slot.issue)
      guard issue.status == .claimed, issue.assignee == slot.agent, issue.epoch == slot.epoch else { continue }
      issue.reopen(
        at: clock.now, takenBy: actor, reason: "run \(gone.id): its supervisor was gone; the attempt is not counted")
      try agents.finish(slot.agent, issue: issue.id, action: "", clock: clock, byHolder: false, state: state)
      change.put(StatePaths.issue(issue.id), json: issue.json)
      released.append("#\(issue.id)")
      run.tallies[slot.agent, default: RunRecord.Tally()].released += 1
    }
    if !released.isEmpty { change.put(StatePaths.agentStatus, json: agents.json) }
    return released
  }

  /// `adopt`: the supervisor holding `token` ends run `id`, whose supervisor (on another host) has
  /// not renewed its lease for `agent.lease` at this commit's time: the issues its workers held go
  /// back to the queue uncounted, and it ends failed, naming who adopted it. Returns the run ended.
  func adopt(
    _ adopter: RunRecord, documents: [(path: String, run: RunRecord)], state: StateSnapshot, actor: String,
    clock: Clock
  ) throws(GHPError) -> (Change?, RunRecord) {
    guard let (path, gone) = documents.first(where: { $0.run.id == id }), gone.isActive, gone.token == replaces else {
      throw .refused("run \(id) is not active under that lease; nothing to adopt")
    }
    guard gone.id != adopter.id else { throw .refused("a run cannot adopt itself") }
    let lease = try state.config().agent.lease
    guard clock.now - gone.renewedAt > lease else {
      throw .refused(
        "\(gone.description) renewed its lease \(Duration.exact(max(0, clock.now - gone.renewedAt))) ago; it is adopted only once \(Duration.exact(lease)) pass without renewal"
      )
    }
    var ended = gone
    var change = Change(message: CommitMessage(subject: "", operation: record, agent: actor))
    let released = try Self.giveBack(gone, into: &ended, state: state, actor: actor, clock: clock, change: &change)
    ended.slots = []
    ended.state = .failed
    ended.outcome =
      "run \(gone.id): its supervisor on \(gone.host) was gone (no renewal since \(RFC3339.format(gone.renewedAt))); adopted by run \(adopter.id) on \(adopter.host)"
      + (released.isEmpty ? "" : ", which gave back \(released.joined(separator: ", "))")
    change.put(path, json: ended.json)
    change.message.subject = "\(actor): " + TextTable.clip(ended.outcome!, 200)
    return (change, ended)
  }

  /// A supervisor's tick says it is alive, like a heartbeat.
  public var isLiveness: Bool { action == .tick }
  /// The issue its record names.
  public var recordedIssue: String? { action == .assign || action == .exit ? issue : nil }
  /// A run's `assign` claims the issue for its worker.
  public func handsOver(actor: String) -> String? { action == .assign ? agent : nil }
}
