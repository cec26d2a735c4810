/// `run`: what the supervisor records on `ghp/state`. Each action names the run's lease token, so
/// that only the supervisor holding the run acts for it; `stop` may come from any orchestrator.
public struct RunOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "run"

  /// `start` a run or take one over, `tick` (renew and news), `assign` an issue to a worker, a
  /// worker's `exit`, `stop` (asked by any orchestrator), `finish` the run.
  public enum Action: String, Sendable { case start, tick, assign, exit, stop, finish }

  /// One worker's news in a `tick`: its process once started, what it did last, what it spent.
  public struct Update: Equatable, Sendable {
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

    var json: JSON {
      .object([
        "agent": .string(agent), "action": action.map { .string($0) } ?? .null, "pid": pid.map { .int($0) } ?? .null,
        "start": start.map { .int($0) } ?? .null, "costMicros": costMicros.map { .int($0) } ?? .null,
        "tokens": tokens.map { .int($0) } ?? .null, "progressed": .bool(progressed),
      ])
    }
  }

  /// How a worker's attempt ended.
  public enum Outcome: String, Sendable {
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
  /// `start`: the run's id (`run-<hex>`), kept by a takeover.
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
  public var replaces: String?
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
  /// `exit`: tokens the attempt reported using.
  public var tokens = 0
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

  /// The record: the action, the token (not for `stop`) and that action's fields only.
  public var record: OperationRecord {
    var a: [String: JSON] = ["action": .string(action.rawValue)]
    if action != .stop { a["token"] = .string(token) }
    switch action {
    case .start:
      a["id"] = .string(id)
      a["goal"] = goal.map { .string($0) } ?? .null
      a["host"] = .string(host)
      a["pid"] = .int(pid)
      a["start"] = .int(start)
      a["command"] = .string(command)
      a["workers"] = .array(workers.map { .string($0) })
      a["replaces"] = replaces.map { .string($0) } ?? .null
    case .tick:
      a["updates"] = .array(updates.map(\.json))
      a["breaker"] = breaker?.json ?? .null
    case .assign:
      a["agent"] = .string(agent)
      a["issue"] = .string(issue)
    case .exit:
      a["agent"] = .string(agent)
      a["issue"] = .string(issue)
      a["outcome"] = .string(outcome.rawValue)
      a["reason"] = reason.map { .string($0) } ?? .null
      a["seconds"] = .int(seconds)
      a["costMicros"] = .int(costMicros)
      a["tokens"] = .int(tokens)
      a["breaker"] = breaker?.json ?? .null
    case .stop: break
    case .finish:
      a["state"] = .string(state.rawValue)
      a["summary"] = .string(summary)
    }
    return OperationRecord(Self.name, a)
  }

  /// Reads the operation back from its record, each argument with its type.
  public init(arguments a: inout OperationArguments) throws(GHPError) {
    let word = try a.string("action")
    guard let action = Action(rawValue: word) else {
      throw a.wrong("action", "start, tick, assign, exit, stop or finish")
    }
    self.action = action
    if action != .stop { token = try a.string("token") }
    func count(_ key: String) throws(GHPError) -> Int {
      let value = try a.int(key)
      guard value >= 0 else { throw a.wrong(key, "a whole number of at least 0") }
      return value
    }
    func breakerArgument() throws(GHPError) -> RunRecord.Breaker? {
      guard let value = a.optionalValue("breaker") else { return nil }
      do { return try RunRecord.Breaker(json: value) } catch { throw a.wrong("breaker", "a breaker (\(error.detail))") }
    }
    switch action {
    case .start:
      id = try a.string("id")
      goal = try a.optionalString("goal")
      host = try a.string("host")
      pid = try count("pid")
      start = try count("start")
      command = try a.string("command")
      workers = try a.strings("workers")
      replaces = try a.optionalString("replaces")
    case .tick:
      guard case .array(let items)? = a.optionalValue("updates") else { throw a.wrong("updates", "an array") }
      for item in items {
        guard let fields = item.objectValue else { throw a.wrong("updates", "an array of objects") }
        var f = OperationArguments(operation: "an update of run tick", fields)
        var update = Update(agent: try f.string("agent"))
        update.action = try f.optionalString("action")
        update.pid = try f.optionalInt("pid")
        update.start = try f.optionalInt("start")
        update.costMicros = try f.optionalInt("costMicros")
        update.tokens = try f.optionalInt("tokens")
        update.progressed = try f.bool("progressed")
        try f.finish()
        updates.append(update)
      }
      breaker = try breakerArgument()
    case .assign:
      agent = try a.string("agent")
      issue = try a.string("issue")
    case .exit:
      agent = try a.string("agent")
      issue = try a.string("issue")
      let word = try a.string("outcome")
      guard let outcome = Outcome(rawValue: word) else { throw a.wrong("outcome", "finished, failed or released") }
      self.outcome = outcome
      reason = try a.optionalString("reason")
      seconds = try count("seconds")
      costMicros = try count("costMicros")
      tokens = try count("tokens")
      breaker = try breakerArgument()
    case .stop: break
    case .finish:
      let word = try a.string("state")
      guard let state = RunRecord.State(rawValue: word), !(state == .running || state == .stopping) else {
        throw a.wrong("state", "finished, stopped or failed")
      }
      self.state = state
      summary = try a.string("summary")
    }
  }

  /// The same operation with its issue's id renamed as the offline batch was.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    if !issue.isEmpty { renamed.issue = renames.issue(issue) }
    return renamed
  }

  /// Applies the action to `.ghp/run.json` (and to the issue on `assign` and `exit`); returns the
  /// run as written.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, RunRecord) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: action == .stop ? "stop a run" : "supervise a run")
    let current = try state.runRecord()
    if action == .start { return try begin(state, current: current, actor: actor, clock: clock) }
    guard var run = current, run.isActive else {
      throw .refused("no run is active in this repository (ghp run status shows the last one)")
    }
    if action == .stop {
      guard run.stopRequested == nil else { return (nil, run) }
      run.stopRequested = (actor, clock.now)
      run.state = .stopping
      var change = Change(
        message: CommitMessage(subject: "\(actor): ask run \(run.id) to stop", operation: record, agent: actor))
      change.put(StatePaths.run, json: run.json)
      return (change, run)
    }
    guard run.token == token, run.holder == actor else {
      throw .refused("this supervisor no longer holds \(run.description); nothing was recorded")
    }
    var change = Change(message: CommitMessage(subject: "", operation: record, agent: actor))
    switch action {
    case .start, .stop: break
    case .tick: try tick(&run, state: state, actor: actor, clock: clock, change: &change)
    case .assign: try assign(&run, state: state, actor: actor, clock: clock, change: &change)
    case .exit: try exit(&run, state: state, actor: actor, clock: clock, change: &change)
    case .finish: try finish(&run, actor: actor, clock: clock, change: &change)
    }
    change.put(StatePaths.run, json: run.json)
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
  func assign(
    _ run: inout RunRecord, state: StateSnapshot, actor: String, clock: Clock, change: inout Change
  ) throws(GHPError) {
    guard run.state == .running else { throw .refused("run \(run.id) is stopping; nothing new starts") }
    guard run.workers.contains(agent) else { throw .refused("\(agent) is not a worker of run \(run.id)") }
    guard !run.slots.contains(where: { $0.agent == agent }) else {
      throw .refused("\(agent) already runs in run \(run.id)")
    }
    var target = try state.requireIssue(issue)
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
  /// token). Issues its workers still held are given back uncounted; the caller killed what was
  /// left of their processes first.
  private func begin(_ state: StateSnapshot, current: RunRecord?, actor: String, clock: Clock) throws(GHPError) -> (
    Change?, RunRecord
  ) {
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
    if let current, current.isActive {
      guard let replaces, replaces == current.token else {
        throw .refused(
          "\(current.description) is running; stop it first (ghp run stop) or watch it (ghp run status)")
      }
      guard current.id == id else { throw .refused("a takeover continues run \(current.id), not \(id)") }
      // The run goes on under its new supervisor: totals, breaker and goal carry over.
      run.goal = current.goal
      run.startedAt = current.startedAt
      run.tallies = current.tallies
      run.breaker = current.breaker
      run.takeovers = current.takeovers + 1
      var agents = try state.agents()
      var released: [String] = []
      for slot in current.slots {
        var issue = try state.requireIssue(slot.issue)
        guard issue.status == .claimed, issue.assignee == slot.agent, issue.epoch == slot.epoch else { continue }
        issue.reopen(
          at: clock.now, takenBy: actor, reason: "run \(id): its supervisor was gone; the attempt is not counted")
        try agents.finish(slot.agent, issue: issue.id, action: "", clock: clock, byHolder: false, state: state)
        change.put(StatePaths.issue(issue.id), json: issue.json)
        released.append("#\(issue.id)")
        run.tallies[slot.agent, default: RunRecord.Tally()].released += 1
      }
      if !released.isEmpty { change.put(StatePaths.agentStatus, json: agents.json) }
      change.message.subject =
        "\(actor): take over run \(id) from \(current.holder) (pid \(current.pid) on \(current.host))"
        + (released.isEmpty ? "" : "; gave back \(released.joined(separator: ", "))")
    } else {
      guard replaces == nil else { throw .refused("there is no active run to take over") }
      change.message.subject =
        "\(actor): start run \(id) (\(workers.count) workers, \(TextTable.clip(command, 60)))"
        + (goal.map { ": \(TextTable.clip($0, 80))" } ?? "")
    }
    change.put(StatePaths.run, json: run.json)
    return (change, run)
  }
}

extension RunOperation {
  /// A supervisor's tick says it is alive, like a heartbeat.
  public var isLiveness: Bool { action == .tick }
  /// The issue its record names.
  public var recordedIssue: String? { action == .assign || action == .exit ? issue : nil }
  /// A run's `assign` claims the issue for its worker.
  public func handsOver(actor: String) -> String? { action == .assign ? agent : nil }
}
