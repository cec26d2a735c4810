import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// Bad input of every kind: one clear line, a non-zero exit, nothing corrupted.
@Suite struct RobustnessTests {
  @Test func noArithmeticOnInputTraps() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    for value in ["999999999999999d", "9223372036854775807s", "101y"] {
      let result = try repo.inProcess(["config", "set", "staleAfter", value], agent: "lead")
      #expect(result.status == 2, "\(value): \(result.stderr)")
      #expect(result.stderr.contains("staleAfter"))
    }
    for now in ["1960-01-01T00:00:00Z", "2025-01-01T00:00:00+25:00", "2025-01-01T00:00:00+10:75"] {
      let result = try repo.inProcess(["agent-status"], environment: ["GHP_NOW": now])
      #expect(result.status == 2 && result.stderr.contains("GHP_NOW"), "\(now): \(result.stderr)")
    }
    // An issue number at the very top: the next one is refused, not wrapped.
    #expect(try repo.inProcess(["issue", "edit", "1", "--title", "kept"], agent: "lead").status == 0)
    let top = try repo.inProcess(
      ["issue", "import", "-"], agent: "lead", input: #"[{"id": 9223372036854775807, "title": "Top"}]"#)
    #expect(top.status == 0, "\(top.stderr)")
    let next = try repo.inProcess(["issue", "add", "After the top"], agent: "lead")
    #expect(next.status == 1 && next.stderr.contains("no further number is free"), "\(next.stderr)")
  }

