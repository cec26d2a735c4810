import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// A repository supervised by `ghp run`, with the fake agents of `Tests/Fixtures/agents` (they
/// speak claude's stream-json) instead of real ones.
final class RunBench {
  let repo: ScratchRepository
  let scratch: String

  static let agents = TemplateTests.root.appendingPathComponent("Tests/Fixtures/agents").path

  /// `at`: where the repository is made (default: under the temporary folder).
  init(issues: Int = 0, settings: [String: String] = [:], at path: String? = nil) throws {
    repo = try path.map { try ScratchRepository(at: $0) } ?? ScratchRepository()
    scratch = repo.root.deletingLastPathComponent().path
    try repo.initialise(issues: issues)
    // The fake agents' own knobs reach them as any agent's settings do: named in agent.env.
    // The fixtures are shown to contained workers wherever the checkout is (a clone in /tmp is
    // behind their own /tmp otherwise).
    let fixtures = TemplateTests.root.appendingPathComponent("Tests/Fixtures").path
    let defaults = [
      "agent.backoff": "0s", "agent.grace": "1s", "agent.env": "[\"FLAKY_DIR\", \"SLOW_SECONDS\"]",
      "agent.readable": "[\"\(fixtures)\"]",
    ]
    for (key, value) in defaults.merging(settings, uniquingKeysWith: { _, given in given }) {
      let set = try repo.ghp(["config", "set", key, value], agent: "lead")
      #expect(set.status == 0, "\(set.stderr)")
    }
  }

  func agent(_ name: String) -> String { "\(Self.agents)/\(name)" }

  /// `ghp run --json` to its end; the events it printed, one JSON object each.
  func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (ProcessRunner.Result, [JSON]) {
    let result = try repo.ghp(["run", "--json"] + arguments, agent: "lead", environment: environment)
    return (result, Self.events(result.stdout))
  }

  static func events(_ text: String) -> [JSON] {
    text.split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
  }

  func issue(_ id: String) throws -> JSON {
    try #require(try repo.ghp(["issue", "show", id, "--json"], agent: "lead").json()["issue"])
  }

  /// The run document (one run at a time in these tests).
  func runRecord() throws -> JSON {
    let names = try repo.git(["ls-tree", "--name-only", "ghp/state", ".ghp/runs/"]).split(separator: "\n")
    guard names.count == 1 else { throw ScratchError("expected one run document, found \(names)") }
    return try JSON.parse(try repo.stateFile(String(names[0])))
  }

  /// Processes whose environment carries this run's GHP_RUN (the process table, as the takeover
  /// reads it), after waiting up to five seconds for dying ones to go.
  func leftovers(_ run: String) -> [Int32] {
    var found: [Int32] = []
    for _ in 0..<100 {
      found = []
      let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
      for entry in entries {
        guard let pid = Int32(entry), let bytes = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else {
          continue
        }
        if bytes.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == "GHP_RUN=\(run)" }) {
          // A zombie has an empty environment; one found here is alive.
          found.append(pid)
        }
      }
      if found.isEmpty { return [] }
      usleep(50_000)
    }
    return found
  }

  /// Subjects of ghp/state, oldest first.
  func history() throws -> [String] { try repo.stateSubjects().reversed() }

  /// Waits (up to 20 s) until the running supervisor's output holds `count` events of `kind`.
  func waitForEvents(_ running: ProcessRunner.Running, kind: String, count: Int) -> Bool {
    for _ in 0..<400 {
      let text = (try? String(contentsOfFile: running.stdoutPath, encoding: .utf8)) ?? ""
      if Self.events(text).filter({ $0["event"]?.stringValue == kind }).count >= count { return true }
      usleep(50_000)
    }
    return false
  }
}

extension JSON {
  var idText: String? { stringValue ?? intValue.map(String.init) }
}

