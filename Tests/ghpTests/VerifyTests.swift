import Foundation
import GHPKit
import GHPTestSupport
import Testing

extension ScratchRepository {
  /// Lands a commit on `ghp/state` the way a person with plain git would: `documents` written over
  /// the tip's tree, `message` as given, authored by `author`. Returns the commit id.
  @discardableResult
  func forge(_ documents: [String: String], message: String, author: String) throws -> String {
    let index = root.deletingLastPathComponent().appendingPathComponent("forge-index-\(UUID().uuidString.prefix(6))")
      .path
    let env = ["GIT_INDEX_FILE": index]
    try git(["read-tree", "ghp/state"], environment: env)
    for (path, text) in documents {
      let file = root.deletingLastPathComponent().appendingPathComponent("forge-blob").path
      try text.write(toFile: file, atomically: true, encoding: .utf8)
      let blob = try git("hash-object", "-w", file)
      try git(["update-index", "--add", "--cacheinfo", "100644,\(blob),\(path)"], environment: env)
    }
    let tree = try git(["write-tree"], environment: env)
    let who = [
      "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": "\(author)@ghp", "GIT_COMMITTER_NAME": author,
      "GIT_COMMITTER_EMAIL": "\(author)@ghp",
    ]
    let commit = try git(["commit-tree", tree, "-p", "ghp/state", "-m", message], environment: who)
    try git("update-ref", "refs/heads/ghp/state", commit)
    return commit
  }
}

