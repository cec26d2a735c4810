import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// Loops that close by themselves: an approval answers the escalation that asked for it, a release
/// closes the reap's escalation, an answer clears the asker's `escalated` status and is told once.
@Suite struct LoopTests {
  func escalations(_ repo: ScratchRepository) throws -> [String: JSON] {
    let list = try repo.inProcess(["escalations", "--json"], agent: "lead").json()["escalations"]?.arrayValue ?? []
    return Dictionary(uniqueKeysWithValues: list.compactMap { item in item["id"]?.idText.map { ($0, item) } })
  }

  @Test("an approval answers the open escalation that asked for it, and only that one")
  func approvalAnswersTheRequest() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    for agent in ["w1", "w2"] { #expect(try repo.inProcess(["agent", "add", agent], agent: "lead").status == 0) }
    // The hook's own suggested wording, then a question about something else, then another agent's.
    #expect(
      try repo.inProcess(["agent-escalate", "Approval needed to edit README.md", "--severity", "high"], agent: "w1")
        .status
        == 0)
    #expect(try repo.inProcess(["agent-escalate", "Which database?"], agent: "w1").status == 0)
    #expect(try repo.inProcess(["agent-escalate", "Approval needed to edit README.md"], agent: "w2").status == 0)
    let approve = try repo.inProcess(["approve", "w1", "README*", "--once"], agent: "lead")
    #expect(approve.status == 0, "\(approve.stderr)")
    #expect(approve.stdout.contains("Escalation 1 asked for this approval"))
    let after = try escalations(repo)
    #expect(after["1"]?["status"]?.stringValue == "resolved")
    #expect(after["1"]?["answer"]?.stringValue?.hasPrefix("Approved: w1 may edit README*") == true)
    #expect(after["2"]?["status"]?.stringValue == "open")
    #expect(after["3"]?["status"]?.stringValue == "open")
    #expect(try repo.inProcess(["verify"], agent: "lead").status == 0)
  }

  @Test("an approval of a path that starts with a dot answers the escalation that asked for it")
  func approvalOfADotfileAnswersTheRequest() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    #expect(try repo.inProcess(["agent", "add", "w2"], agent: "lead").status == 0)
    for path in [".ci/run", ".github/workflows/ci.yml"] {
      #expect(try repo.inProcess(["agent-escalate", "Approval needed to edit \(path)"], agent: "w2").status == 0)
    }
    let approve = try repo.inProcess(["approve", "w2", ".ci/run"], agent: "lead")
    #expect(approve.status == 0, "\(approve.stderr)")
    let after = try escalations(repo)
    #expect(after["1"]?["status"]?.stringValue == "resolved", "\(after)")
    #expect(after["2"]?["status"]?.stringValue == "open")
    #expect(try repo.inProcess(["approve", "w2", ".github/**"], agent: "lead").status == 0)
    #expect(try escalations(repo)["2"]?["status"]?.stringValue == "resolved")
    #expect(try repo.inProcess(["verify"], agent: "lead").status == 0)
  }

  @Test("an answer clears the asker's escalated status on its next report, and is told once")
  func answerClearsEscalated() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    #expect(try repo.inProcess(["agent", "add", "w1"], agent: "lead").status == 0)
    #expect(try repo.inProcess(["agent-escalate", "Approval needed to edit README.md"], agent: "w1").status == 0)
    func status() throws -> String? {
      try repo.inProcess(["agent-status", "--json"], agent: "lead").json()["agents"]?["w1"]?["status"]?.stringValue
    }
    #expect(try status() == "escalated")
    #expect(try repo.inProcess(["approve", "w1", "README.md"], agent: "lead").status == 0)
    let told = try repo.inProcess(["agent-heartbeat", "--action", "Back to work"], agent: "w1")
    #expect(
      told.stdout.contains("Approved: w1 may edit README.md")
        || told.stderr.contains("Approved: w1 may edit README.md"), "\(told.stdout)\(told.stderr)")
    #expect(try status() == "idle")
    let again = try repo.inProcess(["agent-heartbeat"], agent: "w1")
    #expect(!(again.stdout + again.stderr).contains("Approved"))
  }

  @Test("reap --release closes the escalation an earlier reap opened about that agent")
  func releaseClosesTheReapEscalation() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    let t0 = Int64(Date().timeIntervalSince1970)
    let later = ["GHP_NOW": RFC3339.format(t0 + 700)]
    #expect(try repo.inProcess(["agent", "add", "w1"], agent: "lead").status == 0)
    #expect(try repo.inProcess(["claim", "1"], agent: "w1").status == 0)
    #expect(try repo.inProcess(["reap"], agent: "lead", environment: later).status == 0)
    #expect(try escalations(repo)["1"]?["status"]?.stringValue == "open")
    let release = try repo.inProcess(["reap", "--release"], agent: "lead", environment: later)
    #expect(release.status == 0, "\(release.stderr)")
    let closed = try escalations(repo)["1"]
    #expect(closed?["status"]?.stringValue == "resolved")
    #expect(closed?["answer"]?.stringValue?.contains("Released #1") == true)
    #expect(try repo.inProcess(["verify"], agent: "lead").status == 0)
  }
}