@Suite("ghp run", .serialized)
struct RunTests {
  @Test("20 issues with dependencies and 4 workers: all done once each, in dependency order")
  func dependencyOrder() throws {
    let bench = try RunBench(issues: 20)
    // Each issue after the fourth waits for the one four before it, and #20 for #1 as well.
    for number in 5...20 {
      var after = ["\(number - 4)"]
      if number == 20 { after.append("1") }
      #expect(
        try bench.repo.ghp(["issue", "edit", "\(number)", "--after", after.joined(separator: ",")], agent: "lead")
          .status == 0)
    }
    let (result, events) = try bench.run(["-w", "4", "--agent-command", bench.agent("good")])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(2000))")
    #expect(events.last?["event"]?.stringValue == "summary")
    let history = try bench.history()
    for number in 1...20 {
      let issue = try bench.issue("\(number)")
      #expect(issue["status"]?.stringValue == "done")
      // No issue done twice, none started twice (no failure, no retry).
      #expect(history.filter { $0.contains(": done #\(number) ") }.count == 1)
      let starts = history.indices.filter { history[$0].contains(" on #\(number) Issue \(number) (attempt") }
      #expect(starts.count == 1)
      guard let start = starts.first else { continue }
      for dependency in issue["dependencies"]?.arrayValue?.compactMap(\.idText) ?? [] {
        let done = history.firstIndex { $0.contains(": done #\(dependency) ") }
        #expect(done != nil && done! < start, "#\(number) started before #\(dependency) was done")
      }
    }
    // Four workers shared the work, each in its own worktree, and every commit is on its branch.
    let workers = Set(
      history.compactMap { subject -> String? in
        guard let range = subject.range(of: " starts ") else { return nil }
        return subject[range.upperBound...].split(separator: " ").first.map(String.init)
      })
    #expect(workers.count == 4)
    let run = try bench.runRecord()
    #expect(run["state"]?.stringValue == "finished")
    let finished = run["tallies"]?.objectValue?.values.compactMap { $0["finished"]?.intValue }.reduce(0, +)
    #expect(finished == 20)
    let left = bench.leftovers(run["id"]?.stringValue ?? "")
    #expect(left.isEmpty)
  }

  @Test("the hanger is killed at the timeout and its issue retried by another worker; fencing refuses it")
  func hangerTimeout() throws {
    let bench = try RunBench(issues: 1)
    let flaky = bench.scratch + "/flaky"
    try FileManager.default.createDirectory(atPath: flaky, withIntermediateDirectories: true)
    // The workers' shared marks: a folder every contained worker may write.
    #expect(try bench.repo.ghp(["config", "set", "agent.writable", "[\"\(flaky)\"]"], agent: "lead").status == 0)
    let (result, events) = try bench.run(
      ["-w", "2", "--agent-command", bench.agent("hanger"), "--task-timeout", "2s"], environment: ["FLAKY_DIR": flaky])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    let hung = try String(contentsOfFile: flaky + "/1", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    let issue = try bench.issue("1")
    #expect(issue["status"]?.stringValue == "done")
    let failure = issue["failures"]?.arrayValue?.first
    #expect(failure?["reason"]?.stringValue == "timed out after 2s")
    #expect(failure?["agent"]?.stringValue == hung)
    #expect(issue["assignee"]?.stringValue != hung, "the retry went to the worker that hung")
    #expect(events.contains { $0["event"]?.stringValue == "killed" && $0["agent"]?.stringValue == hung })
    // The killed worker's claim is fenced: its epoch was taken.
    let check = try bench.repo.ghp(["claim-check", "1", "--epoch", "1"], agent: hung)
    #expect(check.status == 3)
    let left = bench.leftovers(try bench.runRecord()["id"]?.stringValue ?? "")
    #expect(left.isEmpty)
  }

  @Test("the breaker opens after K crashes, escalates once, and lets one trial through after the cool-down")
  func breaker() throws {
    let bench = try RunBench(
      issues: 3, settings: ["agent.breaker": "2", "agent.breakerCooldown": "2s", "maxAttempts": "1"])
    let (result, events) = try bench.run(["-w", "1", "--agent-command", bench.agent("crasher")])
    #expect(result.status == 1, "\(result.stderr)")
    let kinds = events.compactMap { event -> String? in
      guard let kind = event["event"]?.stringValue else { return nil }
      return kind == "breaker" ? "breaker:" + (event["text"]?.stringValue ?? "") : kind
    }
    let spawns = kinds.indices.filter { kinds[$0] == "spawned" }
    #expect(spawns.count == 3)
    let opened = kinds.firstIndex { $0.hasPrefix("breaker:Breaker open: 2 failures") }
    let halfOpen = kinds.firstIndex { $0.hasPrefix("breaker:Breaker half-open") }
    #expect(opened != nil && halfOpen != nil && spawns.count == 3)
    if let opened, let halfOpen, spawns.count == 3 {
      #expect(spawns[1] < opened && opened < halfOpen && halfOpen < spawns[2])
    }
    // One escalation to the human, naming the failures.
    let escalations = try #require(
      try bench.repo.ghp(["escalations", "--json"], agent: "lead").json()["escalations"]?.arrayValue)
    #expect(escalations.count == 1)
    #expect(escalations.first?["question"]?.stringValue?.contains("failed 2 times in a row") == true)
    #expect(try bench.runRecord()["breaker"]?["state"]?.stringValue == "open")
    #expect(result.stdout.contains("the breaker is open"))
    #expect(try bench.repo.ghp(["verify"], agent: "lead").status == 0)
  }

  @Test("a command that cannot start is reported in one line naming the fix, opens the breaker, costs no attempt")
  func spawnFailures() throws {
    for (name, expected) in [("does-not-exist", "does not exist"), ("not-executable", "is not executable")] {
      let bench = try RunBench(issues: 2)
      let (result, events) = try bench.run(["-w", "2", "--agent-command", bench.agent(name)])
      #expect(result.status == 1)
      let breaker = events.first { $0["event"]?.stringValue == "breaker" }?["text"]?.stringValue ?? ""
      #expect(breaker.contains(expected) && breaker.contains("--agent-command"), "\(breaker)")
      #expect(!breaker.contains("\n"))
      let spawned = events.filter { $0["event"]?.stringValue == "spawned" }
      #expect(spawned.isEmpty)
      for id in ["1", "2"] {
        let issue = try bench.issue(id)
        #expect(issue["status"]?.stringValue == "open")
        #expect(issue["attempts"]?.intValue ?? 0 == 0)
      }
      #expect(try bench.runRecord()["state"]?.stringValue == "failed")
      #expect(
        try bench.repo.ghp(["escalations", "--json"], agent: "lead").json()["escalations"]?.arrayValue?.count == 1)
    }
  }

  @Test("the least loaded worker gets the next issue: one with work waiting to land comes after one with none")
  func leastLoaded() throws {
    let bench = try RunBench(issues: 3, settings: ["landing.gate": "[\"true\"]"])
    let added = try bench.repo.ghp(["agent", "add", "worker-1", "--json"], agent: "lead")
    let worktree = try #require(try added.json()["worktree"]?.stringValue)
    func inWorktree(_ arguments: [String]) throws -> ProcessRunner.Result {
      try ProcessRunner.run(arguments[0], Array(arguments.dropFirst()), in: worktree)
    }
    #expect(try inWorktree([GHPBinary.path, "claim", "1"]).status == 0)
    try "first\n".write(toFile: worktree + "/first.txt", atomically: true, encoding: .utf8)
    #expect(try inWorktree(["/usr/bin/git", "add", "first.txt"]).status == 0)
    #expect(try inWorktree(["/usr/bin/git", "commit", "-qm", "first"]).status == 0)
    let done = try inWorktree([GHPBinary.path, "done", "1", "--result", "first"])
    #expect(done.status == 0, "\(done.stderr)")
    #expect(try bench.issue("1")["status"]?.stringValue == "landing")
    let (result, events) = try bench.run(["-w", "2", "--agent-command", bench.agent("good")])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    let spawned = events.filter { $0["event"]?.stringValue == "spawned" }
    // worker-1 has #1 waiting to land; worker-2 has nothing: #2, first in the queue, is worker-2's.
    #expect(spawned.first?["agent"]?.stringValue == "worker-2" && spawned.first?["issue"]?.idText == "2", "\(spawned)")
    for id in ["1", "2", "3"] { #expect(try bench.issue(id)["status"]?.stringValue == "done", "#\(id)") }
  }

  @Test("landing.review agent: the run starts a reviewer on the merge that passed the gate, and it lands once approved")
  func reviewerAgent() throws {
    let bench = try RunBench(issues: 1, settings: ["landing.gate": "[\"true\"]", "landing.review": "agent"])
    let script = bench.scratch + "/worker-or-reviewer"
    try """
    #!/bin/sh
    cat > /dev/null
    case "$GHP_AGENT" in
      *-reviewer)
        tree=$(ghp review show "$GHP_ISSUE" --json | sed -n 's/.*"tree": "\\([0-9a-f]\\{40\\}\\)".*/\\1/p' | head -1)
        echo "reviewing $tree"
        ghp review approve "$GHP_ISSUE" --tree "$tree" --note "read it" > /dev/null || exit 1
        exit 0 ;;
    esac
    exec \(bench.agent("good")) < /dev/null

    """.write(toFile: script, atomically: true, encoding: .utf8)
    chmod(script, 0o755)
    let (result, events) = try bench.run(["-w", "1", "--agent-command", script])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    #expect(events.contains { $0["event"]?.stringValue == "reviewer" && $0["agent"]?.stringValue == "worker-reviewer" })
    let issue = try bench.issue("1")
    #expect(issue["status"]?.stringValue == "done", "\(issue)")
    #expect(issue["landing"]?["review"]?["approvedBy"]?.stringValue == "worker-reviewer", "\(issue)")
    let role = try bench.repo.ghp(["agent-status", "--json"]).json()["agents"]?["worker-reviewer"]?["role"]
    #expect(role == .string("reviewer"))
    #expect(try bench.repo.ghp(["verify"]).status == 0)
  }

  @Test("ghp run gives each attempt of a best-of issue to another worker and starts a reviewer to vote")
  func bestOfUnderRun() throws {
    let bench = try RunBench(settings: ["landing.gate": "[\"true\"]", "landing.vote": "review"])
    let added = try bench.repo.ghp(["issue", "add", "Two ways", "--attempts", "2"], agent: "lead")
    #expect(added.status == 0, "\(added.stderr)")
    let script = bench.scratch + "/worker-or-voter"
    try """
    #!/bin/sh
    cat > /dev/null
    case "$GHP_AGENT" in
      *-reviewer)
        choice=$(ghp vote show "$GHP_ISSUE" --json | python3 -c 'import json,sys; print([a["id"] for a in json.load(sys.stdin)["attempts"] if a["candidate"]][-1])')
        ghp vote for "$choice" --note "read both" > /dev/null || exit 1
        exit 0 ;;
    esac
    exec \(bench.agent("good")) < /dev/null

    """.write(toFile: script, atomically: true, encoding: .utf8)
    chmod(script, 0o755)
    let (result, events) = try bench.run(["-w", "2", "--agent-command", script])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(2000))")
    let makers = Set(events.filter { $0["event"]?.stringValue == "spawned" }.compactMap { $0["agent"]?.stringValue })
    #expect(makers == ["worker-1", "worker-2"], "each attempt by another worker: \(makers)")
    #expect(events.contains { $0["event"]?.stringValue == "reviewer" && $0["issue"]?.idText == "1" })
    let issue = try bench.issue("1")
    #expect(issue["status"]?.stringValue == "done", "\(issue)")
    #expect(issue["vote"]?["winner"]?.stringValue == "1.2", "\(issue)")
    #expect(issue["vote"]?["ballots"]?.arrayValue?.first?["by"]?.stringValue == "worker-reviewer")
    #expect(try bench.issue("1.1")["result"]?.stringValue?.hasPrefix("Not chosen") == true)
    #expect(try bench.repo.ghp(["verify"]).status == 0)
  }

  @Test("the liar's done without commits is refused when landing is configured; nothing lands")
  func liar() throws {
    let bench = try RunBench(issues: 1, settings: ["landing.gate": "[\"true\"]", "maxAttempts": "1"])
    let before = try bench.repo.git("rev-parse", "main")
    let (result, _) = try bench.run(["-w", "1", "--agent-command", bench.agent("liar")])
    #expect(result.status == 1)
    let issue = try bench.issue("1")
    #expect(issue["status"]?.stringValue == "dead")
    let reason = issue["failures"]?.arrayValue?.first?["reason"]?.stringValue ?? ""
    #expect(reason.contains("without `ghp done`"), "\(reason)")
    #expect(reason.contains("no commits") || reason.contains("commit"), "\(reason)")
    #expect(try bench.repo.git("rev-parse", "main") == before)
  }

  @Test("the over-spender is killed at its budget and the issue failed with the reason")
  func budget() throws {
    let bench = try RunBench(issues: 1, settings: ["maxAttempts": "1"])
    let (result, _) = try bench.run(["-w", "1", "--agent-command", bench.agent("spender"), "--budget-usd", "5"])
    #expect(result.status == 1)
    let issue = try bench.issue("1")
    #expect(issue["status"]?.stringValue == "dead")
    #expect(issue["failures"]?.arrayValue?.first?["reason"]?.stringValue == "budget of $5.00 reached ($7.50 spent)")
    let run = try bench.runRecord()
    #expect(run["tallies"]?["worker-1"]?["costMicros"]?.intValue == 7_500_000)
    let left = bench.leftovers(run["id"]?.stringValue ?? "")
    #expect(left.isEmpty)
  }

  @Test("a worker gets an allowlist of the supervisor's environment: never its page token, git credential or ssh agent")
  func workersDoNotInheritTheLeadsSecrets() throws {
    let bench = try RunBench(issues: 1)
    let notes = bench.scratch + "/notes"
    try FileManager.default.createDirectory(atPath: notes, withIntermediateDirectories: true)
    for (key, value) in ["agent.env": "[\"SNOOP_FILE\"]", "agent.writable": "[\"\(notes)\"]"] {
      #expect(try bench.repo.ghp(["config", "set", key, value], agent: "lead").status == 0)
    }
    let snooped = notes + "/snooped.env"
    let secrets = [
      "GHP_SERVE_TOKEN": "page-token", "GHP_GIT_TOKEN": "git-token", "SSH_AUTH_SOCK": "/tmp/agent.sock",
      "AWS_SECRET_ACCESS_KEY": "aws-secret", "SNOOP_FILE": snooped,
    ]
    let (result, _) = try bench.run(["-w", "1", "--agent-command", bench.agent("snoop")], environment: secrets)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try bench.issue("1")["status"]?.stringValue == "done", "the worker still worked")
    let seen = try String(contentsOfFile: snooped, encoding: .utf8)
    for secret in ["page-token", "git-token", "/tmp/agent.sock", "aws-secret"] {
      #expect(!seen.contains(secret), "a worker saw \(secret): \(seen)")
    }
    #expect(seen.contains("GHP_AGENT=worker-1") && seen.contains("SNOOP_FILE="), "\(seen)")
  }

  @Test("a slow worker that reports progress is not killed, and its heartbeats come from the supervisor")
  func slowWorker() throws {
    let bench = try RunBench(issues: 1, settings: ["staleAfter": "3s"])
    let (result, _) = try bench.run(
      ["-w", "1", "--agent-command", bench.agent("slow"), "--task-timeout", "60s"], environment: ["SLOW_SECONDS": "4"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try bench.issue("1")["status"]?.stringValue == "done")
    let beats = try bench.history().filter { $0.contains("tick (progress: worker-1)") }
    #expect(beats.count >= 2, "\(beats)")
    // The agent itself never ran agent-heartbeat: the records came from the supervisor's ticks.
    let status = try JSON.parse(try bench.repo.stateFile(".ghp/agent-status.json"))
    #expect(status["agents"]?["worker-1"] != nil)
  }

  @Test("SIGKILL of the supervisor: its workers die with it; a restart takes over and finishes with no double work")
  func crashAndRestart() throws {
    let bench = try RunBench(issues: 4)
    let running = try bench.repo.startGHP(
      ["run", "--json", "-w", "2", "--agent-command", bench.agent("hanger")], agent: "lead")
    #expect(bench.waitForEvents(running, kind: "spawned", count: 2))
    let id = try #require(try bench.runRecord()["id"]?.stringValue)
    // A second supervisor refuses while the first lives.
    let second = try bench.repo.ghp(["run", "-w", "1", "--agent-command", bench.agent("good")], agent: "lead")
    #expect(second.status == 3)
    #expect(second.stderr.contains("is running"))
    kill(running.pid, SIGKILL)
    _ = running.wait()
    // The hanger writes nothing, so no broken pipe ends it: only the parent-death signal does.
    let orphans = bench.leftovers(id)
    #expect(orphans.isEmpty, "workers outlived their supervisor")
    let claimed =
      try bench.repo.ghp(["issue", "list", "--status", "claimed", "--json"], agent: "lead").json()["issues"]?.arrayValue
      ?? []
    #expect(claimed.count == 2)
    let (result, events) = try bench.run(["--agent-command", bench.agent("good")])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    #expect(events.first?["event"]?.stringValue == "takeover")
    let run = try bench.runRecord()
    #expect(run["id"]?.stringValue == id)
    #expect(run["takeovers"]?.intValue == 1)
    // Every record of both supervisors, the takeover included, is the operation it says.
    let verified = try bench.repo.ghp(["verify"], agent: "lead")
    #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    #expect(run["state"]?.stringValue == "finished")
    let history = try bench.history()
    for number in 1...4 {
      #expect(try bench.issue("\(number)")["status"]?.stringValue == "done")
      #expect(history.filter { $0.contains(": done #\(number) ") }.count == 1)
    }
    let left = bench.leftovers(id)
    #expect(left.isEmpty)
  }

  @Test("SIGINT stops the run: no process and no claim left behind, exit 3")
  func interrupt() throws {
    let bench = try RunBench(issues: 3)
    let running = try bench.repo.startGHP(
      ["run", "--json", "-w", "2", "--agent-command", bench.agent("hanger")], agent: "lead")
    #expect(bench.waitForEvents(running, kind: "spawned", count: 2))
    kill(running.pid, SIGINT)
    let result = running.wait()
    #expect(result.status == 3, "\(result.stderr)")
    let run = try bench.runRecord()
    #expect(run["state"]?.stringValue == "stopped")
    #expect(run["slots"]?.arrayValue?.isEmpty == true)
    let left = bench.leftovers(run["id"]?.stringValue ?? "")
    #expect(left.isEmpty)
    let claimed =
      try bench.repo.ghp(["issue", "list", "--status", "claimed", "--json"], agent: "lead").json()["issues"]?.arrayValue
      ?? []
    #expect(claimed.isEmpty)
    for number in 1...3 { #expect(try bench.issue("\(number)")["attempts"]?.intValue ?? 0 == 0) }
  }

  @Test("ghp run status from a second process, then ghp run stop; a worker may not stop the run")
  func statusAndStop() throws {
    let bench = try RunBench(issues: 2)
    let running = try bench.repo.startGHP(
      ["run", "--json", "-w", "2", "--agent-command", bench.agent("hanger")], agent: "lead")
    #expect(bench.waitForEvents(running, kind: "spawned", count: 2))
    let answer = try bench.repo.ghp(["run", "status", "--json"], agent: "lead").json()
    let status = try #require(answer["run"])
    #expect(answer["runs"]?.arrayValue == [status])
    #expect(status["state"]?.stringValue == "running")
    #expect(status["supervisorAlive"]?.boolValue == true)
    #expect(status["token"] == nil)
    #expect(
      Set(status["slots"]?.arrayValue?.compactMap { $0["agent"]?.stringValue } ?? []) == ["worker-1", "worker-2"])
    let text = try bench.repo.ghp(["run", "status"], agent: "lead").stdout
    #expect(text.contains("worker-1") && text.contains("#1"))
    // The older spelling still works (a moment later: ages and last actions may have moved on).
    let older = try bench.repo.ghp(["run", "--status"], agent: "lead").stdout
    #expect(
      older.split(separator: "\n").first == text.split(separator: "\n").first && older.contains("worker-1")
        && older.contains("#1"), "\(older)")
    let refused = try bench.repo.ghp(["run", "stop"], agent: "worker-1")
    #expect(refused.status == 3)
    let stop = try bench.repo.ghp(["run", "stop"], agent: "lead")
    #expect(stop.status == 0, "\(stop.stderr)")
    let result = running.wait()
    #expect(result.status == 3)
    #expect(result.stdout.contains("ghp run stop"))
    let after = try bench.repo.ghp(["run", "status", "--json"], agent: "lead").json()
    #expect(after["run"]?["state"]?.stringValue == "stopped")
  }

  @Test("the leader plans the goal into issues, then workers do them; a leader that creates none fails the run")
  func leader() throws {
    let bench = try RunBench()
    let planner = bench.scratch + "/planner"
    try """
    #!/bin/sh
    cat > /dev/null
    if [ -z "$GHP_ISSUE" ]; then
      ghp issue add "Plan step one" > /dev/null && ghp issue add "Plan step two" --after 1 > /dev/null
      exit 0
    fi
    exec \(bench.agent("good")) < /dev/null

    """.write(toFile: planner, atomically: true, encoding: .utf8)
    chmod(planner, 0o755)
    let (result, events) = try bench.run(["Build a thing", "-w", "2", "--agent-command", planner])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    #expect(events.contains { $0["event"]?.stringValue == "planned" })
    #expect(try bench.issue("1")["status"]?.stringValue == "done")
    #expect(try bench.issue("2")["status"]?.stringValue == "done")
    #expect(try bench.issue("1")["createdBy"]?.stringValue == "leader")

    let idle = try RunBench()
    let (failed, _) = try idle.run(["Build nothing", "--agent-command", idle.agent("crasher")])
    #expect(failed.status == 1)
    #expect(failed.stdout.contains("the leader created no issue"))
    #expect(failed.stdout.contains("could not reach the model"))
  }

  @Test("--epic: a manager plans the epic, its own workers do only its sub-issues, and the run ends when they are done")
  func epicManager() throws {
    let bench = try RunBench(issues: 1)
    #expect(try bench.repo.ghp(["epic", "add", "Accounts", "--scope", "**"], agent: "lead").stdout == "2\n")
    let script = bench.scratch + "/manager-or-worker"
    try """
    #!/bin/sh
    cat > /dev/null
    case "$GHP_AGENT" in
      manager-*)
        [ "$GHP_ISSUE" = 2 ] || exit 9
        ghp issue add "Hash" --epic 2 > /dev/null && ghp issue add "Store" --epic 2 --after 3 > /dev/null
        exit 0 ;;
    esac
    exec \(bench.agent("good")) < /dev/null

    """.write(toFile: script, atomically: true, encoding: .utf8)
    chmod(script, 0o755)
    let (result, events) = try bench.run(["--epic", "2", "-w", "2", "--agent-command", script])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    #expect(events.contains { $0["event"]?.stringValue == "planned" && $0["agent"]?.stringValue == "manager-2" })
    for id in ["3", "4"] {
      let issue = try bench.issue(id)
      #expect(issue["status"]?.stringValue == "done")
      #expect(issue["createdBy"]?.stringValue == "manager-2")
      #expect(issue["assignee"]?.stringValue?.hasPrefix("e2-worker-") == true, "\(issue)")
    }
    #expect(try bench.issue("2")["status"]?.stringValue == "done", "the epic is done with its sub-issues")
    #expect(try bench.issue("1")["status"]?.stringValue == "open", "the issue outside the epic is left alone")
    let spawned = events.filter { $0["event"]?.stringValue == "spawned" }.compactMap { $0["agent"]?.stringValue }
    #expect(!spawned.isEmpty && spawned.allSatisfy { $0.hasPrefix("e2-worker-") }, "\(spawned)")
    let role = try bench.repo.ghp(["agent-status", "--json"]).json()["agents"]?["manager-2"]?["role"]
    #expect(role == .string("manager"))
    #expect(try bench.repo.ghp(["verify"]).status == 0)
    // An issue that is no epic is refused before anything starts.
    let notEpic = try bench.repo.ghp(["run", "--epic", "1", "--agent-command", script], agent: "lead")
    #expect(notEpic.status == 3 && notEpic.stderr.contains("#1 is not an epic"), "\(notEpic.stderr)")
  }

  @Test(
    "--tasks in the seed's format, landed through the gate; a stale agent outside the run is reaped, the run's own are not"
  )
  func tasksLandingAndReap() throws {
    let bench = try RunBench(settings: ["landing.gate": "[\"test -f work-2.txt || test ! -f work-3.txt\"]"])
    // An agent outside the run went silent an hour ago holding an issue of its own.
    #expect(try bench.repo.ghp(["agent", "add", "old"], agent: "lead").status == 0)
    #expect(try bench.repo.ghp(["issue", "add", "Old work"], agent: "lead").status == 0)
    let anHourAgo = RFC3339.format(Int64(Date().timeIntervalSince1970) - 3600)
    #expect(try bench.repo.ghp(["claim", "1"], agent: "old", environment: ["GHP_NOW": anHourAgo]).status == 0)
    // The run's first worker was made an hour ago too and has sent no heartbeat since: stale by
    // its record, but the run owns it.
    #expect(
      try bench.repo.ghp(["agent", "add", "worker-1"], agent: "lead", environment: ["GHP_NOW": anHourAgo]).status == 0)
    let tasks = bench.scratch + "/tasks.json"
    try """
    {"tasks": [
      {"id": 2, "description": "Write the model", "status": "available", "priority": 1, "dependencies": [],
       "context": {"files": ["work-2.txt"], "hints": "keep it small"}},
      {"id": 3, "description": "Write the view", "status": "available", "priority": 2, "dependencies": [2]},
      {"id": 4, "description": "Write the docs", "status": "available", "priority": 3, "dependencies": []}
    ]}
    """.write(toFile: tasks, atomically: true, encoding: .utf8)
    let (result, events) = try bench.run(["--tasks", tasks, "-w", "2", "--agent-command", bench.agent("good")])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    #expect(events.first?["event"]?.stringValue == "import")
    for id in ["2", "3", "4"] {
      let issue = try bench.issue(id)
      #expect(issue["status"]?.stringValue == "done")
      #expect(issue["landing"] != nil, "#\(id) was not landed through the gate")
      #expect(try bench.repo.git("show", "main:work-\(id).txt").contains("#\(id) by worker-"))
    }
    #expect(try bench.issue("2")["scope"]?.arrayValue?.first?.stringValue == "work-2.txt")
    // The reap inside the run escalated the silent agent, and none of the run's own workers.
    let escalations =
      try bench.repo.ghp(["escalations", "--json"], agent: "lead").json()["escalations"]?.arrayValue ?? []
    #expect(escalations.compactMap { $0["about"]?.stringValue } == ["old"])
    #expect(events.contains { $0["event"]?.stringValue == "reap" && $0["agent"]?.stringValue == "old" })
  }

  @Test("on a terminal: a live table under a progress bar, redrawn in place, then the summary")
  func liveTable() throws {
    let bench = try RunBench(issues: 2)
    let command = "\(GHPBinary.path) run -w 1 --agent-command \(bench.agent("slow"))"
    // `script` gives ghp a pseudo-terminal, as a person's shell would.
    let result = try ProcessRunner.run(
      "/usr/bin/script", ["-qec", command, "/dev/null"], in: bench.repo.path,
      environment: ["GHP_AGENT": "lead", "SLOW_SECONDS": "2"])
    #expect(result.status == 0, "\(result.stdout)")
    #expect(result.stdout.contains("] 0/2 issues done or landing"))
    #expect(result.stdout.contains("] 1/2 issues done or landing"))
    #expect(result.stdout.contains("AGENT") && result.stdout.contains("LAST ACTION"))
    #expect(result.stdout.contains("Still working"))
    #expect(result.stdout.contains("\u{1B}[J"), "the table is not redrawn in place")
    #expect(result.stdout.contains("finished: 2 finished, 0 failed attempts"))
  }

  @Test("a worker whose branch holds nothing new is brought up to the base before it starts, so it sees what landed")
  func catchUp() throws {
    let bench = try RunBench(issues: 1, settings: ["landing.gate": "[\"true\"]"])
    // b-1 is made now, from a main that lacks #1's work.
    #expect(try bench.repo.ghp(["agent", "add", "b-1"], agent: "lead").status == 0)
    let (first, _) = try bench.run(["-w", "1", "--prefix", "a", "--agent-command", bench.agent("good")])
    #expect(first.status == 0, "\(first.stderr)")
    #expect(try bench.issue("1")["status"]?.stringValue == "done")
    #expect(try bench.repo.ghp(["issue", "add", "Issue 2", "--after", "1"], agent: "lead").status == 0)
    let (second, events) = try bench.run(["-w", "1", "--prefix", "b", "--agent-command", bench.agent("good")])
    #expect(second.status == 0, "\(second.stderr)")
    #expect(
      events.contains {
        $0["event"]?.stringValue == "catch-up" && ($0["text"]?.stringValue ?? "").contains("fast-forwarded")
      })
    // b-1's own branch holds #1's work under its own #2 commit: it started from the landed base.
    #expect(try bench.repo.git("show", "agent/b-1:work-1.txt").contains("#1 by a-1"))
    #expect(try bench.repo.git("show", "main:work-2.txt").contains("#2 by b-1"))
  }

  @Test("the run's budget stops it once its workers report spending it")
  func runBudget() throws {
    let bench = try RunBench(issues: 6)
    let (result, _) = try bench.run(["-w", "1", "--agent-command", bench.agent("good"), "--run-budget-usd", "0.03"])
    #expect(result.status == 1)
    let run = try bench.runRecord()
    #expect(run["state"]?.stringValue == "failed")
    #expect(run["outcome"]?.stringValue?.contains("budget of $0.03 reached") == true)
    let done = try (1...6).filter { try bench.issue("\($0)")["status"]?.stringValue == "done" }.count
    #expect(done == 3, "each good attempt reports $0.0125: the third passes $0.03")
  }

  @Test("an agent command or budget of the wrong shape is refused naming the key")
  func badSettings() throws {
    let bench = try RunBench()
    let unclosed = try bench.repo.ghp(["config", "set", "agent.command", "\"claude 'oops\""], agent: "lead")
    #expect(unclosed.status != 0 && unclosed.stderr.contains("agent.command"))
    let zero = try bench.repo.ghp(["config", "set", "agent.maxWorkers", "0"], agent: "lead")
    #expect(zero.status != 0 && zero.stderr.contains("agent.maxWorkers"))
    let money = try bench.repo.ghp(["config", "set", "agent.budgetUSD", "\"lots\""], agent: "lead")
    #expect(money.status != 0 && money.stderr.contains("agent.budgetUSD"))
    let usage = try bench.repo.ghp(["run", "--budget-usd", "-3"], agent: "lead")
    #expect(usage.status == 2)
    let none = try bench.repo.ghp(["run"], agent: "lead")
    #expect(none.status != 0 && none.stderr.contains("agent.command"))
  }
}

