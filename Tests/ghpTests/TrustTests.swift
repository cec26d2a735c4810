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
    #expect(
      promote.stderr.contains("this is w1's worktree") && promote.stderr.contains("GHP_AGENT says lead"),
      "\(promote.stderr)")
    let flag = try ProcessRunner.run(GHPBinary.path, ["--agent", "lead", "issue", "add", "x"], in: path)
    #expect(flag.status == 3 && flag.stderr.contains("--agent says lead"))
    #expect(try team.repo.ghp(["agent-status", "--json"]).json()["agents"]?["w1"]?["role"] == .string("worker"))
    // Nor does a foreign GHP_AGENT switch the hooks off there.
    try team.write("w1", "README.md", "# not w1's to change\n")
    _ = try team.git("w1", "add", "README.md")
    let commit = try ProcessRunner.run(
      "/usr/bin/git", ["commit", "-q", "-m", "as lead"], in: path, environment: ["GHP_AGENT": "lead"])
    #expect(commit.status != 0 && commit.stderr.contains("README.md is a shared file"), "\(commit.stderr)")
    _ = try team.git("w1", "reset", "-q", "--hard")
    // Its own name is fine, given or not.
    #expect(
      try ProcessRunner.run(GHPBinary.path, ["agent-heartbeat"], in: path, environment: ["GHP_AGENT": "w1"]).status == 0
    )
  }

  @Test func anEmptyAgentNameIsRefusedNotReadAsNoName() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    let empty = try repo.ghp(["--agent", "", "issue", "add", "Sneaky"])
    #expect(empty.status != 0)
    #expect(empty.stderr.contains("invalid agent name ''"), "\(empty.stderr)")
    #expect(try repo.ghp(["issue", "list", "--json"]).json()["issues"]?.arrayValue?.count == 1)
  }
}