/// A typo must not create an agent or change one's role.
@Suite struct TypoTests {
  @Test("assign, approve and handoff --to refuse an unknown agent naming the closest; --new says it is new")
  func unknownAgents() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    #expect(try repo.inProcess(["agent", "add", "worker-1"], agent: "lead").status == 0)
    let before = try repo.stateSubjects().count
    for command in [["assign", "1", "worker-l"], ["approve", "worker-l", "README.md"]] {
      let result = try repo.inProcess(command, agent: "lead")
      #expect(result.status == 2)
      #expect(result.stderr.contains("did you mean worker-1?"), "\(result.stderr)")
      #expect(result.stderr.contains("--new"))
    }
    #expect(try repo.inProcess(["claim", "1"], agent: "worker-1").status == 0)
    let handoff = try repo.inProcess(["agent-handoff", "--issue", "1", "--to", "worker-2"], agent: "worker-1")
    #expect(handoff.status == 2 && handoff.stderr.contains("did you mean worker-1?"))
    #expect(try repo.stateSubjects().count == before + 1, "a refused command wrote something")
    #expect(try repo.inProcess(["assign", "1", "worker-2", "--new"], agent: "lead").status == 0)
  }

  @Test("agent add of an existing agent with another role refuses; --change-role changes it")
  func roleChange() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    #expect(try repo.inProcess(["agent", "add", "w1"], agent: "lead").status == 0)
    let promote = try repo.inProcess(["agent", "add", "w1", "--role", "orchestrator"], agent: "lead")
    #expect(promote.status == 3)
    #expect(promote.stderr.contains("w1 is registered as worker"))
    func role() throws -> String? {
      try repo.inProcess(["agent-status", "--json"], agent: "lead").json()["agents"]?["w1"]?["role"]?.stringValue
    }
    #expect(try role() == "worker")
    #expect(
      try repo.inProcess(["agent", "add", "w1"], agent: "lead").status == 0, "re-running with the same role is fine")
    #expect(
      try repo.inProcess(["agent", "add", "w1", "--role", "orchestrator", "--change-role"], agent: "lead").status == 0)
    #expect(try role() == "orchestrator")
  }
}

/// Answers that are easy to find: one escalation whole, every handoff at a glance.
@Suite struct ReadingTests {
  @Test("escalations show N prints the question with the context the agent gave, and the answer")
  func escalationShow() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    #expect(
      try repo.inProcess(
        ["agent-escalate", "Which database?", "--issue", "1", "--context", "We need joins across tenants."], agent: "w1"
      ).status == 0)
    #expect(try repo.inProcess(["resolve", "1", "--answer", "Postgres"], agent: "lead").status == 0)
    let shown = try repo.inProcess(["escalations", "show", "1"], agent: "lead")
    #expect(shown.status == 0)
    for part in ["Which database?", "We need joins across tenants.", "Postgres"] {
      #expect(shown.stdout.contains(part), "\(shown.stdout)")
    }
    #expect(!shown.stdout.contains("ghp-escalation"), "the machine header is not for people")
    let json = try repo.inProcess(["escalations", "show", "1", "--json"], agent: "lead").json()
    #expect(json["context"]?.stringValue == "We need joins across tenants.")
    #expect(try repo.inProcess(["escalations", "show", "9"], agent: "lead").status == 2)
    // The inbox is still the default, flags and all.
    #expect(try repo.inProcess(["escalations", "--open"], agent: "lead").stdout.contains("No escalations."))
  }

  @Test("handoff list shows every issue with a handoff, who holds it and who it waits for")
  func handoffList() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 2)
    for agent in ["w1", "w2"] { #expect(try repo.inProcess(["agent", "add", agent], agent: "lead").status == 0) }
    #expect(try repo.inProcess(["handoff", "list"], agent: "lead").stdout.contains("No handoffs yet"))
    #expect(try repo.inProcess(["claim", "1"], agent: "w1").status == 0)
    #expect(try repo.inProcess(["claim", "2"], agent: "w1").status == 0)
    #expect(
      try repo.inProcess(["agent-handoff", "--issue", "1", "--to", "w2", "--note", "Half done"], agent: "w1").status
        == 0)
    #expect(try repo.inProcess(["agent-handoff", "--issue", "2", "--note", "Notes only"], agent: "w1").status == 0)
    let list = try repo.inProcess(["handoff", "list", "--json"], agent: "lead").json()["handoffs"]?.arrayValue ?? []
    #expect(list.count == 2)
    #expect(list.first?["issue"] == .int(1) && list.first?["holder"]?.stringValue == "w2")
    #expect(list.first?["waitingFor"]?.arrayValue == [.string("w2")])
    #expect(list.last?["holder"]?.stringValue == "w1" && list.last?["waitingFor"]?.arrayValue == [])
    let table = try repo.inProcess(["handoff", "list"], agent: "lead").stdout
    #expect(table.hasPrefix("ISSUE") && table.contains("#1") && table.contains("WAITING FOR"))
  }
}

