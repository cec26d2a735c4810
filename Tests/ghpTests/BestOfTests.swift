import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// Best-of-N with a vote, through the built binary: one issue attempted by three workers on their
/// own branches, each attempt gated, a vote choosing one, the winner landing and the others closed.
@Suite(.serialized) struct BestOfTests {
  /// The score: how many lines the attempt's `parser/*.txt` files hold (more is better here).
  static let score = """
    #!/bin/sh
    cat parser/*.txt | wc -l

    """

  /// A landing team of `agents` with `score.sh` on main as `landing.score`, shared so that no
  /// attempt scores itself with its own copy.
  func team(_ agents: [String], hooks: Bool = false) throws -> LandingTeam {
    let landing = try LandingTeam(agents: agents, hooks: hooks)
    try landing.repo.write("score.sh", Self.score)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: landing.repo.path + "/score.sh")
    try landing.repo.git("add", "score.sh")
    try landing.repo.git("commit", "-qm", "the score")
    for agent in agents { #expect(try landing.team.git(agent, "merge", "-q", "main").status == 0) }
    #expect(try landing.lead("config", "set", "landing.score", "./score.sh").status == 0)
    #expect(try landing.lead("config", "set", "shared.globs", "[\"score.sh\", \"gate.sh\"]").status == 0)
    return landing
  }

  /// `agent` claims the next ready issue, writes `text` to `parser/<agent>.txt` (or `file`) and
  /// submits it.
  func attempt(_ landing: LandingTeam, _ agent: String, _ text: String, file: String? = nil) throws -> String {
    try submit(landing, agent, try claim(landing, agent), text, file: file)
  }

  func claim(_ landing: LandingTeam, _ agent: String) throws -> String {
    let claimed = try landing.team.ghp(agent, "claim", "--next", "--json")
    #expect(claimed.status == 0, "\(claimed.stderr)")
    return try #require(claimed.json()["issue"]?["id"]?.stringValue, "\(claimed.stdout)")
  }

  @discardableResult
  func submit(_ landing: LandingTeam, _ agent: String, _ id: String, _ text: String, file: String? = nil) throws
    -> String
  {
    try FileManager.default.createDirectory(
      atPath: landing.team.worktrees[agent]! + "/parser", withIntermediateDirectories: true)
    #expect(try landing.team.commit(agent, file ?? "parser/\(agent).txt", text, "\(agent): parser").status == 0)
    let done = try landing.team.ghp(agent, "done", id, "--result", "\(agent)'s parser")
    #expect(done.status == 0, "\(done.stderr)")
    return id
  }

  func show(_ landing: LandingTeam, _ id: String) throws -> JSON {
    try landing.repo.ghp(["issue", "show", id, "--json"]).json()
  }

  /// Three attempts scored: one fails its gate, the best passing one lands, and the other two are
  /// closed with the outcome; `issue show` lists every attempt and its score.
  @Test func threeAttemptsTheBestScoreLandsAndTheOthersClose() throws {
    let landing = try team(["w1", "w2", "w3"], hooks: true)
    let added = try landing.lead("issue", "add", "Faster parser", "--attempts", "3", "--scope", "parser/**", "--json")
    #expect(added.status == 0, "\(added.stderr)")
    let parent = try #require(added.json()["id"]?.intValue.map(String.init))
    #expect(try added.json()["kind"] == .string("best-of") && added.json()["vote"]?["method"] == .string("score"))
    // The issue itself is no one's to claim; its three attempts are ready.
    let ready = try landing.repo.ghp(["ready", "--json"]).json()["issues"]?.arrayValue?.compactMap {
      $0["id"]?.stringValue
    }
    #expect(ready == ["\(parent).1", "\(parent).2", "\(parent).3"], "\(String(describing: ready))")
    let whole = try landing.team.ghp("w1", "claim", parent)
    #expect(whole.status == 3 && whole.stderr.contains("its attempts"), "\(whole.stderr)")

    let first = try claim(landing, "w1")
    #expect(first == "\(parent).1")
    // One agent makes one attempt: w1 is given none of the others, and refused one by name.
    let second = try landing.team.ghp("w1", "claim", "\(parent).2")
    #expect(second.status == 3 && second.stderr.contains("attempts are independent"), "\(second.stderr)")
    let mine = try landing.repo.ghp(["ready", "--for", "w1", "--json"]).json()["issues"]?.arrayValue ?? []
    #expect(mine.isEmpty, "\(mine)")
    let next = try landing.team.ghp("w1", "claim", "--next")
    #expect(
      next.status == 4 && next.stderr.contains("#\(parent).2 is an attempt of #\(parent), and w1 makes #\(parent).1"),
      "\(next.stderr)")
    // Lists show each attempt after its issue.
    let listed = try landing.repo.ghp(["issue", "list", "--json"]).json()["issues"]?.arrayValue?.compactMap {
      $0["id"]?.stringValue ?? $0["id"]?.intValue.map(String.init)
    }
    #expect(listed == [parent, "\(parent).1", "\(parent).2", "\(parent).3"], "\(String(describing: listed))")
    let assign = try landing.lead("assign", "\(parent).3", "w1")
    #expect(assign.status == 3 && assign.stderr.contains("attempts are independent"), "\(assign.stderr)")

