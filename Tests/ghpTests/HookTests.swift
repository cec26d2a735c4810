import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// A repository with ghp initialised by `lead`, hooks installed, and agents added with
/// `ghp agent add` (each in its own worktree, with its own ghp.agent).
final class Team {
  let repo: ScratchRepository
  var worktrees: [String: String] = [:]

  init(agents: [String], installHooks: Bool = true) throws {
    repo = try ScratchRepository()
    try repo.write("Sources/Auth/Login.swift", "// login\n")
    try repo.git("add", ".")
    try repo.git("commit", "-qm", "sources")
    #expect(try repo.ghp(["init", "--unknown-agents", "register"], agent: "lead").status == 0)
    if installHooks { #expect(try repo.ghp(["hooks", "install"], agent: "lead").status == 0) }
    for agent in agents {
      let added = try repo.ghp(["agent", "add", agent, "--json"], agent: "lead")
      #expect(added.status == 0, "\(added.stderr)")
      worktrees[agent] = try added.json()["worktree"]?.stringValue
    }
  }

  /// Runs git in an agent's worktree, with no GHP_AGENT: the worktree's own config says who it is.
  @discardableResult
  func git(_ agent: String, _ arguments: String...) throws -> ProcessRunner.Result {
    try ProcessRunner.run("/usr/bin/git", arguments, in: worktrees[agent]!)
  }

  func ghp(_ agent: String, _ arguments: String..., environment: [String: String] = [:]) throws
    -> ProcessRunner.Result
  {
    try ProcessRunner.run(GHPBinary.path, arguments, in: worktrees[agent]!, environment: environment)
  }

  func write(_ agent: String, _ path: String, _ text: String) throws {
    let url = URL(fileURLWithPath: worktrees[agent]!).appendingPathComponent(path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: true, encoding: .utf8)
  }

  /// A bare repository beside the team's as its `origin` (a client-side remote: pre-push runs for
  /// it), with main pushed there when asked. Returns its path.
  func addBareRemote(pushingMain: Bool) throws -> String {
    let remote = repo.root.deletingLastPathComponent().appendingPathComponent("remote.git").path
    try repo.git("init", "-q", "--bare", remote)
    try repo.git("remote", "add", "origin", remote)
    if pushingMain { try repo.git("push", "-q", "origin", "main") }
    return remote
  }

  /// Writes, stages and commits in an agent's worktree through the real hooks.
  func commit(_ agent: String, _ path: String, _ text: String, _ message: String, noVerify: Bool = false) throws
    -> ProcessRunner.Result
  {
    try write(agent, path, text)
    _ = try git(agent, "add", path)
    return noVerify
      ? try git(agent, "commit", "-q", "--no-verify", "-m", message) : try git(agent, "commit", "-q", "-m", message)
  }
}

@Suite struct AgentWorktreeTests {
  @Test func agentAddMakesABranchAWorktreeAndAnIdentity() throws {
    let team = try Team(agents: ["w1"], installHooks: false)
    let path = try #require(team.worktrees["w1"])
    #expect(try team.git("w1", "rev-parse", "--abbrev-ref", "HEAD").stdout == "agent/w1\n")
    #expect(try team.git("w1", "config", "ghp.agent").stdout == "w1\n")
    #expect(try team.repo.git("config", "ghp.agent") == "lead")
    // Every worktree sees the state at once, and knows who it is with no environment variable.
    #expect(try team.ghp("w1", "issue", "add", "x").status == 3)
    #expect(try team.repo.ghp(["issue", "add", "Shared view"], agent: "lead").status == 0)
    #expect(try team.ghp("w1", "claim", "1").status == 0)
    let status = try team.repo.ghp(["agent-status", "--json"]).json()
    #expect(status["agents"]?["w1"]?["issue"] == .int(1))
    #expect(status["agents"]?["w1"]?["branch"] == .string("agent/w1"))
    let list = try team.repo.ghp(["agent", "list", "--json"]).json()["agents"]?.arrayValue ?? []
    let w1 = list.first { $0["name"] == .string("w1") }
    #expect(
      w1?["worktree"]?.stringValue.map { URL(fileURLWithPath: $0).standardized.path }
        == URL(fileURLWithPath: path).standardized.path)
    #expect(w1?["claims"] == .array([.int(1)]))
    #expect(w1?["ahead"] == .int(0))
    // Only an orchestrator adds agents.
    #expect(try team.ghp("w1", "agent", "add", "w9").status == 3)
  }