@Suite struct FencingTests {
  @Test func aClaimTakenOnceStaysFencedAfterTheIssueChangesHandsAgain() throws {
    let team = try Team(agents: ["w1", "w2"])
    _ = try team.addBareRemote(pushingMain: true)
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
    _ = try team.addBareRemote(pushingMain: false)
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
    _ = try team.addBareRemote(pushingMain: true)
    #expect(try team.repo.ghp(["approve", "w1", "README.md", "--once"], agent: "lead").status == 0)
    #expect(try team.commit("w1", "README.md", "# approved\n", "Approved edit").status == 0)
    let head = try team.git("w1", "rev-parse", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let approval = try team.repo.ghp(["approvals", "--all", "--json"]).json()["approvals"]?.arrayValue?.first
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

/// A shared server that knows its pushers: sshd on loopback, one key per agent, and
/// `authorized_keys` setting `GHP_PUSHER` before `git-shell` runs `git-receive-pack`.
@Suite(.serialized) struct ServerTrustTests {
  final class Site {
    let team: Team
    let ssh: SSHServer
    let server: String

    init() throws {
      team = try Team(agents: ["w1", "w2", "w3"])
      let folder = team.repo.root.deletingLastPathComponent().appendingPathComponent("sshsrv")
      ssh = try SSHServer(base: folder, pushers: ["lead", "w1", "w2", "w3"])
      server = folder.appendingPathComponent("project.git").path
      try team.repo.git("init", "-q", "--bare", server)
      try team.repo.git(["-C", server, "config", "receive.denyNonFastForwards", "true"])
      #expect(
        try ProcessRunner.run(GHPBinary.path, ["-C", server, "hooks", "install", "--server"], in: server).status == 0)
      try team.repo.git("remote", "add", "origin", ssh.url(server))
      let first = try push(as: "lead", "main", "ghp/state")
      #expect(first.status == 0, "\(first.stderr)")
    }

    /// `git push origin <refs>` from the main worktree with `pusher`'s key.
    func push(as pusher: String, _ refs: String...) throws -> ProcessRunner.Result {
      try ProcessRunner.run(
        "/usr/bin/git", ["push", "origin"] + refs, in: team.repo.path, environment: ssh.environment(as: pusher))
    }

    /// The same from an agent's worktree, hooks skipped (the server must stand on its own).
    func pushFromWorktree(_ agent: String, as pusher: String, _ refs: String...) throws -> ProcessRunner.Result {
      try ProcessRunner.run(
        "/usr/bin/git", ["push", "--no-verify", "origin"] + refs, in: team.worktrees[agent]!,
        environment: ssh.environment(as: pusher))
    }

    func serverRef(_ ref: String) -> String {
      (try? ProcessRunner.run("/usr/bin/git", ["rev-parse", "-q", "--verify", ref], in: server).stdout) ?? ""
    }
  }

  /// An agent's heartbeat ref takes only that agent's beats, as an attacker with plain git would
  /// try otherwise: w1 keeping w2 alive, a beat that names another agent, one dated an hour ahead.
  @Test func anAgentsHeartbeatRefTakesOnlyItsOwnBeats() throws {
    let site = try Site()
    let repo = site.team.repo
    func beat(by author: String, naming agent: String, at time: Int, status: String? = nil) throws -> String {
      let stamp = RFC3339.format(Int64(time))
      let file = repo.root.deletingLastPathComponent().appendingPathComponent("alive-\(UUID().uuidString).json").path
      try "{\n  \"agent\": \"\(agent)\",\n  \"heartbeatAt\": \"\(stamp)\"\n}\n".write(
        toFile: file, atomically: true, encoding: .utf8)
      let blob = try repo.git("hash-object", "-w", file)
      let tree = try ProcessRunner.run(
        "/bin/sh", ["-c", "printf '100644 blob \(blob)\\talive.json\\n' | git mktree"], in: repo.path
      ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
      let date = "@\(time) +0000"
      return try repo.git(
        ["commit-tree", tree, "-m", "\(author): alive"] + (status.map { ["-m", "Ghp-Status: \($0)"] } ?? []),
        environment: [
          "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": "\(author)@ghp", "GIT_AUTHOR_DATE": date,
          "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": "\(author)@ghp", "GIT_COMMITTER_DATE": date,
        ])
    }
    let now = Int(time(nil))
    let foreign = try site.push(as: "w1", "\(try beat(by: "w2", naming: "w2", at: now)):refs/ghp/alive/w2")
    #expect(
      foreign.status != 0 && foreign.stderr.contains("pusher w1 may not push w2's heartbeats"), "\(foreign.stderr)")
    let naming = try site.push(as: "w1", "\(try beat(by: "w1", naming: "w2", at: now)):refs/ghp/alive/w1")
    #expect(naming.status != 0 && naming.stderr.contains("is not a heartbeat of w1"), "\(naming.stderr)")
    let ahead = try site.push(as: "w1", "\(try beat(by: "w1", naming: "w1", at: now + 3600)):refs/ghp/alive/w1")
    #expect(ahead.status != 0 && ahead.stderr.contains("ahead of this server's clock"), "\(ahead.stderr)")
    let stranger = try site.push(as: "w1", "\(try beat(by: "w9", naming: "w9", at: now)):refs/ghp/alive/w9")
    #expect(stranger.status != 0 && stranger.stderr.contains("w9 is not a registered agent"), "\(stranger.stderr)")
    // A status the state sets (idle, as if it held nothing), said on its own ref.
    let idle = try site.push(as: "w1", "\(try beat(by: "w1", naming: "w1", at: now, status: "idle")):refs/ghp/alive/w1")
    #expect(idle.status != 0 && idle.stderr.contains("is one the state sets"), "\(idle.stderr)")
    #expect(site.serverRef("refs/ghp/alive/w1").isEmpty && site.serverRef("refs/ghp/alive/w2").isEmpty)
    // Its own, as ghp writes it (the policy here does not require signatures), with its own word
    // for its work: taken.
    let own = try site.push(
      as: "w1", "\(try beat(by: "w1", naming: "w1", at: now, status: "testing")):refs/ghp/alive/w1")
    #expect(own.status == 0, "\(own.stderr)")
  }

  @Test func aForgedOrForeignStateCommitIsRefusedAndAnHonestOneLands() throws {
    let site = try Site()
    #expect(try site.team.ghp("w1", "agent-heartbeat", "--action", "working").status == 0)
    let honest = try site.push(as: "w1", "ghp/state")
    #expect(honest.status == 0, "\(honest.stderr)")
    // w2's own operation, pushed with w1's key.
    #expect(try site.team.ghp("w2", "agent-heartbeat").status == 0)
    let foreign = try site.push(as: "w1", "ghp/state")
    #expect(foreign.status != 0)
    #expect(
      foreign.stderr.contains("is w2's operation, but pusher w1 may push only its own agents'"), "\(foreign.stderr)")
    #expect(try site.push(as: "w2", "ghp/state").status == 0)
    // A claim made with plain git, dressed as ghp's.
    let before = site.serverRef("ghp/state")
    try site.team.repo.ghp(["issue", "add", "Target"], agent: "lead")
    #expect(try site.team.ghp("w2", "claim", "1").status == 0)
    let taken = try site.team.repo.stateFile(".ghp/issues/01/1.json").replacingOccurrences(of: "\"w2\"", with: "\"w1\"")
    try site.team.repo.forge(
      [".ghp/issues/01/1.json": taken + "\n"],
      message:
        "w1: claim #1\n\nGhp-Op: claim\nGhp-Agent: w1\nGhp-Operation: {\"args\":{\"issue\":\"1\"},\"op\":\"claim\",\"v\":1}",
      author: "w1")
    let forged = try site.push(as: "lead", "ghp/state")
    #expect(forged.status != 0)
    #expect(forged.stderr.contains("w1 may not do this") && forged.stderr.contains("held by w2"), "\(forged.stderr)")
    #expect(site.serverRef("ghp/state") == before)
  }

  @Test func relabelledAndCrossAgentCommitsAreRefused() throws {
    let site = try Site()
    // A commit made in w1's worktree that says it is w2's.
    try site.team.write("w1", "w1.txt", "mine\n")
    _ = try site.team.git("w1", "add", "w1.txt")
    #expect(try site.team.git("w1", "commit", "-q", "--no-verify", "-m", "relabelled\n\nGhp-Agent: w2").status == 0)
    let asW2 = try site.pushFromWorktree("w1", as: "w1", "agent/w1:agent/w2")
    #expect(asW2.status != 0 && asW2.stderr.contains("may not update agent/w2"), "\(asW2.stderr)")
    let ownBranch = try site.pushFromWorktree("w1", as: "w1", "agent/w1")
    #expect(
      ownBranch.status != 0 && ownBranch.stderr.contains("is by w2, but only w1 may update agent/w1"),
      "\(ownBranch.stderr)")
    // w2's honest work, then w2 copies it onto w3's branch.
    #expect(try site.team.commit("w2", "w2.txt", "w2\n", "w2 work").status == 0)
    #expect(try site.pushFromWorktree("w2", as: "w2", "agent/w2").status == 0)
    let copied = try site.pushFromWorktree("w2", as: "w2", "agent/w2:agent/w3")
    #expect(copied.status != 0 && copied.stderr.contains("may not update agent/w3"), "\(copied.stderr)")
    #expect(site.serverRef("agent/w3").isEmpty)
  }

