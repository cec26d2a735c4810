import Foundation
import GHPKit
import GHPTestSupport
import Testing

private let t0 = ["GHP_NOW": "2025-01-25T10:00:00Z"]
private let t5 = ["GHP_NOW": "2025-01-25T10:05:00Z"]
private let t11 = ["GHP_NOW": "2025-01-25T10:11:30Z"]

/// A repository initialised at 10:00 with `issues` issues.
private func scratch(issues: Int) throws -> ScratchRepository {
  let repo = try ScratchRepository()
  #expect(
    try repo.ghp(
      ["init", "--goal", "Build a REST API", "--unknown-agents", "register"], agent: "lead", environment: t0
    ).status == 0)
  for number in 1...max(issues, 1) where issues > 0 {
    #expect(try repo.ghp(["issue", "add", "Issue \(number)"], agent: "lead", environment: t0).status == 0)
  }
  return repo
}

@Suite struct EscalationTests {
  @Test func theRoundTripFromQuestionToAnswer() throws {
    let repo = try scratch(issues: 1)
    try repo.inProcess(["claim", "1"], agent: "w1", environment: t0)
    let asked = try repo.inProcess(
      [
        "agent-escalate", "Two issues need Router.swift: which goes first?", "--issue", "1", "--severity", "high",
        "--context", "-",
      ],
      agent: "w1", environment: t0, input: "Both #1 and #2 edit it.")
    #expect(asked.status == 0, "\(asked.stderr)")
    let document = try repo.stateFile(".ghp/escalations/1.md")
    #expect(document.contains("Two issues need Router.swift"))
    #expect(document.contains("Both #1 and #2 edit it."))
    #expect(document.contains("ghp resolve 1 --answer"))

    // The human's inbox, and the status table with the open escalation on top.
    let inbox =
      try repo.inProcess(["escalations", "--open", "--json"], agent: "lead").json()["escalations"]?.arrayValue ?? []
    #expect(inbox.map { $0["severity"] } == [.string("high")])
    let table = try repo.inProcess(["agent-status"], environment: t0).stdout
    #expect(table.hasPrefix("OPEN ESCALATIONS"))
    #expect(table.contains("HIGH"))
    let status = try repo.inProcess(["agent-status", "--json"], environment: t0).json()
    #expect(status["agents"]?["w1"]?["status"] == .string("escalated"))
    #expect(status["openEscalations"]?.arrayValue?.count == 1)

    // Only an orchestrator answers, once.
    #expect(try repo.inProcess(["resolve", "1", "--answer", "me first"], agent: "w2").status == 3)
    let resolved = try repo.inProcess(
      ["resolve", "1", "--answer", "Do #1 first; #2 waits"], agent: "lead", environment: t5)
    #expect(resolved.status == 0)
    let again = try repo.inProcess(["resolve", "1", "--answer", "changed my mind"], agent: "lead")
    #expect(again.status == 3)
    #expect(again.stderr.contains("already resolved by lead"))
    #expect(try repo.stateFile(".ghp/escalations/1.md").contains("Do #1 first; #2 waits"))

    // The asker sees the answer: in its inbox, in agent-status, and once on its next report.
    let mine =
      try repo.inProcess(["escalations", "--mine", "--json"], agent: "w1").json()["escalations"]?.arrayValue ?? []
    #expect(mine.first?["answer"] == .string("Do #1 first; #2 waits"))
    #expect(mine.first?["answeredBy"] == .string("lead"))
    let waiting = try repo.inProcess(["agent-status", "--json"], environment: t5).json()
    #expect(waiting["agents"]?["w1"]?["answers"]?.arrayValue?.first?["id"] == .int(1))
    #expect(waiting["openEscalations"] == nil)
    let beat = try repo.inProcess(
      ["agent-heartbeat", "--status", "implementing"], agent: "w1", environment: ["GHP_NOW": "2025-01-25T10:06:00Z"])
    #expect(beat.status == 0)
    #expect(beat.stderr.contains("escalation 1 was answered by lead: Do #1 first"))
    let told = try repo.inProcess(["agent-status", "--json"], environment: ["GHP_NOW": "2025-01-25T10:07:00Z"]).json()
    #expect(told["agents"]?["w1"]?["answers"] == nil)
  }

