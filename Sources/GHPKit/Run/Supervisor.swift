import CProcess
import Glibc

/// `ghp run`: starts headless agents in their worktrees, one issue each, and enforces the limits
/// from outside: a wall-clock timeout and budgets (SIGTERM to the group, SIGKILL after the
/// grace), retries with exponential backoff and full jitter, a circuit breaker on the agent
/// command. It holds nothing a restart cannot rebuild: the run, its lease and its workers are on
/// `ghp/state` (`.ghp/run.json`), their processes in the process table.
public final class Supervisor {
  /// What `ghp run` was asked for, over the `[agent]` policy.
  public struct Options: Sendable {
    /// The goal a leader plans into issues before the workers start; nil: work the queue as it is.
    public var goal: String?
    /// A file of issues to import first (`ghp issue import`'s formats), with its name.
    public var tasks: (bytes: [UInt8], source: String)?
    /// How many workers to start; nil: `agent.maxWorkers` (a takeover keeps the run's).
    public var workers: Int?
    /// The agent command (preset name or command line); nil: `agent.command`.
    public var command: String?
    /// Seconds an attempt may run; nil: `agent.taskTimeout`.
    public var taskTimeout: Int64?
    /// The limit of each attempt; what it sets overrides `[agent]`.
    public var budget = AgentPolicy.Budget()
    /// The limit of the whole run; what it sets overrides `[agent]`.
    public var runBudget = AgentPolicy.Budget()
    /// Worker agents are `<prefix>-1` … `<prefix>-N`.
    public var prefix = "worker"
    /// Epics to work (`--epic`): each gets a manager (which plans it first when it has nothing left
    /// to work) and `workers` workers of its own, `e<ID>-<prefix>-1` …, which take only its
    /// sub-issues. Empty: the workers take the whole queue.
    public var epics: [String] = []

    /// No options: everything as `[agent]` says.
    public init() {}
  }

  /// One thing that happened, for the progress display.
  public struct Event: Sendable {
    /// What happened, one word: `spawned`, `finished`, `failed`, `killed`, `breaker`, `progress`, ….
    public var kind: String
    /// The agent it concerns, nil when none.
    public var agent: String?
    /// The issue it concerns, nil when none.
    public var issue: String?
    /// The sentence a person reads.
    public var text: String
    /// Facts for `--json` (attempt, pid, outcome, seconds, cost …), beside `event`, `agent`, `issue`.
    public var fields: [String: JSON] = [:]

    /// The event as one line of `ghp run --json`.
    public var json: JSON {
      var object = fields
      object["event"] = .string(kind)
      object["agent"] = agent.map { .string($0) } ?? .null
      object["issue"] = issue.map { IssueReference.write($0) } ?? .null
      object["text"] = .string(text)
      return .object(object)
    }
  }

  /// A running worker as the live table shows it.
  public struct SlotView: Sendable {
    /// The worker agent.
    public var agent: String
    /// The id of the issue it works on.
    public var issue: String
    /// Seconds since its process started.
    public var seconds: Int
    /// What it did last, as its output shows it.
    public var lastAction: String
    /// Which attempt at the issue this is, from 1.
    public var attempt: Int
    /// Millionths of a dollar its attempt reports spent so far.
    public var costMicros: Int
    /// Tokens its attempt reports used so far.
    public var tokens: Int
  }

  /// How a run ended, for printing and the exit code.
  public struct Summary: Sendable {
    /// The run as recorded when it finished.
    public var run: RunRecord
    /// The exit code of `ghp run`: 0 all went well, 1 a failure, a dead issue or a breaker not
    /// closed, 3 stopped.
    public var exitCode: Int32
    /// The closing line: the run's state, what finished and failed, the cost, why it ended.
    public var line: String
    /// Ids of the issues its workers failed into dead during the run.
    public var dead: [String]

    /// The summary as the last line of `ghp run --json`.
    public var json: JSON {
      .object([
        "event": .string("summary"), "run": .string(run.id), "state": .string(run.state.rawValue),
        "text": .string(line),
        "exit": .int(Int(exitCode)), "dead": .array(dead.map { IssueReference.write($0) }),
        "workers": .object(run.tallies.mapValues(\.json)), "breaker": .string(run.breaker.state.rawValue),
      ])
    }
  }

  /// Called with each event as it happens (the progress display).
  public var onEvent: (Event) -> Void = { _ in }
  /// Issues done (or landing) and all issues, as of the last look at the state.
  public internal(set) var progress = (done: 0, total: 0)