  /// A worker with a key of its own tries to rewrite the project the way plain git lets it: its
  /// commit straight onto main, main forced back, another agent's branch deleted. The server has
  /// git's defaults (non-fast-forwards allowed), so ghp's hook is all that stands.
  @Test func onlyAnOrchestratorMovesMainForwardAndAgentsBranchesAreTheirOwn() throws {
    let site = try Site()
    try site.team.repo.git(["-C", site.server, "config", "receive.denyNonFastForwards", "false"])
    #expect(try site.team.commit("w1", "w1.txt", "mine\n", "w1 work").status == 0)
    #expect(try site.pushFromWorktree("w1", as: "w1", "agent/w1").status == 0)
    let straight = try site.pushFromWorktree("w1", as: "w1", "HEAD:main")
    #expect(straight.status != 0 && straight.stderr.contains("pusher w1 may not update main"), "\(straight.stderr)")
    // lead lands something, then w1 tries to erase it with a force push.
    try site.team.repo.write("landed.txt", "landed\n")
    try site.team.repo.git("add", "landed.txt")
    try site.team.repo.git("commit", "-qm", "landed work")
    #expect(try site.push(as: "lead", "main").status == 0)
    let landed = site.serverRef("main")
    let erase = try site.push(as: "w1", "-f", "main~1:main")
    #expect(erase.status != 0 && erase.stderr.contains("may not update main"), "\(erase.stderr)")
    let byLead = try site.push(as: "lead", "-f", "main~1:main")
    #expect(byLead.status != 0 && byLead.stderr.contains("main moves only by fast-forward"), "\(byLead.stderr)")
    let deleteMain = try site.push(as: "lead", ":main")
    #expect(deleteMain.status != 0 && deleteMain.stderr.contains("main may not be deleted"), "\(deleteMain.stderr)")
    #expect(site.serverRef("main") == landed)
    // Another agent's branch: w1 may not delete it; w2 and an orchestrator may, and lead restores it.
    #expect(try site.team.commit("w2", "w2.txt", "w2\n", "w2 work").status == 0)
    #expect(try site.pushFromWorktree("w2", as: "w2", "agent/w2").status == 0)
    let w2Tip = site.serverRef("agent/w2")
    let deleteOther = try site.push(as: "w1", ":agent/w2")
    #expect(
      deleteOther.status != 0 && deleteOther.stderr.contains("may not delete agent/w2"), "\(deleteOther.stderr)")
    #expect(site.serverRef("agent/w2") == w2Tip)
    #expect(try site.push(as: "lead", ":agent/w2").status == 0)
    #expect(site.serverRef("agent/w2").isEmpty)
    try site.team.repo.git("fetch", "-q", site.team.worktrees["w2"]!, "agent/w2:refs/heads/restore-w2")
    let restored = try site.push(as: "lead", "restore-w2:agent/w2")
    #expect(restored.status == 0, "\(restored.stderr)")
    #expect(site.serverRef("agent/w2") == w2Tip)
    #expect(try site.pushFromWorktree("w2", as: "w2", ":agent/w2").status == 0, "an agent deletes its own")
  }

  /// Time is the server's to check: a heartbeat dated in 2099 (that agent would never go stale)
  /// and a claim dated before the commit it follows are refused with both times, and `ghp verify`
  /// finds the history that goes back in time.
  @Test func aStateCommitDatedInTheFutureOrBeforeItsParentIsRefused() throws {
    let site = try Site()
    #expect(try site.push(as: "lead", "ghp/state").status == 0)
    let before = site.serverRef("ghp/state")
    let future = ["GHP_NOW": "2099-01-01T00:00:00Z"]
    #expect(try site.team.ghp("w1", "agent-heartbeat", "--action", "forever young", environment: future).status == 0)
    let ahead = try site.push(as: "w1", "ghp/state")
    #expect(ahead.status != 0, "\(ahead.stderr)")
    #expect(
      ahead.stderr.contains("is dated 2099-01-01T00:00:00Z, more than 5m ahead of this server's clock"),
      "\(ahead.stderr)")
    #expect(site.serverRef("ghp/state") == before)
    // Rewound: the same agent now claims at a time before the commit it builds on.
    try site.team.repo.git("update-ref", "refs/heads/ghp/state", before.trimmingCharacters(in: .whitespacesAndNewlines))
    try site.team.repo.ghp(["issue", "add", "Target"], agent: "lead")
    #expect(try site.push(as: "lead", "ghp/state").status == 0)
    let past = ["GHP_NOW": "2020-01-01T00:00:00Z"]
    #expect(try site.team.ghp("w1", "claim", "1", environment: past).status == 0)
    let backwards = try site.push(as: "w1", "ghp/state")
    #expect(
      backwards.status != 0 && backwards.stderr.contains("is dated 2020-01-01T00:00:00Z, before its parent"),
      "\(backwards.stderr)")
    let verify = try site.team.repo.ghp(["verify"])
    #expect(verify.status != 0 && verify.stdout.contains("before its parent"), "\(verify.stdout)")
  }

  /// A merge made with `-s ours` that drops a shared file changes nothing against one of its
  /// parents; the server judges it against the clean merge of both, and refuses it.
  @Test func aMergeThatDropsASharedFileIsJudgedByWhatItChanges() throws {
    let site = try Site()
    try site.team.repo.write(".ci/run", "echo ci\n")
    try site.team.repo.git("add", ".ci/run")
    try site.team.repo.git("commit", "-qm", "ci")
    #expect(try site.push(as: "lead", "main").status == 0)
    #expect(try site.team.git("w1", "merge", "-q", "main").status == 0)
    #expect(try site.team.git("w1", "checkout", "-q", "-b", "side", "main~1").status == 0)
    #expect(try site.team.commit("w1", "side.txt", "side\n", "side", noVerify: true).status == 0)
    #expect(try site.team.git("w1", "checkout", "-q", "agent/w1").status == 0)
    #expect(try site.team.git("w1", "merge", "-q", "--no-commit", "-s", "ours", "side").status == 0)
    _ = try site.team.git("w1", "rm", "-q", ".ci/run")
    #expect(try site.team.git("w1", "commit", "-q", "--no-verify", "-m", "merge").status == 0)
    let pushed = try site.pushFromWorktree("w1", as: "w1", "agent/w1")
    #expect(pushed.status != 0 && pushed.stderr.contains(".ci/run is a shared file"), "\(pushed.stderr)")
  }

  @Test func unlabelledCommitsOnTheBaseBranchNeedAnOrchestrator() throws {
    let site = try Site()
    try site.team.repo.write("notes.txt", "by hand\n")
    try site.team.repo.git("add", "notes.txt")
    try site.team.repo.git("-c", "core.hooksPath=/nonexistent", "commit", "-qm", "unlabelled")
    let byWorker = try site.push(as: "w1", "main")
    #expect(byWorker.status != 0)
    #expect(byWorker.stderr.contains("pusher w1 may not update main: only an orchestrator"), "\(byWorker.stderr)")
    let byLead = try site.push(as: "lead", "main")
    #expect(byLead.status == 0, "\(byLead.stderr)")
  }
}

