import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// ghp inside the agents' own sandboxes: Codex's `workspace-write` and Claude Code's sandbox make
/// everything read-only but a few folders (by bubblewrap on Linux, as here). Reads need no write
/// access at all; what a worker must write is given to the agent's sandbox by setup and the presets.
@Suite("inside the agents' sandboxes", .serialized)
struct AgentSandboxTests {
  /// Runs `ghp` with the whole file system read-only, as a sandbox that grants nothing does (the
  /// tests run as root, so file modes would not stop a write: a read-only mount does).
  static func readOnly(
    _ repo: ScratchRepository, _ arguments: [String], agent: String, in directory: String? = nil,
    program: String = GHPBinary.path, environment: [String: String] = [:]
  ) throws -> ProcessRunner.Result {
    var tries = 0
    while true {
      tries += 1
      let ran = try ProcessRunner.run(
        "/usr/bin/bwrap", ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", program] + arguments,
        in: directory ?? repo.path, environment: environment.merging(["GHP_AGENT": agent]) { _, given in given })
      // bubblewrap fails to start when a mount goes away while it copies them (the multi-host
      // tests beside this one remove network namespaces): again, as ghp's own sandboxes do.
      guard ran.status == 1, ran.stdout.isEmpty, GateSandbox.failedToSetUp(Array(ran.stderr.utf8)), tries < 3 else {
        return ran
      }
    }
  }

  static let reads: [[String]] = [
    ["status"], ["status", "--json"], ["ready"], ["issue", "show", "1"], ["issue", "list", "--json"],
    ["agent-status"], ["agent-status", "--json"], ["log"], ["approvals"], ["escalations"], ["plan"], ["verify"],
    ["report"], ["prompt", "worker"], ["config", "list"], ["discoveries"],
  ]

  @Test(
    "every read command answers on a read-only repository and .git, from the checkout and from an agent's worktree, as it does on a writable one",
    .enabled(if: access("/usr/bin/bwrap", X_OK) == 0))
  func readsOnReadOnlyGit() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 2)
    #expect(try repo.ghp(["agent", "add", "w1"], agent: "lead").status == 0)
    #expect(try repo.ghp(["claim", "1"], agent: "w1").status == 0)
    let worktree = repo.worktree("w1")
    // A fresh clone's state: no writer lock file yet, as after `git clone` of a ghp repository.
    let common = try repo.git("rev-parse", "--path-format=absolute", "--git-common-dir").trimmingCharacters(
      in: .whitespacesAndNewlines)
    try? FileManager.default.removeItem(atPath: common + "/ghp/writer.lock")
    let stateBefore = try repo.git("rev-parse", "ghp/state")
    for arguments in Self.reads {
      for directory in [repo.path, worktree] {
        // One clock for both runs: a report's window must not move between them.
        let clock = ["GHP_NOW": RFC3339.format(Int64(Date().timeIntervalSince1970) + 5)]
        let writable = try repo.ghp(arguments, agent: "w1", environment: clock, in: directory)
        #expect(writable.status == 0, "\(arguments): \(writable.stderr)")
        let sandboxed = try Self.readOnly(repo, arguments, agent: "w1", in: directory, environment: clock)
        #expect(sandboxed.status == 0, "\(arguments) in \(directory): \(sandboxed.stderr)")
        #expect(sandboxed.stderr.isEmpty, "\(arguments): \(sandboxed.stderr)")
        // Same answer but for ages, which move with the clock between the two runs.
        let strip = { (text: String) in text.replacingOccurrences(of: #"\d+s\b"#, with: "", options: .regularExpression)
        }
        if !arguments.contains("--json") || arguments.first == "issue" {
          #expect(strip(sandboxed.stdout) == strip(writable.stdout), "\(arguments)")
        } else {
          #expect(!sandboxed.stdout.isEmpty, "\(arguments)")
        }
      }
    }
    // A write says in one line what it needs, and changes nothing.
    let claim = try Self.readOnly(repo, ["claim", "2"], agent: "w1", in: worktree)
    #expect(claim.status != 0)
    #expect(claim.stderr.contains("Read-only file system") && claim.stderr.contains("writable"), "\(claim.stderr)")
    #expect(claim.stderr.split(separator: "\n").count == 1, "\(claim.stderr)")
    #expect(try repo.git("rev-parse", "ghp/state") == stateBefore)
    #expect(try repo.ghp(["claim", "2"], agent: "w1").status == 0, "the failed write wedged the next one")
  }
}

