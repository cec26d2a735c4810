import ArgumentParser
import GHPKit
import Glibc

extension GHP {
  struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "run",
      abstract: "Supervise headless agents: plan, start workers in their worktrees, enforce limits.",
      discussion: """
        Orchestrators. Makes (or reuses) workers <prefix>-1..N with their branch and worktree, \
        gives each the next ready issue (an assign that carries the epoch) and starts the agent \
        command there, headless, in its own process group, with the prompt on stdin and GHP_AGENT, \
        GHP_ISSUE, GHP_EPOCH and GHP_RUN set. The agent's output (claude stream-json, codex JSON \
        events, or plain lines) is its progress: the supervisor sends its heartbeats and records \
        its cost and tokens.

        At the timeout or the budget its group gets SIGTERM, then SIGKILL \
        after the grace, and the attempt fails (dead after maxAttempts); retries wait an \
        exponential backoff with full jitter. After [agent] breaker failures in a row the breaker \
        opens (one escalation), and after the cool-down one trial runs. A command that cannot \
        start ends the run at once, naming the fix.

        With a GOAL and no --tasks, a leader agent \
        plans first by creating issues. With --epic (repeatable), each epic gets a manager (its \
        holder, or manager-<ID> made and assigned it), which first plans the epic into sub-issues \
        when it has none left to work, and -w workers of its own, e<ID>-worker-1..N, which take \
        only its sub-issues; the run ends when its epics' work is done. With [landing] configured, `ghp land --once` lands what \
        workers submit. The run and its lease live on ghp/state: a second `ghp run` on the same \
        machine refuses while the first lives; on another machine it runs beside it with its own \
        workers. One whose supervisor died is taken over (its leftover processes are killed, its \
        workers' issues go back), and a live run on another host adopts it once its [agent] lease \
        is stale.

        Exit: 0 all done; 1 some issue dead, the breaker open or the command broken; 3 stopped \
        (Ctrl-C, SIGTERM, ghp run stop).

        Examples:
          ghp run "Build a user authentication system" -w 3
          ghp run --tasks tasks.json -w 4 --agent-command claude
          ghp run -w 4 --task-timeout 30m --budget-usd 5
          ghp run --epic 12 --epic 14 -w 2
          ghp run status
          ghp run stop

        Every option of a run: ghp help run start
        """,
      subcommands: [Start.self, Status.self, Stop.self], defaultSubcommand: Start.self)
  }
}