  @Test func badInputWritesNothing() throws {
    let repo = try scratch(issues: 1)
    let tip = try repo.git("rev-parse", "ghp/state")
    #expect(try repo.inProcess(["agent-escalate", "  "], agent: "w1").status == 2)
    #expect(try repo.inProcess(["agent-escalate", "Q?", "--issue", "9"], agent: "w1").status == 2)
    #expect(try repo.inProcess(["agent-escalate", "Q?", "--severity", "urgent"], agent: "w1").status == 2)
    let unknown = try repo.inProcess(["resolve", "7", "--answer", "x"], agent: "lead")
    #expect(unknown.status == 2)
    #expect(unknown.stderr.contains("no escalation 7"))
    #expect(try repo.git("rev-parse", "ghp/state") == tip)
    try repo.inProcess(["agent-escalate", "Q?"], agent: "w1")
    #expect(try repo.inProcess(["resolve", "1", "--answer", " "], agent: "lead").status == 2)
  }

  @Test func aTemplateOnTheStateBranchOverridesTheDefault() throws {
    let repo = try scratch(issues: 0)
    // A person puts their own escalation template on ghp/state.
    let worktree = repo.root.deletingLastPathComponent().appendingPathComponent("state").path
    try repo.git("worktree", "add", "-q", worktree, "ghp/state")
    try FileManager.default.createDirectory(atPath: worktree + "/.ghp/templates", withIntermediateDirectories: true)
    try "CUSTOM {{severity}} question from {{agent}}: {{question}}\n".write(
      toFile: worktree + "/.ghp/templates/escalation.md", atomically: true, encoding: .utf8)
    #expect(try ProcessRunner.run("/usr/bin/git", ["add", "."], in: worktree).status == 0)
    #expect(
      try ProcessRunner.run("/usr/bin/git", ["commit", "-qm", "our escalation template"], in: worktree).status == 0)
    try repo.git("worktree", "remove", "--force", worktree)

    try repo.inProcess(["agent-escalate", "Which DB?", "--severity", "critical"], agent: "w1")
    let document = try repo.stateFile(".ghp/escalations/1.md")
    #expect(document.hasSuffix("CUSTOM critical question from w1: Which DB?"))
    // ghp still reads it back, whatever the template.
    #expect(
      try repo.inProcess(["escalations", "--json"]).json()["escalations"]?.arrayValue?.first?["question"]
        == .string("Which DB?"))
  }
}

@Suite struct HandoffTests {
  /// Issue 1 claimed by w1, whose branch agent/w1 (in its own worktree) has two commits and
  /// uncommitted work.
  func repoWithWork() throws -> (ScratchRepository, String) {
    let repo = try scratch(issues: 2)
    try repo.inProcess(["claim", "1"], agent: "w1", environment: t0)
    try repo.inProcess(["discover", "The router uses a trie"], agent: "w1", environment: t0)
    let worktree = repo.root.deletingLastPathComponent().appendingPathComponent("w1").path
    try repo.git("worktree", "add", "-q", "-b", "agent/w1", worktree, "main")
    let w1 = { (args: [String]) throws in
      let result = try ProcessRunner.run("/usr/bin/git", args, in: worktree)
      #expect(result.status == 0, "\(result.stderr)")
    }
    try FileManager.default.createDirectory(atPath: worktree + "/Sources/Core", withIntermediateDirectories: true)
    try "struct Router {}\n".write(toFile: worktree + "/Sources/Core/Router.swift", atomically: true, encoding: .utf8)
    try w1(["add", "."])
    try w1(["commit", "-qm", "Add the router skeleton"])
    try "// routes\n".write(toFile: worktree + "/Sources/Core/Routes.swift", atomically: true, encoding: .utf8)
    try w1(["add", "."])
    try w1(["commit", "-qm", "Add the route table"])
    try "half done\n".write(toFile: worktree + "/notes.txt", atomically: true, encoding: .utf8)
    return (repo, worktree)
  }

