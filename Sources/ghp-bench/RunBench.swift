import Foundation
import GHPKit

/// `ghp run`'s own cost: issues completed per second by 8 workers whose agent only says done,
/// against 8 shell loops doing `claim --next` and `done` by hand; and the supervisor's CPU while 8
/// workers sit idle, against `ghp watch` polling the same repository.
enum RunBench {
  static func run(quick: Bool, report: inout Report) throws {
    Report.section("19. ghp run: supervisor overhead with a no-op agent (8 workers)")
    let ghp = Harness.binFolder.appendingPathComponent("ghp").path
    let repo = Harness.scratchRepository("run")
    LedgerBench.initialise(repo)
    let lead = ["GHP_AGENT": "lead"]
    let folder = (repo as NSString).deletingLastPathComponent
    let noop = folder + "/noop-agent"
    try Data("#!/bin/sh\nexec ghp done \"$GHP_ISSUE\" --result ok > /dev/null\n".utf8).write(
      to: URL(fileURLWithPath: noop))
    let idle = folder + "/idle-agent"
    try Data("#!/bin/sh\nexec sleep 1000\n".utf8).write(to: URL(fileURLWithPath: idle))
    chmod(noop, 0o755)
    chmod(idle, 0o755)
    Harness.run(ghp, ["config", "set", "worktreeRoot", "\"\(folder)\""], in: repo, environment: lead)
    Harness.run(ghp, ["config", "set", "agent.grace", "\"1s\""], in: repo, environment: lead)

    func addIssues(_ count: Int, from first: Int) {
      let items = (first..<(first + count)).map { "{\"id\": \"\($0)\", \"title\": \"Task \($0)\"}" }
      Harness.run(
        ghp, ["issue", "import", "-"], in: repo, environment: lead,
        stdin: Data("[\(items.joined(separator: ","))]".utf8))
    }
    // A first run makes the 8 workers' branches and worktrees, which every later run reuses.
    addIssues(8, from: 1)
    Harness.run(ghp, ["run", "-w", "8", "--agent-command", noop], in: repo, environment: lead)
    let issues = quick ? 40 : 200
    addIssues(issues, from: 9)
    let supervised = Harness.run(
      ghp, ["run", "-w", "8", "--agent-command", noop, "--json"], in: repo, environment: lead)
    let finished = supervised.output.split(separator: "\n").filter { $0.contains("\"event\":\"finished\"") }.count
    let supervisedRate = Double(finished) / supervised.seconds

    // The same work by hand: 8 agents in their worktrees, each claiming the next and saying done.
    addIssues(issues, from: 9 + issues)
    var loops = ""
    for worker in 1...8 {
      loops += """
        (cd \(folder)/run-worker-\(worker) && while out=$(\(ghp) claim --next 2>/dev/null); do
          id=${out#Claimed #}; id=${id%% *}; \(ghp) done "$id" --result ok > /dev/null; done) &

        """
    }
    let manual = Harness.run("/bin/sh", ["-c", loops + "wait\n"], in: repo)
    let left = Harness.run(ghp, ["ready", "--json"], in: repo, environment: lead).output.contains("\"id\"")
    let manualRate = Double(issues) / manual.seconds
    report.add("    issues completed by ghp run (of \(issues))", "\(finished)")
    report.add("    ghp run, issues per second (target >= 20)", format(supervisedRate, 1))
    report.add(
      "    8 shell loops of claim --next + done, issues per second",
      format(manualRate, 1) + (left ? " (some left)" : ""))
    report.add("    ratio ghp run / shell loops", format(supervisedRate / manualRate, 2))

    // One worker, one issue after another: what containing a worker costs per start (bubblewrap,
    // its own repository and home, its `ghp done` carried over the socket), against the same run
    // with agent.sandbox off, in this run.
    let serial = quick ? 10 : 30
    var next = 9 + 2 * issues
    func oneWorker(sandbox: String) -> Double {
      Harness.run(ghp, ["config", "set", "agent.sandbox", sandbox], in: repo, environment: lead)
      addIssues(serial, from: next)
      next += serial
      let timed = Harness.run(ghp, ["run", "-w", "1", "--agent-command", noop], in: repo, environment: lead)
      return timed.seconds * 1000 / Double(serial)
    }
    _ = oneWorker(sandbox: "on")
    let open = oneWorker(sandbox: "off")
    let contained = oneWorker(sandbox: "on")
    Harness.run(ghp, ["config", "set", "agent.sandbox", "auto"], in: repo, environment: lead)
    report.add("    one worker, per issue, contained: ms", format(contained, 1))
    report.add("    one worker, per issue, agent.sandbox off: ms", format(open, 1))
    report.add("    containment overhead per worker start: ms (target <= 30)", format(contained - open, 1))
    report.add("    ratio contained / uncontained (per issue)", format(contained / open, 2))

    // Idle: 8 workers that sleep; CPU of the supervisor over a window, and of `ghp watch`.
    addIssues(8, from: next)
    let window = quick ? 4 : 10
    func cpu(_ command: String) -> Double {
      let script = """
        \(command) > /dev/null 2>&1 &
        pid=$!
        sleep 2
        a=$(awk '{print $14 + $15}' /proc/$pid/stat)
        sleep \(window)
        b=$(awk '{print $14 + $15}' /proc/$pid/stat)
        { kill -TERM $pid; wait $pid; } 2>/dev/null
        echo $((b - a))
        """
      let output = Harness.run("/bin/sh", ["-c", script], in: repo, environment: lead).output
      let ticks =
        output.split(separator: "\n").reversed().compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }.first
        ?? .nan
      return ticks / Double(sysconf(Int32(_SC_CLK_TCK))) / Double(window) * 100
    }
    let supervisor = cpu("\(ghp) run -w 8 --agent-command \(idle) --task-timeout 1h")
    let watch = cpu("\(ghp) watch")
    report.add("    supervisor CPU, 8 idle workers: % of one core (target < 1)", format(supervisor, 2))
    report.add("    ghp watch CPU over the same window: % of one core", format(watch, 2))
    report.add("    ratio supervisor / watch", watch > 0 ? format(supervisor / watch, 2) : "watch used < 1 tick")
  }
}

