import Foundation
import GHPKit

/// Issue 2's figures: ledger throughput, whole-process heartbeat against the git CLI, and reads
/// that do not grow with history.
enum LedgerBench {
  /// `ghp-bench writer <repo> <agent> <count>`: one writer process of the multi-process figure.
  static func writer(repo: String, agent: String, count: Int) throws {
    let workspace = try Workspace(path: repo, agent: agent, environment: [:])
    for index in 0..<count {
      try workspace.run(StatusUpdateOperation(status: "implementing", action: "write \(index)", isHeartbeat: true))
    }
  }

  static func initialise(_ repo: String) {
    Harness.run(
      // The benchmarks' agents (w1 ... wN) register by their first write, as before unknownAgents.
      Harness.binFolder.appendingPathComponent("ghp").path,
      ["init", "--goal", "bench", "--unknown-agents", "register"], in: repo,
      environment: ["GHP_AGENT": "lead"])
  }

  static func run(quick: Bool, report: inout Report) throws {
    let commits = quick ? 400 : 2000

    Report.section("1-2. ledger throughput (heartbeat transactions, fsync on)")
    // In-process throughput, for the record.
    let solo = Harness.scratchRepository("single")
    initialise(solo)
    let workspace = try Workspace(path: solo, agent: "solo", environment: [:])
    let start = Harness.now()
    for index in 0..<commits {
      try workspace.run(StatusUpdateOperation(status: "implementing", action: "write \(index)", isHeartbeat: true))
    }
    report.add(
      "1. one writer, in one process: commits/s (\(commits) commits)", format(Double(commits) / (Harness.now() - start))
    )

    // One writer process against eight at once, alternated over three rounds on fresh repositories:
    // fsync latency on a shared disk wanders, so each side gets the same weather.
    let me = Harness.binFolder.appendingPathComponent("ghp-bench").path
    var single: [Double] = []
    var multi: [Double] = []
    var landedCounts: [Int] = []
    for round in 0..<3 {
      let one = Harness.scratchRepository("one-\(round)")
      initialise(one)
      let oneWall = Harness.together([(me, ["writer", one, "w", String(commits)])], in: one, environment: [[:]])
      single.append(Double(commits) / oneWall)
      let eight = Harness.scratchRepository("eight-\(round)")
      initialise(eight)
      let perWriter = commits / 8
      let eightWall = Harness.together(
        (0..<8).map { (me, ["writer", eight, "w\($0)", String(perWriter)]) }, in: eight,
        environment: Array(repeating: [:], count: 8))
      multi.append(Double(perWriter * 8) / eightWall)
      landedCounts.append(
        Int(
          Harness.git(["rev-list", "--count", "ghp/state"], in: eight).trimmingCharacters(in: .whitespacesAndNewlines))
          ?? 0)
    }
    let singleRate = Harness.median(single)
    let multiRate = Harness.median(multi)
    report.add("   one writer process: commits/s, median of 3", format(singleRate))
    report.add("2. 8 writer processes at once: aggregate commits/s, median of 3", format(multiRate))
    report.add("   ratio to one writer process (target >= 0.75)", format(multiRate / singleRate, 2))
    report.add(
      "   commits on ghp/state per round (expected \(commits / 8 * 8 + 1))",
      landedCounts.map(String.init).joined(separator: ", "))

    try heartbeatAgainstGitCLI(quick: quick, report: &report)
    try statusAgainstHistory(quick: quick, report: &report)
  }

  // MARK: - 3. whole-process heartbeat against the git CLI