  @Test func theHandoffIsBuiltFromTheStateAndTheBranch() throws {
    let (repo, worktree) = try repoWithWork()
    let result = try repo.inProcess(
      ["agent-handoff", "--issue", "1", "--note", "Tests for the router remain", "--write", "handoff.md"], agent: "w1",
      environment: t5)
    #expect(result.status == 0, "\(result.stderr)")
    let document = result.stdout
    for expected in [
      "# Handoff of #1: Issue 1", "2 commit(s) ahead of `main`", "Add the router skeleton", "Add the route table",
      "`Sources/Core/Router.swift`", "`Sources/Core/Routes.swift`", "uncommitted work** in \(worktree)", "`notes.txt`",
      "The router uses a trie", "Tests for the router remain", "w1: claim #1 Issue 1",
    ] {
      #expect(document.contains(expected), "missing: \(expected)")
    }
    #expect(try repo.stateFile(".ghp/handoffs/1.md") + "\n" == document)
    #expect(try String(contentsOfFile: repo.path + "/handoff.md", encoding: .utf8) == document)
    // Without --to the claim stays where it was.
    #expect(try repo.inProcess(["issue", "show", "1", "--json"]).json()["issue"]?["assignee"] == .string("w1"))
    #expect(try repo.inProcess(["handoff", "show", "1"]).stdout == document)
  }

  @Test func toPassesTheClaimInTheSameCommit() throws {
    let (repo, worktree) = try repoWithWork()
    // Uncommitted work would stay behind (the giver could not commit it once the scope is the
    // receiver's): refused before anything changes, saying what to run.
    let tip = try repo.git("rev-parse", "ghp/state")
    let stranded = try repo.inProcess(["agent-handoff", "--issue", "1", "--to", "w3", "--new"], agent: "w1")
    #expect(stranded.status == 3, "\(stranded.stderr)")
    #expect(stranded.stderr.contains("notes.txt") && stranded.stderr.contains("commit it on agent/w1 first"))
    #expect(try repo.git("rev-parse", "ghp/state") == tip, "a refused handoff wrote")
    for arguments in [["add", "notes.txt"], ["commit", "-qm", "Notes"]] {
      #expect(try ProcessRunner.run("/usr/bin/git", arguments, in: worktree).status == 0)
    }
    let before = try repo.stateSubjects().count
    let result = try repo.inProcess(
      ["agent-handoff", "--issue", "1", "--to", "w3", "--new", "--json"], agent: "w1", environment: t5)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try repo.stateSubjects().count == before + 1)
    let issue = try repo.inProcess(["issue", "show", "1", "--json"]).json()["issue"]
    #expect(issue?["assignee"] == .string("w3"))
    #expect(issue?["epoch"] == .int(2))
    let status = try repo.inProcess(["agent-status", "--json"], environment: t5).json()
    #expect(status["agents"]?["w3"]?["handoffWaiting"] == .int(1))
    #expect(status["agents"]?["w3"]?["issue"] == .int(1))
    #expect(status["agents"]?["w1"]?["issue"] == .null)
    #expect(try repo.inProcess(["agent-status"], environment: t5).stdout.contains("w3: a handoff of #1 is waiting"))
    // The receiver is told once, on its next report.
    let beat = try repo.inProcess(["agent-heartbeat"], agent: "w3", environment: t5)
    #expect(beat.stderr.contains("a handoff of #1 is waiting for you"))
    #expect(
      try repo.inProcess(["agent-status", "--json"], environment: t5).json()["agents"]?["w3"]?["handoffWaiting"] == nil)
    // The giver no longer holds it.
    #expect(try repo.inProcess(["done", "1", "--result", "x"], agent: "w1").status == 3)
    #expect(try repo.inProcess(["claim-check", "1", "--epoch", "2"], agent: "w3").status == 0)
  }

  @Test func refusalsWriteNothing() throws {
    let (repo, _) = try repoWithWork()
    try repo.write("tracked.md", "keep me\n")
    try repo.git("add", "tracked.md")
    try repo.git("commit", "-qm", "tracked")
    let tip = try repo.git("rev-parse", "ghp/state")
    let notHeld = try repo.inProcess(["agent-handoff", "--issue", "2"], agent: "w1")
    #expect(notHeld.status == 3)
    let outside = try repo.inProcess(
      ["agent-handoff", "--issue", "1", "--write", "/tmp/elsewhere-\(UUID().uuidString).md"], agent: "w1")
    #expect(outside.status == 2)
    #expect(outside.stderr.contains("outside the repository"))
    let escape = try repo.inProcess(["agent-handoff", "--issue", "1", "--write", "../escape.md"], agent: "w1")
    #expect(escape.status == 2)
    let overTracked = try repo.inProcess(["agent-handoff", "--issue", "1", "--write", "tracked.md"], agent: "w1")
    #expect(overTracked.status == 2)
    #expect(overTracked.stderr.contains("--force"))
    #expect(try repo.git("rev-parse", "ghp/state") == tip)
    #expect(try String(contentsOfFile: repo.path + "/tracked.md", encoding: .utf8) == "keep me\n")
    let forced = try repo.inProcess(["agent-handoff", "--issue", "1", "--write", "tracked.md", "--force"], agent: "w1")
    #expect(forced.status == 0)
    #expect(try String(contentsOfFile: repo.path + "/tracked.md", encoding: .utf8).hasPrefix("# Handoff of #1"))
  }
}