@Suite struct LogFilterTests {
  @Test("log --since/--until/--op/--no-heartbeats select events by time and kind")
  func filters() throws {
    let repo = try ScratchRepository()
    try repo.inProcess(
      ["init", "--unknown-agents", "register"], agent: "lead", environment: ["GHP_NOW": "2026-01-01T10:00:00Z"])
    try repo.inProcess(["issue", "add", "One"], agent: "lead", environment: ["GHP_NOW": "2026-01-01T10:00:30Z"])
    try repo.inProcess(["agent-heartbeat"], agent: "w1", environment: ["GHP_NOW": "2026-01-01T10:01:00Z"])
    try repo.inProcess(["claim", "1"], agent: "w1", environment: ["GHP_NOW": "2026-01-01T10:02:00Z"])
    try repo.inProcess(["agent-heartbeat"], agent: "w1", environment: ["GHP_NOW": "2026-01-01T10:03:00Z"])
    try repo.inProcess(["done", "1", "--result", "ok"], agent: "w1", environment: ["GHP_NOW": "2026-01-01T10:04:00Z"])
    func ops(_ arguments: [String], now: String = "2026-01-01T10:05:00Z") throws -> [String] {
      let result = try repo.inProcess(["log", "--json", "-n", "0"] + arguments, environment: ["GHP_NOW": now])
      #expect(result.status == 0, "\(result.stderr)")
      return try result.json()["events"]?.arrayValue?.compactMap { $0["op"]?.stringValue } ?? []
    }
    #expect(try ops([]) == ["done", "heartbeat", "claim", "heartbeat", "issue-add", "init"])
    #expect(try ops(["--no-heartbeats"]) == ["done", "claim", "issue-add", "init"])
    #expect(try ops(["--op", "claim", "--op", "done"]) == ["done", "claim"])
    #expect(try ops(["--since", "2026-01-01T10:02:00Z"]) == ["done", "heartbeat", "claim"])
    #expect(try ops(["--until", "2026-01-01T10:01:00Z"]) == ["heartbeat", "issue-add", "init"])
    #expect(try ops(["--since", "150s"]) == ["done", "heartbeat"])
    #expect(try repo.inProcess(["log", "--op", "claimed"]).status == 2)
    // A misspelt operation is named with the closest ones, not the list of all.
    let misspelt = try repo.inProcess(["log", "--op", "clam"])
    #expect(misspelt.status == 2 && misspelt.stderr.contains("did you mean claim?"), "\(misspelt.stderr)")
    // An issue's history shows what came of it.
    let history = try repo.inProcess(["log", "--issue", "1"], environment: ["GHP_NOW": "2026-01-01T10:05:00Z"]).stdout
    #expect(history.contains("w1: done #1 One") && history.contains("    result: ok"), "\(history)")
    #expect(try repo.inProcess(["log", "--since", "yesterday"]).status == 2)
  }
}

@Suite struct StatusScreenTests {
  @Test("ghp status: goal, counts, who works, idle and stale, open escalations, on one screen and in JSON")
  func oneScreen() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 3)
    let old = ["GHP_NOW": RFC3339.format(Int64(Date().timeIntervalSince1970) - 3600)]
    for agent in ["w1", "w2"] { #expect(try repo.inProcess(["agent", "add", agent], agent: "lead").status == 0) }
    #expect(try repo.inProcess(["agent", "add", "w3"], agent: "lead", environment: old).status == 0)
    #expect(try repo.inProcess(["issue", "add", "Four"], agent: "lead", environment: old).status == 0)
    #expect(try repo.inProcess(["claim", "4"], agent: "w3", environment: old).status == 0)
    #expect(try repo.inProcess(["claim", "1"], agent: "w1").status == 0)
    #expect(try repo.inProcess(["claim", "2"], agent: "w2").status == 0)
    #expect(try repo.inProcess(["done", "2", "--result", "ok"], agent: "w2").status == 0)
    #expect(try repo.inProcess(["agent-escalate", "Which database?"], agent: "w1").status == 0)
    let screen = try repo.inProcess(["status"], agent: "lead")
    #expect(screen.status == 0, "\(screen.stderr)")
    let lines = screen.stdout.split(separator: "\n").map(String.init)
    #expect(lines.first == "Goal: Test goal")
    #expect(lines.contains("Issues: 1 open, 2 claimed, 1 done; 1 ready to claim"), "\(lines)")
    #expect(lines.contains("Working: w1 (#1)"))
    #expect(lines.contains { $0.hasPrefix("Idle: ") && $0.contains("w2") && !$0.contains("w3") })
    #expect(lines.contains { $0.hasPrefix("STALE") && $0.contains("w3") && $0.contains("ghp reap") })
    #expect(lines.contains { $0.contains("1 MEDIUM from w1: Which database?") })
    let json = try repo.inProcess(["status", "--json"], agent: "lead").json()
    #expect(json["issues"]?["claimed"] == .int(2) && json["ready"] == .int(1))
    #expect(json["agents"]?["stale"]?.arrayValue == [.string("w3")])
    #expect(json["openEscalations"]?.arrayValue?.count == 1)
    #expect(json["run"] == .null)
  }
}
