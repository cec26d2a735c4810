import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// Each test is written as a careless agent (or a person with plain git) would act.
@Suite struct IdentityBindingTests {
  @Test func anAgentsWorktreeActsOnlyAsThatAgent() throws {
    let team = try Team(agents: ["w1"])
    let path = try #require(team.worktrees["w1"])
    let promote = try ProcessRunner.run(
      GHPBinary.path, ["agent", "add", "w1", "--role", "orchestrator"], in: path, environment: ["GHP_AGENT": "lead"])
    #expect(promote.status == 3)
    #expect(promote.stderr.contains("this is w1's worktree") && promote.stderr.contains("GHP_AGENT says lead"), "\(promote.stderr)")
    let flag = try ProcessRunner.run(GHPBinary.path, ["--agent", "lead", "issue", "add", "x"], in: path)
    #expect(flag.status == 3 && flag.stderr.contains("--agent says lead"))
    #expect(try team.repo.ghp(["agent-status", "--json"]).json()["agents"]?["w1"]?["role"] == .string("worker"))
    // Its own name is fine, given or not.
    #expect(try ProcessRunner.run(GHPBinary.path, ["agent-heartbeat"], in: path, environment: ["GHP_AGENT": "w1"]).status == 0)
  }

  @Test func anEmptyAgentNameIsRefusedNotReadAsNoName() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    let empty = try repo.ghp(["--agent", "", "issue", "add", "Sneaky"])
    #expect(empty.status != 0)
    #expect(empty.stderr.contains("invalid agent name ''"), "\(empty.stderr)")
    #expect(try repo.ghp(["issue", "list", "--json"]).json().arrayValue?.count == 1)
  }
}

@Suite struct FencingTests {
  @Test func aClaimTakenOnceStaysFencedAfterTheIssueChangesHandsAgain() throws {
    let team = try Team(agents: ["w1", "w2"])
    let remote = team.repo.root.deletingLastPathComponent().appendingPathComponent("remote.git").path
    try team.repo.git("init", "-q", "--bare", remote)
    try team.repo.git("remote", "add", "origin", remote)
    try team.repo.git("push", "-q", "origin", "main")
    try team.repo.ghp(["issue", "add", "Work"], agent: "lead")
    #expect(try team.ghp("w1", "claim", "1").status == 0)
    #expect(try team.commit("w1", "one.txt", "w1\n", "w1 under epoch 1").status == 0)
    #expect(try team.repo.ghp(["release", "1", "--reason", "silent"], agent: "lead").status == 0)
    #expect(try team.ghp("w2", "claim", "1").status == 0)
    #expect(try team.repo.ghp(["release", "1", "--reason", "also silent"], agent: "lead").status == 0)
    // Both lost #1; the first zombie is still fenced.
    let pushed = try team.git("w1", "push", "origin", "agent/w1")
    #expect(pushed.status != 0)
    #expect(pushed.stderr.contains("stale work") && pushed.stderr.contains("epoch 1"), "\(pushed.stderr)")
  }

  @Test func aZombieCannotCommitInTheScopeOfTheClaimItLost() throws {
    let team = try Team(agents: ["w1"])
    try team.repo.ghp(["issue", "add", "Auth", "--scope", "Sources/Auth/**"], agent: "lead")
    #expect(try team.ghp("w1", "claim", "1").status == 0)
    let later = ["GHP_NOW": "2099-01-01T00:00:00Z"]
    #expect(try team.repo.ghp(["reap", "--release"], agent: "lead", environment: later).status == 0)
    // The zombie comes back and commits in #1's scope without reading its status.
    let zombie = try team.commit("w1", "Sources/Auth/Login.swift", "// stale\n", "More login")
    #expect(zombie.status != 0)
    #expect(zombie.stderr.contains("claim on it was released by lead"), "\(zombie.stderr)")
    // Outside the scope it may commit, and the commit still names the lost claim for fencing.
    _ = try team.git("w1", "reset", "-q", "--hard")
    #expect(try team.commit("w1", "notes.txt", "n\n", "Notes").status == 0)
    #expect(try team.git("w1", "log", "-1", "--format=%B").stdout.contains("Ghp-Issue: 1\nGhp-Epoch: 1"))
  }
}

@Suite struct PushCheckTests {
  /// main moved after w1 branched (an approved README edit by the lead); w1 merges main and pushes.
  @Test func aMergeOfMainIsJudgedByWhatTheMergeItselfBrings() throws {
    let team = try Team(agents: ["w1"])
    let remote = team.repo.root.deletingLastPathComponent().appendingPathComponent("remote.git").path
    try team.repo.git("init", "-q", "--bare", remote)
    try team.repo.git("remote", "add", "origin", remote)
    try team.repo.write("README.md", "# edited by the lead\n")
    try team.repo.git("commit", "-qam", "lead edits the readme")
    #expect(try team.commit("w1", "Sources/W1.swift", "// w1\n", "w1 work").status == 0)
    #expect(try team.git("w1", "merge", "-q", "--no-edit", "main").status == 0)
    // No origin/* ref exists: main's history must still not be judged as w1's.
    let pushed = try team.git("w1", "push", "origin", "agent/w1")
    #expect(pushed.status == 0, "\(pushed.stderr)")
    // A merge that slips a shared file in is still refused.
    try team.write("w1", "README.md", "# w1 says\n")
    _ = try team.git("w1", "add", "README.md")
    #expect(try team.git("w1", "commit", "-q", "--no-verify", "-m", "sneak").status == 0)
    let sneaky = try team.git("w1", "push", "origin", "agent/w1")
    #expect(sneaky.status != 0 && sneaky.stderr.contains("README.md is a shared file"))
  }

  @Test func aOnceApprovalBelongsToTheCommitThatUsedItNotToATime() throws {
    let team = try Team(agents: ["w1"])
    let remote = team.repo.root.deletingLastPathComponent().appendingPathComponent("remote.git").path
    try team.repo.git("init", "-q", "--bare", remote)
    try team.repo.git("remote", "add", "origin", remote)
    try team.repo.git("push", "-q", "origin", "main")
    #expect(try team.repo.ghp(["approve", "w1", "README.md", "--once"], agent: "lead").status == 0)
    #expect(try team.commit("w1", "README.md", "# approved\n", "Approved edit").status == 0)
    let head = try team.git("w1", "rev-parse", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let approval = try team.repo.ghp(["approvals", "--json"]).json().arrayValue?.first
    #expect(approval?["usedBy"] == .string(head))
    // A second commit backdated to before the approval was used, hooks skipped.
    try team.write("w1", "README.md", "# sneaked\n")
    _ = try team.git("w1", "add", "README.md")
    let backdated = try ProcessRunner.run(
      "/usr/bin/git", ["commit", "-q", "--no-verify", "-m", "Backdated"], in: team.worktrees["w1"]!,
      environment: ["GIT_AUTHOR_DATE": "2001-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2001-01-01T00:00:00Z"])
    #expect(backdated.status == 0)
    let pushed = try team.git("w1", "push", "origin", "agent/w1")
    #expect(pushed.status != 0)
    #expect(pushed.stderr.contains("README.md is a shared file"), "\(pushed.stderr)")
    // Without the sneaked commit, the approved one goes through.
    _ = try team.git("w1", "reset", "-q", "--hard", "HEAD~1")
    #expect(try team.git("w1", "push", "-q", "origin", "agent/w1").status == 0)
  }
}