@Suite struct ReapTests {
  /// w1 holds #1 and went silent at 10:00; w2 holds #2 and reported at 10:05; lead is an orchestrator.
  func staleScene() throws -> ScratchRepository {
    let repo = try scratch(issues: 2)
    try repo.inProcess(["claim", "1"], agent: "w1", environment: t0)
    try repo.inProcess(["claim", "2"], agent: "w2", environment: t5)
    return repo
  }

  @Test func escalatePolicyRaisesOneEscalationPerStaleAgent() throws {
    let repo = try staleScene()
    let dry = try repo.inProcess(["reap", "--dry-run", "--json"], agent: "lead", environment: t11)
    #expect(dry.status == 0)
    #expect(try dry.json()["agents"]?.arrayValue?.map { $0["agent"] } == [.string("w1")])
    #expect(try repo.inProcess(["escalations", "--json"]).json()["escalations"] == .array([]))

    #expect(try repo.inProcess(["reap"], agent: "lead", environment: t11).status == 0)
    let second = try repo.inProcess(["reap"], agent: "lead", environment: ["GHP_NOW": "2025-01-25T10:12:00Z"])
    #expect(second.stdout.contains("already escalated as 1"))
    let escalations = try repo.inProcess(["escalations", "--json"]).json()["escalations"]?.arrayValue ?? []
    #expect(escalations.count == 1)
    #expect(escalations.first?["about"] == .string("w1"))
    #expect(escalations.first?["question"]?.stringValue?.contains("holds #1") == true)
    // Escalating takes nothing away.
    #expect(try repo.inProcess(["claim-check", "1", "--epoch", "1"], agent: "w1").status == 0)
    #expect(try repo.inProcess(["reap"], agent: "w2", environment: t11).status == 3)
  }