/// `ghp agent-heartbeat --auto`, what agent hooks call after every tool use: state commits per
/// 1,000 calls in a busy session (one call every 5 simulated seconds), against plain heartbeats.
enum AutoHeartbeatBench {
  static func run(quick: Bool, report: inout Report) throws {
    Report.section("20. ghp agent-heartbeat --auto: commits per 1,000 hook calls (one call per 5 s)")
    let ghp = Harness.binFolder.appendingPathComponent("ghp").path
    let repo = Harness.scratchRepository("heartbeats")
    LedgerBench.initialise(repo)
    let t0 = Int(Date().timeIntervalSince1970)
    let calls = quick ? 200 : 1000
    Harness.run(
      ghp, ["agent", "add", "w1", "--path", repo + "-w1"], in: repo,
      environment: ["GHP_AGENT": "lead", "GHP_NOW": RFC3339.format(Int64(t0))])
    Harness.scratchRoots.insert(repo + "-w1")
    func count() -> Int {
      Int(Harness.git(["rev-list", "--count", "ghp/state"], in: repo).trimmingCharacters(in: .whitespacesAndNewlines))
        ?? 0
    }
    func loop(_ flags: String, from start: Int, input: String = "") -> (commits: Int, seconds: Double) {
      let before = count()
      let script = """
        i=0
        while [ $i -lt \(calls) ]; do
          i=$((i + 1))
          \(input)GHP_NOW=$(date -u -d @$((\(start) + 5 * i)) +%Y-%m-%dT%H:%M:%SZ) GHP_AGENT=w1 \(ghp) agent-heartbeat \(flags) > /dev/null
        done
        """
      let run = Harness.run("/bin/sh", ["-c", script], in: repo)
      return (count() - before, run.seconds)
    }
    let auto = loop("--auto", from: t0)
    let plain = loop("", from: t0 + 5 * calls + 5)
    // What `ghp setup claude` writes for PostToolUse: the event arrives as JSON on stdin.
    let event = #"echo '{"hook_event_name": "PostToolUse", "tool_name": "Edit"}' | "#
    let hook = loop("--auto --hook claude", from: t0 + 10 * calls + 10, input: event)
    let scale = 1000 / Double(calls)
    report.add("    --auto: state commits per 1,000 calls", format(Double(auto.commits) * scale, 0))
    report.add("    plain heartbeat: state commits per 1,000 calls", format(Double(plain.commits) * scale, 0))
    report.add("    ratio --auto / plain (commits)", format(Double(auto.commits) / Double(max(plain.commits, 1)), 3))
    report.add("    --auto, per call (process, date included): ms", format(auto.seconds * 1000 / Double(calls), 1))
    report.add("    plain, per call: ms", format(plain.seconds * 1000 / Double(calls), 1))
    report.add(
      "    --auto --hook claude (event on stdin): commits per 1,000",
      format(Double(hook.commits) * scale, 0))
    report.add("    --auto --hook claude, per call: ms", format(hook.seconds * 1000 / Double(calls), 1))
    // What `ghp setup codex` writes for PostToolUse, with the fields Codex sends.
    let codexEvent =
      #"echo '{"session_id": "s", "transcript_path": null, "cwd": "/w", "hook_event_name": "PostToolUse", "model": "gpt-5.5-codex", "permission_mode": "default", "turn_id": "t", "tool_name": "Bash", "tool_input": {"command": "make"}, "tool_use_id": "c", "tool_response": {}}' | "#
    let codex = loop("--auto --hook codex", from: t0 + 15 * calls + 15, input: codexEvent)
    report.add(
      "    --auto --hook codex (event on stdin): commits per 1,000", format(Double(codex.commits) * scale, 0))
    report.add("    --auto --hook codex, per call: ms", format(codex.seconds * 1000 / Double(calls), 1))
    // The baseline in the same loop: a hook that runs `true` (the shell, date and the pipe included).
    let script = """
      i=0
      while [ $i -lt \(calls) ]; do
        i=$((i + 1))
        \(event)GHP_NOW=$(date -u -d @$((\(t0) + 5 * i)) +%Y-%m-%dT%H:%M:%SZ) /bin/true > /dev/null
      done
      """
    let baseline = Harness.run("/bin/sh", ["-c", script], in: repo).seconds
    report.add("    baseline, a hook that runs true, per call: ms", format(baseline * 1000 / Double(calls), 1))
    report.add("    ratio --hook claude / true (per call)", format(hook.seconds / baseline, 2))
    report.add("    ratio --hook codex / true (per call)", format(codex.seconds / baseline, 2))
  }
}