  let workspace: Workspace
  let repository: Repository
  let actor: String
  let options: Options
  let host: String
  let token = String(UInt64.random(in: 1...UInt64.max), radix: 16)
  var config: Config
  var policy: AgentPolicy
  var command: AgentCommand
  /// The command of a worker that can do a capability (`[commands]`), adapted as `command` is.
  var commands: [String: AgentCommand] = [:]
  /// What each of this run's agents can do, as registered when the run began.
  var capabilities: [String: [String]] = [:]
  /// The epic each worker of a run of epics works (`e<ID>-<prefix>-<n>`), by worker.
  var workerEpics: [String: String] = [:]
  var run: RunRecord!
  var workers: [String: WorkerProcess] = [:]
  var worktrees: [String: String] = [:]
  /// Per issue, the attempt count a retry waits for and the monotonic time it may start at.
  var notBefore: [String: (attempts: Int, at: Double)] = [:]
  var lander: WorkerProcess?
  /// The reviewer agent reviewing a landing's merge (`landing.review agent`), one at a time.
  var reviewer: WorkerProcess?
  /// The merges (`<issue>@<tree>`) a reviewer was started on: each once.
  var reviewsStarted: Set<String> = []
  var workerPrompts: [String: String] = [:]
  var lastLanderEnd = 0.0
  var landerRefused = false
  var landerFailures = 0
  var stopping: String?
  var fatal: String?
  /// The breaker as this supervisor keeps it; recorded with each exit and tick.
  var breaker: RunBreaker
  var breakerDirty = false
  var lastTick = 0.0
  /// Since when the server has been out of reach (remote mode), or nil.
  var offlineSince: Double?
  var lastReap = 0.0
  var lastLook = -1e9
  /// In remote mode, the git remote the state is shared through, and when it was last synced: a
  /// look at the state is a look at the server's, every two seconds at most.
  var remote: String?
  var lastSync = -1e9
  var folder = ""
  var ghpPath = ""
  /// bubblewrap, when workers run contained (`decideContainment`).
  var bubblewrap: String?
  /// Why each waiting worker waits, as last said (`waiting`).
  var waitingFor: [String: String] = [:]

