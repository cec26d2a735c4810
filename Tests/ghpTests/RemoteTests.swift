import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// A bare repository behind a git daemon on loopback, a first clone where `lead` initialised ghp
/// with `issues` issues, and more clones made on demand (one per "machine").
final class Network {
  let seed: ScratchRepository
  let daemon: GitDaemon
  let url: String
  var clones: [String] = []

  /// `serverHooks`: ghp's server hooks installed (`ghp hooks install --server`), so the server
  /// checks every push and lands operations (`Sequencer`).
  init(issues: Int, remoteMode: Bool, serverHooks: Bool = false) throws {
    seed = try ScratchRepository()
    daemon = try GitDaemon(base: seed.root.deletingLastPathComponent().appendingPathComponent("srv"))
    let bare = try daemon.makeRepository("project.git")
    if serverHooks {
      let installed = try ProcessRunner.run(GHPBinary.path, ["-C", bare, "hooks", "install", "--server"], in: bare)
      #expect(installed.status == 0, "\(installed.stderr)")
    }
    url = daemon.url("project.git")
    try seed.git("remote", "add", "origin", url)
    try seed.git("push", "-q", "origin", "main")
    try seed.initialise(issues: issues)
    let shared =
      remoteMode ? try seed.ghp(["remote", "set", "origin"], agent: "lead") : try seed.ghp(["sync"], agent: "lead")
    #expect(shared.status == 0, "\(shared.stderr)")
  }

  /// A new clone (another machine) with the shared state fetched.
  func clone() throws -> String {
    let path = seed.root.deletingLastPathComponent().appendingPathComponent("clone-\(clones.count)").path
    #expect(
      try ProcessRunner.run("/usr/bin/git", ["clone", "-q", url, path], in: seed.root.deletingLastPathComponent().path)
        .status == 0)
    #expect(try ghp(["sync"], in: path, agent: "lead").status == 0)
    clones.append(path)
    return path
  }

  func ghp(_ arguments: [String], in path: String, agent: String, environment: [String: String] = [:]) throws
    -> ProcessRunner.Result
  {
    var env = environment
    env["GHP_AGENT"] = agent
    return try ProcessRunner.run(GHPBinary.path, arguments, in: path, environment: env)
  }

  /// Agents racing: on each of `machines`, `perMachine` shell scripts (agents `m<machine>-a<slot>`)
  /// that each run `before`, wait at the gate `gate`, then run `race(machine, slot)`; the gate opens
  /// once all are started and `settle` microseconds have passed. Their results, in start order.
  func race(
    on machines: [String], perMachine: Int, gate: String, settle: UInt32 = 200_000, before: String = "",
    _ race: (_ machine: Int, _ slot: Int) -> String
  ) throws -> [(agent: String, result: ProcessRunner.Result)] {
    let gate = seed.root.deletingLastPathComponent().appendingPathComponent(gate).path
    var processes: [(String, ProcessRunner.Running)] = []
    for (machine, path) in machines.enumerated() {
      for slot in 0..<perMachine {
        let agent = "m\(machine)-a\(slot)"
        let script = "\(before)\nwhile [ ! -e '\(gate)' ]; do sleep 0.005; done\n\(race(machine, slot))"
        processes.append(
          (agent, try ProcessRunner.start("/bin/sh", ["-c", script], in: path, environment: ["GHP_AGENT": agent])))
      }
    }
    usleep(settle)
    FileManager.default.createFile(atPath: gate, contents: nil)
    return processes.map { ($0.0, $0.1.wait()) }
  }

  /// The server's bare repository.
  var server: String { daemon.base.appendingPathComponent("project.git").path }

  /// Commit messages of the server's ghp/state, oldest first, along its line (an operation the
  /// server landed is its merge, not also the commit it carried).
  func serverLog() throws -> [String] {
    let log = try ProcessRunner.run(
      "/usr/bin/git", ["log", "--first-parent", "--reverse", "--format=%B%x00", "ghp/state"], in: server
    ).stdout
    return log.split(separator: "\0").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
  }
}

