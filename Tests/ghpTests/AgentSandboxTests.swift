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