  static let gitScript = #"""
    #!/bin/bash
    # A heartbeat with the git CLI: read agent-status.json, update the agent's action and time,
    # hash-object, mktree (.ghp and root), commit-tree, update-ref <ref> <new> <old>.
    set -e
    ref=refs/heads/ghp/state
    tip=$(git rev-parse $ref)
    now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    blob=$(git cat-file blob "$tip:.ghp/agent-status.json" \
      | sed -e "/\"$AGENT\": {/,/}/ s/\"lastAction\": \".*\"/\"lastAction\": \"$ACTION\"/" \
            -e "/\"$AGENT\": {/,/}/ s/\"timestamp\": \".*\"/\"timestamp\": \"$now\"/" \
      | git hash-object -w --stdin)
    ghp_tree=$(git ls-tree "$tip:.ghp" | sed "s/[0-9a-f]\{40\}\tagent-status.json$/$blob\tagent-status.json/" | git mktree)
    root=$(git ls-tree "$tip" | sed "s/[0-9a-f]\{40\}\t.ghp$/$ghp_tree\t.ghp/" | git mktree)
    export GIT_AUTHOR_NAME=$AGENT GIT_AUTHOR_EMAIL=$AGENT@ghp GIT_COMMITTER_NAME=$AGENT GIT_COMMITTER_EMAIL=$AGENT@ghp
    commit=$(printf '%s: heartbeat %s\n\nGhp-Op: heartbeat\nGhp-Agent: %s\n' "$AGENT" "$ACTION" "$AGENT" | git commit-tree "$root" -p "$tip")
    git update-ref $ref "$commit" "$tip"
    """#

  static func heartbeatAgainstGitCLI(quick: Bool, report: inout Report) throws {
    Report.section("3. whole-process heartbeat: ghp against a git CLI script (pairs, alternating)")
    let repo = Harness.scratchRepository("heartbeat")
    initialise(repo)
    let ghp = Harness.binFolder.appendingPathComponent("ghp").path
    Harness.run(ghp, ["agent-heartbeat", "--action", "first"], in: repo, environment: ["GHP_AGENT": "w1"])
    let script = NSTemporaryDirectory() + "ghp-bench-heartbeat-\(getpid()).sh"
    try gitScript.write(toFile: script, atomically: true, encoding: .utf8)
    defer { unlink(script) }
    let pairs = quick ? 20 : 60
    var ghpTimes: [Double] = []
    var scriptTimes: [Double] = []
    for index in 0..<pairs {
      ghpTimes.append(
        Harness.run(ghp, ["agent-heartbeat", "--action", "beat-\(index)"], in: repo, environment: ["GHP_AGENT": "w1"])
          .seconds)
      scriptTimes.append(
        Harness.run("/bin/bash", [script], in: repo, environment: ["AGENT": "w1", "ACTION": "beat-\(index)"]).seconds)
    }
    // The script's commits are real state commits: ghp still reads the document they wrote.
    let check = Harness.run(ghp, ["agent-status", "--json"], in: repo)
    precondition(check.output.contains("beat-\(pairs - 1)"), "the git script did not land its heartbeat")
    let g = Harness.median(ghpTimes)
    let s = Harness.median(scriptTimes)
    report.add("ghp agent-heartbeat, median of \(pairs)", ms(g))
    report.add("git CLI script (13 processes), median of \(pairs)", ms(s))
    report.add("ratio ghp / script (target <= 1.0)", format(g / s, 2))
  }

  // MARK: - 4. agent-status against the length of history

  /// A fast-import stream: `commits` commits on ghp/state, the last tree holding `agents` agents.
  static func history(commits: Int, agents: Int) -> Data {
    var agentsJSON: [String: JSON] = [:]
    for index in 0..<agents {
      agentsJSON["agent-\(index)"] = .object([
        "issue": .int(index), "status": .string("implementing"), "lastAction": .string("Working on part \(index)"),
        "timestamp": .string("2025-01-25T10:30:00Z"), "role": .string("worker"),
      ])
    }
    let status = JSON.object(["agents": .object(agentsJSON)]).canonical()
    let config = Array(Config().toml.utf8)
    var out = Data()
    func blob(_ path: String, _ bytes: [UInt8]) {
      out.append(contentsOf: Array("M 100644 inline \(path)\ndata \(bytes.count)\n".utf8))
      out.append(contentsOf: bytes)
      out.append(0x0A)
    }
    for index in 0..<commits {
      let message = Array("bench: event \(index)\n\nGhp-Op: bench\nGhp-Agent: bench\n".utf8)
      out.append(
        contentsOf: Array(
          "commit refs/heads/ghp/state\ncommitter bench <bench@ghp> \(1_700_000_000 + index) +0000\ndata \(message.count)\n"
            .utf8))
      out.append(contentsOf: message)
      out.append(0x0A)
      if index == 0 {
        blob(".ghp/agent-status.json", status)
        blob(".ghp/config.toml", config)
      }
      blob(".ghp/discoveries.md", Array("# Discoveries\n\n- event \(index)\n".utf8))
      if index == commits - 1 { blob(".ghp/discoveries.md", Array("# Discoveries\n".utf8)) }
    }
    return out
  }

  static func statusAgainstHistory(quick: Bool, report: inout Report) throws {
    let long = quick ? 20_000 : 100_000
    let short = 1_000
    Report.section("4. ghp agent-status --json, 1,000 agents: \(long) commits of history against \(short)")
    let ghp = Harness.binFolder.appendingPathComponent("ghp").path
    var medians: [Int: Double] = [:]
    var trees: [Int: String] = [:]
    for commits in [short, long] {
      let repo = Harness.scratchRepository("history-\(commits)")
      let started = Harness.now()
      Harness.git(["fast-import", "--quiet"], in: repo, stdin: history(commits: commits, agents: 1000))
      let built = Harness.now() - started
      trees[commits] = Harness.git(["rev-parse", "ghp/state^{tree}"], in: repo)
      let count = Harness.git(["rev-list", "--count", "ghp/state"], in: repo).trimmingCharacters(
        in: .whitespacesAndNewlines)
      report.add("history of \(count) commits built with git fast-import in", format(built, 1) + " s")
      Harness.run(ghp, ["agent-status", "--json"], in: repo)  // warm the page cache
      medians[commits] = Harness.median(
        (0..<(quick ? 15 : 40)).map { _ in Harness.run(ghp, ["agent-status", "--json"], in: repo).seconds })
    }
    precondition(trees[short] == trees[long], "the two histories must end in the same tree")
    report.add("median with \(short) commits", ms(medians[short]!))
    report.add("median with \(long) commits", ms(medians[long]!))
    report.add("ratio long / short (target <= 1.2)", format(medians[long]! / medians[short]!, 2))
  }
}