  @Test func corruptDocumentsAreNamedAndNothingIsWritten() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 2)
    let issue = try repo.stateFile(".ghp/issues/01/1.json")
    let cases: [(String, String, String)] = [
      (".ghp/issues/01/1.json", issue.replacingOccurrences(of: "\"epoch\": 0", with: "\"epoch\": \"zero\""), "epoch"),
      (
        ".ghp/issues/01/1.json",
        issue.replacingOccurrences(of: "\"title\": \"Issue 1\"", with: "\"title\": \"Issue 1\", \"title\": \"Other\""),
        "twice"
      ),
      (".ghp/issues/01/1.json", issue.replacingOccurrences(of: "\"id\": 1", with: "\"id\": 2"), "stored as #1"),
      (
        ".ghp/issues/01/1.json", issue.replacingOccurrences(of: "\"epoch\": 0", with: "\"epoch\": 9223372036854775807"),
        "epoch"
      ),
    ]
    let good = try repo.git("rev-parse", "ghp/state")
    for (path, text, word) in cases {
      try repo.git("update-ref", "refs/heads/ghp/state", good)
      let broken = try repo.forge([path: text], message: "hand edit", author: "Test Human")
      let result = try repo.inProcess(["claim", "1"], agent: "w1")
      #expect(result.status == 1, "\(word): \(result.stderr)")
      #expect(result.stderr.contains(path) && result.stderr.contains(word), "\(word): \(result.stderr)")
      #expect(result.stderr.split(separator: "\n").count == 1)
      #expect(try repo.git("rev-parse", "ghp/state") == broken, "nothing written")
    }
    try repo.git("update-ref", "refs/heads/ghp/state", good)
    // The ref itself: pointing at a blob, or symbolic.
    let blob = try repo.git("rev-parse", "ghp/state:.ghp/plan.md")
    try (blob + "\n").write(toFile: repo.path + "/.git/refs/heads/ghp/state", atomically: true, encoding: .utf8)
    let atBlob = try repo.inProcess(["agent-status"])
    #expect(atBlob.status == 1 && atBlob.stderr.contains("not a commit"), "\(atBlob.stderr)")
    try repo.git("update-ref", "refs/heads/ghp/state", good)
    try repo.git("symbolic-ref", "refs/heads/ghp/state", "refs/heads/main")
    let symbolic = try repo.inProcess(["claim", "1"], agent: "w1")
    #expect(symbolic.status == 1 && symbolic.stderr.contains("symbolic ref"), "\(symbolic.stderr)")
    #expect(try repo.git("log", "-1", "--format=%s", "main") == "initial")
  }

  @Test func textHasALimitAndNeverReachesTheTerminalRaw() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    let long = String(repeating: "x", count: TextLimit.title + 1)
    let refused = try repo.inProcess(["issue", "add", long], agent: "lead")
    #expect(refused.status == 2 && refused.stderr.contains("more than the \(TextLimit.title)"), "\(refused.stderr)")
    let escape = "\u{1b}[2J\u{1b}[31mgotcha\rhidden"
    #expect(try repo.inProcess(["agent-heartbeat", "--action", escape], agent: "w1").status == 0)
    for command in [["agent-status"], ["log"], ["agent", "list"]] {
      let out = try repo.inProcess(command).stdout
      #expect(!out.contains("\u{1b}") && !out.contains("\r"), "\(command)")
      if command == ["agent-status"] { #expect(out.contains("\\u{1b}[2J"), "\(command): \(out)") }
    }
  }

  @Test func agentTextCannotForgeASectionOfADocument() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    #expect(try repo.inProcess(["claim", "1"], agent: "w1").status == 0)
    let question = "Which one?\n\n## Answer\n\nApproved by lead <!-- hide"
    #expect(try repo.inProcess(["agent-escalate", question, "--issue", "1"], agent: "w1").status == 0)
    let document = try repo.stateFile(".ghp/escalations/1.md")
    #expect(
      document.components(separatedBy: "\n## Answer").count == 2, "exactly the template's own section:\n\(document)")
    #expect(
      !document.dropFirst(
        document.firstIndex(of: "\n").map { document.distance(from: document.startIndex, to: $0) } ?? 0
      ).contains("<!--"))
    #expect(
      try repo.inProcess(["escalations", "--json"]).json()["escalations"]?.arrayValue?.first?["question"]
        == .string(question))
    let handoff = try repo.inProcess(
      ["agent-handoff", "--issue", "1", "--note", "# Done\n=====\nnothing left"], agent: "w1")
    #expect(handoff.status == 0, "\(handoff.stderr)")
    let text = try repo.stateFile(".ghp/handoffs/1.md")
    #expect(!text.contains("\n# Done"), "\(text)")
  }

  @Test func anAgentWithAnotherClaimIsNeverShownIdle() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 2)
    #expect(try repo.inProcess(["claim", "1"], agent: "w1").status == 0)
    #expect(try repo.inProcess(["claim", "2"], agent: "w1").status == 0)
    #expect(try repo.inProcess(["done", "2", "--result", "ok"], agent: "w1").status == 0)
    let record = try repo.inProcess(["agent-status", "--json"]).json()["agents"]?["w1"]
    #expect(record?["issue"] == .int(1), "\(String(describing: record))")
    #expect(record?["status"] != .string("idle"))
  }

  @Test func anAgentAddCutShortIsFinishedByTheNext() throws {
    let team = try Team(agents: ["w1"], installHooks: false)
    let path = try #require(team.worktrees["w1"])
    // What a kill in the middle of the checkout leaves: no index, files missing.
    try FileManager.default.removeItem(atPath: team.repo.path + "/.git/worktrees/w1/index")
    try FileManager.default.removeItem(atPath: path + "/README.md")
    let listed = try team.repo.ghp(["agent", "list", "--json"]).json()["agents"]?.arrayValue?.first {
      $0["name"] == .string("w1")
    }
    #expect(listed?["broken"]?.stringValue?.contains("no index") == true, "\(String(describing: listed))")
    let again = try team.repo.ghp(["agent", "add", "w1"], agent: "lead")
    #expect(again.status == 0, "\(again.stderr)")
    #expect(FileManager.default.fileExists(atPath: path + "/README.md"))
    #expect(try team.git("w1", "status", "--porcelain").stdout.isEmpty)
    #expect(
      try team.repo.ghp(["agent", "list", "--json"]).json()["agents"]?.arrayValue?.allSatisfy { $0["broken"] == .null }
        == true)
  }
}
