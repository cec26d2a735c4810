import Foundation
import GHPKit

/// Issue 6's figures: claims per second through a git daemon on loopback with 1, 4 and 16 agents
/// (each on its own clone), and the time to sync 1,000 local operations.
enum RemoteBench {
  /// Starts `git daemon` on a free loopback port serving `base`; returns its port and pid file.
  static func startDaemon(base: String) -> (port: Int, pidFile: String) {
    let pidFile = base + "/daemon.pid"
    for _ in 0..<20 {
      let port = Int.random(in: 20000..<60000)
      let command =
        "git daemon --base-path='\(base)' --export-all --enable=receive-pack --listen=127.0.0.1 --port=\(port) --reuseaddr --detach --pid-file='\(pidFile)' </dev/null >/dev/null 2>&1"
      guard Harness.run("/bin/sh", ["-c", command], in: base, check: false).status == 0 else { continue }
      for _ in 0..<50 {
        if Harness.run("/usr/bin/git", ["ls-remote", "git://127.0.0.1:\(port)/state.git"], in: base, check: false)
          .status == 0
        {
          return (port, pidFile)
        }
        usleep(100_000)
      }
    }
    fatalError("git daemon did not start")
  }

  static func stopDaemon(_ pidFile: String) {
    if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
      let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    {
      kill(pid, SIGTERM)
    }
  }

