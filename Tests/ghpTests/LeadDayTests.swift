import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// What a lead met in a day with three agents, each a test that failed first.
@Suite struct LeadDayTests {
  @Test("plan set keeps the goal init gave, unless the new plan says one of its own")
  func planSetKeepsTheGoal() throws {
    let repo = try ScratchRepository()
    #expect(try repo.inProcess(["init", "--goal", "Build a REST API"], agent: "lead").status == 0)
    try repo.write("plan.md", "# Plan\n\n1. Users\n2. Login\n")
    #expect(try repo.inProcess(["plan", "set", "plan.md"], agent: "lead").status == 0)
    let plan = try repo.inProcess(["plan", "show"]).stdout
    #expect(plan.contains("Goal: Build a REST API") && plan.contains("1. Users"), "\(plan)")
    #expect(try repo.inProcess(["status"]).stdout.contains("Build a REST API"))
    // A plan with a goal of its own sets that goal.
    try repo.write("plan.md", "Goal: Ship the API\n\n1. Users\n")
    #expect(try repo.inProcess(["plan", "set", "plan.md"], agent: "lead").status == 0)
    let second = try repo.inProcess(["plan", "show"]).stdout
    #expect(second.contains("Goal: Ship the API") && !second.contains("REST"), "\(second)")
    #expect(try repo.inProcess(["verify"]).status == 0)
  }
}

extension LeadDayTests {
  @Test("an idle worker is never stale, reap asks nobody about it, and a release closes an older reap's question")
  func idleWorkersAreNotStale() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    let now = Int64(Date().timeIntervalSince1970)
    let t0 = ["GHP_NOW": RFC3339.format(now + 60)]
    let later = ["GHP_NOW": RFC3339.format(now + 3600)]
    for agent in ["idle", "busy"] {
      #expect(try repo.inProcess(["agent", "add", agent], agent: "lead", environment: t0).status == 0)
    }
    #expect(try repo.inProcess(["claim", "1"], agent: "busy", environment: t0).status == 0)
    let table = try repo.inProcess(["agent-status", "--json"], agent: "lead", environment: later).json()
    #expect(table["agents"]?["idle"]?["stale"] == .bool(false), "\(table.compact())")
    #expect(table["agents"]?["busy"]?["stale"] == .bool(true), "\(table.compact())")
    let reap = try repo.inProcess(["reap", "--json"], agent: "lead", environment: later)
    #expect(reap.status == 0, "\(reap.stderr)")
    let asked =
      try repo.inProcess(["escalations", "--json"], agent: "lead", environment: later).json()["escalations"]?.arrayValue
      ?? []
    #expect(asked.count == 1 && asked[0]["about"]?.stringValue == "busy", "\(asked)")

    // A reap of an older ghp asked about the idle worker: a release closes that question.
    let workspace = try Workspace(path: repo.path, agent: "lead", environment: later)
    var older = ReapOperation(policy: .escalate)
    older.skipsIdle = false
    try workspace.run(older)
    let open = { () throws -> [JSON] in
      (try repo.inProcess(["escalations", "--json"], agent: "lead", environment: later).json()["escalations"]?
        .arrayValue ?? [])
        .filter { $0["status"]?.stringValue == "open" }
    }
    #expect(try open().contains { $0["about"]?.stringValue == "idle" })
    #expect(try repo.inProcess(["reap", "--release"], agent: "lead", environment: later).status == 0)
    let left = try open()
    #expect(left.isEmpty, "\(left)")
    let verified = try repo.inProcess(["verify"])
    #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
  }
}

extension LeadDayTests {
  @Test("prompt --agent names another agent in a worktree bound to one: refused, as every command there")
  func promptRefusesAForeignAgent() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    for agent in ["worker-2", "worker-3"] {
      #expect(try repo.ghp(["agent", "add", agent], agent: "lead").status == 0)
    }
    let worktree = repo.worktree("worker-3")
    let foreign = try repo.ghp(["prompt", "worker", "--agent", "worker-2"], in: worktree)
    #expect(foreign.status != 0 && foreign.stdout.isEmpty, "\(foreign.stdout)")
    #expect(foreign.stderr.contains("worker-3's worktree"), "\(foreign.stderr)")
    let own = try repo.ghp(["prompt", "worker"], in: worktree)
    #expect(own.status == 0 && own.stdout.contains("GHP_AGENT=worker-3"), "\(own.stdout)")
  }
}

