import Foundation
import GHPKit
import GHPTestSupport
import Testing

extension ProcessRunner.Result {
  /// Standard output parsed as JSON (a failed parse fails the test).
  func json() throws -> JSON { try JSON.parse(stdout) }
}

@Suite struct QueueTests {
  @Test func readyIsOrderedByPriorityThenAgeAndWaitsForDependencies() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    let at = { (minute: Int) in ["GHP_NOW": "2025-01-25T10:\(10 + minute):00Z"] }
    try repo.inProcess(["issue", "add", "Low, oldest", "-p", "3"], agent: "lead", environment: at(0))
    try repo.inProcess(["issue", "add", "High, newer", "-p", "1"], agent: "lead", environment: at(1))
    try repo.inProcess(["issue", "add", "Mid, old", "-p", "2"], agent: "lead", environment: at(2))
    try repo.inProcess(["issue", "add", "Mid, newest", "-p", "2"], agent: "lead", environment: at(3))
    try repo.inProcess(["issue", "add", "Blocked", "-p", "0", "--after", "2,3"], agent: "lead", environment: at(4))
    let ready = try repo.inProcess(["ready", "--json"]).json()["issues"]?.arrayValue?.compactMap { $0["id"]?.intValue }
    #expect(ready == [2, 3, 4, 1])

    // Claiming the blocked one directly is refused with the reason.
    let blocked = try repo.inProcess("claim", "5", agent: "w1")
    #expect(blocked.status == 3)
    #expect(blocked.stderr.contains("waits on #2"))

