import Foundation
import GHPKit

/// Issue 11's first figure: `ghp conflicts` over 16 agent branches, each 20 commits ahead with
/// overlapping files, against a shell script doing the same merges with `git merge-tree --write-tree`.
enum ConflictBench {
  static func run(quick: Bool, report: inout Report) throws {
    Report.section("17. ghp conflicts: 16 branches, 20 commits each, overlapping files")
    let ghp = Harness.binFolder.appendingPathComponent("ghp").path
    let repo = Harness.scratchRepository("conflicts")
    LedgerBench.initialise(repo)
    for file in 0..<8 { try Data("line \(file)\n".utf8).write(to: URL(fileURLWithPath: repo + "/F\(file).txt")) }
    Harness.git(["add", "."], in: repo)
    Harness.git(["commit", "-qm", "files"], in: repo)
    let branches = 16
    let perBranch = quick ? 5 : 20
    for index in 0..<branches {
      let worktree = repo + "-w\(index)"
      Harness.scratchRoots.insert(worktree)
      Harness.run(ghp, ["agent", "add", "w\(index)", "--path", worktree], in: repo, environment: ["GHP_AGENT": "lead"])
      for step in 0..<perBranch {
        // Every branch rewrites one of eight shared files (pairs overlap) and a file of its own.
        let shared = "F\(index % 8).txt"
        try Data("line from w\(index) step \(step)\n".utf8).write(to: URL(fileURLWithPath: worktree + "/" + shared))
        try Data("own \(step)\n".utf8).write(to: URL(fileURLWithPath: worktree + "/own-\(index).txt"))
        Harness.git(["add", "."], in: worktree)
        Harness.git(["-c", "core.hooksPath=/nonexistent", "commit", "-qm", "w\(index) step \(step)"], in: worktree)
      }
    }
    let runs = quick ? 3 : 7
    var ghpTimes: [Double] = []
    var scriptTimes: [Double] = []
    let names = (0..<branches).map { "agent/w\($0)" }
    var script = ""
    for name in names { script += "git merge-tree --write-tree main \(name) >/dev/null\n" }
    for (index, one) in names.enumerated() {
      for two in names[(index + 1)...] { script += "git merge-tree --write-tree \(one) \(two) >/dev/null\n" }
    }
    var conflicts = ""
    for _ in 0..<runs {
      let result = Harness.run(ghp, ["conflicts", "--json"], in: repo)
      ghpTimes.append(result.seconds)
      conflicts = result.output
      scriptTimes.append(Harness.run("/bin/sh", ["-c", script], in: repo, check: false).seconds)
    }
    let pairs = (try? JSON.parse(conflicts))?["conflicts"]?.arrayValue?.count ?? -1
    report.add("    ghp conflicts, whole process: ms (target < 1000)", format(Harness.median(ghpTimes) * 1000, 1))
    report.add("    the same 136 merges by git merge-tree --write-tree: ms", format(Harness.median(scriptTimes) * 1000, 1))
    report.add("    ratio ghp / script", format(Harness.median(ghpTimes) / Harness.median(scriptTimes), 2))
    report.add("    conflicting pairs found", String(pairs))
  }
}