  @Test func agentRemoveRefusesUnmergedWorkThenReleasesAndCleansUp() throws {
    let team = try Team(agents: ["w1"], installHooks: false)
    try team.repo.ghp(["issue", "add", "Work"], agent: "lead")
    #expect(try team.ghp("w1", "claim", "1").status == 0)
    #expect(try team.commit("w1", "notes.md", "done\n", "Add notes").status == 0)
    let refused = try team.repo.ghp(["agent", "remove", "w1"], agent: "lead")
    #expect(refused.status == 3)
    #expect(refused.stderr.contains("Add notes"))
    let path = try #require(team.worktrees["w1"])
    #expect(FileManager.default.fileExists(atPath: path))
    #expect(try team.repo.ghp(["agent", "remove", "w1", "--force"], agent: "lead").status == 0)
    #expect(!FileManager.default.fileExists(atPath: path))
    #expect(throws: (any Error).self) { try team.repo.git("rev-parse", "--verify", "-q", "agent/w1") }
    let issue = try team.repo.ghp(["issue", "show", "1", "--json"]).json()["issue"]
    #expect(issue?["status"] == .string("open"))
    #expect(issue?["epoch"] == .int(2))
    #expect(try team.repo.ghp(["agent-status", "--json"]).json()["agents"]?["w1"] == nil)
    #expect(!(try team.repo.git("worktree", "list")).contains("w1"))
  }
}

@Suite struct HookTests {
  @Test func sharedFilesNeedAnApprovalAndOnceIsUsedUp() throws {
    let team = try Team(agents: ["w1"])
    let refused = try team.commit("w1", "README.md", "# changed\n", "Edit the readme")
    #expect(refused.status != 0)
    #expect(refused.stderr.contains("README.md is a shared file"))
    #expect(refused.stderr.contains("ghp approve w1 README.md"))
    #expect(try team.git("w1", "log", "-1", "--format=%s").stdout == "sources\n")

    #expect(try team.repo.ghp(["approve", "w1", "README.md", "--once"], agent: "lead").status == 0)
    let allowed = try team.git("w1", "commit", "-q", "-m", "Edit the readme")
    #expect(allowed.status == 0, "\(allowed.stderr)")
    // Used up: gone from the approvals in force, kept with --all.
    #expect(try team.repo.ghp(["approvals", "--json"]).json()["approvals"]?.arrayValue == [])
    let approvals = try team.repo.ghp(["approvals", "--all", "--json"]).json()["approvals"]?.arrayValue ?? []
    #expect(approvals.first?["usedAt"]?.stringValue != nil)
    // Used up: the next edit is refused again.
    #expect(try team.commit("w1", "README.md", "# again\n", "Edit it again").status != 0)
    _ = try team.git("w1", "reset", "-q", "--hard")
    // The orchestrator is not bound by the shared-file rule (the config can say otherwise).
    try team.repo.write("README.md", "# by lead\n")
    try team.repo.git("add", "README.md")
    #expect(throws: Never.self) { try team.repo.git("commit", "-qm", "lead edits the readme") }
  }

  @Test func aCommitInAnotherAgentsScopeIsRefused() throws {
    let team = try Team(agents: ["w1", "w2"])
    try team.repo.ghp(["issue", "add", "Auth", "--scope", "Sources/Auth/**"], agent: "lead")
    #expect(try team.ghp("w2", "claim", "1").status == 0)
    let refused = try team.commit("w1", "Sources/Auth/Login.swift", "// mine\n", "Touch login")
    #expect(refused.status != 0)
    #expect(refused.stderr.contains("Sources/Auth/Login.swift is in the scope of #1"))
    #expect(refused.stderr.contains("held by w2"))
    // Its holder may, and its commits carry the claim's trailers.
    #expect(try team.commit("w2", "Sources/Auth/Login.swift", "// w2\n", "Login form").status == 0)
    let message = try team.git("w2", "log", "-1", "--format=%B").stdout
    #expect(message.contains("Ghp-Agent: w2\nGhp-Issue: 1\nGhp-Epoch: 1"))
  }

  @Test func noVerifyIsCaughtByPrePush() throws {
    let team = try Team(agents: ["w1", "w2"])
    let remote = try team.addBareRemote(pushingMain: true)
    try team.repo.ghp(["issue", "add", "Auth", "--scope", "Sources/Auth/**"], agent: "lead")
    #expect(try team.ghp("w2", "claim", "1").status == 0)
    #expect(try team.commit("w1", "Sources/Auth/Login.swift", "// sneaky\n", "Sneak in", noVerify: true).status == 0)
    let pushed = try team.git("w1", "push", "origin", "agent/w1")
    #expect(pushed.status != 0)
    #expect(pushed.stderr.contains("pre-push"))
    #expect(pushed.stderr.contains("Sources/Auth/Login.swift is in the scope of #1"))
    #expect(try ProcessRunner.run("/usr/bin/git", ["branch", "--list", "agent/w1"], in: remote).stdout.isEmpty)
    // Clean work goes through.
    _ = try team.git("w1", "reset", "-q", "--hard", "HEAD~1")
    #expect(try team.commit("w1", "Sources/Other.swift", "// fine\n", "Other work").status == 0)
    #expect(try team.git("w1", "push", "-q", "origin", "agent/w1").status == 0)
  }

