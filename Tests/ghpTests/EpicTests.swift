import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// Epics and their managers, through the built binary as the lead, a manager and workers use it.
@Suite(.serialized) struct EpicTests {
  /// `ghp init`, an epic #1 over `src/auth/**`, an issue #2 outside it, managers m1 (given #1) and
  /// m2 (given nothing), and workers w1, w2.
  func team() throws -> ScratchRepository {
    let repo = try ScratchRepository()
    try repo.initialise()
    for (name, role) in [("m1", "manager"), ("m2", "manager"), ("w1", "worker"), ("w2", "worker")] {
      let added = try repo.ghp(["agent", "add", name, "--role", role], agent: "lead")
      #expect(added.status == 0, "\(added.stderr)")
    }
    #expect(try repo.ghp(["epic", "add", "Accounts", "--scope", "src/auth/**"], agent: "lead").stdout == "1\n")
    #expect(try repo.ghp(["issue", "add", "Outside"], agent: "lead").stdout == "2\n")
    let assigned = try repo.ghp(["assign", "1", "m1"], agent: "lead")
    #expect(assigned.status == 0, "\(assigned.stderr)")
    return repo
  }

  /// Runs `ghp` as `agent` and expects it to be refused (exit 3) with a line holding every one of
  /// `words`; returns the line.
  @discardableResult
  func refused(_ repo: ScratchRepository, _ arguments: [String], as agent: String, _ words: String...) throws
    -> String
  {
    let before = try repo.git("rev-parse", "ghp/state")
    let result = try repo.ghp(arguments, agent: agent)
    #expect(result.status == 3, "\(agent) \(arguments): \(result.stdout)\(result.stderr)")
    for word in words { #expect(result.stderr.contains(word), "\(arguments): \(result.stderr)") }
    #expect(try repo.git("rev-parse", "ghp/state") == before, "a refusal wrote nothing")
    return result.stderr
  }

  func ok(_ repo: ScratchRepository, _ arguments: [String], as agent: String) throws {
    let result = try repo.ghp(arguments, agent: agent)
    #expect(result.status == 0, "\(agent) \(arguments): \(result.stderr)")
  }

  @Test func aManagerHasAnOrchestratorsAuthorityInsideItsEpicAndNoneOutside() throws {
    let repo = try team()
    // Inside: sub-issues, with scopes inside the epic's.
    try ok(repo, ["issue", "add", "Hash", "--epic", "1", "--scope", "src/auth/hash.swift"], as: "m1")
    try ok(repo, ["issue", "add", "Store", "--epic", "1", "--after", "3", "--scope", "src/auth/store/**"], as: "m1")
    #expect(try repo.ghp(["issue", "show", "4", "--json"]).json()["issue"]?["epic"]?.intValue == 1)
    // Outside, each refused with a line naming the epic and its manager.
    try refused(repo, ["issue", "add", "Mine"], as: "m1", "m1 manages epic #1 only", "in no epic")
    try refused(repo, ["issue", "add", "X", "--epic", "1", "--scope", "src/**"], as: "m1", "outside epic #1's scope")
    try refused(repo, ["issue", "add", "X", "--epic", "1"], as: "w1", "epic #1's manager (m1)")
    try refused(repo, ["issue", "add", "X", "--epic", "1"], as: "m2", "m2 is a manager holding no epic")
    try refused(repo, ["assign", "2", "w1"], as: "m1", "m1 manages epic #1 only", "only an orchestrator may assign #2")
    try refused(repo, ["issue", "edit", "2", "-p", "1"], as: "m1", "m1 manages epic #1 only")
    try refused(
      repo, ["issue", "edit", "1", "--title", "Mine"], as: "m1", "only an orchestrator may edit #1 (an epic)")
    try refused(repo, ["issue", "edit", "3", "--scope", "README.md"], as: "m1", "outside epic #1's scope")
    try refused(repo, ["assign", "3", "w1"], as: "w2", "epic #1's manager (m1)")
    // Assign, edit, release and answer inside.
    try ok(repo, ["assign", "3", "w1"], as: "m1")
    try ok(repo, ["issue", "edit", "3", "-p", "1", "--scope", "src/auth/*.swift"], as: "m1")
    try ok(repo, ["agent-escalate", "Which hash?", "--issue", "3"], as: "w1")
    try ok(repo, ["resolve", "1", "--answer", "argon2"], as: "m1")
    try ok(repo, ["claim", "2"], as: "w2")
    try ok(repo, ["agent-escalate", "Which table?", "--issue", "2"], as: "w2")
    try refused(repo, ["resolve", "2", "--answer", "mine"], as: "m1", "m1 manages epic #1 only")
    // Approvals: to a worker on a sub-issue, for files inside the epic's scope only.
    try ok(repo, ["approve", "w1", "src/auth/util.swift", "--once"], as: "m1")
    try ok(repo, ["approve", "w1", "src/auth/store/*.swift", "--once"], as: "m1")
    try refused(repo, ["approve", "w1", "src/auth/store/*.swift"], as: "m1", "a manager's approval is for one commit")
    try refused(repo, ["approve", "w1", "README.md"], as: "m1", "README.md is outside epic #1's scope", "m1")
    try refused(repo, ["approve", "w1", "src/*.swift"], as: "m1", "outside epic #1's scope")
    try refused(repo, ["approve", "w2", "src/auth/util.swift"], as: "m1", "m1 manages epic #1 only")
    try refused(repo, ["approve", "w1", "src/auth/util.swift"], as: "w2", "epic #1's manager (m1)")
    try ok(repo, ["release", "3", "--reason", "rethink"], as: "m1")
    try refused(repo, ["release", "2"], as: "m1", "m1 manages epic #1 only")
    // A dead sub-issue is retried by its manager; one outside is not.
    try ok(repo, ["config", "set", "maxAttempts", "1"], as: "lead")
    try ok(repo, ["claim", "3"], as: "w1")
    try ok(repo, ["fail", "3", "--reason", "stuck"], as: "w1")
    try ok(repo, ["fail", "2", "--reason", "stuck"], as: "w2")
    try ok(repo, ["issue", "retry", "3"], as: "m1")
    try refused(repo, ["issue", "retry", "2"], as: "m1", "m1 manages epic #1 only")
    let approvals = try repo.ghp(["approvals", "--json"]).json()["approvals"]?.arrayValue ?? []
    #expect(approvals.map { $0["by"]?.stringValue } == ["m1", "m1"], "\(approvals)")
    let verified = try repo.ghp(["verify"])
    #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
  }

  @Test func anEpicGoesToAManagerIsNeverClaimedAndIsDoneWhenItsSubIssuesAre() throws {
    let repo = try team()
    try ok(repo, ["issue", "add", "After the epic", "--after", "1"], as: "lead")
    try ok(repo, ["issue", "add", "Hash", "--epic", "1"], as: "m1")
    try ok(repo, ["issue", "add", "Store", "--epic", "1", "--after", "4"], as: "m1")
    let ready = try repo.ghp(["ready", "--json"]).json()["issues"]?.arrayValue?.compactMap { $0["id"]?.intValue }
    #expect(ready == [2, 4], "an epic is not work to claim, and #3 waits for it: \(ready ?? [])")
    try refused(repo, ["claim", "1"], as: "w1", "#1 is an epic")
    try refused(repo, ["assign", "1", "w1"], as: "lead", "goes to an agent with the manager role", "w1 is a worker")
    try refused(repo, ["done", "1", "--result", "all of it"], as: "m1", "#1 is an epic")
    let listed = try repo.ghp(["epic", "list", "--json"]).json()["epics"]?.arrayValue ?? []
    #expect(listed.map { $0["id"]?.intValue } == [1] && listed.first?["manager"] == .string("m1"), "\(listed)")
    #expect(listed.first?["total"]?.intValue == 2 && listed.first?["done"]?.intValue == 0)
    var shown = try repo.ghp(["epic", "show", "1", "--json"]).json()
    #expect(shown["manager"] == .string("m1"))
    #expect(shown["progress"]?["total"]?.intValue == 2 && shown["progress"]?["blocked"]?.intValue == 1)
    #expect(shown["subIssues"]?.arrayValue?.last?["blockedBy"] == .array([.string("#4")]))
    try ok(repo, ["claim", "--next"], as: "w1")  // #2, older than #4
    try ok(repo, ["claim", "4"], as: "w2")
    try ok(repo, ["done", "4", "--result", "hashed"], as: "w2")
    try ok(repo, ["claim", "5"], as: "w2")
    shown = try repo.ghp(["epic", "show", "1", "--json"]).json()
    #expect(shown["epic"]?["status"] == .string("claimed") && shown["progress"]?["done"]?.intValue == 1)
    try ok(repo, ["done", "5", "--result", "stored"], as: "w2")
    // The last sub-issue done makes the epic done, in the same commit, and frees its manager.
    #expect(try repo.stateSubjects().first == "w2: done #5 Store; epic #1 done")
    shown = try repo.ghp(["epic", "show", "1", "--json"]).json()
    #expect(shown["epic"]?["status"] == .string("done") && shown["manager"] == .string("m1"))
    let m1 = try repo.ghp(["agent-status", "--json"]).json()["agents"]?["m1"]
    #expect(m1?["issue"] == .null, "\(String(describing: m1))")
    #expect(try repo.ghp(["ready", "--json"]).json()["issues"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [3])
    try refused(repo, ["issue", "add", "Late", "--epic", "1"], as: "lead", "epic #1 is done")
    #expect(try repo.ghp(["verify"]).status == 0)
  }

  /// The authority is the epic the manager held at each commit: an honest history in which the
  /// epic changes managers verifies, and a commit made with plain git by the manager that lost it,
  /// spelled as ghp would, is found.
  @Test func aManagersCommitIsJudgedByTheEpicItHeldAtThatCommit() throws {
    let repo = try team()
    try ok(repo, ["issue", "add", "Hash", "--epic", "1"], as: "m1")
    try ok(repo, ["issue", "add", "Store", "--epic", "1"], as: "m1")
    try ok(repo, ["assign", "3", "w1"], as: "m1")
    try ok(repo, ["assign", "1", "m2"], as: "lead")
    try refused(repo, ["assign", "4", "w2"], as: "m1", "m1 is a manager holding no epic")
    try ok(repo, ["assign", "4", "w2"], as: "m2")
    #expect(try repo.ghp(["verify"]).status == 0)
    // m1 gives #4 to w1 anyway, with plain git: the documents as ghp would write them.
    let path = ".ghp/issues/04/4.json"
    let taken = try repo.stateFile(path).replacingOccurrences(of: "\"w2\"", with: "\"w1\"")
      .replacingOccurrences(of: "\"epoch\": 1", with: "\"epoch\": 2")
    let forged = try repo.forge(
      [path: taken + "\n"],
      message: """
        m1: assign #4 Store to w1 (was w2)

        Ghp-Op: assign
        Ghp-Agent: m1
        Ghp-Issue: 4
        Ghp-Epoch: 2
        Ghp-Operation: {"args":{"issue":"4","to":"w1"},"op":"assign","v":1}
        """, author: "m1")
    let result = try repo.ghp(["verify", "--json"])
    #expect(result.status == 1, "\(result.stdout)")
    let findings = try result.json()["findings"]?.arrayValue ?? []
    #expect(findings.count == 1 && findings.first?["commit"] == .string(forged), "\(findings)")
    #expect(findings.first?["problem"]?.stringValue?.contains("m1 is a manager holding no epic") == true, "\(findings)")
  }

  /// A manager's forged commit pushed to a server with ghp's hooks: refused by `pre-receive`, with
  /// the sentence that names the epic; its honest commits inside the epic land.
  @Test func aServerRefusesAManagersCommitOutsideItsEpic() throws {
    let site = try ServerTrustTests.Site()
    func lead(_ arguments: String...) throws {
      let result = try site.team.repo.ghp(arguments, agent: "lead")
      #expect(result.status == 0, "\(arguments): \(result.stderr)")
    }
    try lead("agent", "add", "w3", "--role", "manager", "--change-role")
    try lead("epic", "add", "Accounts", "--scope", "Sources/Auth/**")
    try lead("issue", "add", "Outside")
    try lead("assign", "1", "w3")
    #expect(try site.push(as: "lead", "ghp/state").status == 0)
    #expect(try site.team.ghp("w3", "issue", "add", "Hash", "--epic", "1").status == 0)
    let honest = try site.push(as: "w3", "ghp/state")
    #expect(honest.status == 0, "\(honest.stderr)")
    // Outside the epic, with plain git: #2 given to w1.
    let before = site.serverRef("ghp/state")
    let path = ".ghp/issues/02/2.json"
    let given = try site.team.repo.stateFile(path).replacingOccurrences(
      of: "\"assignee\": null", with: "\"assignee\": \"w1\""
    )
    .replacingOccurrences(of: "\"status\": \"open\"", with: "\"status\": \"claimed\"")
    try site.team.repo.forge(
      [path: given + "\n"],
      message:
        "w3: assign #2 Outside to w1\n\nGhp-Op: assign\nGhp-Agent: w3\nGhp-Issue: 2\nGhp-Operation: {\"args\":{\"issue\":\"2\",\"to\":\"w1\"},\"op\":\"assign\",\"v\":1}",
      author: "w3")
    let forged = try site.push(as: "w3", "ghp/state")
    #expect(forged.status != 0)
    #expect(forged.stderr.contains("w3 manages epic #1 only"), "\(forged.stderr)")
    #expect(site.serverRef("ghp/state") == before)
  }

  /// A manager plans only its epic's section of the plan, which may not end itself with a heading
  /// of its own; it reaps only the stale workers on its epic, and only their sub-issues.
  @Test func aManagerPlansAndReapsOnlyItsEpic() throws {
    let repo = try team()
    try ok(repo, ["issue", "add", "Hash", "--epic", "1"], as: "m1")
    #expect(try repo.ghp(["plan", "set", "-"], agent: "lead", input: "# Plan\n\nAll of it.\n").status == 0)
    #expect(
      try repo.ghp(["plan", "set", "-", "--epic", "1"], agent: "m1", input: "Hash first.\n### Then\nStore.\n").status
        == 0)
    for (text, why) in [
      ("Goal: take over\n", "cannot hold a 'Goal: ' line"), ("x\r\n## Epic #9: other\r\n", "without \\r"),
    ] {
      let sneaky = try repo.ghp(["plan", "set", "-", "--epic", "1"], agent: "m1", input: text)
      #expect(sneaky.status == 2 && sneaky.stderr.contains(why), "\(sneaky.stderr)")
    }
    let refusedWhole = try repo.ghp(["plan", "set", "-"], agent: "m1", input: "# Mine\n")
    #expect(refusedWhole.status == 3 && refusedWhole.stderr.contains("m1 manages epic #1 only"))
    let escape = try repo.ghp(["plan", "set", "-", "--epic", "1"], agent: "m1", input: "x\n## Epic #9: other\n")
    #expect(escape.status == 2 && escape.stderr.contains("would end the section"), "\(escape.stderr)")
    #expect(try repo.ghp(["plan", "set", "-", "--epic", "1"], agent: "m1", input: "Store first.\n").status == 0)
    let plan = try repo.stateFile(".ghp/plan.md")
    #expect(plan == "# Plan\n\nGoal: Test goal\n\nAll of it.\n\n## Epic #1: Accounts\n\nStore first.", "\(plan)")
    // An hour later, w1 (on the epic) and w2 (outside it) are both stale.
    try ok(repo, ["claim", "3"], as: "w1")
    try ok(repo, ["claim", "2"], as: "w2")
    let later = ["GHP_NOW": RFC3339.format(Int64(Date().timeIntervalSince1970) + 3600)]
    let idle = try repo.ghp(["reap"], agent: "m2", environment: later)
    #expect(idle.status == 3 && idle.stderr.contains("m2 is a manager holding no epic"), "\(idle.stderr)")
    // m1 is as silent as w1, but an epic is no work to release: the lead's reap leaves it alone.
    let dry = try repo.ghp(["reap", "--release", "--dry-run", "--json"], agent: "lead", environment: later)
    #expect(!(try dry.json()["agents"]?.arrayValue ?? []).contains { $0["agent"] == .string("m1") }, "\(dry.stdout)")
    let reaped = try repo.ghp(["reap", "--release", "--json"], agent: "m1", environment: later)
    #expect(reaped.status == 0, "\(reaped.stderr)")
    let acted = try reaped.json()["agents"]?.arrayValue ?? []
    #expect(acted.map { $0["agent"]?.stringValue } == ["w1"], "only the worker on the epic: \(acted)")
    #expect(try repo.ghp(["issue", "show", "3", "--json"]).json()["issue"]?["status"] == .string("open"))
    #expect(try repo.ghp(["issue", "show", "2", "--json"]).json()["issue"]?["assignee"] == .string("w2"))
    #expect(try repo.ghp(["verify"]).status == 0)
  }