  /// A supervisor for this workspace's actor under `[agent]` and `options`; refuses when the actor
  /// is no orchestrator or no agent command is set. In remote mode it works the server's queue.
  public init(_ workspace: Workspace, options: Options) throws(GHPError) {
    self.workspace = workspace
    repository = workspace.repository
    self.options = options
    actor = try workspace.actor()
    let state = try workspace.snapshot()
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "run agents")
    remote = state.remoteName
    config = try state.config()
    policy = config.agent
    if let timeout = options.taskTimeout { policy.taskTimeout = timeout }
    if options.budget.micros != nil { policy.budget.micros = options.budget.micros }
    if options.budget.tokens != nil { policy.budget.tokens = options.budget.tokens }
    if options.runBudget.micros != nil { policy.runBudget.micros = options.runBudget.micros }
    if options.runBudget.tokens != nil { policy.runBudget.tokens = options.runBudget.tokens }
    command = try AgentCommand(options.command ?? policy.command)
    for (capability, text) in policy.commands { commands[capability] = try AgentCommand(text) }
    breaker = RunBreaker(RunRecord.Breaker(), policy: policy)
    host = Host.name
    ghpPath = ThisProcess.executablePath ?? "ghp"
  }

  func emit(
    _ kind: String, _ agent: String? = nil, _ issue: String? = nil, _ text: String, _ fields: [String: JSON] = [:]
  ) {
    onEvent(Event(kind: kind, agent: agent, issue: issue, text: text, fields: fields))
  }

  func operation(_ action: RunOperation.Action) -> RunOperation { RunOperation(action: action, token: token) }

  // MARK: - Spawning

  /// Starts the agent command for `agent` (on `issue`, or as the leader when nil). Returns nil and
  /// sets `fatal` when the command cannot start at all.
  func start(agent: String, issue: Issue?, epoch: Int, prompt: String) throws(GHPError) -> WorkerProcess? {
    guard let directory = worktrees[agent] else { throw .io("\(agent) has no worktree") }
    let command = command(for: agent)
    let promptPath = "\(folder)/\(agent).prompt"
    try Files.replace(promptPath, with: Array(prompt.utf8))
    // An allowlist: never the supervisor's secrets (a page token, a git credential, an ssh agent).
    var environment = WorkerEnvironment.make(
      from: workspace.environment, names: policy.env + WorkerEnvironment.names(of: command.preset))
    let folderOfGhp = ghpPath.split(separator: "/").dropLast().joined(separator: "/")
    environment["PATH"] = "/\(folderOfGhp):" + (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
    environment["GHP_AGENT"] = agent
    environment["GHP_RUN"] = run.id
    environment["GHP_ISSUE"] = issue?.id ?? ""
    environment["GHP_EPOCH"] = issue == nil ? "" : String(epoch)
    do {
      var program = try command.resolve(path: environment["PATH"] ?? "", directory: directory)
      var arguments = Array(command.words.dropFirst())
      if let bubblewrap {
        (program, arguments) = try contained(
          agent: agent, directory: directory, program: program, arguments: arguments, environment: environment,
          bubblewrap: bubblewrap, preset: command.preset)
      }
      // A worker's log holds its latest attempts: past the limit, it becomes `<agent>.log.1`.
      var info = stat()
      if stat("\(folder)/\(agent).log", &info) == 0, Int64(info.st_size) >= policy.logLimit {
        rename("\(folder)/\(agent).log", "\(folder)/\(agent).log.1")
      }
      let process = try WorkerProcess.spawn(
        agent: agent, issue: issue?.id ?? "", epoch: epoch, program: program, arguments: arguments,
        directory: directory, environment: environment, promptPath: promptPath, logPath: "\(folder)/\(agent).log")
      process.logLimit = policy.logLimit
      return process
    } catch let failure as WorkerProcess.SpawnFailure {
      fatal =
        failure.message
        + "; fix the command (--agent-command CMD, or ghp config set agent.command CMD) and run ghp run again"
    } catch let error as GHPError {
      fatal = error.description
    } catch {
      fatal = "\(error)"
    }
    return nil
  }

  /// Whether the breaker lets a worker start now (an open one, after its cool-down, lets one trial).
  func breakerAllows(_ now: Double) -> Bool {
    if breaker.record.state == .open { workspace.refreshClock() }
    let (allowed, move) = breaker.allows(now: workspace.clock.now, running: workers.count)
    if move == .halfOpened {
      breakerDirty = true
      emit(
        "breaker", nil, nil,
        "Breaker half-open: one trial worker after the cool-down of \(Duration.exact(policy.breakerCooldown))")
    }
    return allowed
  }

  /// Gives free workers their next issue: first what they already hold (work sent back by the
  /// lander), then the ready queue, skipping issues waiting out their backoff and preferring a
  /// worker other than the one that last failed the issue.
  func spawnFree(_ state: StateSnapshot) throws(GHPError) {
    guard stopping == nil, fatal == nil else { return }
    var free = run.workers.filter { workers[$0] == nil }
    guard !free.isEmpty else { return }
    let now = ProcessIdentity.monotonic()
    let summaries = try state.issueSummaries()
    let running = Set(workers.values.map(\.issue))
    var plan: [(agent: String, issue: String)] = []
    for agent in free {
      if let held = summaries.first(where: { $0.status == .claimed && $0.assignee == agent && !running.contains($0.id) }
      ) {
        plan.append((agent, held.id))
      }
    }
    free.removeAll { agent in plan.contains { $0.agent == agent } }
    if !free.isEmpty {
      // Work in flight: what each agent holds or has waiting to land.
      var inFlight: [String: Int] = [:]
      for summary in summaries where summary.status == .claimed || summary.status == .landing {
        if let holder = summary.assignee { inFlight[holder, default: 0] += 1 }
      }
      for entry in try ReadyQueue.ready(state) where !free.isEmpty {
        if let wait = notBefore[entry.id], wait.attempts == entry.attempts, wait.at > now { continue }
        // Only a worker that can do it, the least loaded first; another than the one that last
        // failed it when there is one.
        var takers: [String] = []
        for agent in free where try mayTake(agent, entry, in: state) { takers.append(agent) }
        let eligible = takers.enumerated().sorted {
          (inFlight[$0.element] ?? 0, $0.offset) < (inFlight[$1.element] ?? 0, $1.offset)
        }.map(\.element)
        guard !eligible.isEmpty else { continue }
        let issue = try state.requireIssue(entry.id)
        let lastFailed = issue.failures.last?.agent
        let agent = eligible.first { $0 != lastFailed } ?? eligible[0]
        plan.append((agent, entry.id))
        free.removeAll { $0 == agent }
      }
    }
    for (agent, id) in plan {
      guard breakerAllows(now) else { return }
      guard cleanWorktree(agent, for: id) else { continue }
      var assign = operation(.assign)
      assign.agent = agent
      assign.issue = id
      let assigned: RunRecord
      do { assigned = try workspace.runNow(assign).result } catch {
        // Someone claimed it meanwhile: the next look takes another.
        if error.isRefusal { continue }
        // Out of reach: the next look tries again.
        if unreachable(error) { return }
        throw error
      }
      run = assigned
      guard let slot = run.slots.first(where: { $0.agent == agent }) else { continue }
      // As read before the assign; the assign changed only who holds it and the epoch.
      var issue = try state.requireIssue(slot.issue)
      issue.epoch = slot.epoch
      let text = try prompt(agent: agent, issue: issue, state: state)
      catchUp(agent)
      guard let process = try start(agent: agent, issue: issue, epoch: slot.epoch, prompt: text) else {
        var exit = operation(.exit)
        exit.agent = agent
        exit.issue = slot.issue
        exit.outcome = .released
        exit.reason = "the agent command could not start: \(fatal ?? "")"
        breaker.cannotStart(at: workspace.clock.now, reason: fatal ?? "the agent command could not start")
        emit("breaker", nil, nil, "Breaker open: \(fatal ?? "")")
        breaker.record.escalation = try escalate(why: "could not start", failures: [fatal ?? ""])
        exit.breaker = breaker.record
        run = try workspace.runNow(exit).result
        return
      }
      workers[agent] = process
      emit(
        "spawned", agent, slot.issue,
        "\(agent) started on #\(slot.issue) \(issue.title) (attempt \(slot.attempt), pid \(process.keeper))",
        ["attempt": .int(slot.attempt), "epoch": .int(slot.epoch), "pid": .int(Int(process.keeper))])
    }
  }

  /// Before a worker starts: when its branch holds nothing the base lacks (its work landed, or it
  /// never began) or nothing but an attempt that lost its vote (closed at that very tip), and its
  /// worktree is clean, moves the branch and the worktree to the base, so that what the issue
  /// depends on is there and no losing work lands with the next. Anything else is left as it is.
  func catchUp(_ agent: String) {
    guard let path = worktrees[agent] else { return }
    let base = config.landing?.base ?? config.baseBranch
    let branch = "refs/heads/agent/\(agent)"
    do {
      guard let baseTip = try repository.referenceTarget("refs/heads/\(base)"),
        let tip = try repository.referenceTarget(branch), tip != baseTip
      else { return }
      let lost = (try? workspace.snapshot().lostAttemptTips(of: agent))?.contains(tip) ?? false
      let behind = try repository.isAncestor(tip, of: baseTip)
      guard lost || behind else { return }
      let worktree = try Repository(discovering: path)
      guard try worktree.uncommittedPaths(limit: 1).isEmpty else { return }
      try repository.setReference(
        branch, to: baseTip, logMessage: "ghp run: \(lost ? "leave a lost attempt for" : "fast-forward to") \(base)")
      try worktree.followBranchMove(from: tip, to: baseTip)
      emit(
        "catch-up", agent, nil,
        "\(agent): agent/\(agent) \(lost ? "leaves its attempt that lost the vote and starts" : "fast-forwarded to") \(base) (\(baseTip.short))"
      )
    } catch {
      emit("catch-up", agent, nil, "\(agent): agent/\(agent) stays where it is (\(error.message))")
    }
  }

  /// Files the one escalation of an opening breaker; returns its id.
  func escalate(why: String, failures: [String]) throws(GHPError) -> String? {
    let list = failures.suffix(10).map { "- \($0)" }.joined(separator: "\n")
    let escalation = try workspace.runNow(
      EscalateOperation(
        question:
          "ghp run \(run.id) stopped starting workers: the agent command `\(TextTable.clip(command.description, 80))` \(why). Fix it, then let the run retry (it tries once after \(Duration.exact(policy.breakerCooldown))) or start a new run.",
        severity: .high, context: "Failures, oldest first:\n\(list)")
    ).result
    emit(
      "escalated", nil, nil, "Escalated to a human as \(escalation.id): the agent command \(why)",
      ["escalation": .string(escalation.id)])
    return escalation.id
  }

  // MARK: - Exits

  func handleExit(_ process: WorkerProcess, code: Int) throws(GHPError) {
    workers[process.agent] = nil
    if bubblewrap != nil { RunProcesses.killLeftovers(run: run.id, agent: process.agent) }
    takeBranch(of: process.agent)
    let seconds = Int(ProcessIdentity.monotonic() - process.startedAt)
    let state = try workspace.snapshot()
    let issue = try state.requireIssue(process.issue)
    let judged = AttemptExit.judge(
      issue: issue, agent: process.agent, epoch: process.epoch, code: code, killReason: process.killReason,
      killOutcome: process.killOutcome, outputTail: process.outputTail)
    var exit = operation(.exit)
    exit.agent = process.agent
    exit.issue = process.issue
    exit.seconds = seconds
    exit.costMicros = process.parser.costMicros
    exit.tokens = process.parser.tokens
    exit.cacheTokens = process.parser.cacheTokens
    exit.subagentTokens = process.parser.subagentTokens
    exit.outcome = judged.outcome
    exit.reason = judged.reason
    workspace.refreshClock()
    let now = workspace.clock.now
    if judged.commandFailed {
      let move = breaker.failed(
        at: now, reason: "#\(process.issue) \(process.agent): \(TextTable.clip(exit.reason ?? "", 300))")
      if move == .reopened { emit("breaker", nil, nil, "Breaker open again: the trial failed") }
      if move == .opened {
        emit(
          "breaker", nil, nil,
          "Breaker open: \(breaker.record.failures.count) failures in a row; no new workers for \(Duration.exact(policy.breakerCooldown))"
        )
        breaker.record.escalation = try escalate(
          why: "failed \(breaker.record.failures.count) times in a row",
          failures: breaker.record.failures.map(\.reason))
      }
    } else if exit.outcome != .released {
      if breaker.succeeded() == .closed { emit("breaker", nil, nil, "Breaker closed: the trial worker succeeded") }
    }
    exit.breaker = breaker.record
    run = try recordWhileOutOfReach(exit)
    breakerDirty = false
    let after = exit.outcome == .finished ? issue : try workspace.snapshot().requireIssue(process.issue)
    if exit.outcome == .failed && after.status == .open {
      let delay = RetrySchedule.delay(attempts: after.attempts, backoff: policy.backoff, backoffMax: policy.backoffMax)
      notBefore[after.id] = (after.attempts, ProcessIdentity.monotonic() + delay)
    }
    let cost = exit.costMicros > 0 ? ", \(Money.format(exit.costMicros))" : ""
    let fields: [String: JSON] = [
      "outcome": .string(exit.outcome.rawValue), "seconds": .int(seconds), "costMicros": .int(exit.costMicros),
      "tokens": .int(exit.tokens), "cacheTokens": .int(exit.cacheTokens), "subagentTokens": .int(exit.subagentTokens),
      "exit": .int(code), "status": .string(after.status.rawValue),
    ]
    switch exit.outcome {
    case .finished:
      emit(
        "finished", process.agent, process.issue,
        "\(process.agent) finished #\(process.issue) (\(after.status.rawValue), \(seconds)s\(cost))", fields)
    case .failed:
      let fate =
        after.status == .dead
        ? "dead after \(after.attempts) attempts" : "attempt \(after.attempts) of \(config.maxAttempts)"
      emit(
        "failed", process.agent, process.issue,
        "\(process.agent) failed #\(process.issue) (\(fate)): \(TextTable.clip(exit.reason ?? "", 200))", fields)
    case .released:
      emit(
        "released", process.agent, process.issue, "\(process.agent) gave back #\(process.issue): \(exit.reason ?? "")",
        fields)
    }
  }

  // MARK: - The loop

  /// Waits until a worker writes, a child ends (SIGCHLD), or `milliseconds` pass.
  func waitForOutput(_ processes: [WorkerProcess], milliseconds: Int32) {
    var fds = processes.filter { $0.output >= 0 }.map { pollfd(fd: $0.output, events: Int16(POLLIN), revents: 0) }
    let children = ghp_child_signal_fd()
    if children >= 0 { fds.append(pollfd(fd: children, events: Int16(POLLIN), revents: 0)) }
    _ = poll(&fds, nfds_t(fds.count), milliseconds)
    ghp_child_signal_drain()
  }

  func beginStop(_ reason: String) {
    guard stopping == nil else { return }
    stopping = reason
    if reason != fatal {
      emit("stopping", nil, nil, "Stopping: \(reason); workers get SIGTERM and \(Duration.exact(policy.grace)) to end")
    }
    for process in workers.values { process.terminate(reason: "the run stopped: \(reason)", outcome: .released) }
    if let lander { kill(-lander.keeper, SIGTERM) }
    reviewer?.terminate(reason: "the run stopped: \(reason)", outcome: .released)
  }

  /// Runs until the queue is worked off, the run is stopped, or the command cannot start.
  public func supervise() throws(GHPError) -> Summary {
    if let goal = options.goal, options.tasks == nil, run.takeovers == 0 {
      if let failed = try plan(goal: goal) { return try finish(.failed, failed) }
    }
    if run.takeovers == 0 {
      for epic in options.epics {
        if let failed = try plan(epic: epic) { return try finish(.failed, failed) }
      }
    }
    lastTick = ProcessIdentity.monotonic()
    // The first reap comes at once: agents that went stale before the run are acted on first.
    lastReap = -1e9
    var runBudgetReached: String?
    while true {
      let busy =
        workers.values.filter { $0.output >= 0 } + (lander.map { [$0] } ?? []) + (reviewer.map { [$0] } ?? [])
      waitForOutput(busy, milliseconds: workers.isEmpty ? 100 : 250)
      let now = ProcessIdentity.monotonic()
      var changed = false
      for process in workers.values {
        let before = process.lastAction
        if process.drain(), process.lastAction != before, !process.lastAction.isEmpty {
          emit("progress", process.agent, process.issue, "\(process.agent): \(process.lastAction)")
        }
      }
      if let lander { lander.drain() }
      if let reviewing = reviewer {
        reviewing.drain()
        reviewing.enforceGrace(policy.grace)
        if ProcessIdentity.monotonic() - reviewing.startedAt >= Double(policy.taskTimeout) {
          reviewing.terminate(reason: "timed out after \(Duration.exact(policy.taskTimeout))", outcome: .failed)
        }
        if let code = reviewing.reap() {
          reviewer = nil
          changed = true
          if bubblewrap != nil { RunProcesses.killLeftovers(run: run.id, agent: reviewing.agent) }
          emit(
            "reviewed", reviewing.agent, reviewing.issue,
            "\(reviewing.agent) ended its review of #\(reviewing.issue) (exit \(code))"
              + (code == 0 ? "" : ": \(reviewing.outputTail)"))
        }
      }
      for process in Array(workers.values) {
        if let code = process.reap() {
          try handleExit(process, code: code)
          changed = true
        }
      }
      if let landing = lander, let code = landing.reap() {
        lander = nil
        lastLanderEnd = now
        changed = true
        if code == 3 && !landerRefused {
          landerRefused = true
          emit("lander", nil, nil, "Another lander holds the landing lease; it lands this run's work")
        } else if code != 0 && code != 3 {
          landerFailures += 1
          emit("lander", nil, nil, "ghp land exited \(code): \(landing.outputTail)")
          if landerFailures >= 3 && !landerRefused {
            // Not a loop: what waits to land is left to `ghp land`, whose error was just shown.
            landerRefused = true
            emit(
              "lander", nil, nil,
              "ghp land failed 3 times in a row; the run no longer waits for landings (run `ghp land` to see why)")
          }
        } else {
          landerFailures = 0
        }
      }
      // Limits, from outside.
      for process in workers.values {
        if process.killReason == nil {
          if now - process.startedAt >= Double(policy.taskTimeout) {
            process.terminate(reason: "timed out after \(Duration.exact(policy.taskTimeout))", outcome: .failed)
            emit(
              "killed", process.agent, process.issue,
              "\(process.agent) on #\(process.issue): timed out after \(Duration.exact(policy.taskTimeout)); SIGTERM to its process group"
            )
          } else if let breach = policy.budget.breach(
            micros: process.parser.costMicros, tokens: process.parser.budgetTokens)
          {
            process.terminate(reason: breach, outcome: .failed)
            emit(
              "killed", process.agent, process.issue,
              "\(process.agent) on #\(process.issue): \(breach); SIGTERM to its process group")
          }
        }
        process.enforceGrace(policy.grace)
      }
      if runBudgetReached == nil, !policy.runBudget.isEmpty {
        var total = run.total
        for process in workers.values {
          total.costMicros += process.parser.costMicros
          total.tokens += process.parser.budgetTokens
        }
        if let breach = policy.runBudget.breach(micros: total.costMicros, tokens: total.tokens + total.subagentTokens) {
          runBudgetReached = "the run's \(breach)"
          beginStop(runBudgetReached!)
        }
      }
      if LandingSignals.interrupted && stopping == nil {
        let asked = try? workspace.snapshot().runRecord(id: run.id)?.stopRequested
        beginStop(asked.flatMap { $0 }.map { "asked by \($0.by) (ghp run stop)" } ?? "interrupted by a signal")
      }
      if fatal != nil && stopping == nil { beginStop(fatal!) }
      // A look at the state: a stop asked from elsewhere, new work, the end.
      if changed || now - lastLook >= 1.0 {
        lastLook = now
        if let remote, now - lastSync >= 2.0 {
          lastSync = now
          do {
            _ = try workspace.ledger.sync(remote: remote, actor: actor, clock: workspace.clock)
            backInReach()
          } catch {
            // Out of reach is said once (`offline`), not at every look.
            if !unreachable(error) {
              emit(
                "sync", nil, nil,
                "ghp sync with \(remote) failed: \(error.description); the run goes on with what it has"
              )
            }
          }
        }
        let state = try workspace.snapshot()
        let runs = try state.runRecords()
        if let current = runs.first(where: { $0.id == run.id }), let asked = current.stopRequested, stopping == nil {
          run.stopRequested = asked
          beginStop("asked by \(asked.by) (ghp run stop)")
        }
        // Cut off, this host sees no run renew: it adopts nothing until it sees the server again.
        if stopping == nil && offlineSince == nil { adoptGone(runs) }
        let summaries = try state.issueSummaries()
        progress = (summaries.filter { $0.status == .done || $0.status == .landing }.count, summaries.count)
        try spawnFree(state)
        try spawnReviewer(state)
        let landing = summaries.contains { $0.status == .landing }
        if stopping == nil, config.landing != nil, landing, lander == nil, !landerRefused, now - lastLanderEnd >= 1 {
          lander = startLander()
        }
        if workers.isEmpty && lander == nil && reviewer == nil {
          if stopping != nil { break }
          let ours = Set(run.workers)
          let waiting = summaries.contains {
            ($0.status == .claimed && ours.contains($0.assignee ?? ""))
              || (config.landing != nil && $0.status == .landing && !landerRefused)
          }
          // Work another host's run holds may come back to the queue (that run adopted once its
          // supervisor is gone): the run ends when the team's queue is empty, not only its own.
          let elsewhere = runs.contains { $0.isActive && $0.id != run.id && !$0.slots.isEmpty }
          // Ready work this run's workers may take (a run of epics ends when its epics' are done).
          var workable = false
          for entry in try ReadyQueue.ready(state) where !workable {
            for agent in ours where try mayTake(agent, entry, in: state) { workable = true }
          }
          if !waiting && !elsewhere && !workable { break }
        }
      }
      if now - lastTick >= Double(policy.lease) / 6 || (tickWanted(now) && offlineSince == nil) {
        do { try tick(now) } catch  where unreachable(error) {
          // Tried again in two seconds; the lease lives on the server meanwhile, or another
          // host adopts the run and this one learns it when the link is back.
          lastTick = now - Double(policy.lease) / 6 + 2
        }
      }
      if now - lastReap >= Double(max(30, min(config.staleAfter / 2, 300))) {
        lastReap = now
        do {
          let reaped = try workspace.runNow(ReapOperation()).result.filter(\.changed)
          for action in reaped { emit("reap", action.agent, nil, "\(action.agent) is stale: \(action.outcome)") }
        } catch {
          // The run goes on: reaping is a courtesy to agents outside it.
          emit("reap", nil, nil, "ghp reap failed: \(error.description)")
        }
      }
    }
    if let fatal { return try finish(.failed, fatal) }
    if let runBudgetReached { return try finish(.failed, "stopped: \(runBudgetReached)") }
    if let stopping { return try finish(.stopped, "stopped: \(stopping)") }
    return try finish(.finished, nil)
  }

  /// Whether `error` says the server is out of reach (remote mode only): said once, and the run
  /// goes on with its workers and tries again.
  func unreachable(_ error: GHPError) -> Bool {
    guard remote != nil, error.isUnreachable else { return false }
    if offlineSince == nil {
      offlineSince = ProcessIdentity.monotonic()
      emit("offline", nil, nil, "\(error.description); the run goes on and tries again")
    }
    return true
  }

  /// Records `operation` (a worker's exit, which must not be lost), trying again every two
  /// seconds while the server is out of reach; a refusal (the run adopted meanwhile) or a
  /// signal ends the wait.
  func recordWhileOutOfReach(_ operation: RunOperation) throws(GHPError) -> RunRecord {
    while true {
      do {
        let record = try workspace.runNow(operation).result
        backInReach()
        return record
      } catch  where unreachable(error) && !LandingSignals.interrupted {
        sleep(2)
      }
    }
  }

  /// Says once that the server is in reach again.
  func backInReach() {
    guard let since = offlineSince else { return }
    offlineSince = nil
    emit(
      "online", nil, nil,
      "\(remote ?? "the server") is in reach again after \(Int(ProcessIdentity.monotonic() - since)) s")
  }

  /// Ends every other run whose supervisor has not renewed its lease for `agent.lease` (gone with
  /// its host, or cut off from the server), giving its workers' issues back to the queue, which
  /// this run then works: a team on several hosts does not wait for a person when one host dies.
  /// Another supervisor may adopt it first; that is not an error.
  func adoptGone(_ runs: [RunRecord]) {
    workspace.refreshClock()
    for gone in runs
    where gone.isActive && gone.id != run.id && workspace.clock.now - gone.renewedAt > policy.lease {
      var adopt = operation(.adopt)
      adopt.id = gone.id
      adopt.replaces = gone.token
      do {
        let ended = try workspace.runNow(adopt).result
        emit("takeover", nil, nil, ended.outcome ?? "adopted run \(gone.id)", ["run": .string(gone.id)])
      } catch {
        emit("takeover", nil, nil, "run \(gone.id) was not adopted: \(error.description)")
      }
    }
  }

  var beatEvery: Double { Double(max(1, min(60, config.staleAfter / 3))) }

  func tickWanted(_ now: Double) -> Bool {
    if breakerDirty { return true }
    return workers.values.contains { process in
      (!process.pidRecorded && now - process.startedAt >= 1)
        || (process.progressedSinceBeat && now - process.lastBeat >= beatEvery)
    }
  }

  /// Renews the lease and records the workers' news: new pids, heartbeats for those that showed
  /// progress, what they spent.
  func tick(_ now: Double) throws(GHPError) {
    var tick = operation(.tick)
    for process in workers.values.sorted(by: { $0.agent < $1.agent }) {
      var update = RunOperation.Update(agent: process.agent)
      var news = false
      if !process.pidRecorded && now - process.startedAt >= 1 {
        update.pid = Int(process.keeper)
        update.start = Int(process.start)
        news = true
      }
      if process.progressedSinceBeat && now - process.lastBeat >= beatEvery {
        update.progressed = true
        update.action = process.lastAction.isEmpty ? "Working on #\(process.issue)" : process.lastAction
        update.costMicros = process.parser.costMicros
        update.tokens = process.parser.tokens
        news = true
      }
      if news { tick.updates.append(update) }
    }
    if breakerDirty { tick.breaker = breaker.record }
    run = try workspace.runNow(tick).result
    backInReach()
    lastTick = now
    breakerDirty = false
    for update in tick.updates {
      guard let process = workers[update.agent] else { continue }
      if update.pid != nil { process.pidRecorded = true }
      if update.progressed {
        process.progressedSinceBeat = false
        process.lastBeat = now
      }
    }
  }

  /// Ends the run on `ghp/state` and says how it went.
  func finish(_ state: RunRecord.State, _ reason: String?) throws(GHPError) -> Summary {
    for process in workers.values { process.terminate(reason: reason ?? "the run ended", outcome: .released) }
    let deadline = ProcessIdentity.monotonic() + Double(policy.grace) + 5
    while !workers.isEmpty && ProcessIdentity.monotonic() < deadline {
      waitForOutput(Array(workers.values), milliseconds: 100)
      for process in Array(workers.values) {
        process.enforceGrace(policy.grace)
        if let code = process.reap() { try handleExit(process, code: code) }
      }
    }
    if let lander {
      kill(-lander.keeper, SIGTERM)
      while lander.reap() == nil && ProcessIdentity.monotonic() < deadline { usleep(20_000) }
    }
    if let reviewer {
      reviewer.terminate(reason: reason ?? "the run ended", outcome: .released)
      while reviewer.reap() == nil && ProcessIdentity.monotonic() < deadline {
        reviewer.enforceGrace(policy.grace)
        usleep(20_000)
      }
    }
    let snapshot = try workspace.snapshot()
    let summaries = try snapshot.issueSummaries()
    let ours = Set(run.workers)
    var dead: [String] = []
    for summary in summaries where summary.status == .dead {
      if let issue = try? snapshot.requireIssue(summary.id),
        issue.failures.contains(where: { ours.contains($0.agent) && $0.at >= run.startedAt })
      {
        dead.append(summary.id)
      }
    }
    let total = run.total
    var line = "\(run.id) \(state.rawValue)"
    line += ": \(total.finished) finished, \(total.failed) failed attempt\(total.failed == 1 ? "" : "s")"
    if !dead.isEmpty { line += ", dead: " + dead.map { "#\($0)" }.joined(separator: ", ") }
    if total.costMicros > 0 { line += ", \(Money.format(total.costMicros))" }
    if breaker.record.state != .closed { line += "; the breaker is \(breaker.record.state.rawValue)" }
    if let reason { line += " (\(reason))" }
    if breakerDirty { try tick(ProcessIdentity.monotonic()) }
    var finish = operation(.finish)
    finish.state = state
    finish.summary = line
    run = try workspace.runNow(finish).result
    let code: Int32 =
      state == .stopped ? 3 : (state == .failed || !dead.isEmpty || breaker.record.state != .closed ? 1 : 0)
    return Summary(run: run, exitCode: code, line: line, dead: dead)
  }

  /// The running workers, for the live table.
  public var slots: [SlotView] {
    guard let run else { return [] }
    let now = ProcessIdentity.monotonic()
    return run.workers.compactMap { agent in
      guard let process = workers[agent] else { return nil }
      let attempt = run.slots.first { $0.agent == agent }?.attempt ?? 1
      return SlotView(
        agent: agent, issue: process.issue, seconds: Int(now - process.startedAt), lastAction: process.lastAction,
        attempt: attempt, costMicros: process.parser.costMicros, tokens: process.parser.tokens)
    }
  }

}