  /// Every worktree shares `.git/hooks`: a worker removing them (or installing others) from its own
  /// worktree would disarm everyone's, so only an orchestrator may.
  @Test func onlyAnOrchestratorInstallsOrRemovesTheHooks() throws {
    let team = try Team(agents: ["w1"])
    let uninstall = try team.ghp("w1", "hooks", "uninstall")
    #expect(uninstall.status == 3 && uninstall.stderr.contains("not an orchestrator"), "\(uninstall.stderr)")
    #expect(try team.ghp("w1", "hooks", "install").status == 3)
    #expect(FileManager.default.fileExists(atPath: team.repo.path + "/.git/hooks/pre-commit"))
    // Its commits are still judged: the hook that stayed refuses a shared file.
    #expect(try team.commit("w1", "README.md", "mine\n", "readme").status != 0)
    #expect(try team.repo.ghp(["hooks", "uninstall"], agent: "lead").status == 0)
    #expect(!FileManager.default.fileExists(atPath: team.repo.path + "/.git/hooks/pre-commit"))
  }

  @Test func existingHooksStillRunAndUninstallRestoresThem() throws {
    let repo = try ScratchRepository()
    try repo.ghp(["init", "--unknown-agents", "register"], agent: "lead")
    let hooks = repo.path + "/.git/hooks"
    let original = """
      #!/bin/sh
      touch "$(git rev-parse --git-common-dir)/original-hook-ran"
      if git diff --cached --name-only | grep -q forbidden.txt; then echo "original hook says no" >&2; exit 1; fi

      """
    try original.write(toFile: hooks + "/pre-commit", atomically: true, encoding: .utf8)
    chmod(hooks + "/pre-commit", 0o755)
    #expect(try repo.ghp(["hooks", "install"], agent: "lead").status == 0)
    #expect(try repo.ghp(["hooks", "install"], agent: "lead").status == 0)  // idempotent: still one chained copy
    #expect(try String(contentsOfFile: hooks + "/pre-commit.ghp-chained", encoding: .utf8) == original)

    try repo.write("fine.txt", "ok\n")
    try repo.git("add", "fine.txt")
    try repo.git("commit", "-qm", "fine")
    #expect(FileManager.default.fileExists(atPath: repo.path + "/.git/original-hook-ran"))
    try repo.write("forbidden.txt", "no\n")
    try repo.git("add", "forbidden.txt")
    let refused = try ProcessRunner.run("/usr/bin/git", ["commit", "-qm", "forbidden"], in: repo.path)
    #expect(refused.status != 0)
    #expect(refused.stderr.contains("original hook says no"))

    #expect(try repo.ghp(["hooks", "uninstall"], agent: "lead").status == 0)
    #expect(try String(contentsOfFile: hooks + "/pre-commit", encoding: .utf8) == original)
    #expect(!FileManager.default.fileExists(atPath: hooks + "/pre-commit.ghp-chained"))
    #expect(!FileManager.default.fileExists(atPath: hooks + "/pre-push"))
  }

  @Test func installRespectsCoreHooksPath() throws {
    let repo = try ScratchRepository()
    try repo.ghp(["init", "--unknown-agents", "register"], agent: "lead")
    try repo.git("config", "core.hooksPath", ".githooks")
    let installed = try repo.ghp(["hooks", "install", "--json"], agent: "lead").json()
    #expect(installed["directory"]?.stringValue?.hasSuffix("/.githooks") == true)
    #expect(FileManager.default.isExecutableFile(atPath: repo.path + "/.githooks/pre-commit"))
    #expect(!FileManager.default.fileExists(atPath: repo.path + "/.git/hooks/pre-commit"))
  }

  @Test func theEmbeddedHooksAreTheTopLevelFiles() throws {
    let folder = TemplateTests.root.appendingPathComponent("hooks")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    #expect(files == Embedded.hooks.keys.sorted(), "run scripts/embed")
    #expect(files == (HookInstaller.clientHooks + HookInstaller.serverHooks).sorted())
    for file in files {
      #expect(
        Embedded.hooks[file] == (try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)),
        "hooks/\(file): run scripts/embed")
    }
  }
}