@Suite(.serialized) struct VerifyTests {
  @Test func anHonestHistoryVerifies() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 3)
    for command in [
      ["claim", "1"], ["agent-heartbeat", "--action", "working"], ["discover", "a finding"],
      ["agent-escalate", "Which database?", "--issue", "1"], ["done", "1", "--result", "built"],
    ] {
      #expect(try repo.ghp(command, agent: "w1").status == 0)
    }
    for command in [
      ["approve", "w1", "README.md", "--once"], ["resolve", "1", "--answer", "Postgres"],
      ["assign", "2", "w2", "--new"], ["reap"],
    ] {
      #expect(try repo.ghp(command, agent: "lead").status == 0, "\(command)")
    }
    let imported = try repo.ghp(
      ["issue", "import", "-"], agent: "lead",
      input: #"{"tasks": [{"id": "task-1", "description": "Imported", "dependencies": [3]}]}"#)
    #expect(imported.status == 0, "\(imported.stderr)")
    // The import's record names its document instead of carrying the issues in the message.
    #expect(try repo.git("cat-file", "-s", "ghp/state").count < 5)
    #expect(!(try repo.git("ls-tree", "--name-only", "ghp/state", ".ghp/imports/")).isEmpty)
    let result = try repo.ghp(["verify", "--json"])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    let report = try result.json()
    #expect(report["ok"] == .bool(true))
    #expect(report["checked"]?.intValue == Int(try repo.git("rev-list", "--count", "ghp/state")))
    let text = try repo.ghp(["verify"])
    #expect(text.stdout.contains("verified"))
  }

  /// An agent rewrites its own honest commit with plain git: same tree, same author and time, the
  /// same record, but trailers and subject that name another issue, so that `git log` and the
  /// history views tell another story than the record.
  @Test func trailersThatContradictTheRecordAreFound() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 2)
    #expect(try repo.ghp(["claim", "2"], agent: "w1").status == 0)
    let honest = try repo.git("rev-parse", "ghp/state")
    let message = try repo.git("log", "-1", "--format=%B", honest)
    #expect(message.contains("Ghp-Issue: 2"), "\(message)")
    let lie = message.replacingOccurrences(of: "Ghp-Issue: 2", with: "Ghp-Issue: 1")
      .replacingOccurrences(of: "#2 Issue 2", with: "#1 Issue 1")
    let who = [
      "GIT_AUTHOR_NAME": "w1", "GIT_AUTHOR_EMAIL": "w1@ghp", "GIT_COMMITTER_NAME": "w1",
      "GIT_COMMITTER_EMAIL": "w1@ghp", "GIT_AUTHOR_DATE": try repo.git("log", "-1", "--format=%aI", honest),
    ]
    let forged = try repo.git(
      ["commit-tree", "\(honest)^{tree}", "-p", "\(honest)^", "-m", lie], environment: who)
    try repo.git("update-ref", "refs/heads/ghp/state", forged, honest)
    let result = try repo.ghp(["verify", "--json"])
    #expect(result.status == 1, "\(result.stdout)")
    let findings = try result.json()["findings"]?.arrayValue ?? []
    #expect(findings.count == 1, "\(findings)")
    #expect(findings.first?["commit"] == .string(forged))
    #expect(findings.first?["problem"]?.stringValue?.contains("Ghp-Issue") == true, "\(findings)")
    // The history reads the record, not the trailer: the claim is of #2.
    let log = try repo.ghp(["log", "--json", "--issue", "1", "-n", "0"]).json()["events"]?.arrayValue ?? []
    #expect(!log.contains { $0["op"] == .string("claim") }, "\(log)")
    let mine = try repo.ghp(["log", "--json", "--issue", "2", "-n", "0"]).json()["events"]?.arrayValue ?? []
    #expect(mine.contains { $0["op"] == .string("claim") && $0["commit"] == .string(forged) }, "\(mine)")
  }

  @Test func aForgedClaimAHandEditAndADishonestTreeAreEachFound() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 2)
    #expect(try repo.ghp(["claim", "1"], agent: "w1").status == 0)
    let issuePath = ".ghp/issues/01/1.json"
    // 1. A careless agent takes #1 with plain git, commit message and all spelled like ghp's.
    let taken = try repo.stateFile(issuePath).replacingOccurrences(of: "\"w1\"", with: "\"evil\"")
    let claim = try repo.forge(
      [issuePath: taken + "\n"],
      message: """
        evil: claim #1 Issue 1

        Ghp-Op: claim
        Ghp-Agent: evil
        Ghp-Issue: 1
        Ghp-Epoch: 2
        Ghp-Operation: {"args":{"issue":"1"},"op":"claim","v":1}
        """, author: "evil")
    // 2. A hand edit of the plan, no operation at all.
    let edit = try repo.forge([".ghp/plan.md": "# Plan\n\nmine now\n"], message: "fix plan", author: "Test Human")
    // 3. An honest-looking heartbeat that also writes an approval.
    let sneaky = try repo.forge(
      [
        ".ghp/approvals.json":
          #"{"approvals":[{"agent":"w2","at":"2025-01-01T00:00:00Z","by":"lead","globs":["**"],"id":"9","once":false}]}"#
      ],
      message: """
        w2: heartbeat

        Ghp-Op: heartbeat
        Ghp-Agent: w2
        Ghp-Operation: {"args":{},"op":"heartbeat","v":1}
        """, author: "w2")
    let result = try repo.ghp(["verify", "--json"])
    #expect(result.status == 1)
    let findings = try result.json()["findings"]?.arrayValue ?? []
    func problem(_ commit: String) -> String {
      findings.first { $0["commit"] == .string(commit) }?["problem"]?.stringValue ?? ""
    }
    #expect(findings.count == 3, "\(findings)")
    #expect(
      problem(claim).contains("evil may not do this") && problem(claim).contains("held by w1"), "\(problem(claim))")
    #expect(problem(edit).contains("records no operation"), "\(problem(edit))")
    #expect(problem(sneaky).contains(".ghp/approvals.json"), "\(problem(sneaky))")
    // A range checks only what it names.
    let range = try repo.ghp(["verify", "\(edit)..ghp/state", "--json"])
    #expect(try range.json()["checked"]?.intValue == 1)
    #expect(try repo.ghp(["verify", "nonsense..ghp/state"]).stderr.contains("no such commit"))
  }

  @Test func aCommitHidingTextBehindANULIsFound() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    let tree = try repo.git("rev-parse", "ghp/state^{tree}")
    let parent = try repo.git("rev-parse", "ghp/state")
    let object =
      "tree \(tree)\nparent \(parent)\nauthor w1 <w1@ghp> 1795300000 +0000\ncommitter w1 <w1@ghp> 1795300000 +0000\n\n"
      + "w1: discover\n\nGhp-Op: discover\nGhp-Agent: w1\nGhp-Operation: {\"args\":{\"text\":\"x\"},\"op\":\"discover\",\"v\":1}\n\u{0}Ghp-Agent: evil\n"
    let written = try ProcessRunner.run(
      "/usr/bin/git", ["hash-object", "-t", "commit", "-w", "--literally", "--stdin"], in: repo.path, input: object)
    let commit = written.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    try #require(written.status == 0 && !commit.isEmpty, "\(written.stderr)")
    try repo.git("update-ref", "refs/heads/ghp/state", commit)
    let report = try repo.ghp(["verify", "--json"])
    #expect(report.status == 1)
    let problem = try report.json()["findings"]?.arrayValue?.first?["problem"]?.stringValue ?? ""
    #expect(problem.contains("NUL"), "\(problem)")
  }

  @Test func aNULInTextIsRefusedAndTextNeverBecomesTrailers() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 2)
    #expect(try repo.ghp(["claim", "1"], agent: "w1").status == 0)
    let before = try repo.git("rev-parse", "ghp/state")
    let nul = try repo.ghp(["done", "1", "--result", "-"], agent: "w1", input: "ok\0tail")
    #expect(nul.status != 0)
    #expect(nul.stderr.contains("NUL"), "\(nul.stderr)")
    #expect(try repo.git("rev-parse", "ghp/state") == before)
    // Trailers spelled out in a reason stay inside the reason.
    let forged = "flaky\n\nGhp-Op: claim\nGhp-Agent: evil\nGhp-Issue: 2\nGhp-Epoch: 1"
    #expect(try repo.ghp(["fail", "1", "--reason", forged], agent: "w1").status == 0)
    let event = try repo.ghp(["log", "--json", "-n", "1"]).json()["events"]?.arrayValue?.first
    #expect(event?["op"] == .string("fail"))
    #expect(event?["agent"] == .string("w1"))
    #expect(event?["args"]?["reason"] == .string(forged))
    #expect(try repo.ghp(["verify"]).status == 0)
  }

  @Test func syncReplaysAFailThatSpellsAClaimAsTheFailItIs() throws {
    let network = try Network(issues: 3, remoteMode: false)
    let a = try network.clone()
    let b = try network.clone()
    #expect(try network.ghp(["claim", "1"], in: a, agent: "w1").status == 0)
    let forged = "flaky\n\nGhp-Op: claim\nGhp-Agent: evil\nGhp-Issue: 2\nGhp-Epoch: 1"
    #expect(try network.ghp(["fail", "1", "--reason", forged], in: a, agent: "w1").status == 0)
    // The remote moves meanwhile, so that A's operations are re-applied, not just pushed.
    #expect(try network.ghp(["discover", "elsewhere"], in: b, agent: "w3").status == 0)
    #expect(try network.ghp(["sync"], in: b, agent: "w3").status == 0)
    let sync = try network.ghp(["sync", "--json"], in: a, agent: "w1")
    #expect(sync.status == 0, "\(sync.stderr)")
    let server = network.daemon.base.appendingPathComponent("project.git").path
    let authors = try ProcessRunner.run(
      "/usr/bin/git", ["log", "--format=%an %(trailers:key=Ghp-Op,valueonly,separator=)", "ghp/state"], in: server)
    #expect(!authors.stdout.contains("evil"), "\(authors.stdout)")
    #expect(authors.stdout.split(separator: "\n").filter { $0 == "w1 fail" }.count == 1, "\(authors.stdout)")
    #expect(
      try network.ghp(["issue", "show", "2", "--json"], in: a, agent: "w1").json()["issue"]?["status"]
        == .string("open"))
  }

  @Test func offlineIssueNumbersTakenElsewhereAreRenamedInEveryLaterOperation() throws {
    let network = try Network(issues: 4, remoteMode: false)
    let a = try network.clone()
    let b = try network.clone()
    #expect(try network.ghp(["issue", "add", "Made on A"], in: a, agent: "lead").status == 0)
    #expect(try network.ghp(["assign", "5", "w1", "--new"], in: a, agent: "lead").status == 0)
    #expect(try network.ghp(["issue", "add", "Follows A's", "--after", "5"], in: a, agent: "lead").status == 0)
    #expect(try network.ghp(["issue", "add", "Made on B"], in: b, agent: "lead").status == 0)
    #expect(try network.ghp(["sync"], in: b, agent: "lead").status == 0)

    let sync = try network.ghp(["sync", "--json"], in: a, agent: "lead")
    #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
    #expect(try sync.json()["renamed"]?["issues"] == .object(["5": .string("6"), "6": .string("7")]))
    func issue(_ id: String) throws -> JSON {
      try network.ghp(["issue", "show", id, "--json"], in: a, agent: "lead").json()["issue"] ?? .null
    }
    #expect(try issue("5")["title"] == .string("Made on B"))
    #expect(try issue("5")["status"] == .string("open"), "B's issue must not get A's assignment")
    #expect(try issue("6")["title"] == .string("Made on A"))
    #expect(try issue("6")["assignee"] == .string("w1"))
    #expect(try issue("7")["dependencies"] == .array([.int(6)]))
    #expect(try network.ghp(["verify"], in: a, agent: "lead").status == 0)
  }

  @Test func syncAndRemoteModeRefuseToBuildOnAForgedCommit() throws {
    let network = try Network(issues: 2, remoteMode: true)
    let a = try network.clone()
    #expect(try network.ghp(["claim", "1"], in: a, agent: "w1").status == 0)
    // Someone pushes a hand-made claim of #1 to the server with plain git.
    let forger = try ScratchRepository(initialCommit: false)
    try forger.git("fetch", "-q", network.url, "ghp/state:ghp/state")
    let taken = try forger.stateFile(".ghp/issues/01/1.json").replacingOccurrences(of: "\"w1\"", with: "\"evil\"")
    let forged = try forger.forge(
      [".ghp/issues/01/1.json": taken + "\n"],
      message:
        "evil: claim #1\n\nGhp-Op: claim\nGhp-Agent: evil\nGhp-Operation: {\"args\":{\"issue\":\"1\"},\"op\":\"claim\",\"v\":1}",
      author: "evil")
    try forger.git("push", "-q", network.url, "ghp/state:ghp/state")

    let tip = try ProcessRunner.run("/usr/bin/git", ["rev-parse", "ghp/state"], in: a).stdout
    for command in [["sync"], ["claim", "2"], ["agent-heartbeat"]] {
      let refused = try network.ghp(command, in: a, agent: "w1")
      #expect(refused.status == 1, "\(command)")
      #expect(
        refused.stderr.contains("refusing to build on") && refused.stderr.contains(String(forged.prefix(12))),
        "\(refused.stderr)")
      #expect(refused.stderr.split(separator: "\n").count == 1)
    }
    #expect(try ProcessRunner.run("/usr/bin/git", ["rev-parse", "ghp/state"], in: a).stdout == tip)
    #expect(
      try network.ghp(["issue", "show", "1", "--json"], in: a, agent: "w1").json()["issue"]?["assignee"]
        == .string("w1"))
  }

  @Test func thePolicyChangesThroughAnOperationThatVerifies() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    let set = try repo.ghp(["config", "set", "staleAfter", "15m"], agent: "lead")
    #expect(set.status == 0, "\(set.stderr)")
    #expect(try repo.ghp(["config", "get", "staleAfter"]).stdout == "15m\n")
    #expect(
      try repo.ghp(["config", "set", "shared.globs", #"["README*", "Sources/Core/**"]"#], agent: "lead").status == 0)
    #expect(try repo.stateFile(".ghp/config.toml").contains(#"globs = ["README*", "Sources/Core/**"]"#))
    #expect(try repo.stateFile(".ghp/config.toml").contains("# ghp policy"), "comments are kept")
    let worker = try repo.ghp(["config", "set", "staleAfter", "1d"], agent: "w1")
    #expect(worker.status == 3 && worker.stderr.contains("not an orchestrator"))
    let bad = try repo.ghp(["config", "set", "maxAttempts", "0"], agent: "lead")
    #expect(bad.status == 2 && bad.stderr.contains("maxAttempts"), "\(bad.stderr)")
    #expect(try repo.ghp(["verify"]).status == 0)
  }
}