extension AgentSandboxTests {
  static let presets = TemplateTests.root.appendingPathComponent("Tests/Fixtures/presets").path
  /// Outside /tmp, which both sandboxes may leave writable: the repository is where a person's is.
  static func place() -> String { "/var/tmp/ghp-test-\(UUID().uuidString.prefix(8))/repo" }

  @Test(
    "uncontained, codex runs in its own workspace-write sandbox with the git folder among its writable roots, and its worker commits and finishes",
    .enabled(if: access("/usr/bin/bwrap", X_OK) == 0))
  func codexWorkspaceWrite() throws {
    let (bench, environment) = try WorkerContainmentTests.presetBench(
      Self.presets, settings: ["agent.sandbox": "off"], at: Self.place())
    let (result, events) = try bench.run(["-w", "1", "--agent-command", "codex"], environment: environment)
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    let line = events.first { $0["event"]?.stringValue == "agent" }?["text"]?.stringValue ?? ""
    let common = try bench.repo.git("rev-parse", "--path-format=absolute", "--git-common-dir")
      .trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(line.contains("--sandbox workspace-write") && line.contains(common), "\(line)")
    let log = (try? WorkerContainmentTests.log(bench, agent: "worker-1")) ?? ""
    #expect(try bench.issue("1")["status"]?.stringValue == "done", "\(log)")

    // The same sandbox without ghp's writable root: the commit cannot be written (what the preset
    // is for), and the turn fails.
    #expect(try bench.repo.ghp(["agent", "add", "w2"], agent: "lead").status == 0)
    #expect(try bench.repo.ghp(["issue", "add", "Two"], agent: "lead").status == 0)
    #expect(try bench.repo.ghp(["claim", "2"], agent: "w2").status == 0)
    let bare = try ProcessRunner.run(
      Self.presets + "/codex", ["exec", "--json", "--sandbox", "workspace-write", "-"], in: bench.repo.worktree("w2"),
      environment: environment.merging([
        "GHP_AGENT": "w2", "GHP_ISSUE": "2",
        "PATH": (GHPBinary.path as NSString).deletingLastPathComponent + ":" + (environment["PATH"] ?? ""),
      ]) { _, new in new }, input: "work\n")
    #expect(bare.status != 0 && bare.stdout.contains("turn.failed"), "\(bare.stdout)\(bare.stderr)")
    #expect(bare.stderr.contains("Read-only file system"), "\(bare.stderr)")
    #expect(try bench.issue("2")["status"]?.stringValue == "claimed")
  }

  @Test(
    "uncontained, with Claude Code's sandbox on in the person's settings, its worker reads, commits and finishes",
    .enabled(if: access("/usr/bin/bwrap", X_OK) == 0))
  func claudeSandbox() throws {
    let (bench, environment) = try WorkerContainmentTests.presetBench(
      Self.presets, settings: ["agent.sandbox": "off"], at: Self.place())
    let home = try #require(environment["HOME"])
    try #"{"sandbox": {"enabled": true}}"#.write(
      toFile: home + "/.claude/settings.json", atomically: true, encoding: .utf8)
    let (result, _) = try bench.run(["-w", "1", "--agent-command", "claude"], environment: environment)
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    let log = try WorkerContainmentTests.log(bench, agent: "worker-1")
    #expect(log.contains("claude: Bash commands run sandboxed"), "\(log)")
    #expect(try bench.issue("1")["status"]?.stringValue == "done", "\(log)")
  }
}