/// What asking the installed agent CLI its version and help (`AgentProbe`) adds to `ghp run`'s
/// start, against spawning `true` twice (the floor of two questions).
enum ProbeBench {
  static func run(quick: Bool, report: inout Report) throws {
    Report.section("21. ghp run's agent probe: --version and --help, once per run")
    // The stand-ins of the tests (shell scripts, as cheap as a CLI gets), else the installed tools.
    let presets = Harness.fixture("Tests/Fixtures/presets")
    let path = presets + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    let runs = quick ? 9 : 25
    let floor = Harness.median(
      (0..<runs).map { _ in
        let start = Harness.now()
        _ = ProgramRun.capture("/bin/true", [], environment: ["PATH": path], seconds: 15)
        _ = ProgramRun.capture("/bin/true", [], environment: ["PATH": path], seconds: 15)
        return Harness.now() - start
      })
    for (name, help) in [("claude", ["--help"]), ("codex", ["exec", "--help"])] {
      guard let program = ProgramSearch.find(name, in: ProgramSearch.folders(path)) else { continue }
      let probe = Harness.median(
        (0..<runs).map { _ in
          let start = Harness.now()
          _ = AgentProbe.ask(program, help: help, environment: ["PATH": path])
          return Harness.now() - start
        })
      report.add("\(name): probe, median of \(runs)", ms(probe))
      report.add("    (\(program))", "")
      report.add("    ratio to two spawns of true", format(probe / floor, 2))
    }
    report.add("two spawns of true (the floor)", ms(floor))
  }
}
