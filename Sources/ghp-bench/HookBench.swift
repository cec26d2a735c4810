import Foundation
import GHPKit

/// Issue 5's figure: the pre-commit check on a commit of 100 files against 50 shared globs and
/// 1,000 claimed scopes, whole-process, against `git commit` with no hooks.
enum HookBench {
  static func run(quick: Bool, report: inout Report) throws {
    Report.section("9. pre-commit: 100 staged files, 50 shared globs, 1,000 claimed scopes")
    let ghp = Harness.binFolder.appendingPathComponent("ghp").path
    let repo = Harness.scratchRepository("hooks")
    LedgerBench.initialise(repo)
    // 50 shared globs in the policy.
    let workspace = try Workspace(path: repo, agent: "lead", environment: [:])
    let globs = (0..<50).map { "\"Shared\($0)/**\"" }.joined(separator: ", ")
    try workspace.run(SetConfigOperation(key: "shared.globs", value: "[\(globs)]"))
    // 1,000 issues claimed by other agents, each owning a module.
    let tasks = (0..<1000).map {
      #"{"id": "s\#($0)", "description": "Module \#($0)", "status": "claimed", "claimed_by": "owner-\#($0 % 50)", "dependencies": [], "context": {"files": ["Sources/Module\#($0)/**"]}}"#
    }
    let file = repo + "/tasks.json"
    try Data(("{\"tasks\": [" + tasks.joined(separator: ",") + "]}").utf8).write(to: URL(fileURLWithPath: file))
    Harness.run(ghp, ["issue", "import", file], in: repo, environment: ["GHP_AGENT": "lead"])
    Harness.run(
      ghp, ["agent", "add", "bench-worker", "--path", repo + "-worker"], in: repo, environment: ["GHP_AGENT": "lead"])
    let worktree = repo + "-worker"
    Harness.scratchRoots.insert(worktree)
    // 100 files of its own, outside every scope and shared glob: the check passes, having looked at all.
    for index in 0..<100 {
      let path = worktree + "/Sources/Mine/File\(index).swift"
      try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try "// \(index)\n".write(toFile: path, atomically: true, encoding: .utf8)
    }
    Harness.git(["add", "."], in: worktree)
    let runs = quick ? 9 : 25
    let check = Harness.median((0..<runs).map { _ in Harness.run(ghp, ["hook", "pre-commit"], in: worktree).seconds })
    Harness.git(["reset", "-q"], in: worktree)
    let empty = Harness.median((0..<runs).map { _ in Harness.run(ghp, ["hook", "pre-commit"], in: worktree).seconds })
    report.add("ghp hook pre-commit, 100 staged files, median of \(runs)", ms(check))
    report.add("ghp hook pre-commit, nothing staged (the fixed cost)", ms(empty))
    report.add("ratio 100 files / nothing", format(check / empty, 2))
  }
}