/// `ghp doctor`: each line ok or what to do, for what is installed and set up here.
@Suite("ghp doctor", .serialized)
struct DoctorTests {
  func doctor(_ repo: ScratchRepository, path: String, in directory: String? = nil) throws -> (Int32, [String: JSON]) {
    let result = try repo.ghp(
      ["doctor", "--json"], agent: "lead",
      environment: ["PATH": path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")],
      in: directory)
    let checks = try result.json()["checks"]?.arrayValue ?? []
    var byTopic: [String: JSON] = [:]
    for check in checks { byTopic[check["topic"]?.stringValue ?? ""] = check }
    return (result.status, byTopic)
  }

  @Test("the agents as installed, what ghp run would start, stale setup and a server that does not answer")
  func findings() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    let presets = TemplateTests.root.appendingPathComponent("Tests/Fixtures/presets").path
    let (status, checks) = try doctor(repo, path: presets)
    #expect(status == 0, "\(checks)")
    let codex = checks["codex"]?["text"]?.stringValue ?? ""
    #expect(codex.contains("codex-cli 0.147.0") && codex.contains("exec --json --sandbox"), "\(codex)")
    #expect(checks["claude"]?["text"]?.stringValue?.contains("2.1.30 (Claude Code)") == true)
    #expect(checks["setup claude"]?["text"]?.stringValue?.contains("not set up") == true)

    // A codex that cannot run unattended: one line with its version.
    let bin = repo.path + "-bin"
    try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
    try "#!/bin/sh\n[ \"$1\" = --version ] && { echo codex-cli 0.1.0; exit 0; }\necho '      --json  Print events'\n"
      .write(toFile: bin + "/codex", atomically: true, encoding: .utf8)
    chmod(bin + "/codex", 0o755)
    let (stale, staleChecks) = try doctor(repo, path: bin + ":" + presets)
    #expect(stale == 1)
    #expect(staleChecks["codex"]?["ok"] == .bool(false))
    #expect(staleChecks["codex"]?["text"]?.stringValue?.contains("codex-cli 0.1.0") == true, "\(staleChecks)")

    // Setup done, then made stale by hand: doctor says so in the worktree.
    #expect(try repo.ghp(["agent", "add", "w1"], agent: "lead").status == 0)
    let worktree = repo.worktree("w1")
    #expect(try repo.ghp(["setup", "claude"], in: worktree).status == 0)
    #expect(try doctor(repo, path: presets, in: worktree).1["setup claude"]?["ok"] == .bool(true))
    try "{}".write(toFile: worktree + "/.mcp.json", atomically: true, encoding: .utf8)
    let (_, setupChecks) = try doctor(repo, path: presets, in: worktree)
    #expect(setupChecks["setup claude"]?["ok"] == .bool(false), "\(setupChecks)")
    #expect(setupChecks["setup claude"]?["text"]?.stringValue?.contains(".mcp.json") == true)

    // Remote mode through a git daemon, then the daemon stopped: a line that names it.
    let daemon = try GitDaemon(base: repo.root.deletingLastPathComponent().appendingPathComponent("served"))
    try daemon.makeRepository("project.git")
    try repo.git("remote", "add", "origin", daemon.url("project.git"))
    let set = try repo.ghp(["remote", "set", "origin"], agent: "lead")
    #expect(set.status == 0, "\(set.stderr)")
    let (up, upChecks) = try doctor(repo, path: presets)
    #expect(up == 0 && upChecks["server"]?["text"]?.stringValue?.contains("answers") == true, "\(upChecks)")
    #expect(upChecks["server"]?["text"]?.stringValue?.contains("does not land operations") == true, "\(upChecks)")
    daemon.stop(hard: true)
    let (gone, goneChecks) = try doctor(repo, path: presets)
    #expect(gone == 1 && goneChecks["server"]?["ok"] == .bool(false), "\(goneChecks)")
    #expect(goneChecks["server"]?["text"]?.stringValue?.contains("does not answer") == true)
  }
}