/// A run stops from every surface through one action (`RunStopAction`): over MCP and from the page
/// as from the CLI, and only for an orchestrator.
@Suite(.serialized) struct StopFromEverySurfaceTests {
  func started(_ bench: RunBench) throws -> ProcessRunner.Running {
    let running = try bench.repo.startGHP(
      ["run", "--json", "-w", "1", "--agent-command", bench.agent("hanger")], agent: "lead")
    try #require(bench.waitForEvents(running, kind: "spawned", count: 1))
    return running
  }

  @Test func anOrchestratorStopsTheRunOverMCP() throws {
    let bench = try RunBench(issues: 1)
    let running = try started(bench)
    let refused = try MCPClient.call("stop_run", agent: "worker-1", in: bench.repo.path)
    #expect(refused.isError && refused.text.hasPrefix("refused:"), "\(refused.text)")
    let stopped = try MCPClient.call("stop_run", agent: "lead", in: bench.repo.path)
    #expect(!stopped.isError, "\(stopped.text)")
    #expect(running.wait().status == 3)
    #expect(try bench.runRecord()["state"] == .string("stopped"))
    #expect(try bench.runRecord()["outcome"]?.stringValue?.contains("asked by lead") == true)
  }

  @Test func thePageStopsTheRunWithItsTokenOnly() throws {
    let bench = try RunBench(issues: 1)
    let running = try started(bench)
    let token = "stop-test-token-0123456789"
    let server = try ProcessRunner.start(
      GHPBinary.path, ["serve", "--port", "0", "--agent", "lead"], in: bench.repo.path,
      environment: ["GHP_SERVE_TOKEN": token])
    defer { kill(server.pid, SIGTERM) }
    let address = server.firstLine()
    let port = try #require(address.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) })
    /// POSTs `{}` to /api/run/stop with `headers`; answers the HTTP status.
    func post(_ headers: [String: String]) throws -> Int {
      let script = """
        import json, sys, urllib.request, urllib.error
        request = urllib.request.Request("http://127.0.0.1:\(port)/api/run/stop", data=b"{}", method="POST",
                                         headers=json.loads(sys.argv[1]))
        try:
            print(urllib.request.urlopen(request, timeout=30).status)
        except urllib.error.HTTPError as error:
            print(error.code)
        """
      let all = ["Content-Type": "application/json"].merging(headers) { $1 }
      let result = try ProcessRunner.run(
        "/usr/bin/env", ["python3", "-c", script, JSON.object(all.mapValues { .string($0) }).compact()],
        in: bench.repo.path)
      return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }
    #expect(try post([:]) == 401, "a write without the token")
    #expect(try bench.runRecord()["state"] == .string("running"))
    #expect(try post(["Authorization": "Bearer \(token)"]) == 200)
    #expect(running.wait().status == 3)
    #expect(try bench.runRecord()["state"] == .string("stopped"))
  }
}