@Suite struct SignatureTests {
  @Test func everyStateCommitIsSignedAndPlainGitSaysBySomeone() throws {
    let team = try Team(agents: ["w1"])
    #expect(try team.ghp("w1", "agent-heartbeat", "--action", "signed work").status == 0)
    let log = try team.repo.git("log", "--show-signature", "--format=%an", "-3", "ghp/state")
    #expect(log.contains("Good \"git\" signature for w1@ghp"), "\(log)")
    #expect(log.contains("Good \"git\" signature for lead@ghp"), "\(log)")
    #expect(!log.contains("No signature") && !log.contains("BAD"))
    let check = try ProcessRunner.run("/usr/bin/git", ["verify-commit", "ghp/state"], in: team.repo.path)
    #expect(check.status == 0, "\(check.stderr)")
  }

  @Test func aRequiredSignatureThatIsMissingOrSomeoneElsesIsFound() throws {
    let team = try Team(agents: ["w1", "w2"])
    #expect(try team.repo.ghp(["config", "set", "signing.required", "true"], agent: "lead").status == 0)
    #expect(try team.repo.ghp(["verify"]).status == 0)
    let keys = team.repo.path + "/.git/ghp/keys"
    // w1 signs with w2's key.
    try FileManager.default.moveItem(atPath: keys + "/w1", toPath: keys + "/w1.own")
    try FileManager.default.copyItem(atPath: keys + "/w2", toPath: keys + "/w1")
    #expect(try team.ghp("w1", "agent-heartbeat").status == 0)
    let wrongKey = try team.repo.git("rev-parse", "ghp/state")
    // A commit of w1's with its signature stripped by hand, as plain git would write it.
    try FileManager.default.removeItem(atPath: keys + "/w1")
    try FileManager.default.moveItem(atPath: keys + "/w1.own", toPath: keys + "/w1")
    #expect(try team.ghp("w1", "agent-heartbeat").status == 0)
    let stripped = try ProcessRunner.run(
      "/bin/sh",
      [
        "-c",
        "git cat-file commit ghp/state | sed '/^gpgsig /,/END SSH SIGNATURE/d' | git hash-object -t commit -w --stdin",
      ],
      in: team.repo.path)
    let unsigned = stripped.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    try team.repo.git("update-ref", "refs/heads/ghp/state", unsigned)
    // w1 has no key at all: ghp writes nothing rather than a commit everyone would refuse.
    try FileManager.default.removeItem(atPath: keys + "/w1")
    let keyless = try team.ghp("w1", "agent-heartbeat")
    #expect(keyless.status == 3, "\(keyless.stderr)")
    #expect(
      keyless.stderr.contains(".git/ghp/keys/w1") && keyless.stderr.contains("ghp agent add w1 --key"),
      "\(keyless.stderr)")
    #expect(try team.repo.git("rev-parse", "ghp/state") == unsigned)
    let report = try team.repo.ghp(["verify", "--json"])
    #expect(report.status == 1)
    let findings = try report.json()["findings"]?.arrayValue ?? []
    func problem(_ commit: String) -> String {
      findings.first { $0["commit"] == .string(commit) }?["problem"]?.stringValue ?? ""
    }
    #expect(problem(wrongKey).contains("not by w1's registered key"), "\(findings)")
    #expect(problem(unsigned).contains("not signed"), "\(findings)")
    #expect(findings.count == 2)
  }

  @Test func anAgentsOwnKeyCanBeGiven() throws {
    let team = try Team(agents: [])
    let keyFile = team.repo.root.deletingLastPathComponent().appendingPathComponent("w9-key").path
    #expect(
      try ProcessRunner.run(
        "/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "w9", "-f", keyFile], in: team.repo.path
      ).status == 0)
    let added = try team.repo.ghp(["agent", "add", "w9", "--key", keyFile, "--json"], agent: "lead")
    #expect(added.status == 0, "\(added.stderr)")
    let published = try String(contentsOfFile: keyFile + ".pub", encoding: .utf8).split(separator: " ").prefix(2)
      .joined(separator: " ")
    #expect(try added.json()["signingKey"]?.stringValue?.hasPrefix(published) == true)
    let encrypted = team.repo.root.deletingLastPathComponent().appendingPathComponent("locked-key").path
    #expect(
      try ProcessRunner.run(
        "/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "secret", "-f", encrypted], in: team.repo.path
      ).status == 0)
    let refused = try team.repo.ghp(["agent", "add", "w8", "--key", encrypted], agent: "lead")
    #expect(refused.status == 2 && refused.stderr.contains("encrypted"), "\(refused.stderr)")
  }
}