@Suite(.serialized) struct RemoteTests {
  /// With a plain server (compare-and-swap on ghp/state) and with one that lands operations.
  @Test(arguments: [false, true]) func thirtyTwoAgentsOnFourMachinesClaimOneIssueAndExactlyOneWins(
    serverHooks: Bool
  ) throws {
    let network = try Network(issues: 3, remoteMode: true, serverHooks: serverHooks)
    let machines = try (0..<4).map { _ in try network.clone() }
    for round in 1...(serverHooks ? 2 : 3) {
      let results = try network.race(on: machines, perMachine: 8, gate: "gate-\(round)") { _, _ in
        "exec '\(GHPBinary.path)' claim \(round)"
      }
      let winners = results.filter { $0.1.status == 0 }
      #expect(winners.count == 1, "round \(round): \(results.map { "\($0.0)=\($0.1.status) \($0.1.stderr)" })")
      let winner = winners.first?.0 ?? "?"
      #expect(
        results.filter { $0.1.status == 3 }.count == 31,
        "\(results.filter { $0.1.status != 0 && $0.1.status != 3 }.map { "\($0.0): \($0.1.stderr)" })")
      #expect(results.filter { $0.1.status == 3 }.allSatisfy { $0.1.stderr.contains("held by \(winner)") })
      let claims = try network.serverLog().filter {
        $0.contains("Ghp-Op: claim\n") && $0.contains("Ghp-Issue: \(round)\n")
      }
      #expect(claims.count == 1, "round \(round)")
      #expect(claims.first?.contains("Ghp-Agent: \(winner)") == true)
    }
  }

  @Test func offlineWorkOnTwoMachinesIsReappliedExceptTheLosingClaim() throws {
    let network = try Network(issues: 10, remoteMode: false)
    let a = try network.clone()
    let b = try network.clone()
    // 50 operations on each machine, offline: heartbeats, discoveries, claims of different issues,
    // and one claim of the same issue (#10) on both.
    func offline(_ path: String, _ agent: String, issues: [Int]) throws {
      var count = 0
      for issue in issues {
        #expect(try network.ghp(["claim", "\(issue)"], in: path, agent: agent).status == 0)
        count += 1
      }
      while count < 50 {
        let op =
          count % 2 == 0
          ? ["agent-heartbeat", "--action", "\(agent) step \(count)"] : ["discover", "\(agent) finding \(count)"]
        #expect(try network.ghp(op, in: path, agent: agent).status == 0)
        count += 1
      }
    }
    try offline(a, "alice", issues: [1, 2, 3, 10])
    try offline(b, "bob", issues: [4, 5, 6])
    #expect(try network.ghp(["claim", "10"], in: b, agent: "bob").status == 0)  // bob's 50th: the same issue
    let before = try network.serverLog().count

    let first = try network.ghp(["sync", "--json"], in: a, agent: "alice")
    #expect(first.status == 0, "\(first.stderr)")
    let second = try network.ghp(["sync", "--json"], in: b, agent: "bob")
    #expect(second.status == 3, "the losing claim is reported")
    let fates = try second.json()["operations"]?.arrayValue ?? []
    let lost = fates.filter { $0["outcome"] == .string("lost") }
    #expect(lost.count == 1)
    #expect(lost.first?["subject"]?.stringValue?.contains("claim #10") == true)
    #expect(lost.first?["detail"]?.stringValue?.contains("held by alice") == true)
    #expect(fates.filter { $0["outcome"] == .string("landed") }.count == 50)

    let log = try network.serverLog()
    let server = network.daemon.base.appendingPathComponent("project.git").path
    #expect(
      try ProcessRunner.run("/usr/bin/git", ["log", "--merges", "--oneline", "ghp/state"], in: server).stdout.isEmpty)
    // Every operation is there exactly once (101 made, the losing claim not, one notice for bob).
    #expect(log.count == before + 50 + 51 - 1 + 1)
    for (agent, claims) in [("alice", 4), ("bob", 3)] {
      for step in claims..<50 {
        let text = step % 2 == 0 ? "\"action\":\"\(agent) step \(step)\"" : "\"text\":\"\(agent) finding \(step)\""
        #expect(log.filter { $0.contains(text) }.count == 1, "\(agent) \(step)")
      }
    }
    for issue in 1...10 where issue < 7 || issue == 10 {
      #expect(
        log.filter { $0.contains("Ghp-Op: claim\n") && $0.contains("Ghp-Issue: \(issue)\n") }.count == 1, "#\(issue)")
    }
    #expect(try network.ghp(["sync"], in: a, agent: "alice").status == 0)
    let told = try network.ghp(["agent-heartbeat"], in: b, agent: "bob")
    #expect(told.status == 3)
    #expect(told.stderr.contains("#10"))
    // Nobody released it: the notice says it lost the race, and to whom.
    #expect(told.stderr.contains("made offline, lost on the remote"), "\(told.stderr)")
    #expect(told.stderr.contains("held by alice") && !told.stderr.contains("released by"), "\(told.stderr)")
    let status = try JSON.parse(try network.ghp(["agent-status", "--json"], in: a, agent: "alice").stdout)
    #expect(status["agents"]?["alice"]?["lastAction"] == .string("alice step 48"))
  }

  /// An uncontended write in remote mode is one connection to the server: the push, built on the
  /// tip this clone last saw, is itself the compare-and-swap. When another machine moved the
  /// remote meanwhile, the push is refused before anything is sent, and the write fetches and
  /// pushes again: right, in three connections. Counted with strace, as the connect calls made.
  @Test(.enabled(if: Strace.available))
  func anUncontendedWriteIsOneConnection() throws {
    let network = try Network(issues: 3, remoteMode: true)
    let other = try network.clone()
    func connections(_ arguments: [String], agent: String, in path: String) throws -> (Int32, Int) {
      let (status, calls) = try Strace.ghp(arguments, calls: "connect", in: path, environment: ["GHP_AGENT": agent])
      return (status, calls.filter { $0.contains("htons(\(network.daemon.port))") }.count)
    }
    #expect(try network.ghp(["agent-heartbeat"], in: network.seed.path, agent: "w1").status == 0)
    for step in 0..<3 {
      let (status, count) = try connections(
        ["agent-status", "update", "--status", "working", "--action", "step \(step)"], agent: "w1",
        in: network.seed.path)
      #expect(status == 0 && count == 1, "step \(step): \(count) connections")
    }
    // A plain heartbeat goes to w1's own ref: the state and every heartbeat ref fetched in one
    // connection (to tell it what it must know), then one push nobody contends for.
    let (beat, beatConnections) = try connections(
      ["agent-heartbeat", "--action", "plain"], agent: "w1", in: network.seed.path)
    #expect(beat == 0 && beatConnections == 2, "a plain heartbeat: \(beatConnections) connections")
    #expect(try network.ghp(["claim", "1"], in: other, agent: "w2").status == 0)
    let (status, count) = try connections(["claim", "2"], agent: "w1", in: network.seed.path)
    #expect(status == 0 && count == 3, "after another machine moved the remote: \(count) connections")
    // Both claims are on the server, each once, in order.
    let claims = try network.serverLog().filter { $0.contains("Ghp-Op: claim\n") }
    #expect(
      claims.count == 2 && claims[0].hasPrefix("w2: claim #1") && claims[1].hasPrefix("w1: claim #2"), "\(claims)")
  }

  /// libgit2 sends a pack in many small writes; with Nagle's algorithm on, each waited for the
  /// server's delayed acknowledgement (~40 ms a write). Every socket ghp connects to the server has
  /// TCP_NODELAY set before its connect, seen under strace.
  @Test(.enabled(if: Strace.available))
  func everyConnectionToTheServerSendsWithoutWaiting() throws {
    let network = try Network(issues: 2, remoteMode: true)
    let (status, calls) = try Strace.ghp(
      ["claim", "1"], calls: "connect,setsockopt", in: network.seed.path, environment: ["GHP_AGENT": "w1"])
    #expect(status == 0)
    var noDelay: Set<Substring> = []
    var connects = 0
    for call in calls {
      let fd = call.drop { $0 != "(" }.dropFirst().prefix { $0.isNumber }
      if call.hasPrefix("setsockopt("), call.contains("TCP_NODELAY, [1]") { noDelay.insert(fd) }
      if call.hasPrefix("connect("), call.contains("htons(\(network.daemon.port))") {
        connects += 1
        #expect(noDelay.contains(fd), "connected without TCP_NODELAY: \(call)")
      }
    }
    #expect(connects >= 1, "no connection to the server was traced")
  }

  /// In remote mode a plain heartbeat goes to the agent's own ref (`refs/ghp/alive/<agent>`): the
  /// server's ghp/state does not move, another clone shows the beat, and `ghp reap` judges by it
  /// (recording the beat it judged by): a worker whose entry is old but whose own ref is fresh is
  /// not reaped; once that is old too, it is. What it must be told, and a status the state acts
  /// on, still go through ghp/state; the agent's own word for its work goes to its ref, and every
  /// clone shows it.
  @Test func aPlainHeartbeatGoesToTheAgentsOwnRef() throws {
    let network = try Network(issues: 1, remoteMode: true)
    let other = try network.clone()
    let server = network.daemon.base.appendingPathComponent("project.git").path
    let serverRef = { (ref: String) -> String in
      (try? ProcessRunner.run("/usr/bin/git", ["rev-parse", "-q", "--verify", ref], in: server).stdout) ?? ""
    }
    #expect(try network.ghp(["config", "set", "staleAfter", "3s"], in: network.seed.path, agent: "lead").status == 0)
    #expect(try network.ghp(["claim", "1"], in: network.seed.path, agent: "w1").status == 0)
    sleep(4)
    let state = serverRef("ghp/state")
    let beat = try network.ghp(
      ["agent-heartbeat", "--action", "wrote the parser", "--json"], in: network.seed.path, agent: "w1")
    #expect(beat.status == 0, "\(beat.stderr)")
    #expect(serverRef("ghp/state") == state, "a plain heartbeat moved ghp/state")
    let alive = serverRef("refs/ghp/alive/w1").trimmingCharacters(in: .whitespacesAndNewlines)
    let answered = try beat.json()["commit"]?.stringValue
    #expect(!alive.isEmpty && answered == alive, "\(beat.stdout)")
    // Another clone sees it, once it fetched (the state and every heartbeat ref, in one connection).
    #expect(try network.ghp(["sync"], in: other, agent: "lead").status == 0)
    let status = try network.ghp(["agent-status", "--json"], in: other, agent: "lead").json()
    let w1 = status["agents"]?["w1"]
    #expect(
      w1?["last_action"]?.stringValue == "wrote the parser" || w1?["lastAction"]?.stringValue == "wrote the parser",
      "\(status.compact())")
    #expect(w1?["stale"]?.boolValue == false, "\(status.compact())")
    // Reap on the other clone: w1's entry is 4 s old (stale after 3 s), its own ref is fresh.
    let spared = try network.ghp(["reap", "--release", "--json"], in: other, agent: "lead")
    #expect(spared.status == 0, "\(spared.stderr)")
    let held = try network.ghp(["issue", "show", "1", "--json"], in: other, agent: "lead").json()
    #expect(
      held["assignee"]?.stringValue == "w1" || held["issue"]?["assignee"]?.stringValue == "w1", "\(held.compact())")
    sleep(4)
    let reaped = try network.ghp(["reap", "--release", "--json"], in: other, agent: "lead")
    #expect(reaped.status == 0, "\(reaped.stderr)")
    let record = try network.serverLog().last { $0.contains("Ghp-Op: reap\n") } ?? ""
    #expect(record.contains("released #1") && record.contains("\"alive\":{\"w1\":"), "\(record)")
    #expect(try network.ghp(["verify", "origin/ghp/state"], in: other, agent: "lead").status == 0)
    // Its next heartbeat has something to tell it: through ghp/state, exit 3.
    let told = try network.ghp(["agent-heartbeat"], in: network.seed.path, agent: "w1")
    #expect(told.status == 3 && told.stderr.contains("#1"), "\(told.stderr)")
    // Its entry says stale, which the reap set: its first word after it goes through the state.
    let afterReap = serverRef("ghp/state")
    #expect(
      try network.ghp(["agent-heartbeat", "--status", "back"], in: network.seed.path, agent: "w1").status == 0)
    #expect(serverRef("ghp/state") != afterReap, "a status over a reaped entry stayed off the state")
    // Then its own word for its work goes to its ref, and the other clone shows it (a second after
    // the entry was written: one said in the same second goes through the state, which orders them).
    sleep(1)
    let before = serverRef("ghp/state")
    #expect(
      try network.ghp(["agent-heartbeat", "--status", "testing"], in: network.seed.path, agent: "w1").status == 0)
    #expect(serverRef("ghp/state") == before, "a status heartbeat moved ghp/state")
    #expect(try network.ghp(["sync"], in: other, agent: "lead").status == 0)
    let testing = try network.ghp(["agent-status", "--json"], in: other, agent: "lead").json()
    #expect(testing["agents"]?["w1"]?["status"]?.stringValue == "testing", "\(testing.compact())")
    // A beat that says no status carries the last one on.
    #expect(try network.ghp(["agent-heartbeat"], in: network.seed.path, agent: "w1").status == 0)
    #expect(try network.ghp(["sync"], in: other, agent: "lead").status == 0)
    let still = try network.ghp(["agent-status", "--json"], in: other, agent: "lead").json()
    #expect(still["agents"]?["w1"]?["status"]?.stringValue == "testing", "\(still.compact())")
    // A word the state acts on is ghp/state's, and then the entry is the newer.
    #expect(try network.ghp(["agent-heartbeat", "--status", "idle"], in: network.seed.path, agent: "w1").status == 0)
    #expect(serverRef("ghp/state") != before)
    #expect(try network.ghp(["sync"], in: other, agent: "lead").status == 0)
    let idle = try network.ghp(["agent-status", "--json"], in: other, agent: "lead").json()
    #expect(idle["agents"]?["w1"]?["status"]?.stringValue == "idle", "\(idle.compact())")
    #expect(try network.ghp(["verify", "origin/ghp/state"], in: other, agent: "lead").status == 0)
  }

  /// A beat's status never hides what the state said after it: a report through ghp/state that
  /// names no status says the beat's again, and a status others set on the agent without moving
  /// its time (an assignment) stands over an older beat's, until the agent's next word, which
  /// then goes through the state. Shown on another clone, as the lead sees it.
  @Test func aBeatsStatusNeverHidesWhatTheStateSaidAfterIt() throws {
    let network = try Network(issues: 2, remoteMode: true)
    let other = try network.clone()
    let seed = network.seed.path
    let server = network.daemon.base.appendingPathComponent("project.git").path
    let state = { (try? ProcessRunner.run("/usr/bin/git", ["rev-parse", "ghp/state"], in: server).stdout) ?? "" }
    func shown() throws -> JSON? {
      #expect(try network.ghp(["sync"], in: other, agent: "lead").status == 0)
      return try network.ghp(["agent-status", "--json"], in: other, agent: "lead").json()["agents"]?["w1"]
    }
    #expect(try network.ghp(["claim", "1"], in: seed, agent: "w1").status == 0)
    sleep(1)
    var before = state()
    #expect(try network.ghp(["agent-heartbeat", "--status", "testing"], in: seed, agent: "w1").status == 0)
    #expect(state() == before, "the status beat moved ghp/state")
    // Through the state (it names its issue), with no status: the beat's is said again.
    #expect(
      try network.ghp(["agent-heartbeat", "--issue", "1", "--action", "ran it"], in: seed, agent: "w1").status == 0)
    #expect(state() != before)
    #expect(try shown()?["status"]?.stringValue == "testing")
    #expect(try shown()?["lastAction"]?.stringValue == "ran it")
    sleep(1)
    before = state()
    #expect(try network.ghp(["agent-heartbeat", "--status", "reviewing"], in: seed, agent: "w1").status == 0)
    #expect(state() == before)
    #expect(try shown()?["status"]?.stringValue == "reviewing")
    // The lead assigns it more work: its entry says assigned, at its old time.
    #expect(try network.ghp(["assign", "2", "w1"], in: other, agent: "lead").status == 0)
    #expect(try shown()?["status"]?.stringValue == "assigned")
    sleep(1)
    // Its next word goes through the state, and shows.
    before = state()
    #expect(try network.ghp(["agent-heartbeat", "--status", "implementing"], in: seed, agent: "w1").status == 0)
    #expect(state() != before, "a status over an assignment stayed off the state")
    #expect(try shown()?["status"]?.stringValue == "implementing")
    #expect(try network.ghp(["verify", "origin/ghp/state"], in: other, agent: "lead").status == 0)
  }

  /// libgit2 keeps every fetch as a pack; past `Repository.packLimit` the next landed write or sync
  /// merges the small ones (which ones: `PackMergeTests`), and every object is still there (git
  /// fsck, ghp verify).
  @Test func packsFromFetchesDoNotPileUp() throws {
    let network = try Network(issues: 1, remoteMode: true)
    let a = try network.clone()
    let b = try network.clone()
    let packs = { () -> Int in
      ((try? FileManager.default.contentsOfDirectory(atPath: a + "/.git/objects/pack")) ?? []).filter {
        $0.hasSuffix(".idx")
      }.count
    }
    var most = 0
    for round in 0..<56 {
      #expect(try network.ghp(["agent-heartbeat", "--action", "round \(round)"], in: b, agent: "bob").status == 0)
      #expect(try network.ghp(["sync"], in: a, agent: "alice").status == 0)
      most = max(most, packs())
    }
    #expect(most == Repository.packLimit, "the packs grew to the limit, one a fetch: \(most)")
    #expect(packs() <= Repository.packLimit, "\(packs()) packs after 56 fetches")
    let fsck = try ProcessRunner.run("/usr/bin/git", ["fsck", "--no-progress"], in: a)
    #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
    #expect(try network.ghp(["verify"], in: a, agent: "alice").status == 0)
    let status = try network.ghp(["agent-status", "--json"], in: a, agent: "alice").json()
    #expect(status["agents"]?["bob"]?["lastAction"] == .string("round 55"))
  }

  /// The merge queue across machines: agents on two hosts submit (their branches go to the server
  /// with the submission), the lander on a third fetches them and lands both through the gate on
  /// the server's main. While the gate runs, a person on another host moves main: the lander's
  /// push is refused, it merges and gates again, and lands on the new tip. Each issue is landed
  /// once, and the server's main holds every change.
  @Test func theMergeQueueLandsWorkFromOtherHostsOnTheServersMain() throws {
    let network = try Network(issues: 2, remoteMode: true)
    let folder = network.seed.root.deletingLastPathComponent().path
    let person = try network.clone()
    // The gate: the first time it runs, the person pushes a change of theirs to main.
    let marker = folder + "/move-main-once"
    FileManager.default.createFile(atPath: marker, contents: nil)
    let gate = """
      #!/bin/sh
      if [ -e '\(marker)' ]; then
        rm -f '\(marker)'
        cd '\(person)' && git pull -q origin main && echo person > person.txt && git add person.txt &&
          git -c user.name=Person -c user.email=person@example.com commit -qm 'A person moves main' &&
          git push -q origin HEAD:main || exit 9
      fi
      exit 0

      """
    try gate.write(toFile: folder + "/gate.sh", atomically: true, encoding: .utf8)
    chmod(folder + "/gate.sh", 0o755)
    for (key, value) in [("landing.gate", "[\"\(folder)/gate.sh\"]"), ("landing.sandbox", "off")] {
      let set = try network.ghp(["config", "set", key, value], in: network.seed.path, agent: "lead")
      #expect(set.status == 0, "\(set.stderr)")
    }
    for (agent, issue, file) in [("w1", "1", "one.txt"), ("w2", "2", "two.txt")] {
      let host = try network.clone()
      _ = try ProcessRunner.run("/usr/bin/git", ["checkout", "-q", "-b", "agent/\(agent)", "origin/main"], in: host)
      #expect(try network.ghp(["claim", issue], in: host, agent: agent).status == 0)
      try "\(agent)\n".write(toFile: host + "/" + file, atomically: true, encoding: .utf8)
      _ = try ProcessRunner.run("/usr/bin/git", ["add", file], in: host)
      _ = try ProcessRunner.run("/usr/bin/git", ["commit", "-qm", "\(agent)'s work"], in: host)
      let done = try network.ghp(["done", issue, "--result", "made \(file)"], in: host, agent: agent)
      #expect(done.status == 0, "\(done.stderr)")
    }
    let landed = try network.ghp(["land", "--once", "--json"], in: network.seed.path, agent: "lead")
    #expect(landed.status == 0, "\(landed.stdout)\(landed.stderr)")
    // The gate ran three times: #1, #1 again on the main the person moved, #2.
    #expect(try landed.json()["gateRuns"] == .int(3), "\(landed.stdout)")

    let server = network.daemon.base.appendingPathComponent("project.git").path
    let files = try ProcessRunner.run("/usr/bin/git", ["ls-tree", "--name-only", "main"], in: server).stdout
    for file in ["one.txt", "two.txt", "person.txt"] { #expect(files.contains(file), "\(file) on main: \(files)") }
    // The lander's own clone followed the server's main, its checkout too.
    let serverMain = try ProcessRunner.run("/usr/bin/git", ["rev-parse", "main"], in: server).stdout
    #expect(try network.seed.git("rev-parse", "main") + "\n" == serverMain)
    #expect(FileManager.default.fileExists(atPath: network.seed.path + "/two.txt"))
    let log = try network.serverLog()
    for issue in ["1", "2"] {
      #expect(
        log.filter { $0.contains("Ghp-Op: landed\n") && $0.contains("\"\(issue)\"") }.count == 1,
        "#\(issue) landed once")
    }
    #expect(try network.ghp(["sync"], in: person, agent: "lead").status == 0)
    let board = try network.ghp(["issue", "list", "--json"], in: person, agent: "lead")
    #expect(board.status == 0)
    let statuses = try board.json()["issues"]?.arrayValue?.compactMap { $0["status"]?.stringValue }
    #expect(statuses == ["done", "done"], "\(board.stdout)")
  }

  /// `ghp run` in remote mode, on a host that is not the one that made the state: it works the
  /// server's queue with two workers (the fake agents, contained), and every issue is done once on
  /// the server's state, with the run recorded finished there. An issue added on another host while
  /// the run goes is worked too: the supervisor looks at the server's state as it runs.
  @Test func aRunOnAnotherHostWorksTheServersQueue() throws {
    let network = try Network(issues: 4, remoteMode: true)
    let fixtures = TemplateTests.root.appendingPathComponent("Tests/Fixtures").path
    for (key, value) in [
      ("agent.backoff", "0s"), ("agent.grace", "1s"), ("agent.readable", "[\"\(fixtures)\"]"),
      ("agent.env", "[\"SLOW_SECONDS\"]"),
    ] {
      #expect(try network.ghp(["config", "set", key, value], in: network.seed.path, agent: "lead").status == 0)
    }
    let host = try network.clone()
    _ = try ProcessRunner.run("/usr/bin/git", ["checkout", "-q", "-b", "main", "origin/main"], in: host)
    let run = try ProcessRunner.start(
      GHPBinary.path, ["run", "--json", "-w", "2", "--agent-command", "\(fixtures)/agents/slow"], in: host,
      environment: ["GHP_AGENT": "lead", "SLOW_SECONDS": "2"])
    // Meanwhile, on the machine that made the state, the lead adds one more.
    usleep(1_500_000)
    #expect(try network.ghp(["issue", "add", "Added elsewhere"], in: network.seed.path, agent: "lead").status == 0)
    let result = run.wait()
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(3000))")

    #expect(try network.ghp(["sync"], in: network.seed.path, agent: "lead").status == 0)
    let board = try network.ghp(["issue", "list", "--json"], in: network.seed.path, agent: "lead").json()
    let statuses = board["issues"]?.arrayValue?.compactMap { $0["status"]?.stringValue } ?? []
    #expect(statuses == Array(repeating: "done", count: 5), "\(board.compact())")
    let log = try network.serverLog()
    for issue in 1...5 {
      #expect(log.filter { $0.contains(": done #\(issue) ") }.count == 1, "#\(issue) done once")
    }
    let server = network.daemon.base.appendingPathComponent("project.git").path
    let names = try ProcessRunner.run(
      "/usr/bin/git", ["ls-tree", "--name-only", "ghp/state", ".ghp/runs/"], in: server)
    let record = try ProcessRunner.run(
      "/usr/bin/git", ["show", "ghp/state:" + names.stdout.trimmingCharacters(in: .whitespacesAndNewlines)], in: server)
    #expect(try JSON.parse(record.stdout)["state"] == .string("finished"), "\(record.stdout)")
  }

  /// `ghp serve` on any clone in remote mode shows the whole team: what another host writes shows
  /// on the page within seconds, with nothing written on this clone.
  @Test func thePageOnAnyCloneShowsWhatOtherHostsDo() throws {
    let network = try Network(issues: 1, remoteMode: true)
    let a = try network.clone()
    let b = try network.clone()
    let serve = try ProcessRunner.start(
      GHPBinary.path, ["serve", "--port", "0", "--read-only"], in: a, environment: ["GHP_AGENT": "lead"])
    defer {
      kill(serve.pid, SIGKILL)
      _ = serve.wait()
    }
    let address = try #require(serve.firstLine().firstMatch(of: /http:\/\/127\.0\.0\.1:\d+\//).map { String($0.0) })
    #expect(try network.ghp(["issue", "add", "Made on another host"], in: b, agent: "lead").status == 0)
    var shown = false
    for _ in 0..<100 where !shown {
      let view = try ProcessRunner.run("/usr/bin/curl", ["-s", address + "api/view"], in: a).stdout
      shown = view.contains("Made on another host")
      if !shown { usleep(100_000) }
    }
    #expect(shown, "the page on another clone never showed the new issue")
  }

  /// An agent whose only write was an offline claim that lost is registered by the notice, and
  /// told on its first report, like any other.
  @Test func anAgentWhoseOnlyWriteWasALostClaimIsTold() throws {
    let network = try Network(issues: 2, remoteMode: false)
    let a = try network.clone()
    let b = try network.clone()
    #expect(try network.ghp(["claim", "1"], in: a, agent: "alice").status == 0)
    #expect(try network.ghp(["claim", "1"], in: b, agent: "carol").status == 0)
    #expect(try network.ghp(["sync"], in: a, agent: "alice").status == 0)
    #expect(try network.ghp(["sync"], in: b, agent: "carol").status == 3)
    let told = try network.ghp(["agent-heartbeat", "--action", "back"], in: b, agent: "carol")
    #expect(told.status == 3, "\(told.stdout)")
    #expect(told.stderr.contains("#1, made offline, lost on the remote"), "\(told.stderr)")
    // Told once.
    #expect(try network.ghp(["agent-heartbeat"], in: b, agent: "carol").status == 0)
  }

  @Test func aServerThatDiesMidSyncLosesNothingAndDoublesNothing() throws {
    let network = try Network(issues: 2, remoteMode: false)
    let a = try network.clone()
    for index in 0..<10 {
      #expect(try network.ghp(["discover", "note \(index)"], in: a, agent: "alice").status == 0)
    }
    // Someone else moves the remote meanwhile, so that the sync has to re-apply.
    let other = try network.clone()
    #expect(try network.ghp(["discover", "from the other machine"], in: other, agent: "carol").status == 0)
    #expect(try network.ghp(["sync"], in: other, agent: "carol").status == 0)
    // The server dies before it takes a push of ghp/state, every time (each connection it drops
    // is tried again, and dropped again).
    let server = network.daemon.base.appendingPathComponent("project.git").path
    let always = server + "/die-always"
    let once = server + "/die-once"
    FileManager.default.createFile(atPath: always, contents: nil)
    let hooks = [
      "pre-receive": "if [ -e '\(always)' ]; then kill -9 $PPID; fi",
      "reference-transaction": "if [ \"$1\" = committed ] && [ -e '\(once)' ]; then rm -f '\(once)'; kill -9 $PPID; fi",
    ]
    for (name, line) in hooks {
      try "#!/bin/sh\n\(line)\nexit 0\n".write(toFile: server + "/hooks/" + name, atomically: true, encoding: .utf8)
      chmod(server + "/hooks/" + name, 0o755)
    }

    let failed = try network.ghp(["sync"], in: a, agent: "alice")
    #expect(failed.status == 1)
    #expect(failed.stderr.contains("cannot push ghp/state"), "\(failed.stderr)")
    #expect(failed.stderr.split(separator: "\n").count == 1)
    // No scratch ref is left of the push, and the error names none.
    #expect(!failed.stderr.contains("refs/ghp/"), "\(failed.stderr)")
    let scratch = { () throws -> String in
      try ProcessRunner.run("/usr/bin/git", ["for-each-ref", "refs/ghp/outgoing/"], in: a).stdout
    }
    #expect(try scratch().isEmpty)
    #expect(try network.serverLog().filter { $0.contains("\"note 0\"") }.isEmpty, "nothing landed")

    // Now the server takes the push and dies before it can answer: the push is tried again and
    // finds its commit there.
    try FileManager.default.removeItem(atPath: always)
    FileManager.default.createFile(atPath: once, contents: nil)
    let landed = try network.ghp(["sync"], in: a, agent: "alice")
    #expect(landed.status == 0, "\(landed.stderr)")
    #expect(!FileManager.default.fileExists(atPath: once), "the server died once")

    // A push killed before its cleanup (its process gone) leaves one: the next push takes it away.
    let tip = try ProcessRunner.run("/usr/bin/git", ["rev-parse", "ghp/state"], in: a).stdout
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let dead = try ProcessRunner.run("/bin/sh", ["-c", "sh -c 'echo $$' ; true"], in: a).stdout
      .trimmingCharacters(in: .whitespacesAndNewlines)
    _ = try ProcessRunner.run("/usr/bin/git", ["update-ref", "refs/ghp/outgoing/\(dead)-7", tip], in: a)
    #expect(try !scratch().isEmpty)
    network.daemon.stop()
    let restarted = try GitDaemon(base: network.daemon.base)
    try ProcessRunner.run("/usr/bin/git", ["remote", "set-url", "origin", restarted.url("project.git")], in: a)

    #expect(try network.ghp(["discover", "after the restart"], in: a, agent: "alice").status == 0)
    let again = try network.ghp(["sync", "--json"], in: a, agent: "alice")
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try scratch().isEmpty)
    let log = try ProcessRunner.run("/usr/bin/git", ["log", "--format=%B%x00", "ghp/state"], in: server).stdout
      .split(separator: "\0")
    for index in 0..<10 {
      #expect(
        log.filter { $0.contains("Ghp-Op: discover\n") && $0.contains("\"note \(index)\"") }.count == 1, "note \(index)"
      )
    }
    #expect(log.filter { $0.contains("from the other machine") }.count == 1)
  }

  @Test func aPathRemoteIsRefusedForRemoteMode() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    let bare = repo.root.deletingLastPathComponent().appendingPathComponent("bare.git").path
    try repo.git("init", "-q", "--bare", bare)
    try repo.git("remote", "add", "origin", bare)
    try repo.git("remote", "add", "fileurl", "file://" + bare)
    for name in ["origin", "fileurl"] {
      let result = try repo.ghp(["remote", "set", name], agent: "lead")
      #expect(result.status == 2)
      #expect(result.stderr.contains("local path"))
    }
    let missing = try repo.ghp(["remote", "set", "nowhere"], agent: "lead")
    #expect(missing.stderr.contains("no git remote named nowhere"))
    #expect(try JSON.parse(try repo.ghp(["agent-status", "--json"]).stdout)["agents"] != nil)
  }

  @Test func aServersRefusalIsReportedAtOnceInItsOwnWords() throws {
    let network = try Network(issues: 2, remoteMode: true)
    let a = try network.clone()
    let server = network.daemon.base.appendingPathComponent("project.git").path
    let counter = server + "/refusals"
    let hook = """
      #!/bin/sh
      echo x >> '\(counter)'
      echo "policy says no: claims are frozen today" >&2
      exit 1

      """
    try hook.write(toFile: server + "/hooks/pre-receive", atomically: true, encoding: .utf8)
    chmod(server + "/hooks/pre-receive", 0o755)
    let refused = try network.ghp(["claim", "1"], in: a, agent: "w1")
    #expect(refused.status == 3, "\(refused.stderr)")
    #expect(
      refused.stderr.contains("origin refused the push") && refused.stderr.contains("policy says no"),
      "\(refused.stderr)")
    #expect(
      try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n").count == 1, "tried once, not retried")
  }

  /// A busy server drops connections it cannot take (git daemon past `--max-connections`, sshd
  /// past `MaxStartups`): the real git daemon here is reached through a relay that closes every
  /// other connection as soon as it is accepted. Each fetch and push is tried again after a short
  /// pause, so a claim, a status and a plain heartbeat all land, once each.
  @Test func aConnectionTheServerDropsIsTriedAgain() throws {
    let network = try Network(issues: 1, remoteMode: true)
    let a = try network.clone()
    let relay = TemplateTests.root.appendingPathComponent("Tests/Fixtures/delay-relay.py").path
    let port = Int.random(in: 20000..<60000)
    let dropping = try ProcessRunner.start(
      TestPython.path, [relay, "127.0.0.1", "\(port)", "127.0.0.1", "\(network.daemon.port)", "0", "odd"], in: a)
    defer {
      kill(dropping.pid, SIGKILL)
      _ = dropping.wait()
    }
    try #require(dropping.firstLine() == "ready", "the relay did not start")
    _ = try ProcessRunner.run(
      "/usr/bin/git", ["remote", "set-url", "origin", "git://127.0.0.1:\(port)/project.git"], in: a)
    for (arguments, what) in [
      (["claim", "1"], "claim"), (["agent-status", "update", "--status", "working"], "status"),
      (["agent-heartbeat"], "plain heartbeat"),
    ] {
      let result = try network.ghp(arguments, in: a, agent: "w1")
      #expect(result.status == 0, "\(what): \(result.stderr)")
    }
    kill(dropping.pid, SIGKILL)
    let dropped = dropping.wait().stderr.split(separator: "\n").filter { $0 == "dropped" }.count
    #expect(dropped >= 4, "the relay dropped \(dropped) connections")
    let log = try network.serverLog()
    #expect(log.filter { $0.contains("Ghp-Op: claim\n") || $0.hasSuffix("Ghp-Op: claim") }.count == 1, "\(log)")
    let server = network.daemon.base.appendingPathComponent("project.git").path
    let beat = try ProcessRunner.run("/usr/bin/git", ["rev-parse", "--verify", "-q", "refs/ghp/alive/w1"], in: server)
    #expect(beat.status == 0, "the plain heartbeat is on the server")
  }

  /// A git process killed mid-push on the server leaves its ref's lock file: every push is then
  /// refused with "failed to update ref", which is also how a push that met another one's moment
  /// of locking is refused. Past ten seconds of it, ghp says which file to remove, in one line;
  /// and the change it was refused, told "nothing was written", never lands later (before, each
  /// attempt stacked on the last in this host's pending chain, and the next write pushed them all).
  @Test func aLockLeftOnTheServerIsNamedAndWhatFailedNeverLandsLater() throws {
    let network = try Network(issues: 1, remoteMode: true)
    let a = try network.clone()
    #expect(try network.ghp(["agent-status", "update", "--status", "before"], in: a, agent: "w1").status == 0)
    let server = network.daemon.base.appendingPathComponent("project.git").path
    let lock = server + "/refs/heads/ghp/state.lock"
    // As a killed `git receive-pack` leaves it.
    _ = try ProcessRunner.run("/bin/sh", ["-c", "touch '\(lock)'"], in: server)
    let refused = try network.ghp(["agent-status", "update", "--status", "during"], in: a, agent: "w1")
    #expect(refused.status == 1, "\(refused.stderr)")
    #expect(
      refused.stderr.contains("state.lock exists") && refused.stderr.contains("nothing was written"),
      "\(refused.stderr)")
    #expect(refused.stderr.split(separator: "\n").count == 1)
    try FileManager.default.removeItem(atPath: lock)
    #expect(try network.ghp(["agent-status", "update", "--status", "after"], in: a, agent: "w1").status == 0)
    let log = try network.serverLog()
    #expect(log.filter { $0.contains("status during") }.isEmpty, "\(log.suffix(4))")
    #expect(log.filter { $0.contains("status after") }.count == 1, "\(log.suffix(4))")
  }

  @Test func aServerThatNeverAnswersEndsInOneLine() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    try Self.silentServer(in: repo.path) { port in
      try repo.git("remote", "add", "origin", "git://127.0.0.1:\(port)/project.git")
      let result = try repo.ghp(["sync"], agent: "lead", environment: ["GHP_NETWORK_TIMEOUT": "1"])
      #expect(result.status == 1)
      #expect(result.stderr.contains("did not answer within 1 s"), "\(result.stderr)")
      #expect(result.stderr.split(separator: "\n").count == 1)
    }
  }

  /// Runs `body` with the port of a listener on loopback that accepts connections and never says
  /// a word.
  static func silentServer(in directory: String, _ body: (String) throws -> Void) throws {
    let silent = try ProcessRunner.start(
      "/usr/bin/env",
      [
        TestPython.path, "-c",
        "import socket,time,sys\ns=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(8)\nprint(s.getsockname()[1], flush=True)\nc=[]\nwhile True: c.append(s.accept())",
      ],
      in: directory)
    defer {
      kill(silent.pid, SIGKILL)
      _ = silent.wait()
    }
    let port = silent.firstLine()
    try #require(!port.isEmpty, "the silent server did not start")
    try body(port)
  }

  /// In a process that lives on (`ghp run`, the servers), a server that accepts the connection and
  /// never says a word does not hang the process nor end it: past the bound the blocked call is
  /// interrupted and the fetch fails as a timeout.
  @Test(.timeLimit(.minutes(1))) func aSilentServerInterruptsTheStepNotTheProcessThatLivesOn() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    #expect(!NetworkDeadline.exitWhenSilent)
    let repository = try Repository(discovering: repo.path)
    try Self.silentServer(in: repo.path) { port in
      // Twice: the process goes on, and the next step is bounded as the first was.
      for _ in 0..<2 {
        #expect {
          _ = try repository.fetchTip(
            url: "git://127.0.0.1:\(port)/project.git", ref: "refs/heads/ghp/state", what: "fetching", seconds: 1)
        } throws: { error in
          "\(error)".contains("did not finish within 1 s")
        }
      }
    }
  }

  /// Debian's libgit2 (built on mbedTLS) parses its whole certificate bundle when it starts, which
  /// cost every local command ~6 ms: ghp notes the file then and parses it only before a network
  /// step that may use TLS (http or https). Seen as the files the process opens, under strace.
  @Test(
    .enabled(
      if: Strace.available && FileManager.default.fileExists(atPath: "/etc/ssl/certs/ca-certificates.crt")))
  func theCertificateBundleIsReadForANetworkStepOnly() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    func opensBundle(_ arguments: [String]) throws -> (status: Int32, opened: Bool) {
      let (status, calls) = try Strace.ghp(
        arguments, calls: "openat,open", in: repo.root.path, environment: ["GHP_AGENT": "lead"])
      return (status, calls.contains { $0.contains("/etc/ssl/certs/ca-certificates.crt") })
    }
    let local = try opensBundle(["status"])
    #expect(local.status == 0 && !local.opened, "a local command read the certificate bundle")
    // Nor does a network step that cannot use TLS (a git:// server, an ssh one, a path).
    try repo.git("remote", "add", "plain", "git://127.0.0.1:1/project.git")
    let plain = try opensBundle(["sync", "--remote", "plain"])
    #expect(plain.status == 1 && !plain.opened, "a git:// step read the certificate bundle")
    // Nothing listens on port 1: the step fails, after the bundle was read for it.
    try repo.git("remote", "add", "origin", "https://127.0.0.1:1/project.git")
    let network = try opensBundle(["sync"])
    #expect(network.status == 1 && network.opened, "the network step did not read the certificate bundle")
  }

  /// The https credential path: a smart-HTTP server on loopback over TLS (its own authority, given
  /// as git takes one: GIT_SSL_CAINFO), `git http-backend` behind basic authentication. The right
  /// token works; a wrong one, or an authority ghp does not trust, is one clear line.
  @Test func anHTTPSServerWithBasicAuthTakesTheTokenAndRefusesAWrongOne() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    let folder = repo.root.deletingLastPathComponent()
    let root = folder.appendingPathComponent("http-root").path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    try repo.git("init", "-q", "--bare", root + "/project.git")
    try repo.git(["-C", root + "/project.git", "config", "http.receivepack", "true"])
    // A certificate authority of the test's own, and a certificate for localhost signed by it.
    let tls = folder.appendingPathComponent("tls").path
    try FileManager.default.createDirectory(atPath: tls, withIntermediateDirectories: true)
    try "subjectAltName=DNS:localhost\n".write(toFile: tls + "/san.ext", atomically: true, encoding: .utf8)
    for command in [
      [
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj",
        "/CN=ghp test authority",
      ],
      [
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost",
      ],
      [
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
        "server.pem", "-days", "2", "-extfile", "san.ext",
      ],
    ] {
      let made = try ProcessRunner.run("/usr/bin/openssl", command, in: tls)
      try #require(made.status == 0, "openssl \(command): \(made.stderr)")
    }
    let script = TemplateTests.root.appendingPathComponent("Tests/Fixtures/git-http.py").path
    let server = try ProcessRunner.start(
      "/usr/bin/env", [TestPython.path, script, root, "ci-bot", "s3cret", tls + "/server.pem", tls + "/server.key"],
      in: root)
    defer {
      kill(server.pid, SIGKILL)
      _ = server.wait()
    }
    let port = server.firstLine()
    try #require(!port.isEmpty, "the https server did not start")
    try repo.git("remote", "add", "origin", "https://localhost:\(port)/project.git")
    let trusted = ["GIT_SSL_CAINFO": tls + "/ca.pem", "GHP_GIT_USERNAME": "ci-bot"]
    let untrusted = try repo.ghp(["sync"], agent: "lead", environment: ["GHP_GIT_TOKEN": "s3cret"])
    #expect(untrusted.status == 1 && untrusted.stderr.split(separator: "\n").count == 1, "\(untrusted.stderr)")
    #expect(untrusted.stderr.contains("cannot fetch ghp/state"), "\(untrusted.stderr)")
    var wrongEnvironment = trusted
    wrongEnvironment["GHP_GIT_TOKEN"] = "wrong"
    let wrong = try repo.ghp(["sync"], agent: "lead", environment: wrongEnvironment)
    #expect(wrong.status == 1)
    #expect(wrong.stderr.contains("authentication failed"), "\(wrong.stderr)")
    #expect(wrong.stderr.split(separator: "\n").count == 1, "\(wrong.stderr)")
    var rightEnvironment = trusted
    rightEnvironment["GHP_GIT_TOKEN"] = "s3cret"
    let right = try repo.ghp(["sync"], agent: "lead", environment: rightEnvironment)
    #expect(right.status == 0, "\(right.stderr)")
    let published = try ProcessRunner.run("/usr/bin/git", ["rev-parse", "ghp/state"], in: root + "/project.git").stdout
    #expect(published == (try repo.git("rev-parse", "ghp/state")) + "\n")
  }
}