extension GHP.Run {
  struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "start",
      abstract: "Start a run: the workers, the leader for a goal, the lander (the default subcommand).",
      discussion:
        """
        Examples:
          ghp run "Build a user authentication system" -w 3
          ghp run start --tasks tasks.json -w 4
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The goal: a leader agent turns it into issues first (without --tasks).")
    var goal: String?

    @Option(
      name: .customLong("tasks"),
      help: ArgumentHelp("Import these issues first (ghp issue import's formats).", valueName: "file"))
    var tasksFile: String?

    @Option(name: [.customShort("w"), .customLong("workers")], help: "Workers at once (default [agent] maxWorkers).")
    var workers: Int?

    @Option(
      help: ArgumentHelp("claude, codex, or a command line (default [agent] command).", valueName: "claude|codex|CMD"))
    var agentCommand: String?

    @Option(help: ArgumentHelp("Wall-clock limit per attempt (default [agent] taskTimeout).", valueName: "duration"))
    var taskTimeout: String?

    @Option(help: ArgumentHelp("Stop an attempt that reports spending this many US dollars.", valueName: "dollars"))
    var budgetUsd: String?

    @Option(help: ArgumentHelp("Stop an attempt that reports using this many tokens.", valueName: "n"))
    var budgetTokens: Int?

    @Option(help: ArgumentHelp("Stop the run once its workers report spending this much.", valueName: "dollars"))
    var runBudgetUsd: String?

    @Option(help: ArgumentHelp("Worker agents are <prefix>-1..N.", valueName: "prefix"))
    var prefix = "worker"

    @Option(
      name: .customLong("epic"),
      help: ArgumentHelp(
        "Work this epic (repeatable): a manager plans it, -w workers of its own take its sub-issues.",
        valueName: "id"))
    var epics: [String] = []

    @Flag(help: ArgumentHelp("The same as `ghp run status`.", visibility: .hidden))
    var status = false

    @Flag(help: ArgumentHelp("The same as `ghp run stop`.", visibility: .hidden))
    var stop = false

    func validate() throws {
      if let workers, !(1...64).contains(workers) { throw ValidationError("--workers must be 1 to 64") }
      if let taskTimeout, (Duration.seconds(taskTimeout) ?? 0) <= 0 {
        throw ValidationError("--task-timeout must be a duration such as 30m or 90s")
      }
      for (name, value) in [("--budget-usd", budgetUsd), ("--run-budget-usd", runBudgetUsd)] {
        if let value, (Money.parse(value) ?? 0) <= 0 {
          throw ValidationError("\(name) must be an amount of dollars such as 5 or 0.50")
        }
      }
      if let budgetTokens, budgetTokens <= 0 { throw ValidationError("--budget-tokens must be a positive number") }
      if status && stop { throw ValidationError("give --status or --stop, not both") }
      if (status || stop) && (goal != nil || tasksFile != nil) {
        throw ValidationError("--status and --stop take no goal or tasks")
      }
      if goal != nil && tasksFile != nil {
        throw ValidationError("give a goal (the leader plans) or --tasks, not both")
      }
      if !epics.isEmpty && (goal != nil || tasksFile != nil) {
        throw ValidationError("--epic works the epics' sub-issues (their managers plan them): give no goal or --tasks")
      }
      if let goal, goal.allSatisfy({ $0.isWhitespace }) { throw ValidationError("the goal is empty") }
    }

    func run() throws {
      let workspace = try global.workspace()
      if status { return try Status.show(workspace, json: global.json) }
      if stop { return Output.answer(try RunStopAction().run(in: workspace), json: global.json) }
      LandingSignals.install()
      // A supervisor lives through a server that stops answering: the step is interrupted and
      // fails as a timeout, and the run goes on (see Supervisor.unreachable).
      NetworkDeadline.exitWhenSilent = false
      var options = Supervisor.Options()
      options.goal = goal
      if let tasksFile {
        guard
          let bytes = tasksFile == "-" ? Array(Output.readStandardInput().utf8) : Files.read(try Output.path(tasksFile))
        else {
          throw GHPError.invalidValue("--tasks", "cannot read \(tasksFile)")
        }
        options.tasks = (bytes, tasksFile)
      }
      options.workers = workers
      options.command = agentCommand
      options.taskTimeout = taskTimeout.flatMap(Duration.seconds)
      options.budget = AgentPolicy.Budget(micros: budgetUsd.flatMap(Money.parse), tokens: budgetTokens)
      options.runBudget = AgentPolicy.Budget(micros: runBudgetUsd.flatMap(Money.parse))
      options.prefix = prefix
      options.epics = try epics.map(Arguments.issueID)
      try AgentName.validate("\(prefix)-1")
      let state = try workspace.snapshot()
      for epic in options.epics { _ = try state.requireEpic(epic) }
      let supervisor = try Supervisor(workspace, options: options)
      let display = RunDisplay(mode: global.json ? .json : (Output.isTerminal ? .live : .lines))
      supervisor.onEvent = { event in display.event(event, supervisor) }
      try supervisor.begin()
      display.start(supervisor)
      let summary = try supervisor.supervise()
      display.end(summary)
      if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
    }

  }
}

extension GHP.Run {
  struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "status", abstract: "Show the run of this repository: who runs what, since when.",
      discussion: """
        Examples:
          ghp run status
          ghp run status --json
        """)

    @OptionGroup var global: GlobalOptions

    func run() throws { try Self.show(try global.workspace(), json: global.json) }

    static func show(_ workspace: Workspace, json: Bool) throws {
      let state = try workspace.snapshot()
      try state.requireInitialised()
      let lease = try state.config().agent.lease
      let host = Host.name
      let now = workspace.clock.now
      // Every run going on (supervisors on several hosts), else the last one.
      let recorded = try state.runRecords()
      let active = recorded.active
      guard let latest = recorded.current else {
        if json { return Output.json(.object(["run": .null, "runs": .array([])])) }
        return Output.line("No run yet in this repository (start one: ghp run -w 4).")
      }
      let runs = active.isEmpty ? [latest] : active
      func gone(_ run: RunRecord) -> Bool { run.isActive && run.isAbandoned(now: now, host: host, lease: lease) }
      if json {
        func object(_ run: RunRecord) -> JSON {
          var object = run.json.objectValue ?? [:]
          object["token"] = nil
          object["supervisorAlive"] = .bool(run.isActive && !gone(run))
          return .object(object)
        }
        return Output.json(.object(["run": object(latest), "runs": .array(runs.map(object))]))
      }
      for (index, run) in runs.enumerated() {
        if index > 0 { Output.line("") }
        show(run, gone: gone(run), now: now)
      }
    }

    static func show(_ run: RunRecord, gone: Bool, now: Int64) {
      var head = "Run \(run.id): \(run.state.rawValue)"
      if run.isActive {
        head +=
          gone
          ? " — its supervisor is gone (pid \(run.pid) on \(run.host)); `ghp run` on any host takes it over"
          : ", supervised by \(run.holder) (pid \(run.pid) on \(run.host))"
      }
      Output.line(head)
      Output.line(
        "Since \(RFC3339.format(run.startedAt)) (\(Duration.exact(max(0, now - run.startedAt))) ago), lease renewed \(Duration.exact(max(0, now - run.renewedAt))) ago; command: \(run.command)"
      )
      if let goal = run.goal { Output.line("Goal: \(TextTable.clip(goal, 100))") }
      if let asked = run.stopRequested { Output.line("Stop asked by \(asked.by) at \(RFC3339.format(asked.at)).") }
      if run.breaker.state != .closed {
        Output.line(
          "Breaker \(run.breaker.state.rawValue)" + (run.breaker.escalation.map { " (escalation \($0))" } ?? "")
            + ": \(run.breaker.failures.last?.reason ?? "")")
      }
      if !run.slots.isEmpty {
        Output.text(
          TextTable.render(
            header: ["AGENT", "ISSUE", "PID", "ELAPSED", "ATTEMPT", "COST", "LAST ACTION"],
            rows: run.slots.map { slot in
              [
                slot.agent, "#\(slot.issue)", slot.pid.map(String.init) ?? "-",
                Duration.exact(max(0, now - slot.startedAt)),
                String(slot.attempt), slot.costMicros > 0 ? Money.format(slot.costMicros) : "-",
                TextTable.clip(slot.lastAction, 50),
              ]
            }))
      } else if run.isActive {
        Output.line("No worker is running.")
      }
      let total = run.total
      Output.line(
        "Finished \(total.finished), failed attempts \(total.failed), given back \(total.released)"
          + (total.costMicros > 0 ? ", spent \(Money.format(total.costMicros))" : "") + ".")
      if let outcome = run.outcome { Output.line(outcome) }
    }
  }

  struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "stop",
      abstract: "Ask the run of this repository to stop gracefully, and wait (up to 2 minutes) for it to end.",
      discussion: """
        Orchestrators.

