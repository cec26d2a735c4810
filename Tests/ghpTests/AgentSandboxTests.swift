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
    program: String = GHPBinary.path
  ) throws -> ProcessRunner.Result {
    try ProcessRunner.run(
      "/usr/bin/bwrap", ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", program] + arguments,
      in: directory ?? repo.path, environment: ["GHP_AGENT": agent])
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
    let worktree = repo.path + "-w1"
    // A fresh clone's state: no writer lock file yet, as after `git clone` of a ghp repository.
    let common = try repo.git("rev-parse", "--path-format=absolute", "--git-common-dir").trimmingCharacters(
      in: .whitespacesAndNewlines)
    try? FileManager.default.removeItem(atPath: common + "/ghp/writer.lock")
    let stateBefore = try repo.git("rev-parse", "ghp/state")
    for arguments in Self.reads {
      for directory in [repo.path, worktree] {
        let writable = try repo.ghp(arguments, agent: "w1", in: directory)
        #expect(writable.status == 0, "\(arguments): \(writable.stderr)")
        let sandboxed = try Self.readOnly(repo, arguments, agent: "w1", in: directory)
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
      Self.presets + "/codex", ["exec", "--json", "--sandbox", "workspace-write", "-"], in: bench.repo.path + "-w2",
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