  @Test func releasePolicyGivesClaimsBackAndTheReturningAgentIsTold() throws {
    let repo = try staleScene()
    #expect(try repo.inProcess(["claim-check", "1", "--epoch", "1"], agent: "w1").status == 0)
    let reaped = try repo.inProcess(["reap", "--release"], agent: "lead", environment: t11)
    #expect(reaped.status == 0, "\(reaped.stderr)")
    #expect(reaped.stdout.contains("w1: silent since 2025-01-25T10:00:00Z: released #1"))
    let tip = try repo.git("rev-parse", "ghp/state")
    #expect(try repo.inProcess(["reap", "--release"], agent: "lead", environment: t11).status == 0)
    #expect(try repo.git("rev-parse", "ghp/state") == tip, "a second reap changed nothing")

    let issue = try repo.inProcess(["issue", "show", "1", "--json"]).json()["issue"]
    #expect(issue?["status"] == .string("open"))
    #expect(issue?["epoch"] == .int(2))
    #expect(issue?["lastRelease"]?["by"] == .string("lead"))
    #expect(try repo.inProcess(["issue", "show", "2", "--json"]).json()["issue"]?["assignee"] == .string("w2"))

    // Fencing: the old epoch no longer holds.
    let check = try repo.inProcess(["claim-check", "1", "--epoch", "1"], agent: "w1")
    #expect(check.status == 3)
    #expect(check.stderr.contains("released by lead at 2025-01-25T10:11:30Z"))

    // Someone else takes it; the zombie comes back.
    try repo.inProcess(["claim", "1"], agent: "w4", environment: t11)
    let back = try repo.inProcess(
      ["agent-heartbeat", "--action", "I am back"], agent: "w1", environment: ["GHP_NOW": "2025-01-25T10:20:00Z"])
    #expect(back.status == 3)
    #expect(back.stderr.contains("your claim on #1 (epoch 1) was released by lead at 2025-01-25T10:11:30Z"))
    let done = try repo.inProcess(["done", "1", "--result", "stale work"], agent: "w1")
    #expect(done.status == 3)
    #expect(done.stderr.contains("now held by w4 (epoch 3)"))
    let reclaim = try repo.inProcess(["claim", "1"], agent: "w1")
    #expect(reclaim.status == 3)
    #expect(reclaim.stderr.contains("released by lead"))
    // Told once: the next heartbeat is an ordinary one.
    #expect(
      try repo.inProcess(["agent-heartbeat"], agent: "w1", environment: ["GHP_NOW": "2025-01-25T10:21:00Z"]).status == 0
    )
    #expect(try repo.inProcess(["claim-check", "1", "--epoch", "3"], agent: "w4").status == 0)
    #expect(try repo.inProcess(["claim-check", "1", "--epoch", "2"], agent: "w4").status == 3)
  }
}

@Suite struct TemplateTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  @Test func theEmbeddedTemplatesAreTheTopLevelFiles() throws {
    let folder = Self.root.appendingPathComponent("templates")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    #expect(files == Embedded.templates.keys.sorted(), "run scripts/embed")
    #expect(files == (Templates.names + Templates.pages).sorted())
    for file in files {
      let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
      #expect(Embedded.templates[file] == text, "templates/\(file) differs from the embedded copy: run scripts/embed")
    }
  }

  @Test func thePromptsTeachTheWholeLoop() throws {
    let repo = try scratch(issues: 0)
    let worker = try repo.inProcess(["prompt", "worker", "--agent", "worker-2"])
    #expect(worker.status == 0)
    for command in [
      "ghp claim --next", "ghp agent-heartbeat", "ghp discover", "ghp agent-escalate", "ghp agent-handoff", "ghp done",
      "ghp claim-check", "worker-2", "Build a REST API", "10m",
    ] {
      #expect(worker.stdout.contains(command), "worker prompt lacks \(command)")
    }
    // What to do on each exit code, the cadence from the policy, the rules an agent must not bend.
    for phrase in [
      "**3** refused", "you lost the claim", "**4** nothing is ready", "wait 3m and try again", "after 3 tries",
      "at least every 3m", "Never `git commit --no-verify`", "Commit your work first", "heartbeating while you wait",
      "ghp handoff show ID", "git merge agent/GIVER",
    ] {
      #expect(worker.stdout.contains(phrase), "worker prompt lacks \(phrase)")
    }
    // The cadence follows the policy: a third of staleAfter.
    #expect(try repo.inProcess(["config", "set", "staleAfter", "30m"], agent: "lead").status == 0)
    #expect(try repo.inProcess(["prompt", "worker", "--agent", "worker-2"]).stdout.contains("at least every 10m"))
    let leader = try repo.inProcess(["prompt", "leader"], agent: "lead")
    for command in [
      "ghp issue add", "ghp assign", "ghp resolve", "ghp reap", "ghp plan set", "ghp agent add", "ghp hooks install",
      "ghp approve", "ghp escalations", "ghp land", "ghp run", "ghp queue",
    ] {
      #expect(leader.stdout.contains(command), "leader prompt lacks \(command)")
    }
    // AGENTS.md is read by every agent of the repository: it names none of them.
    let agentsMD = try repo.inProcess(["prompt", "agents-md"], agent: "w9").stdout
    #expect(!agentsMD.contains("w9") && agentsMD.contains("ghp claim --next") && agentsMD.contains("--no-verify"))
  }
}