        Example:
          ghp run stop
        """)

    @OptionGroup var global: GlobalOptions

    func run() throws { Output.answer(try RunStopAction().run(in: try global.workspace()), json: global.json) }
  }
}

/// How `ghp run` shows progress: a live table on a terminal, one line per event when piped, one
/// JSON object per event with --json.
final class RunDisplay {
  enum Mode { case live, lines, json }
  let mode: Mode
  var drawn = 0
  var lastDraw = 0.0
  var recent: [String] = []

  init(mode: Mode) { self.mode = mode }

  func event(_ event: Supervisor.Event, _ supervisor: Supervisor) {
    switch mode {
    case .json: Output.line(event.json.compact())
    case .lines: Output.line(event.text)
    case .live:
      if event.kind == "progress" {
        redraw(supervisor, force: false)
        return
      }
      clear()
      Output.line(event.text)
      redraw(supervisor, force: true)
    }
  }

  func start(_ supervisor: Supervisor) { if mode == .live { redraw(supervisor, force: true) } }

  func clear() {
    guard drawn > 0 else { return }
    Output.control("\u{1B}[\(drawn)A\u{1B}[J")
    drawn = 0
  }

  func redraw(_ supervisor: Supervisor, force: Bool) {
    let now = MonotonicClock.now()
    guard force || now - lastDraw >= 0.5 else { return }
    lastDraw = now
    clear()
    let (done, total) = supervisor.progress
    let width = 30
    let filled = total == 0 ? 0 : min(width, done * width / max(total, 1))
    var lines = [
      "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        + "] \(done)/\(total) issues done or landing"
    ]
    let rows = supervisor.slots.map { slot in
      [
        slot.agent, "#\(slot.issue)", Duration.exact(Int64(slot.seconds)), String(slot.attempt),
        slot.costMicros > 0 ? Money.format(slot.costMicros) : "-", TextTable.clip(slot.lastAction, 48),
      ]
    }
    if !rows.isEmpty {
      lines += TextTable.render(header: ["AGENT", "ISSUE", "ELAPSED", "ATTEMPT", "COST", "LAST ACTION"], rows: rows)
        .split(separator: "\n").map(String.init)
    }
    Output.text(lines.joined(separator: "\n") + "\n")
    drawn = lines.count
  }

  func end(_ summary: Supervisor.Summary) {
    if mode == .live { clear() }
    if mode == .json { return Output.line(summary.json.compact()) }
    Output.line(summary.line)
    let tallies = summary.run.tallies.sorted { $0.key < $1.key }
    guard !tallies.isEmpty else { return }
    Output.text(
      TextTable.render(
        header: ["WORKER", "FINISHED", "FAILED", "GIVEN BACK", "TIME", "COST", "TOKENS"],
        rows: tallies.map { agent, tally in
          [
            agent, String(tally.finished), String(tally.failed), String(tally.released),
            Duration.exact(Int64(tally.seconds)),
            tally.costMicros > 0 ? Money.format(tally.costMicros) : "-", tally.tokens > 0 ? String(tally.tokens) : "-",
          ]
        }))
  }
}