/// Sessions recorded in the tools' documented formats, replayed through `ghp run`: what the run
/// records is exactly what the agent reported.
@Suite("recorded sessions")
struct RecordedSessionTests {
  static let streams = TemplateTests.root.appendingPathComponent("Tests/Fixtures/streams").path

  /// Runs one worker replaying `stream`; its tally in the run record.
  func tally(_ stream: String) throws -> (JSON, [JSON]) {
    let bench = try RunBench(issues: 1, settings: ["agent.env": "[\"REPLAY\"]"])
    let (result, events) = try bench.run(
      ["-w", "1", "--agent-command", bench.agent("replay")], environment: ["REPLAY": Self.streams + "/" + stream])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    #expect(try bench.issue("1")["status"]?.stringValue == "done")
    return (try #require(try bench.runRecord()["tallies"]?["worker-1"]), events)
  }

  @Test("claude: a message's repeated usage counts once, cache and subagent tokens apart, the cost its result's")
  func claudeWithASubagent() throws {
    let (tally, events) = try tally("claude-subagent.jsonl")
    // Its own conversation: msg_01 (5 + 3, on two blocks) and msg_03 (20 + 80) = 108, as the result says.
    #expect(tally["tokens"]?.intValue == 108, "\(tally.compact())")
    // Cache writes and reads of its own conversation: 1200 + 1200.
    #expect(tally["cacheTokens"]?.intValue == 2400, "\(tally.compact())")
    // The subagent's message (parent_tool_use_id set): 40 + 800 + 60.
    #expect(tally["subagentTokens"]?.intValue == 900, "\(tally.compact())")
    #expect(tally["costMicros"]?.intValue == 42_100, "\(tally.compact())")
    let finished = try #require(events.first { $0["event"]?.stringValue == "finished" })
    #expect(finished["tokens"]?.intValue == 108 && finished["subagentTokens"]?.intValue == 900, "\(finished.compact())")
  }

  @Test("codex: a turn's usage, its cached input apart, and no cost")
  func codexCached() throws {
    let (tally, _) = try tally("codex-cached.jsonl")
    #expect(tally["tokens"]?.intValue == 24_885, "\(tally.compact())")
    #expect(tally["cacheTokens"]?.intValue == 24_448, "\(tally.compact())")
    #expect(tally["costMicros"]?.intValue == 0)
  }
}
