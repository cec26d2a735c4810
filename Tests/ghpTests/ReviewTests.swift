import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// Review before landing, through the built binary: a lander that stops after the gate, a
/// reviewer that approves or sends back the exact merge it was shown.
@Suite(.serialized) struct ReviewTests {
  /// A landing team (w1 works, with the gate of `LandingTeam`), a reviewer agent `rev`, and
  /// `landing.review` set to `mode`; #1 claimed by w1, `file` committed and submitted.
  func team(mode: String = "agent", file: String = "login.txt") throws -> LandingTeam {
    let landing = try LandingTeam(agents: ["w1"])
    #expect(try landing.lead("agent", "add", "rev", "--role", "reviewer").status == 0)
    #expect(try landing.lead("config", "set", "landing.review", mode).status == 0)
    #expect(try landing.lead("issue", "add", "Login").status == 0)
    #expect(try landing.team.ghp("w1", "claim", "1").status == 0)
    #expect(try landing.team.commit("w1", file, "login\n", "login").status == 0)
    let done = try landing.team.ghp("w1", "done", "1", "--result", "login")
    #expect(done.status == 0, "\(done.stderr)")
    return landing
  }

  func reviewing(_ landing: LandingTeam) throws -> JSON? {
    try landing.repo.ghp(["issue", "show", "1", "--json"]).json()["issue"]?["reviewing"]
  }

  func review(_ landing: LandingTeam, as agent: String, _ arguments: String...) throws -> ProcessRunner.Result {
    try landing.repo.ghp(["review"] + arguments, agent: agent)
  }