@Suite(.serialized) struct ServerHookTests {
  /// The hooks run the ghp that installed them, by path: an agent that points GHP_BIN at
  /// /bin/true to commit a shared file is still refused, and a server whose environment has
  /// another GHP_BIN (here the pusher's own, as a push to a path runs the hook with it) still
  /// judges and takes a legitimate push.
  @Test func noVariableChoosesWhatTheHooksRun() throws {
    let team = try Team(agents: ["w1"])
    try team.write("w1", "README.md", "# changed by w1\n")
    _ = try team.git("w1", "add", "README.md")
    let sneaky = try ProcessRunner.run(
      "/usr/bin/git", ["commit", "-q", "-m", "Edit the readme"], in: team.worktrees["w1"]!,
      environment: ["GHP_BIN": "/bin/true"])
    #expect(sneaky.status != 0 && sneaky.stderr.contains("README.md is a shared file"), "\(sneaky.stderr)")

    let server = team.repo.root.deletingLastPathComponent().appendingPathComponent("server.git").path
    try team.repo.git("init", "-q", "--bare", server)
    #expect(
      try ProcessRunner.run(GHPBinary.path, ["-C", server, "hooks", "install", "--server"], in: server).status == 0)
    let hook = try String(contentsOfFile: server + "/hooks/pre-receive", encoding: .utf8)
    #expect(hook.contains("ghp='\(GHPBinary.path)'"), "\(hook)")
    let push = try ProcessRunner.run(
      "/usr/bin/git", ["push", server, "main", "ghp/state"], in: team.repo.path,
      environment: ["GHP_BIN": "/bin/false", "GHP_PUSHER": "lead"])
    #expect(push.status == 0, "\(push.stderr)")
    let rewind = try ProcessRunner.run(
      "/usr/bin/git", ["push", server, "+ghp/state~1:ghp/state"], in: team.repo.path,
      environment: ["GHP_BIN": "/bin/true", "GHP_PUSHER": "lead"])
    #expect(rewind.status != 0 && rewind.stderr.contains("moves only by fast-forward"), "\(rewind.stderr)")
  }

  @Test func preReceiveOnAGitDaemonRefusesOtherAgentsBranchesNonFastForwardsAndZombies() throws {
    let team = try Team(agents: ["w1", "w2"])
    let daemon = try GitDaemon(base: team.repo.root.deletingLastPathComponent().appendingPathComponent("srv"))
    let server = try daemon.makeRepository("project.git")
    #expect(
      try ProcessRunner.run(GHPBinary.path, ["-C", server, "hooks", "install", "--server"], in: server).status == 0)
    try team.repo.git("remote", "add", "origin", daemon.url("project.git"))
    try team.repo.git("push", "-q", "origin", "main", "ghp/state")

    // w1 may not update w2's branch.
    #expect(try team.commit("w1", "w1.txt", "mine\n", "w1 work").status == 0)
    let cross = try team.git("w1", "push", "origin", "agent/w1:agent/w2")
    #expect(cross.status != 0)
    #expect(cross.stderr.contains("only w2 may update agent/w2"))
    #expect(try team.git("w1", "push", "-q", "origin", "agent/w1").status == 0)

    // ghp/state moves only by fast-forward.
    #expect(try team.repo.ghp(["issue", "add", "Work"], agent: "lead").status == 0)
    try team.repo.git("push", "-q", "origin", "ghp/state")
    let rewind = try ProcessRunner.run(
      "/usr/bin/git", ["push", "origin", "+ghp/state~1:ghp/state"], in: team.repo.path)
    #expect(rewind.status != 0)
    #expect(rewind.stderr.contains("moves only by fast-forward"))

    // A reaped agent's work is fenced off, even pushed with its hooks skipped.
    #expect(try team.ghp("w2", "claim", "1").status == 0)
    #expect(try team.commit("w2", "work.txt", "work\n", "Work under epoch 1").status == 0)
    // w2 goes silent; three minutes later (within the server's clock skew) it is stale and reaped.
    #expect(try team.repo.ghp(["config", "set", "staleAfter", "2m"], agent: "lead").status == 0)
    let later = ["GHP_NOW": RFC3339.format(Int64(Date().timeIntervalSince1970) + 180)]
    #expect(try team.repo.ghp(["reap", "--release"], agent: "lead", environment: later).status == 0)
    try team.repo.git("push", "-q", "origin", "ghp/state")
    let zombie = try ProcessRunner.run(
      "/usr/bin/git", ["push", "--no-verify", "origin", "agent/w2"], in: team.worktrees["w2"]!)
    #expect(zombie.status != 0)
    #expect(zombie.stderr.contains("that claim was released by lead"))
    // And the client hook says the same before anything is sent.
    let client = try team.git("w2", "push", "origin", "agent/w2")
    #expect(client.status != 0)
    #expect(client.stderr.contains("pre-push"))
    #expect(client.stderr.contains("stale work"))
  }
}
