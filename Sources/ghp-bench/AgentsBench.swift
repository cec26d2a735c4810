import Foundation
import GHPKit

/// Issue 27's "cost flat in the number of agents": a status heartbeat, a claim and a release by
/// one agent, whole processes, on a state of 10,000 registered agents against the same on 100,
/// alternating, in one run. Each state is `ghp init`, then `.ghp/agent-status.json` holding the
/// agents as ghp writes it (canonical), committed on top with git plumbing (registering 10,000
/// agents one by one would take minutes and measure nothing more).
enum AgentsBench {
  static func run(quick: Bool, report: inout Report) throws {
    Report.section("23. one agent's write at 10,000 agents against at 100 (pairs, alternating)")
    let ghp = Harness.binFolder.appendingPathComponent("ghp").path
    let sizes = [100, 10_000]
    var repos: [Int: String] = [:]
    for size in sizes { repos[size] = try state(agents: size) }
    let rounds = quick ? 7 : 21
    var times: [Int: (beat: [Double], claim: [Double], release: [Double])] = [:]
    for size in sizes { times[size] = ([], [], []) }
    for round in 0..<rounds {
      for size in round % 2 == 0 ? sizes : sizes.reversed() {
        let repo = repos[size]!
        let worker = ["GHP_AGENT": "w7"]
        Harness.run(ghp, ["issue", "add", "Part \(round)"], in: repo, environment: ["GHP_AGENT": "lead"])
        let beat = Harness.run(
          ghp, ["agent-heartbeat", "--status", "implementing", "--action", "step \(round)"], in: repo,
          environment: worker)
        let claim = Harness.run(ghp, ["claim", "\(round + 1)"], in: repo, environment: worker)
        let release = Harness.run(ghp, ["release", "\(round + 1)"], in: repo, environment: worker)
        // The first round of each warms the caches; it is not counted.
        guard round > 0 else { continue }
        times[size]!.beat.append(beat.seconds)
        times[size]!.claim.append(claim.seconds)
        times[size]!.release.append(release.seconds)
      }
    }
    func row(_ what: String, _ pick: ((beat: [Double], claim: [Double], release: [Double])) -> [Double]) {
      let few = Harness.median(pick(times[100]!)) * 1000
      let many = Harness.median(pick(times[10_000]!)) * 1000
      report.add("\(what) at 100 agents: ms", format(few, 2))
      report.add("\(what) at 10,000 agents: ms", format(many, 2))
      report.add("   ratio 10,000 / 100 (goal <= 1.5)", format(many / few, 2))
    }
    row("agent-heartbeat --status", { $0.beat })
    row("claim", { $0.claim })
    row("release", { $0.release })
  }

  /// A state of `size` registered agents (w0, w1, …) besides `ghp init`'s, as ghp writes it.
  static func state(agents size: Int) throws -> String {
    let repo = Harness.scratchRepository("agents-\(size)")
    LedgerBench.initialise(repo)
    var document = try AgentStatusDocument(
      json: JSON.parse(Array(Harness.git(["show", "ghp/state:.ghp/agent-status.json"], in: repo).utf8)))
    for index in 0..<size {
      document.agents["w\(index)"] = AgentRecord(
        status: "idle", lastAction: "Added by lead", timestamp: 1_764_900_000 + Int64(index),
        branch: "agent/w\(index)")
    }
    let file = repo + "/.git/agents.json"
    try Data(document.json.canonical()).write(to: URL(fileURLWithPath: file))
    let blob = Harness.git(["hash-object", "-w", file], in: repo).trimmingCharacters(in: .whitespacesAndNewlines)
    let index = repo + "/.git/bench-index"
    let plumbing = ["GIT_INDEX_FILE": index]
    Harness.run("/usr/bin/git", ["read-tree", "ghp/state"], in: repo, environment: plumbing)
    Harness.run(
      "/usr/bin/git", ["update-index", "--cacheinfo", "100644,\(blob),.ghp/agent-status.json"], in: repo,
      environment: plumbing)
    let tree = Harness.run("/usr/bin/git", ["write-tree"], in: repo, environment: plumbing).output
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let commit = Harness.run(
      "/usr/bin/git", ["commit-tree", tree, "-p", "ghp/state", "-m", "bench: \(size) agents"], in: repo,
      environment: [
        "GIT_AUTHOR_NAME": "lead", "GIT_AUTHOR_EMAIL": "lead@ghp", "GIT_COMMITTER_NAME": "lead",
        "GIT_COMMITTER_EMAIL": "lead@ghp",
      ]
    ).output.trimmingCharacters(in: .whitespacesAndNewlines)
    Harness.git(["update-ref", "refs/heads/ghp/state", commit], in: repo)
    return repo
  }
}