  @Test func changesAskedForSendTheWorkBackAndTheSecondRoundLands() throws {
    let landing = try team()
    let main = try landing.repo.git("rev-parse", "main")
    let first = try landing.land()
    #expect(first.status == 0, "\(first.stderr)")
    #expect(try landing.repo.git("rev-parse", "main") == main, "nothing lands before its review")
    let tree = try #require(try reviewing(landing)?["tree"]?.stringValue)
    // Landing again before the verdict does not gate the same merge again.
    let again = try landing.land()
    #expect(try again.json()["gateRuns"]?.intValue == 0, "\(again.stdout)")
    let listed = try landing.repo.ghp(["review", "list", "--json"]).json()["reviews"]?.arrayValue ?? []
    #expect(listed.map { $0["issue"]?.intValue } == [1])
    let shown = try review(landing, as: "rev", "show", "1")
    #expect(shown.stdout.contains("tree \(tree)") && shown.stdout.contains("added login.txt"), "\(shown.stdout)")
    // The worker cannot review its own work; an agent that is no reviewer cannot either.
    let own = try review(landing, as: "w1", "approve", "1", "--tree", tree)
    #expect(own.status == 3 && own.stderr.contains("it is its own work"), "\(own.stderr)")
    let ownMistyped = try review(landing, as: "w1", "approve", "1", "--tree", "deadbeef")
    #expect(ownMistyped.stderr.contains("it is its own work"), "who may review comes first: \(ownMistyped.stderr)")
    let mistyped = try review(landing, as: "rev", "approve", "1", "--tree", "deadbeef")
    #expect(mistyped.status == 3 && mistyped.stderr.contains("not deadbeef (a mistyped id"), "\(mistyped.stderr)")
    #expect(try landing.lead("agent", "add", "w2").status == 0)
    let worker = try review(landing, as: "w2", "approve", "1", "--tree", tree)
    #expect(worker.status == 3 && worker.stderr.contains("reviewer role"), "\(worker.stderr)")
    // Changes asked for: back to w1, told on its next report.
    let changes = try review(landing, as: "rev", "changes", "1", "--tree", String(tree.prefix(8)), "Add a test")
    #expect(changes.status == 0, "\(changes.stderr)")
    let issue = try landing.repo.ghp(["issue", "show", "1", "--json"]).json()["issue"]
    #expect(issue?["status"] == .string("claimed") && issue?["assignee"] == .string("w1"))
    #expect(issue?["bounced"]?["kind"] == .string("review"))
    let told = try landing.team.ghp("w1", "agent-heartbeat", "--action", "reading")
    #expect(told.stderr.contains("needs changes its reviewer asked for") && told.stderr.contains("Add a test"))
    // The second round: a new tree, approved, lands exactly that tree.
    #expect(try landing.team.commit("w1", "login-test.txt", "test\n", "test").status == 0)
    #expect(try landing.team.ghp("w1", "done", "1", "--result", "login, tested").status == 0)
    #expect(try landing.land().status == 0)
    let second = try #require(try reviewing(landing)?["tree"]?.stringValue)
    #expect(second != tree)
    #expect(try review(landing, as: "rev", "approve", "1", "--tree", second, "--note", "tested now").status == 0)
    let landed = try landing.land()
    #expect(landed.status == 0, "\(landed.stderr)")
    #expect(try landing.repo.git("rev-parse", "main^{tree}") == second, "main holds the tree that was approved")
    let evidence = try landing.repo.ghp(["issue", "show", "1", "--json"]).json()["issue"]?["landing"]?["review"]
    #expect(
      evidence?["approvedBy"] == .string("rev") && evidence?["tree"] == .string(second),
      "\(String(describing: evidence))")
    #expect(try landing.repo.ghp(["verify"]).status == 0)
  }

  /// The reviewer was shown one tree; the base moved before its verdict: its approval is of a merge
  /// that will never land, and the next lander asks again for the new one.
  @Test func anApprovalOfATreeTheBaseMovedPastLandsNothing() throws {
    let landing = try team()
    #expect(try landing.land().status == 0)
    let shown = try #require(try reviewing(landing)?["tree"]?.stringValue)
    // The lead moves main meanwhile.
    try landing.repo.write("NEWS.txt", "news\n")
    try landing.repo.git("add", "NEWS.txt")
    try landing.repo.git("commit", "-qm", "news")
    let moved = try landing.repo.git("rev-parse", "main")
    #expect(try review(landing, as: "rev", "approve", "1", "--tree", shown).status == 0)
    #expect(try landing.land().status == 0)
    #expect(try landing.repo.git("rev-parse", "main") == moved, "the approved tree is not what would land now")
    let now = try #require(try reviewing(landing))
    #expect(now["tree"]?.stringValue != shown && now["approvedBy"] == nil, "\(now)")
    let stale = try review(landing, as: "rev", "approve", "1", "--tree", shown)
    #expect(stale.status == 3 && stale.stderr.contains("the base moved since you read it"), "\(stale.stderr)")
    #expect(try review(landing, as: "rev", "approve", "1", "--tree", now["tree"]!.stringValue!).status == 0)
    #expect(try landing.land().status == 0)
    #expect(try landing.repo.git("show", "main:login.txt") == "login")
    #expect(try landing.repo.ghp(["verify"]).status == 0)
  }

  /// A person's review is an orchestrator's to give; a worker approving its own work with plain git
  /// is found.
  @Test func aPersonsReviewIsAnOrchestratorsAndAForgedOneIsFound() throws {
    let landing = try team(mode: "human")
    #expect(try landing.land().status == 0)
    let tree = try #require(try reviewing(landing)?["tree"]?.stringValue)
    let agent = try review(landing, as: "rev", "approve", "1", "--tree", tree)
    #expect(agent.status == 3 && agent.stderr.contains("waits for a person's review"), "\(agent.stderr)")
    // w1 approves its own work with plain git, spelled as ghp would.
    let path = ".ghp/issues/01/1.json"
    let approved = try landing.repo.stateFile(path).replacingOccurrences(
      of: "\"requestedBy\": \"lead\"",
      with: "\"approvedAt\": \"2026-01-01T00:00:00Z\",\n      \"approvedBy\": \"w1\",\n      \"requestedBy\": \"lead\"")
    #expect(approved.contains("approvedBy"))
    let before = try landing.repo.git("rev-parse", "ghp/state")
    let forged = try landing.repo.forge(
      [path: approved + "\n"],
      message: """
        w1: approve the landing of #1 Login (tree \(tree.prefix(10)))

        Ghp-Op: review
        Ghp-Agent: w1
        Ghp-Issue: 1
        Ghp-Epoch: 1
        Ghp-Operation: {"args":{"issue":"1","tree":"\(tree)","verdict":"approve"},"op":"review","v":1}
        """, author: "w1")
    let verified = try landing.repo.ghp(["verify", "--json"])
    #expect(verified.status == 1)
    let findings = try verified.json()["findings"]?.arrayValue ?? []
    #expect(findings.first?["commit"] == .string(forged), "\(findings)")
    #expect(findings.first?["problem"]?.stringValue?.contains("its own work") == true, "\(findings)")
    try landing.repo.git("update-ref", "refs/heads/ghp/state", before)
    #expect(try review(landing, as: "lead", "approve", "1", "--tree", tree).status == 0)
    #expect(try landing.land().status == 0)
    #expect(try landing.repo.git("rev-parse", "main^{tree}") == tree)
  }

  /// A person reviews from the page: the review waits there with the tree, and the verdict needs
  /// the page's token.
  @Test func aPersonReviewsFromThePage() throws {
    let landing = try team(mode: "human")
    #expect(try landing.land().status == 0)
    let tree = try #require(try reviewing(landing)?["tree"]?.stringValue)
    let token = "review-test-token-0123456789"
    let server = try ProcessRunner.start(
      GHPBinary.path, ["serve", "--port", "0", "--agent", "lead"], in: landing.repo.path,
      environment: ["GHP_SERVE_TOKEN": token])
    defer { kill(server.pid, SIGTERM) }
    let port = try #require(server.firstLine().split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) })
    /// A request to the server: (status, body).
    func http(_ method: String, _ path: String, _ body: String?, token: String?) throws -> (Int, String) {
      let script = """
        import sys, urllib.request, urllib.error
        headers = {"Content-Type": "application/json"}
        if sys.argv[3]: headers["Authorization"] = "Bearer " + sys.argv[3]
        data = sys.argv[4].encode() if sys.argv[4] else None
        request = urllib.request.Request("http://127.0.0.1:\(port)" + sys.argv[2], data=data, method=sys.argv[1], headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=30); print(response.status); print(response.read().decode())
        except urllib.error.HTTPError as error:
            print(error.code); print(error.read().decode())
        """
      let result = try ProcessRunner.run(
        "/usr/bin/env", ["python3", "-c", script, method, path, token ?? "", body ?? ""], in: landing.repo.path)
      let lines = result.stdout.split(separator: "\n", maxSplits: 1).map(String.init)
      return (Int(lines.first ?? "") ?? -1, lines.count > 1 ? lines[1] : "")
    }
    let (status, page) = try http("GET", "/", nil, token: nil)
    #expect(status == 200)
    #expect(page.contains("id=\"review-1\"") && page.contains("data-tree=\"\(tree)\""), "the review and its form")
    let verdict = #"{"tree":"\#(tree)","verdict":"approve","text":"looks right"}"#
    #expect(try http("POST", "/api/reviews/1", verdict, token: nil).0 == 401, "a verdict without the token")
    let (given, answer) = try http("POST", "/api/reviews/1", verdict, token: token)
    #expect(given == 200, "\(answer)")
    #expect(try landing.land().status == 0)
    let evidence = try landing.repo.ghp(["issue", "show", "1", "--json"]).json()["issue"]?["landing"]?["review"]
    #expect(evidence?["approvedBy"] == .string("lead") && evidence?["note"] == .string("looks right"))
  }
}