    // Done on a dependency makes its dependant ready at once (when all its dependencies are done).
    for id in ["2", "3"] {
      #expect(try repo.inProcess("claim", id, agent: "w1").status == 0)
      #expect(try repo.inProcess(["done", id, "--result", "ok"], agent: "w1").status == 0)
    }
    let after = try repo.inProcess(["ready", "--json"]).json()["issues"]?.arrayValue?.compactMap { $0["id"]?.intValue }
    #expect(after == [5, 4, 1])
    let next = try repo.inProcess(["claim", "--next", "--json"], agent: "w2").json()
    #expect(next["issue"]?["id"] == .int(5))
  }

  @Test func doneKeepsTheResultAndFailKeepsReasonsUntilDead() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 2)
    try repo.inProcess("claim", "1", agent: "w1")
    let result = "Endpoint in place\n\nAll tests pass."
    #expect(try repo.inProcess(["done", "1", "--result", "-"], agent: "w1", input: result).status == 0)
    #expect(try repo.stateFile(".ghp/results/1.md").contains("All tests pass."))
    let shown = try repo.inProcess(["issue", "show", "1", "--json"]).json()
    #expect(shown["issue"]?["status"] == .string("done"))
    #expect(shown["issue"]?["result"] == .string("Endpoint in place"))
    #expect(shown["history"]?.arrayValue?.first?["op"] == .string("done"))

    // Three failures (the default maxAttempts) make a dead letter.
    for attempt in 1...3 {
      #expect(try repo.inProcess("claim", "2", agent: "w\(attempt)").status == 0)
      let failed = try repo.inProcess(["fail", "2", "--reason", "reason \(attempt)", "--json"], agent: "w\(attempt)")
        .json()
      #expect(failed["issue"]?["attempts"] == .int(attempt))
      #expect(failed["issue"]?["status"] == .string(attempt < 3 ? "open" : "dead"))
    }
    #expect(try repo.inProcess(["ready", "--json"]).json()["issues"] == .array([]))
    #expect(try repo.inProcess("claim", "2", agent: "w4").status == 3)
    let dead = try repo.inProcess(["issue", "list", "--status", "dead", "--json"]).json()
    #expect(dead["issues"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [2])
    let status = try repo.inProcess(["agent-status", "--json"]).json()
    #expect(status["deadIssues"]?.arrayValue?.first?["id"] == .int(2))
    #expect(try repo.inProcess("agent-status").stdout.contains("#2 Issue 2 (3 attempts)"))
    let reasons = try repo.inProcess(["issue", "show", "2", "--json"]).json()["issue"]?["failures"]?.arrayValue?
      .compactMap { $0["reason"]?.stringValue }
    #expect(reasons == ["reason 1", "reason 2", "reason 3"])

    // Only an orchestrator brings it back.
    #expect(try repo.inProcess("issue", "retry", "2", agent: "w1").status == 3)
    #expect(try repo.inProcess("issue", "retry", "2", agent: "lead").status == 0)
    #expect(try repo.inProcess(["ready", "--json"]).json()["issues"]?.arrayValue?.count == 1)
    #expect(
      try repo.inProcess(["issue", "list", "--status", "failed", "--json"]).json()["issues"]?.arrayValue?.count == 0)
  }

  @Test func aWorkerChangesOnlyWhatItHolds() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 2)
    try repo.inProcess("claim", "1", agent: "w1")
    #expect(try repo.inProcess(["done", "1", "--result", "x"], agent: "w2").status == 3)
    #expect(try repo.inProcess(["fail", "1", "--reason", "x"], agent: "w2").status == 3)
    #expect(try repo.inProcess(["release", "1"], agent: "w2").status == 3)
    #expect(try repo.inProcess(["done", "2", "--result", "x"], agent: "w2").status == 3)
    #expect(try repo.inProcess(["agent-heartbeat", "--issue", "1"], agent: "w2").status == 3)
    #expect(try repo.stateFile(".ghp/issues/01/1.json").contains("\"assignee\": \"w1\""))
  }

  @Test(arguments: [
    ["issue", "add", "Sneaky"], ["issue", "edit", "1", "-p", "0"], ["issue", "retry", "1"], ["assign", "1", "w2"],
    ["plan", "set", "-"], ["issue", "import", "-"],
  ])
  func orchestratorOnlyCommandsRefuseWorkers(_ arguments: [String]) throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    let tip = try repo.git("rev-parse", "ghp/state")
    let input = arguments.last == "-" ? (arguments[0] == "plan" ? "# plan\n" : #"[{"id": "9", "title": "x"}]"#) : nil
    let result = try repo.inProcess(arguments, agent: "w1", input: input)
    #expect(result.status == 3, "\(arguments): \(result.stderr)")
    #expect(result.stderr.contains("w1 is not an orchestrator"))
    #expect(try repo.git("rev-parse", "ghp/state") == tip)
  }

  @Test func assignMovesAnIssueAndGrowsTheEpoch() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    try repo.inProcess("claim", "1", agent: "w1")
    // w3 is new (nobody registered it): said so with --new; without it the typo guard refuses.
    let typo = try repo.inProcess(["assign", "1", "w3"], agent: "lead")
    #expect(typo.status == 2 && typo.stderr.contains("no agent is registered under that name"))
    let assigned = try repo.inProcess(["assign", "1", "w3", "--new", "--json"], agent: "lead").json()
    #expect(assigned["issue"]?["assignee"] == .string("w3"))
    #expect(assigned["issue"]?["epoch"] == .int(2))
    let status = try repo.inProcess(["agent-status", "--json"]).json()
    #expect(status["agents"]?["w3"]?["issue"] == .int(1))
    #expect(status["agents"]?["w1"]?["issue"] == .null)
  }

  @Test func editRefusesACycleAndUnknownIssues() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 3)
    #expect(try repo.inProcess(["issue", "edit", "2", "--after", "1"], agent: "lead").status == 0)
    #expect(try repo.inProcess(["issue", "edit", "3", "--after", "2"], agent: "lead").status == 0)
    let tip = try repo.git("rev-parse", "ghp/state")
    let cycle = try repo.inProcess(["issue", "edit", "1", "--after", "3"], agent: "lead")
    // A cycle and a dependency on a missing issue are usage errors (2), not refusals.
    #expect(cycle.status == 2)
    #expect(cycle.stderr.contains("#1 -> #3 -> #2 -> #1"))
    #expect(try repo.inProcess(["issue", "edit", "1", "--after", "9"], agent: "lead").status == 2)
    #expect(try repo.inProcess(["issue", "edit", "1", "--after", "1"], agent: "lead").status == 2)
    #expect(try repo.git("rev-parse", "ghp/state") == tip)
  }

  @Test func planAndDiscoveries() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    try repo.write("plan.md", "# Plan\n\n1. Models\n2. Endpoints\n")
    #expect(try repo.inProcess(["plan", "set", "plan.md"], agent: "lead").status == 0)
    // The goal init gave stays, under the plan's heading.
    #expect(try repo.inProcess("plan").stdout == "# Plan\n\nGoal: Test goal\n\n1. Models\n2. Endpoints\n")
    try repo.inProcess("claim", "1", agent: "w1")
    try repo.inProcess(
      ["discover", "The API uses zod-style validation"], agent: "w1", environment: ["GHP_NOW": "2025-01-25T10:00:00Z"])
    try repo.inProcess(
      ["discover", "-"], agent: "w2", environment: ["GHP_NOW": "2025-01-25T11:00:00Z"],
      input: "two lines\n### not a heading")
    let all = try repo.inProcess(["discoveries", "--json"]).json()["discoveries"]?.arrayValue ?? []
    #expect(all.count == 2)
    #expect(all.first?["issue"] == .int(1))
    #expect(all.last?["text"] == .string("two lines\n### not a heading"))
    let since = try repo.inProcess(["discoveries", "--since", "2025-01-25T10:30:00Z", "--json"]).json()["discoveries"]?
      .arrayValue
    #expect(since?.map { $0["agent"] } == [.string("w2")])
    #expect(try repo.inProcess(["discover", " "], agent: "w1").status == 2)
  }
}

