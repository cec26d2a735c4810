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
    report.add(
      "    the same 136 merges by git merge-tree --write-tree: ms", format(Harness.median(scriptTimes) * 1000, 1))
    report.add("    ratio ghp / script", format(Harness.median(ghpTimes) / Harness.median(scriptTimes), 2))
    report.add("    conflicting pairs found", String(pairs))
  }
}

/// Issue 11's second figure: what `ghp land` adds per issue beyond the gate's own time, with a
/// no-op gate (`true`), against a shell script landing the same branches with
/// `git merge-tree --write-tree`, `git commit-tree`, a checkout in a scratch worktree, the gate, and
/// `git update-ref` with the old value (the same compare-and-swap), measured in the same run.
enum LandingBench {
  static func run(quick: Bool, report: inout Report) throws {
    Report.section("18. ghp land: overhead per issue with a no-op gate")
    let ghp = Harness.binFolder.appendingPathComponent("ghp").path
    let repo = Harness.scratchRepository("landing")
    for file in 0..<50 { try Data("file \(file)\n".utf8).write(to: URL(fileURLWithPath: repo + "/F\(file).txt")) }
    Harness.git(["add", "."], in: repo)
    Harness.git(["commit", "-qm", "files"], in: repo)
    LedgerBench.initialise(repo)
    let lead = ["GHP_AGENT": "lead"]
    Harness.run(ghp, ["config", "set", "landing.gate", "[\"true\"]"], in: repo, environment: lead)
    let issues = quick ? 5 : 20
    for index in 0..<issues {
      let worktree = repo + "-w\(index)"
      Harness.scratchRoots.insert(worktree)
      Harness.run(ghp, ["agent", "add", "w\(index)", "--path", worktree], in: repo, environment: lead)
      Harness.run(ghp, ["issue", "add", "Part \(index)"], in: repo, environment: lead)
      Harness.run(ghp, ["claim", "\(index + 1)"], in: worktree)
      try Data("work of w\(index)\n".utf8).write(to: URL(fileURLWithPath: worktree + "/W\(index).txt"))
      Harness.git(["add", "."], in: worktree)
      Harness.git(["-c", "core.hooksPath=/nonexistent", "commit", "-qm", "w\(index)"], in: worktree)
      Harness.run(ghp, ["done", "\(index + 1)", "--result", "done"], in: worktree)
    }
    // The script lands the same branches on a branch of its own, in a worktree of its own.
    let start = Harness.git(["rev-parse", "main"], in: repo).trimmingCharacters(in: .whitespacesAndNewlines)
    Harness.git(["branch", "script-base", start], in: repo)
    let scratch = repo + "-script"
    Harness.scratchRoots.insert(scratch)
    Harness.git(["worktree", "add", "-q", "--detach", scratch, start], in: repo)
    var script = "set -e\n"
    for index in 0..<issues {
      script += """
        old=$(git rev-parse script-base)
        tree=$(git merge-tree --write-tree "$old" agent/w\(index))
        new=$(git commit-tree "$tree" -p "$old" -p agent/w\(index) -m "land w\(index)")
        git -C \(scratch) checkout -q --detach "$new"
        (cd \(scratch) && true)
        git update-ref refs/heads/script-base "$new" "$old"

        """
    }
    func scriptFromTheStart() -> Double {
      Harness.git(["update-ref", "refs/heads/script-base", start], in: repo)
      Harness.git(["-C", scratch, "checkout", "-q", "--detach", start], in: repo)
      return Harness.run("/bin/sh", ["-c", script], in: repo).seconds
    }
    // The same landing from the same start, in rounds: the script, ghp uncontained (landing.sandbox
    // off), ghp contained (bubblewrap, a cgroup); a first contained landing warms the scratch
    // worktree and the caches. The medians of the rounds are compared: what ghp costs over the
    // script, and what the sandbox costs per landing.
    Harness.git(["branch", "before-landing", "main"], in: repo)
    let stateBefore = Harness.git(["rev-parse", "ghp/state"], in: repo).trimmingCharacters(in: .whitespacesAndNewlines)
    func landFromTheStart(sandbox: String) -> (seconds: Double, landed: Int) {
      Harness.git(["update-ref", "refs/heads/ghp/state", stateBefore], in: repo)
      Harness.git(["update-ref", "refs/heads/main", "before-landing"], in: repo)
      Harness.git(["reset", "-q", "--hard", "main"], in: repo)
      Harness.run(ghp, ["config", "set", "landing.sandbox", sandbox], in: repo, environment: lead)
      let run = Harness.run(ghp, ["land", "--once", "--json"], in: repo, environment: lead)
      return (run.seconds, (try? JSON.parse(run.output))?["landed"]?.arrayValue?.count ?? -1)
    }
    _ = landFromTheStart(sandbox: "on")
    var (scriptTimes, openTimes, containedTimes): ([Double], [Double], [Double]) = ([], [], [])
    var (landed, openLanded) = (0, 0)
    // The script and ghp uncontained side by side, then the contained runs: a contained landing's
    // own writes (the sandbox, a cgroup) are not left for the next uncontained one to wait behind.
    let rounds = quick ? 1 : 7
    for _ in 0..<rounds {
      scriptTimes.append(scriptFromTheStart())
      let open = landFromTheStart(sandbox: "off")
      openTimes.append(open.seconds)
      openLanded = open.landed
    }
    for _ in 0..<rounds {
      let contained = landFromTheStart(sandbox: "on")
      containedTimes.append(contained.seconds)
      landed = contained.landed
    }
    let ghpPer = Harness.median(containedTimes) * 1000 / Double(issues)
    let openPer = Harness.median(openTimes) * 1000 / Double(issues)
    let scriptPer = Harness.median(scriptTimes) * 1000 / Double(issues)
    report.add(
      "    issues landed by one `ghp land --once` (contained gate; uncontained)",
      "\(landed), \(openLanded) of \(issues)")
    report.add("    ghp land, contained gate, whole process, per issue: ms (target < 100)", format(ghpPer, 1))
    report.add("    ghp land, uncontained gate (sandbox off), per issue: ms", format(openPer, 1))
    report.add("    sandbox overhead per landing: ms (target <= 30)", format(ghpPer - openPer, 1))
    report.add("    landing throughput contained / uncontained (target >= 0.8)", format(openPer / ghpPer, 2))
    report.add("    git merge-tree script, per issue: ms", format(scriptPer, 1))
    report.add("    ratio ghp (contained) / script", format(ghpPer / scriptPer, 2))
    report.add("    ratio ghp (uncontained) / script (goal <= 1.2)", format(openPer / scriptPer, 2))
  }
}