  static func run(quick: Bool, report: inout Report) throws {
    Report.section("10-11. across machines: a git daemon on loopback")
    let ghp = Harness.binFolder.appendingPathComponent("ghp").path
    let base = Harness.scratchRepository("server-root")
    Harness.git(["init", "-q", "--bare", base + "/state.git"], in: base)
    Harness.git(["config", "receive.denyNonFastForwards", "true"], in: base + "/state.git")
    let daemon = startDaemon(base: base)
    defer { stopDaemon(daemon.pidFile) }
    let url = "git://127.0.0.1:\(daemon.port)/state.git"

    let perAgent = quick ? 6 : 15
    let seed = Harness.scratchRepository("remote-seed")
    Harness.git(["remote", "add", "origin", url], in: seed)
    Harness.git(["push", "-q", "origin", "main"], in: seed)
    LedgerBench.initialise(seed)
    let issues = (0..<(21 * perAgent + 10)).map { #"{"id": "r\#($0)", "title": "Remote issue \#($0)"}"# }
    try Data(("[" + issues.joined(separator: ",") + "]").utf8).write(to: URL(fileURLWithPath: seed + "/issues.json"))
    Harness.run(ghp, ["issue", "import", seed + "/issues.json"], in: seed, environment: ["GHP_AGENT": "lead"])
    Harness.run(ghp, ["remote", "set", "origin"], in: seed, environment: ["GHP_AGENT": "lead"])

    // One uncontended write, whole process: ghp in remote mode against the same transfer by git
    // (fetch the branch, commit onto it, push), each from its own clone to its own repository.
    let writes = quick ? 15 : 40
    Harness.git(["init", "-q", "--bare", base + "/plain.git"], in: base)
    let plain = Harness.scratchRepository("remote-plain")
    Harness.git(["remote", "add", "origin", "git://127.0.0.1:\(daemon.port)/plain.git"], in: plain)
    Harness.git(["push", "-q", "origin", "main:refs/heads/ghp/state"], in: plain)
    let gitScript = """
      git fetch -q origin ghp/state && \
      c=$(git commit-tree -p FETCH_HEAD -m write 'FETCH_HEAD^{tree}') && \
      git push -q origin "$c:refs/heads/ghp/state"
      """
    var gitTimes: [Double] = []
    var ghpTimes: [Double] = []
    var beatTimes: [Double] = []
    for index in 0..<writes {
      gitTimes.append(Harness.run("/bin/sh", ["-c", gitScript], in: plain).seconds)
      // A state write (a status: a plain heartbeat goes to the agent's own ref instead).
      ghpTimes.append(
        Harness.run(
          ghp, ["agent-heartbeat", "--status", "working", "--action", "write \(index)"], in: seed,
          environment: ["GHP_AGENT": "writer"]
        ).seconds)
      beatTimes.append(
        Harness.run(
          ghp, ["agent-heartbeat", "--action", "beat \(index)"], in: seed, environment: ["GHP_AGENT": "writer"]
        ).seconds)
    }
    let gitWrite = Harness.median(gitTimes)
    let ghpWrite = Harness.median(ghpTimes)
    report.add("uncontended remote state write: ghp agent-heartbeat --status, median of \(writes)", ms(ghpWrite))
    report.add("   baseline: git fetch + commit-tree + push script", ms(gitWrite))
    report.add("   ratio ghp ÷ git (goal ≤ 0.6: one connection against two)", format(ghpWrite / gitWrite, 2))
    let beat = Harness.median(beatTimes)
    report.add("plain heartbeat on the agent's own ref (fetch + push, never contended), median", ms(beat))
    report.add("   ratio ÷ git script", format(beat / gitWrite, 2))

    try slowLink(ghp: ghp, base: base, daemonPort: daemon.port, quick: quick, report: &report)

    var clones: [String] = []
    for index in 0..<16 {
      let clone = Harness.scratchRepository("remote-clone-\(index)")
      Harness.git(["remote", "add", "origin", url], in: clone)
      Harness.run(ghp, ["sync"], in: clone, environment: ["GHP_AGENT": "lead"])
      clones.append(clone)
    }
    for agents in [1, 4, 16] {
      // A claim that gives up (the state kept moving past its limit) is counted, not fatal.
      let failures = base + "/claims-failed-\(agents)"
      FileManager.default.createFile(atPath: failures, contents: nil)
      let script =
        "for i in $(seq \(perAgent)); do '\(ghp)' claim --next >/dev/null 2>>'\(failures)' || echo >>'\(failures).count'; done"
      let wall = Harness.together(
        (0..<agents).map { _ in ("/bin/sh", ["-c", script]) }, in: clones[0],
        environment: (0..<agents).map { ["GHP_AGENT": "c\(agents)-\($0)"] }, directories: Array(clones.prefix(agents)))
      let failed = ((try? String(contentsOfFile: failures + ".count", encoding: .utf8)) ?? "").filter { $0 == "\n" }
        .count
      report.add(
        "claims/s with \(agents) agent\(agents == 1 ? "" : "s") (one clone each, \(perAgent) claims each)",
        format(Double(agents * perAgent - failed) / wall))
      if failed > 0 {
        let first = ((try? String(contentsOfFile: failures, encoding: .utf8)) ?? "").split(separator: "\n").first ?? ""
        report.add("   claims that gave up", "\(failed): \(first)")
      }
    }

    // A clone that fetches all day: a writer makes 5 operations and syncs them, a reader syncs
    // (one fetch, one pack), round after round; agent-status in the reader after many rounds
    // against after 100 writes (past `Repository.packLimit` packs the small ones are merged): 10,000 writes in
    // the full run, as the goal is stated.
    let rounds = quick ? 200 : 2001
    let earlyRound = quick ? 100 : 20
    let dayURL = "git://127.0.0.1:\(daemon.port)/day.git"
    Harness.git(["init", "-q", "--bare", base + "/day.git"], in: base)
    Harness.git(["config", "receive.denyNonFastForwards", "true"], in: base + "/day.git")
    let dayWriter = Harness.scratchRepository("day-writer")
    Harness.git(["remote", "add", "origin", dayURL], in: dayWriter)
    LedgerBench.initialise(dayWriter)
    Harness.run(ghp, ["sync"], in: dayWriter, environment: ["GHP_AGENT": "lead"])
    let dayReader = Harness.scratchRepository("day-reader")
    Harness.git(["remote", "add", "origin", dayURL], in: dayReader)
    Harness.run(ghp, ["sync"], in: dayReader, environment: ["GHP_AGENT": "lead"])
    let writer = try Workspace(path: dayWriter, agent: "day-agent", environment: [:])
    func statusTime() -> Double {
      Harness.median(
        (0..<9).map { _ in
          Harness.run(ghp, ["agent-status", "--json"], in: dayReader, environment: ["GHP_AGENT": "lead"]).seconds
        })
    }
    var early = 0.0
    var packsEarly = 0
    // The last round measured may be the one before a merge, when the most packs stand:
    // the worst a clone that fetches all day sees.
    for round in 1..<rounds {
      for step in 0..<5 {
        try writer.run(StatusUpdateOperation(status: "implementing", action: "r\(round) s\(step)", isHeartbeat: true))
      }
      Harness.run(ghp, ["sync"], in: dayWriter, environment: ["GHP_AGENT": "lead"])
      Harness.run(ghp, ["sync"], in: dayReader, environment: ["GHP_AGENT": "lead"])
      if round == earlyRound {
        early = statusTime()
        packsEarly = (try? Repository(discovering: dayReader))?.packIndexes().count ?? -1
      }
    }
    let late = statusTime()
    let packsLate = (try? Repository(discovering: dayReader))?.packIndexes().count ?? -1
    report.add(
      "agent-status in a clone after \(earlyRound) fetched syncs, \(earlyRound * 5) remote writes (\(packsEarly) packs)",
      ms(early))
    report.add("   after \(rounds - 1) fetched syncs, \((rounds - 1) * 5) remote writes (\(packsLate) packs)", ms(late))
    report.add("   ratio late ÷ early (goal ≤ 1.2)", format(late / early, 2))

    // Local mode (no `remote set`): 1,000 operations made on one machine while another moved the
    // remote; sync re-applies them onto the remote tip.
    Harness.git(["init", "-q", "--bare", base + "/offline.git"], in: base)
    Harness.git(["config", "receive.denyNonFastForwards", "true"], in: base + "/offline.git")
    let offlineURL = "git://127.0.0.1:\(daemon.port)/offline.git"
    let publisher = Harness.scratchRepository("offline-seed")
    Harness.git(["remote", "add", "origin", offlineURL], in: publisher)
    LedgerBench.initialise(publisher)
    Harness.run(ghp, ["sync"], in: publisher, environment: ["GHP_AGENT": "lead"])
    let offline = Harness.scratchRepository("remote-offline")
    Harness.git(["remote", "add", "origin", offlineURL], in: offline)
    Harness.run(ghp, ["sync"], in: offline, environment: ["GHP_AGENT": "lead"])
    let workspace = try Workspace(path: offline, agent: "offline-agent", environment: [:])
    let count = quick ? 300 : 1000
    for index in 0..<count {
      try workspace.run(StatusUpdateOperation(status: "implementing", action: "offline \(index)", isHeartbeat: true))
    }
    Harness.run(ghp, ["agent-heartbeat", "--action", "meanwhile"], in: publisher, environment: ["GHP_AGENT": "other"])
    Harness.run(ghp, ["sync"], in: publisher, environment: ["GHP_AGENT": "other"])
    let sync = Harness.run(ghp, ["sync", "--json"], in: offline, environment: ["GHP_AGENT": "offline-agent"])
    let landed = sync.output.components(separatedBy: "\"landed\"").count - 1
    report.add("ghp sync of \(count) local operations onto a moved remote", format(sync.seconds, 2) + " s")
    report.add("   operations re-applied (expected \(count))", String(landed))
    report.add("   per operation", ms(sync.seconds / Double(max(landed, 1))))
  }

  /// Writers on one host across a slow link (the tests' relay, 30 ms each way): one writer, then
  /// eight at once on the same clone, whose pushes carry each other's commits; the pushes are the
  /// server's reflog.
  static func slowLink(ghp: String, base: String, daemonPort: Int, quick: Bool, report: inout Report) throws {
    let script = Harness.fixture("Tests/Fixtures/delay-relay.py")
    guard FileManager.default.fileExists(atPath: script) else {
      report.add("writers across a 30 ms link", "skipped: run from the repository (\(script) not found)")
      return
    }
    let relayPort = Int.random(in: 20000..<60000)
    let relay = Process()
    relay.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    relay.arguments = [script, "127.0.0.1", "\(relayPort)", "127.0.0.1", "\(daemonPort)", "30"]
    let ready = Pipe()
    relay.standardOutput = ready
    try relay.run()
    defer { relay.terminate() }
    _ = ready.fileHandleForReading.availableData
    Harness.git(["init", "-q", "--bare", base + "/slow.git"], in: base)
    Harness.git(["config", "receive.denyNonFastForwards", "true"], in: base + "/slow.git")
    Harness.git(["config", "core.logAllRefUpdates", "always"], in: base + "/slow.git")
    let clone = Harness.scratchRepository("slow-clone")
    Harness.git(["remote", "add", "origin", "git://127.0.0.1:\(relayPort)/slow.git"], in: clone)
    Harness.git(["push", "-q", "origin", "main"], in: clone)
    Harness.run(ghp, ["init", "--unknown-agents", "register"], in: clone, environment: ["GHP_AGENT": "lead"])
    Harness.run(ghp, ["remote", "set", "origin"], in: clone, environment: ["GHP_AGENT": "lead"])
    func pushes() -> Int {
      Harness.run("/usr/bin/git", ["reflog", "show", "--format=%H", "ghp/state"], in: base + "/slow.git").output
        .split(separator: "\n").count
    }
    let each = quick ? 5 : 10
    let loop = { (count: Int) in
      "for i in $(seq \(count)); do '\(ghp)' agent-heartbeat --status working --action \"$GHP_AGENT $i\" >/dev/null || exit 1; done"
    }
    let alone = Harness.together(
      [("/bin/sh", ["-c", loop(each * 2)])], in: clone, environment: [["GHP_AGENT": "solo"]], directories: [clone])
    let before = pushes()
    let together = Harness.together(
      (0..<8).map { _ in ("/bin/sh", ["-c", loop(each)]) }, in: clone,
      environment: (0..<8).map { ["GHP_AGENT": "w\($0)"] }, directories: Array(repeating: clone, count: 8))
    let carried = pushes() - before
    let one = Double(each * 2) / alone
    let eight = Double(8 * each) / together
    report.add("writes/s, 1 writer on a clone 30 ms from the server", format(one))
    report.add("   8 writers at once on that clone", format(eight))
    report.add("   ratio 8 ÷ 1 (a push carries the others' commits)", format(eight / one, 2))
    report.add("   pushes for their \(8 * each) writes", String(carried))
  }
}