extension LeadDayTests {
  @Test("did-you-mean at every level, help of a command that is not one, and not initialised said first")
  func likeGitAndGh() throws {
    let repo = try ScratchRepository()
    for (words, expected) in [
      (["issue", "lst"], "'lst' is not a subcommand of `ghp issue`. Did you mean `ghp issue list`?"),
      (["config", "gett", "x"], "Did you mean `ghp config get`?"),
      (["help", "nonexist"], "'nonexist' is not a ghp command."),
      (["isue", "add", "x"], "Did you mean `ghp issue`?"),
    ] {
      let result = try repo.ghp(words)
      #expect(result.status == 2 && result.stderr.contains(expected), "\(words): \(result.stderr)")
      #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }
    #expect(try repo.ghp(["help", "issue"]).stdout.contains("OVERVIEW"))
    // Before init, nobody can act: the first thing to run is said, not "who is acting?".
    let early = try repo.ghp(["issue", "add", "x"])
    #expect(early.status != 0 && early.stderr.contains("not initialised"), "\(early.stderr)")
    // Agent names: a mistyped one is answered with the registered names it is close to.
    try repo.initialise(issues: 1)
    try repo.inProcess("agent", "add", "worker-1", agent: "lead")
    for (words, code) in [
      (["assign", "1", "worker-l"], Int32(2)), (["agent", "remove", "worker1"], 2),
      (["log", "--author", "workr-1"], 0),
      (["approve", "worker_1", "README.md"], 2),
    ] {
      let result = try repo.ghp(words, agent: "lead")
      #expect(
        result.status == code && result.stderr.contains("did you mean worker-1?"), "\(words): \(result.stderr)")
    }
  }
}

extension LeadDayTests {
  @Test("agents' worktrees go in one folder beside the repository, and agent add says where")
  func worktreesGoInOneFolder() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    for agent in ["w1", "w2"] {
      let added = try repo.ghp(["agent", "add", agent], agent: "lead")
      #expect(added.status == 0 && added.stdout.contains("in \(repo.worktree(agent))"), "\(added.stdout)")
      #expect(FileManager.default.fileExists(atPath: repo.worktree(agent) + "/.git"))
    }
    let parent = repo.root.deletingLastPathComponent().path
    let beside = try FileManager.default.contentsOfDirectory(atPath: parent).sorted()
    #expect(beside == ["repo", "repo.worktrees"], "\(beside)")
    // A root set in the policy keeps the older layout, for repositories that rely on it.
    #expect(try repo.ghp(["config", "set", "worktreeRoot", "\"..\""], agent: "lead").status == 0)
    #expect(try repo.ghp(["agent", "add", "w3"], agent: "lead").stdout.contains("in \(parent)/repo-w3"))
  }
}

extension LeadDayTests {
  /// As the completion scripts ask (`ghp ---completion SUBCOMMAND -- ARGUMENT …words`): ids from the
  /// state, by what the command takes, agents, operations.
  @Test("completions offer the issue ids a command takes, the agents, the operations")
  func completionsComeFromTheState() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 3)
    #expect(try repo.ghp(["agent", "add", "w1"], agent: "lead").status == 0)
    #expect(try repo.ghp(["claim", "2"], agent: "w1").status == 0)
    func complete(_ words: [String]) throws -> [String] {
      let result = try repo.ghp(words)
      #expect(result.status == 0, "\(words): \(result.stderr)")
      return result.stdout.split(separator: "\n").map(String.init)
    }
    #expect(
      try complete(["---completion", "claim", "--", "positional@0", "2", "0", "ghp", "claim", ""]) == ["1", "3"])
    #expect(try complete(["---completion", "done", "--", "positional@0", "2", "0", "ghp", "done", ""]) == ["2"])
    #expect(
      try complete(["---completion", "assign", "--", "positional@1", "3", "0", "ghp", "assign", "1", ""]) == [
        "lead", "w1",
      ])
    #expect(try complete(["---completion", "log", "--", "--op", "3", "0", "ghp", "log", "--op", ""]).contains("claim"))
  }
}