@Suite struct ImportTests {
  static let seedTasks = #"""
    {"tasks": [
      {"id": "task-001", "description": "Implement user validation", "status": "available",
       "claimed_by": null, "priority": 1, "dependencies": [],
       "context": {"files": ["src/models/user.ts"], "hints": "Use zod for validation"}},
      {"id": "task-002", "description": "Wire it in", "status": "available", "claimed_by": null,
       "priority": 2, "dependencies": ["task-001"]},
      {"id": "task-003", "description": "Old work", "status": "done", "claimed_by": "worker-1",
       "priority": 1, "dependencies": []},
      {"id": "task-004", "description": "In flight", "status": "claimed", "claimed_by": "worker-2",
       "priority": 1, "dependencies": ["task-003"]}
    ]}
    """#

  @Test func importsThePrototypeTaskFormatInOneCommit() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    try repo.write("tasks.json", Self.seedTasks)
    let before = try repo.stateSubjects().count
    let result = try repo.inProcess(["issue", "import", "tasks.json"], agent: "lead")
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try repo.stateSubjects().count == before + 1)
    let first = try JSON.parse(try repo.stateFile(".ghp/issues/01/task-001.json"))
    #expect(first["scope"] == .array([.string("src/models/user.ts")]))
    #expect(first["body"] == .string("Hints: Use zod for validation"))
    #expect(first["priority"] == .int(1))
    let claimed = try JSON.parse(try repo.stateFile(".ghp/issues/04/task-004.json"))
    #expect(claimed["status"] == .string("claimed"))
    #expect(claimed["assignee"] == .string("worker-2"))
    let ready = try repo.inProcess(["ready", "--json"]).json()["issues"]?.arrayValue?.compactMap {
      $0["id"]?.stringValue
    }
    #expect(ready == ["task-001"])
  }

  @Test func importsAnArrayOfGhpIssues() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    let input = #"[{"id": 10, "title": "Ten", "priority": 1}, {"id": 11, "title": "Eleven", "dependencies": [10]}]"#
    #expect(try repo.inProcess(["issue", "import", "-"], agent: "lead", input: input).status == 0)
    #expect(
      try repo.inProcess(["ready", "--json"]).json()["issues"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [10])
    // Numbering of later issues continues after the highest number.
    #expect(try repo.inProcess(["issue", "add", "Next"], agent: "lead").stdout == "12\n")
  }

  @Test(arguments: [
    (
      #"{"tasks": [{"id": "a", "description": "A", "dependencies": ["b"]}, {"id": "b", "description": "B", "dependencies": ["a"]}]}"#,
      "dependency cycle: #a -> #b -> #a"
    ),
    (
      #"{"tasks": [{"id": "a", "description": "A", "dependencies": ["ghost"]}]}"#,
      "#a depends on #ghost, which does not exist"
    ),
    (#"{"tasks": [{"id": "a", "description": "A"}, {"id": "a", "description": "again"}]}"#, "#a twice"),
    (#"{"tasks": [{"id": "1", "description": "clash"}]}"#, "already exist (#1)"),
    (#"{"tasks": [{"id": "a/b", "description": "bad id"}]}"#, "invalid issue id"),
    (#"{"tasks": [{"id": "a", "description": "A", "status": "sleeping"}]}"#, "unknown status 'sleeping'"),
    (#"{"tasks": [{"id": "a"}]}"#, "no \"description\""),
    ("not json", "not JSON"),
  ])
  func refusesBadFilesNamingTheProblemAndWritesNothing(_ input: String, _ expected: String) throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    let tip = try repo.git("rev-parse", "ghp/state")
    let result = try repo.inProcess(["issue", "import", "-"], agent: "lead", input: input)
    #expect(result.status != 0)
    #expect(result.stderr.contains(expected), "\(result.stderr)")
    #expect(try repo.git("rev-parse", "ghp/state") == tip)
  }

  @Test func aLargeImportIsOnePack() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    let tasks = (1...500).map {
      #"{"id": "t\#($0)", "description": "Task \#($0)", "dependencies": \#($0 > 1 ? "[\"t\($0 - 1)\"]" : "[]")}"#
    }
    let result = try repo.inProcess(
      ["issue", "import", "-"], agent: "lead", input: #"{"tasks": [\#(tasks.joined(separator: ","))]}"#)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try repo.inProcess(["issue", "list", "--json"]).json()["issues"]?.arrayValue?.count == 500)
    let packs = try FileManager.default.contentsOfDirectory(atPath: repo.path + "/.git/objects/pack").filter {
      $0.hasSuffix(".pack")
    }
    #expect(packs.count == 1)
    let fsck = try ProcessRunner.run("/usr/bin/git", ["fsck", "--full", "--no-dangling"], in: repo.path)
    #expect(fsck.status == 0, "\(fsck.stderr)")
  }
}

@Suite(.serialized) struct QueueRaceTests {
  func raceClaimNext(_ repo: ScratchRepository, workers: Int) throws -> [ProcessRunner.Result] {
    let gate = repo.root.deletingLastPathComponent().appendingPathComponent("gate-\(UUID().uuidString)").path
    let processes = try (0..<workers).map { index in
      try ProcessRunner.start(
        "/bin/sh",
        ["-c", "while [ ! -e '\(gate)' ]; do sleep 0.005; done; exec '\(GHPBinary.path)' claim --next --json"],
        in: repo.path, environment: ["GHP_AGENT": "w\(index)"])
    }
    usleep(150_000)
    FileManager.default.createFile(atPath: gate, contents: nil)
    return processes.map { $0.wait() }
  }

  @Test func sixteenWorkersOnSixteenReadyIssuesGetSixteenDifferentOnes() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 16)
    // Four more that wait on a dependency nobody finishes: nobody may get them.
    for _ in 0..<4 { try repo.ghp(["issue", "add", "Blocked", "--after", "1"], agent: "lead") }
    let results = try raceClaimNext(repo, workers: 16)
    #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
    let ids = try results.compactMap { try $0.json()["issue"]?["id"]?.intValue }
    #expect(Set(ids) == Set(1...16))
  }

  @Test func sixteenWorkersOnEightReadyIssues() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 8)
    for _ in 0..<4 { try repo.ghp(["issue", "add", "Blocked", "--after", "1"], agent: "lead") }
    let results = try raceClaimNext(repo, workers: 16)
    let winners = results.filter { $0.status == 0 }
    #expect(winners.count == 8)
    #expect(results.filter { $0.status == 4 }.count == 8)
    #expect(results.filter { $0.status == 4 }.allSatisfy { $0.stderr.contains("nothing is ready") })
    let ids = try winners.compactMap { try $0.json()["issue"]?["id"]?.intValue }
    #expect(Set(ids) == Set(1...8))
  }

  @Test func concurrentDiscoveriesAreAllKeptInCommitOrder() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    let processes = try (0..<16).map { agent in
      try ProcessRunner.start(
        "/bin/sh",
        ["-c", "for i in 1 2 3 4 5; do '\(GHPBinary.path)' discover \"finding $i of d\(agent)\" || exit 1; done"],
        in: repo.path, environment: ["GHP_AGENT": "d\(agent)"])
    }
    #expect(processes.map { $0.wait() }.allSatisfy { $0.status == 0 })
    let entries =
      try repo.ghp(["discoveries", "--json"]).json()["discoveries"]?.arrayValue?.compactMap { $0["text"]?.stringValue }
      ?? []
    #expect(entries.count == 80)
    let commitOrder = try repo.git("log", "--reverse", "--format=%s", "ghp/state").split(separator: "\n")
      .filter { $0.contains(": discover ") }.map { String($0.split(separator: " ", maxSplits: 2)[2]) }
    #expect(entries == commitOrder)
  }
}