  /// The session start of a manager and of a worker on a sub-issue, and the page, show the epic.
  @Test func theSessionAndThePageShowEpics() throws {
    let repo = try team()
    try ok(repo, ["issue", "add", "Hash", "--epic", "1"], as: "m1")
    try ok(repo, ["issue", "add", "Store", "--epic", "1"], as: "m1")
    try ok(repo, ["claim", "3"], as: "w1")
    try ok(repo, ["done", "3", "--result", "hashed"], as: "w1")
    try ok(repo, ["claim", "4"], as: "w2")
    let manager = try repo.ghp(["prompt", "session"], agent: "m1").stdout
    #expect(manager.contains("You are m1, a manager agent"), "\(manager)")
    #expect(manager.contains("You manage epic #1 Accounts (epoch 1, scope src/auth/**): 1 of 2 sub-issues done"))
    let worker = try repo.ghp(["prompt", "session"], agent: "w2").stdout
    #expect(worker.contains("You hold #4 Store (claimed, epoch 1 of epic #1, managed by m1)"), "\(worker)")
    let page = try repo.ghp(["report", "--html", "-"]).stdout
    #expect(page.contains("<span class=\"epic\">epic</span> <b>#1</b> Accounts"), "the epic's card")
    #expect(page.contains("1/2 sub-issues done · managed by m1"))
    #expect(page.contains("in epic #1"))
  }