    #expect(try claim(landing, "w2") == "\(parent).2")
    #expect(try claim(landing, "w3") == "\(parent).3")
    // Each works in the issue's scope while the others hold theirs (the hooks judge each commit).
    try submit(landing, "w1", first, "a\nb\n")
    try submit(landing, "w2", "\(parent).2", "a\nb\nc\nd\ne\n")
    // w3's fails the gate (which refuses a top-level .txt file saying BAD).
    try submit(landing, "w3", "\(parent).3", "BAD\n", file: "bad.txt")
    let before = try landing.main()
    let landed = try landing.land()
    #expect(landed.status == 0, "\(landed.stderr)")
    // Three trials; the winner lands on the merge its trial gated, not gated again.
    #expect(try landed.json()["gateRuns"]?.intValue == 3, "\(landed.stdout)")
    #expect(try landed.json()["waiting"]?.arrayValue?.isEmpty == true, "the closed attempts wait no more")
    #expect(
      try landed.json()["landed"]?.arrayValue?.map { $0["id"]?.stringValue } == ["\(parent).2"], "\(landed.stdout)")
    #expect(try landing.repo.git("show", "main:parser/w2.txt") == "a\nb\nc\nd\ne")
    #expect(
      try landing.repo.git("ls-tree", "--name-only", "main", "parser/").split(separator: "\n") == ["parser/w2.txt"])
    #expect(try landing.main() != before)

    let detail = try show(landing, parent)
    #expect(detail["issue"]?["status"] == .string("done"))
    #expect(detail["issue"]?["vote"]?["winner"] == .string("\(parent).2"))
    let attempts = detail["bestOf"]?["attempts"]?.arrayValue ?? []
    #expect(attempts.map { $0["trial"]?["score"]?.intValue } == [2, 5, nil], "\(attempts)")
    #expect(attempts.map { $0["trial"]?["passed"]?.boolValue } == [true, true, false])
    #expect(attempts.allSatisfy { $0["status"] == .string("done") })
    #expect(attempts[0]["result"]?.stringValue?.hasPrefix("Not chosen: #\(parent).2 (w2) won the vote") == true)
    #expect(try show(landing, "\(parent).2")["issue"]?["landing"]?["baseAfter"] != nil)
    let text = try landing.repo.ghp(["issue", "show", parent]).stdout
    #expect(text.contains("vote by score") && text.contains("failed: `./gate.sh` exited 1"), "\(text)")
    #expect(text.contains("#\(parent).2 *"), "the winner is marked: \(text)")
    // The losers' agents hold nothing now; the record verifies.
    let status = try landing.repo.ghp(["agent-status", "--json"]).json()["agents"]
    #expect(status?["w1"]?["issue"] == .null && status?["w3"]?["issue"] == .null, "\(String(describing: status))")
    let verified = try landing.repo.ghp(["verify"])
    #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
  }

  /// The lead chooses: only among attempts that passed, never one it made, and a worker may not.
  /// A tie in a vote by reviewers goes to the attempt submitted first; a voter votes once; an
  /// author's forged ballot made with plain git is found by verify.
  @Test func theLeadChoosesAndReviewersVoteWithTiesToTheFirstSubmitted() throws {
    let landing = try team(["w1", "w2"])
    #expect(try landing.lead("issue", "add", "Pick one", "--attempts", "2", "--vote", "lead").status == 0)
    #expect(try attempt(landing, "w1", "one\n") == "1.1")
    let whole = try landing.lead("vote", "for", "1")
    #expect(whole.status == 3 && whole.stderr.contains("vote for one of its attempts (#1.1, #1.2)"), "\(whole.stderr)")
    let early = try landing.lead("vote", "for", "1.1")
    #expect(early.status == 3 && early.stderr.contains("no candidate"), "\(early.stderr)")
    #expect(try attempt(landing, "w2", "one\ntwo\n") == "1.2")
    let gated = try landing.land()
    let gatedLanded = try gated.json()["landed"]?.arrayValue
    #expect(gated.status == 0 && gatedLanded?.isEmpty == true, "\(gated.stdout)")
    let status = try landing.repo.ghp(["status"]).stdout
    #expect(status.contains("Votes (`ghp vote show ID`):\n  #1: the lead chooses among #1.1, #1.2"), "\(status)")
    let worker = try landing.repo.ghp(["vote", "for", "1.2"], agent: "w1")
    #expect(worker.status == 3, "\(worker.stderr)")
    // The lead chooses on the page: the Votes panel offers each attempt that passed; the choice
    // needs the page's token.
    let token = "vote-test-token-0123456789"
    let server = try ProcessRunner.start(
      GHPBinary.path, ["serve", "--port", "0", "--agent", "lead"], in: landing.repo.path,
      environment: ["GHP_SERVE_TOKEN": token])
    defer { kill(server.pid, SIGTERM) }
    let port = try #require(server.firstLine().split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) })
    func post(_ path: String, _ body: String, token: String?) throws -> (Int, String) {
      let script = """
        import sys, urllib.request, urllib.error
        headers = {"Content-Type": "application/json"}
        if sys.argv[2]: headers["Authorization"] = "Bearer " + sys.argv[2]
        request = urllib.request.Request("http://127.0.0.1:\(port)" + sys.argv[1], data=sys.argv[3].encode(), method="POST", headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=30); print(response.status); print(response.read().decode())
        except urllib.error.HTTPError as error:
            print(error.code); print(error.read().decode())
        """
      let result = try ProcessRunner.run(
        "/usr/bin/env", ["python3", "-c", script, path, token ?? "", body], in: landing.repo.path)
      let lines = result.stdout.split(separator: "\n", maxSplits: 1).map(String.init)
      return (Int(lines.first ?? "") ?? -1, lines.count > 1 ? lines[1] : "")
    }
    let page = try ProcessRunner.run(
      "/usr/bin/env",
      [
        "python3", "-c",
        "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:\(port)/').read().decode())",
      ],
      in: landing.repo.path
    ).stdout
    #expect(
      page.contains("id=\"vote-1\"") && page.contains("data-id=\"1.1\"") && page.contains("data-id=\"1.2\""),
      "\(page.count)")
    #expect(try post("/api/votes/1.1", #"{"note":"shorter"}"#, token: nil).0 == 401, "a ballot without the token")
    let (chosen, answer) = try post("/api/votes/1.1", #"{"note":"shorter"}"#, token: token)
    #expect(chosen == 200 && answer.contains("#1.1 wins"), "\(answer)")
    let again = try landing.land()
    #expect(try again.json()["landed"]?.arrayValue?.map { $0["id"]?.stringValue } == ["1.1"], "\(again.stdout)")
    #expect(try show(landing, "1")["issue"]?["status"] == .string("done"))

    // By reviewers: two ballots, one each way; the first submitted wins the tie.
    #expect(try landing.lead("agent", "add", "rev1", "--role", "reviewer").status == 0)
    #expect(try landing.lead("agent", "add", "rev2", "--role", "reviewer").status == 0)
    #expect(try landing.lead("config", "set", "landing.voters", "2").status == 0)
    for agent in ["w1", "w2"] { #expect(try landing.team.git(agent, "merge", "-q", "main").status == 0) }
    #expect(try landing.lead("issue", "add", "Tie", "--attempts", "2", "--vote", "review").status == 0)
    #expect(try attempt(landing, "w2", "x\n") == "2.1")
    #expect(try attempt(landing, "w1", "y\n") == "2.2")
    #expect(try landing.land().status == 0)
    #expect(try landing.repo.ghp(["vote", "for", "2.2"], agent: "rev1").status == 0)
    let twice = try landing.repo.ghp(["vote", "for", "2.1"], agent: "rev1")
    #expect(twice.status == 3 && twice.stderr.contains("voted on #2 already"), "\(twice.stderr)")

    // w1, whose attempt is 2.2, casts the deciding ballot with plain git, spelled as ghp would.
    let path = ".ghp/issues/02/2.json"
    let document = try landing.repo.stateFile(path)
    let forgedBallot = document.replacingOccurrences(
      of: "\"ballots\": [",
      with: "\"ballots\": [\n      {\"at\": \"2026-01-01T00:00:00Z\", \"by\": \"w1\", \"choice\": \"2.2\"},")
    #expect(forgedBallot != document)
    let before = try landing.repo.git("rev-parse", "ghp/state")
    let forged = try landing.repo.forge(
      [path: forgedBallot],
      message: """
        w1: vote for #2.2 of #2 Tie

        Ghp-Op: vote
        Ghp-Agent: w1
        Ghp-Issue: 2
        Ghp-Operation: {"args":{"attempt":"2.2"},"op":"vote","v":1}
        """, author: "w1")
    let verified = try landing.repo.ghp(["verify", "--json"])
    #expect(verified.status == 1)
    let findings = try verified.json()["findings"]?.arrayValue ?? []
    #expect(findings.first?["commit"] == .string(forged), "\(findings)")
    #expect(findings.first?["problem"]?.stringValue?.contains("it makes one of its attempts") == true, "\(findings)")
    try landing.repo.git("update-ref", "refs/heads/ghp/state", before)

    let second = try landing.repo.ghp(["vote", "for", "2.1"], agent: "rev2")
    #expect(second.status == 0 && second.stdout.contains("#2.1 wins"), "\(second.stdout)\(second.stderr)")
    #expect(
      try show(landing, "2")["issue"]?["vote"]?["reason"]?.stringValue?.contains("submitted first") == true)
    let tie = try landing.land()
    #expect(try tie.json()["landed"]?.arrayValue?.map { $0["id"]?.stringValue } == ["2.1"], "\(tie.stdout)")
    #expect(try landing.repo.ghp(["verify"]).status == 0)
  }

  /// An attempt that rewrites the score command to score itself high is judged by the edit rules
  /// before any of its code runs: it goes back to its agent, and never scores.
  @Test func anAttemptThatRewritesItsScoreIsSentBack() throws {
    let landing = try team(["w1", "w2"])
    #expect(try landing.lead("issue", "add", "Honest", "--attempts", "2").status == 0)
    #expect(try attempt(landing, "w1", "a\nb\nc\n") == "1.1")
    // w2 writes one line, and a score.sh that says 1000, as an agent would with plain git.
    let tree = landing.team.worktrees["w2"]!
    #expect(try landing.team.ghp("w2", "claim", "--next").status == 0)
    try FileManager.default.createDirectory(atPath: tree + "/parser", withIntermediateDirectories: true)
    try "x\n".write(toFile: tree + "/parser/w2.txt", atomically: true, encoding: .utf8)
    try "#!/bin/sh\necho 1000\n".write(toFile: tree + "/score.sh", atomically: true, encoding: .utf8)
    #expect(try landing.team.git("w2", "add", "-A").status == 0)
    #expect(try landing.team.git("w2", "commit", "-qm", "parser", "--no-verify").status == 0)
    #expect(try landing.team.ghp("w2", "done", "1.2", "--result", "fast").status == 0)
    let landed = try landing.land()
    let bounced = try landed.json()["bounced"]?.arrayValue ?? []
    #expect(bounced.map { $0["id"]?.stringValue } == ["1.2"], "\(landed.stdout)")
    #expect(bounced.first?["bounced"]?["kind"] == .string("policy"))
    #expect(try show(landing, "1.2")["issue"]?["trial"] == nil)
    #expect(try show(landing, "1")["issue"]?["vote"]?["winner"] == .null)
  }

  /// When every attempt is in and none passed its gate, each goes back to its agent as a failed
  /// gate does; fixed and submitted again, the vote goes on.
  @Test func whenNoAttemptPassesEachGoesBackToItsAgent() throws {
    let landing = try team(["w1", "w2"])
    #expect(try landing.lead("issue", "add", "Both bad", "--attempts", "2").status == 0)
    #expect(try attempt(landing, "w1", "BAD\n", file: "one.txt") == "1.1")
    let first = try landing.land()
    #expect(try first.json()["bounced"]?.arrayValue?.isEmpty == true, "w2's attempt is not in yet: \(first.stdout)")
    #expect(try attempt(landing, "w2", "BAD\n", file: "two.txt") == "1.2")
    let second = try landing.land()
    let bounced = try second.json()["bounced"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
    #expect(Set(bounced ?? []) == ["1.1", "1.2"], "\(second.stdout)")
    for (id, agent) in [("1.1", "w1"), ("1.2", "w2")] {
      let issue = try show(landing, id)["issue"]
      #expect(issue?["status"] == .string("claimed") && issue?["assignee"] == .string(agent))
      #expect(issue?["bounced"]?["kind"] == .string("gate"))
    }
    // w2 fixes its attempt: the only one in that passed, it wins once w1's is in again.
    #expect(try landing.team.commit("w2", "two.txt", "good\n", "fix").status == 0)
    #expect(try landing.team.ghp("w2", "done", "1.2", "--result", "fixed").status == 0)
    #expect(try landing.land().status == 0)
    #expect(try show(landing, "1")["issue"]?["vote"]?["winner"] == .null, "w1's attempt is not in")
    #expect(try landing.team.ghp("w1", "done", "1.1", "--result", "as it is").status == 0)
    let last = try landing.land()
    #expect(try last.json()["landed"]?.arrayValue?.map { $0["id"]?.stringValue } == ["1.2"], "\(last.stdout)")
    #expect(try landing.repo.ghp(["verify"]).status == 0)
  }

  /// The vote chooses an attempt as it was: a winner taken back and changed no longer wins (its
  /// choice lapses, and the attempts decide again), and a reviewer's ballot for a tip that
  /// changed no longer counts. An attempt given up last still lets the vote decide.
  @Test func theVoteChoosesAnAttemptAsItWas() throws {
    let landing = try team(["w1", "w2", "w3"])
    #expect(try landing.lead("issue", "add", "Chosen as it was", "--attempts", "2", "--vote", "lead").status == 0)
    #expect(try attempt(landing, "w1", "a\n") == "1.1")
    #expect(try attempt(landing, "w2", "a\nb\n") == "1.2")
    #expect(try landing.land().status == 0)
    #expect(try landing.lead("vote", "for", "1.2").status == 0)
    // w2 takes its winning attempt back and changes it: the choice lapses, nothing of it lands.
    #expect(try landing.team.ghp("w2", "claim", "1.2").status == 0)
    #expect(try landing.team.commit("w2", "parser/w2.txt", "something else\n", "changed").status == 0)
    #expect(try landing.team.ghp("w2", "done", "1.2", "--result", "changed").status == 0)
    let before = try landing.main()
    let lapsed = try landing.land()
    #expect(try lapsed.json()["landed"]?.arrayValue?.isEmpty == true, "\(lapsed.stdout)")
    #expect(try landing.main() == before)
    let reopened = try landing.repo.ghp(["vote", "show", "1", "--json"]).json()
    let standing = reopened["standing"]?.stringValue ?? ""
    #expect(standing.contains("the lead chooses among #1.1, #1.2"), "\(standing)")
    // The lead's ballot was for the attempt as it was: listed, no longer counted.
    #expect(reopened["attempts"]?.arrayValue?.map { $0["ballots"]?.intValue } == [0, 0], "\(reopened)")
    let shown = try landing.repo.ghp(["vote", "show", "1"]).stdout
    #expect(shown.contains("lead voted for #1.2 at") && shown.contains("(no longer counts)"), "\(shown)")
    // The lead chooses again, the attempt as it is now, and it lands.
    #expect(try landing.lead("vote", "for", "1.2").status == 0)
    let landed = try landing.land()
    #expect(try landed.json()["landed"]?.arrayValue?.map { $0["id"]?.stringValue } == ["1.2"], "\(landed.stdout)")
    #expect(try landing.repo.git("show", "main:parser/w2.txt") == "something else")
    // w1 is told its attempt lost, and where to start its next issue.
    let told = try landing.team.ghp("w1", "agent-heartbeat", "--action", "reading")
    #expect(told.stderr.contains("#1.1 is closed: Not chosen: #1.2 (w2) won the vote"), "\(told.stderr)")

    // By score: w3 gives its attempt up (it dies) after the other two are gated; the next
    // landing run decides among the others.
    #expect(try landing.lead("config", "set", "maxAttempts", "1").status == 0)
    for agent in ["w1", "w2", "w3"] { #expect(try landing.team.git(agent, "merge", "-q", "main").status == 0) }
    #expect(try landing.lead("issue", "add", "Given up", "--attempts", "3").status == 0)
    #expect(try attempt(landing, "w1", "a\nb\nc\n") == "2.1")
    #expect(try attempt(landing, "w2", "a\n") == "2.2")
    #expect(try claim(landing, "w3") == "2.3")
    // w3 hands its attempt to w1, which makes another of them: refused.
    let handoff = try landing.team.ghp("w3", "agent-handoff", "--issue", "2.3", "--to", "w1")
    #expect(handoff.status == 3 && handoff.stderr.contains("attempts are independent"), "\(handoff.stderr)")
    #expect(try landing.land().status == 0)
    #expect(try landing.team.ghp("w3", "fail", "2.3", "--reason", "cannot").status == 0)
    let decided = try landing.land()
    #expect(try decided.json()["landed"]?.arrayValue?.map { $0["id"]?.stringValue } == ["2.1"], "\(decided.stdout)")
    let reason = try show(landing, "2")["issue"]?["vote"]?["reason"]?.stringValue ?? ""
    #expect(reason.contains("#2.3 was given up"), "\(reason)")
    #expect(try landing.repo.ghp(["verify"]).status == 0)
  }

  /// Editing the issue edits its attempts; an attempt is not edited on its own.
  @Test func anEditOfTheIssueReachesItsAttempts() throws {
    let landing = try team(["w1"])
    #expect(try landing.lead("issue", "add", "Before", "--attempts", "2").status == 0)
    #expect(try landing.lead("issue", "add", "Edited", "--attempts", "2").status == 0)
    let edited = try landing.lead("issue", "edit", "2", "--title", "Renamed", "--after", "1", "--scope", "docs/**")
    #expect(edited.status == 0, "\(edited.stderr)")
    for id in ["2.1", "2.2"] {
      let issue = try show(landing, id)["issue"]
      #expect(issue?["title"]?.stringValue?.hasPrefix("Renamed (attempt ") == true)
      #expect(issue?["dependencies"] == .array([.int(1)]) && issue?["scope"] == .array([.string("docs/**")]))
    }
    let ready = try landing.repo.ghp(["ready", "--json"]).json()["issues"]?.arrayValue?.compactMap {
      $0["id"]?.stringValue
    }
    #expect(ready == ["1.1", "1.2"], "#2's attempts wait for #1 now: \(String(describing: ready))")
    let alone = try landing.lead("issue", "edit", "2.1", "-p", "1")
    #expect(alone.status == 3 && alone.stderr.contains("edit #2 and its attempts change with it"), "\(alone.stderr)")
  }
}
