import Foundation
import GHPKit

/// Issue 10's figures: verifying a commit against making it; a signed heartbeat against an unsigned
/// one; a server's pre-receive over a push of 100 state commits; the memory of a long-lived MCP
/// server in remote mode.
enum TrustBench {
  static func run(quick: Bool, report: inout Report) throws {
    Report.section("13-16. a ledger that proves itself")
    let ghp = Harness.binFolder.appendingPathComponent("ghp").path

    // 13. Make N signed heartbeats in one process, then verify them all.
    let commits = quick ? 200 : 1000
    let repo = Harness.scratchRepository("verify")
    LedgerBench.initialise(repo)
    Harness.run(ghp, ["agent", "add", "w1", "--path", repo + "-w1"], in: repo, environment: ["GHP_AGENT": "lead"])
    Harness.scratchRoots.insert(repo + "-w1")
    let workspace = try Workspace(path: repo, agent: "w1", environment: [:])
    let before = try workspace.snapshot().commit!
    var start = Harness.now()
    for index in 0..<commits {
      try workspace.run(StatusUpdateOperation(status: "implementing", action: "step \(index)", isHeartbeat: true))
    }
    let making = (Harness.now() - start) / Double(commits)
    start = Harness.now()
    let verified = try workspace.verify(range: "\(before.hex)..ghp/state")
    let verifying = (Harness.now() - start) / Double(verified.checked)
    report.add("13. making a signed heartbeat, in process: ms each", format(making * 1000, 3))
    report.add("    verifying it (re-executed, signature checked): ms each", format(verifying * 1000, 3))
    report.add("    ratio verify / make (target < 1)", format(verifying / making, 2))
    report.add("    commits found not to verify (expected 0)", String(verified.findings.count))

    // 14. Whole-process heartbeats: an agent with a key against one without, alternated.
    let rounds = quick ? 15 : 41
    var signed: [Double] = []
    var unsigned: [Double] = []
    for index in 0..<rounds {
      for (agent, into) in [("w1", 0), ("nokey", 1)] {
        let run = Harness.run(
          ghp, ["agent-heartbeat", "--action", "bench \(index)"], in: repo, environment: ["GHP_AGENT": agent])
        if into == 0 { signed.append(run.seconds) } else { unsigned.append(run.seconds) }
      }
    }
    let signedMedian = Harness.median(signed)
    let unsignedMedian = Harness.median(unsigned)
    report.add("14. ghp agent-heartbeat, signed: ms, median of \(rounds)", format(signedMedian * 1000, 2))
    report.add("    unsigned (an agent with no key): ms, median of \(rounds)", format(unsignedMedian * 1000, 2))
    report.add("    ratio signed / unsigned (target <= 1.3)", format(signedMedian / unsignedMedian, 2))

    // 15. A push of 100 state commits to a bare repository with and without ghp's pre-receive.
    let pushed = 100
    var withHook: [Double] = []
    var withoutHook: [Double] = []
    for round in 0..<(quick ? 1 : 3) {
      for hooked in [true, false] {
        let source = Harness.scratchRepository("push-\(round)-\(hooked)")
        LedgerBench.initialise(source)
        let server = source + "-server.git"
        Harness.scratchRoots.insert(server)
        Harness.git(["init", "-q", "--bare", server], in: source)
        if hooked { Harness.run(ghp, ["-C", server, "hooks", "install", "--server"], in: server) }
        Harness.git(["push", "-q", server, "main", "ghp/state"], in: source)
        let writer = try Workspace(path: source, agent: "lead", environment: [:])
        for index in 0..<pushed {
          try writer.run(StatusUpdateOperation(action: "push bench \(index)", isHeartbeat: true))
        }
        let run = Harness.run(
          "/usr/bin/git", ["push", "-q", server, "ghp/state"], in: source, environment: ["GHP_PUSHER": "lead"])
        if hooked { withHook.append(run.seconds) } else { withoutHook.append(run.seconds) }
      }
    }
    report.add(
      "15. push of \(pushed) state commits via pre-receive: ms, median", format(Harness.median(withHook) * 1000, 1))
    report.add("    the same push with no hook: ms, median", format(Harness.median(withoutHook) * 1000, 1))
    report.add(
      "    pre-receive's cost per pushed commit: ms",
      format((Harness.median(withHook) - Harness.median(withoutHook)) * 1000 / Double(pushed), 2))

    // 16. One MCP server in remote mode, 1,000 heartbeats through a git daemon: its memory.
    let base = Harness.scratchRepository("mcp-remote-root")
    Harness.git(["init", "-q", "--bare", base + "/state.git"], in: base)
    let daemon = RemoteBench.startDaemon(base: base)
    defer { RemoteBench.stopDaemon(daemon.pidFile) }
    let seed = Harness.scratchRepository("mcp-remote")
    Harness.git(["remote", "add", "origin", "git://127.0.0.1:\(daemon.port)/state.git"], in: seed)
    LedgerBench.initialise(seed)
    Harness.run(ghp, ["remote", "set", "origin"], in: seed, environment: ["GHP_AGENT": "lead"])
    let client = try MCPBench.Client(ghp: ghp, repo: seed, agent: "mcp-remote")
    defer { client.close() }
    let total = quick ? 200 : 1000
    var early = 0
    for index in 1...total {
      _ = try client.request("tools/call", #"{"name":"heartbeat","arguments":{"action":"remote \#(index)"}}"#)
      if index == total / 10 { early = client.residentKiB() }
    }
    let late = client.residentKiB()
    report.add("16. ghp-mcp in remote mode: resident MiB after \(total / 10) calls", format(Double(early) / 1024, 1))
    report.add("    after \(total) calls (flat means no leak per call)", format(Double(late) / 1024, 1))
    report.add("    growth per call: KiB", format(Double(late - early) / Double(total - total / 10), 2))
  }
}

extension MCPBench.Client {
  /// The server's resident memory (VmRSS of ghp-mcp: `ghp mcp` execs it in place).
  func residentKiB() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else {
      return 0
    }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
      return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
    return 0
  }
}