  /// The epic is done when its last sub-issue lands, in the landing's own record.
  @Test func anEpicIsDoneWhenItsLastSubIssueLands() throws {
    let landing = try LandingTeam(agents: ["w1"])
    #expect(try landing.lead("agent", "add", "m1", "--role", "manager").status == 0)
    #expect(try landing.lead("epic", "add", "Accounts").status == 0)
    #expect(try landing.lead("assign", "1", "m1").status == 0)
    #expect(try landing.repo.ghp(["issue", "add", "Hash", "--epic", "1"], agent: "m1").status == 0)
    #expect(try landing.team.ghp("w1", "claim", "2").status == 0)
    #expect(try landing.team.commit("w1", "hash.txt", "hashed\n", "hash").status == 0)
    let submitted = try landing.team.ghp("w1", "done", "2", "--result", "hashed")
    #expect(submitted.status == 0, "\(submitted.stderr)")
    #expect(try landing.repo.ghp(["epic", "show", "1", "--json"]).json()["epic"]?["status"] == .string("claimed"))
    let landed = try landing.land()
    #expect(landed.status == 0, "\(landed.stderr)")
    let shown = try landing.repo.ghp(["epic", "show", "1", "--json"]).json()
    #expect(shown["epic"]?["status"] == .string("done"), "\(shown)")
    #expect(shown["progress"]?["landed"]?.intValue == 1)
    let subjects = try landing.repo.stateSubjects()
    #expect(
      subjects.contains { $0.contains(": landed #2 Hash on main") && $0.hasSuffix("; epic #1 done") }, "\(subjects)")
    #expect(try landing.repo.ghp(["verify"]).status == 0)
  }

  /// An epic's scope bounds what its manager approves; it is nobody's to own: the workers on its
  /// sub-issues commit inside it, and a sub-issue's own scope still keeps others out.
  @Test func anEpicsScopeIsNoOnesToOwn() throws {
    let team = try Team(agents: ["w1", "w2"])
    for command in [
      ["agent", "add", "m1", "--role", "manager"], ["epic", "add", "Accounts", "--scope", "Sources/**"],
      ["assign", "1", "m1"],
    ] {
      let result = try team.repo.ghp(command, agent: "lead")
      #expect(result.status == 0, "\(command): \(result.stderr)")
    }
    #expect(
      try team.repo.ghp(["issue", "add", "Login", "--epic", "1", "--scope", "Sources/Auth/**"], agent: "m1").status == 0
    )
    #expect(try team.ghp("w1", "claim", "2").status == 0)
    let inside = try team.commit("w1", "Sources/Auth/Login.swift", "// in\n", "login")
    #expect(inside.status == 0, "\(inside.stderr)")
    let other = try team.commit("w2", "Sources/Auth/Other.swift", "// out\n", "other")
    #expect(other.status != 0 && other.stderr.contains("in the scope of #2"), "\(other.stderr)")
    #expect(!other.stderr.contains("#1"), "\(other.stderr)")
  }

  /// A manager that does the last sub-issue itself ends holding nothing; its role does not change
  /// while it holds an epic.
  @Test func aManagerFinishingTheLastSubIssueItselfHoldsNothing() throws {
    let repo = try team()
    try ok(repo, ["issue", "add", "Only", "--epic", "1"], as: "m1")
    try refused(repo, ["agent", "add", "m1", "--role", "worker", "--change-role"], as: "lead", "m1 manages epic #1")
    try ok(repo, ["claim", "3"], as: "m1")
    try ok(repo, ["done", "3", "--result", "did it myself"], as: "m1")
    let m1 = try repo.ghp(["agent-status", "--json"]).json()["agents"]?["m1"]
    #expect(m1?["issue"] == .null, "\(String(describing: m1))")
    #expect(try repo.ghp(["epic", "show", "1", "--json"]).json()["epic"]?["status"] == .string("done"))
    try ok(repo, ["agent", "add", "m1", "--role", "worker", "--change-role"], as: "lead")
    #expect(try repo.ghp(["verify"]).status == 0)
  }

  /// An import makes epics as `epic add` and `issue add --epic` do: a sub-issue's epic must be an
  /// epic, and an epic comes unclaimed.
  @Test func anImportHoldsEpicsToTheirRules() throws {
    let repo = try team()
    for (json, why) in [
      (#"[{"id": 50, "title": "X", "epic": 2}]"#, "names #2 as its epic, which is no epic"),
      (#"[{"id": 51, "title": "E", "kind": "epic", "status": "claimed", "assignee": "w1"}]"#, "#51 is an epic"),
    ] {
      let result = try repo.ghp(["issue", "import", "-"], agent: "lead", input: json)
      #expect(result.status == 3 && result.stderr.contains(why), "\(result.stderr)")
    }
    let good = try repo.ghp(
      ["issue", "import", "-"], agent: "lead",
      input: #"[{"id": 52, "title": "E2", "kind": "epic"}, {"id": 53, "title": "S", "epic": 52}]"#)
    #expect(good.status == 0, "\(good.stderr)")
    let shown = try repo.ghp(["epic", "show", "52", "--json"]).json()["subIssues"]?.arrayValue ?? []
    #expect(shown.map { $0["id"]?.intValue } == [53])
    #expect(try repo.ghp(["verify"]).status == 0)
  }
}
