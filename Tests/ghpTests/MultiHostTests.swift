import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// Several machines, made by the test: network namespaces for a git server and three hosts,
/// each host's link delayed 25 ms each way (a relay, as the kernel here has no netem).
@Suite(.serialized) struct MultiHostTests {
  /// The lab and its server's repository, `project.git`.
  static func lab(hosts: Int, delay: Int) throws -> (NetworkLab, String) {
    let relay = TemplateTests.root.appendingPathComponent("Tests/Fixtures/delay-relay.py").path
    let lab = try NetworkLab(hosts: hosts, delay: delay, python: TestPython.path, relay: relay)
    return (lab, try lab.makeRepository("project.git"))
  }

  static let fixtures = TemplateTests.root.appendingPathComponent("Tests/Fixtures").path

  /// The settings of a team `ghp run` supervises with the fixture agents, contained, its lease
  /// `lease`.
  static func supervised(lease: String) -> [(String, String)] {
    [
      ("agent.backoff", "0s"), ("agent.grace", "1s"), ("agent.readable", "[\"\(fixtures)\"]"),
      ("agent.env", "[\"SLOW_SECONDS\"]"), ("agent.lease", lease),
    ]
  }

  /// Whether the supervisor printed two `spawned` events within a minute.
  static func bothWorkersStarted(_ supervisor: ProcessRunner.Running) -> Bool {
    for _ in 0..<1200 {
      let text = (try? String(contentsOfFile: supervisor.stdoutPath, encoding: .utf8)) ?? ""
      if text.components(separatedBy: "\"event\":\"spawned\"").count - 1 >= 2 { return true }
      usleep(50_000)
    }
    return false
  }

  /// git run in the server's repository; its output.
  static func serverGit(_ server: String, _ arguments: [String]) throws -> String {
    try ProcessRunner.run("/usr/bin/git", arguments, in: server).stdout
  }

  /// The run documents on the server's `ghp/state`.
  static func serverRuns(_ server: String) throws -> [JSON] {
    let names = try serverGit(server, ["ls-tree", "--name-only", "ghp/state", ".ghp/runs/"]).split(separator: "\n")
    return try names.map { name in try JSON.parse(try serverGit(server, ["show", "ghp/state:\(name)"])) }
  }

  /// Every one of issues 1 to `count` landed exactly once on the server's main (its record in
  /// `log`, its file in main's tree), and the server's state verifies from `clone` on `host`.
  static func expectEachLandedOnce(
    _ count: Int, log: [String], server: String, lab: NetworkLab, host: String, clone: String
  ) throws {
    for issue in 1...count {
      #expect(
        log.filter { $0.contains("Ghp-Op: landed\n") && $0.contains("\"\(issue)\"") }.count == 1,
        "#\(issue) landed once")
    }
    let files = try serverGit(server, ["ls-tree", "--name-only", "main"]).split(separator: "\n").map(String.init)
    #expect(Set((1...count).map { "work-\($0).txt" }).isSubset(of: Set(files)), "\(files)")
    let verified = try lab.run(host, GHPBinary.path, ["verify", "origin/ghp/state"], in: clone)
    #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
  }

  /// A team on the lab's hosts: the state made on the first (with `issues` and `config`) and put
  /// on the server in remote mode, then a clone on each other host, synced, with main checked out.
  static func team(
    on lab: NetworkLab, issues: Int, config: [(String, String)] = []
  ) throws -> (seed: ScratchRepository, clones: [String]) {
    let seed = try ScratchRepository()
    try seed.git("remote", "add", "origin", lab.url("project.git"))
    #expect(try lab.run(lab.hosts[0], "/usr/bin/git", ["push", "-q", "origin", "main"], in: seed.path).status == 0)
    try seed.initialise(issues: issues)
    for (key, value) in config {
      let set = try seed.inProcess(["config", "set", key, value], agent: "lead")
      #expect(set.status == 0, "\(set.stderr)")
    }
    let set = try lab.run(
      lab.hosts[0], GHPBinary.path, ["remote", "set", "origin"], in: seed.path, environment: ["GHP_AGENT": "lead"])
    #expect(set.status == 0, "\(set.stderr)")
    var clones = [seed.path]
    for host in lab.hosts.dropFirst() {
      let path = lab.folder + "/clone-\(host)"
      #expect(
        try lab.run(host, "/usr/bin/git", ["clone", "-q", lab.url("project.git"), path], in: lab.folder).status == 0)
      let synced = try lab.run(host, GHPBinary.path, ["sync"], in: path, environment: ["GHP_AGENT": "lead"])
      #expect(synced.status == 0, "\(synced.stderr)")
      _ = try ProcessRunner.run("/usr/bin/git", ["checkout", "-q", "-b", "main", "origin/main"], in: path)
      clones.append(path)
    }
    return (seed, clones)
  }

  /// Four agents on each of three hosts claim from one queue of 12 issues at once, in remote mode;
  /// one host is cut off from the server for three seconds in the middle and joined again. Every
  /// issue is claimed exactly once on the server, by the agent that was told it won; no claim is
  /// lost, doubled or misdirected, and the server's state verifies.
  @Test(.enabled(if: NetworkLab.available)) func agentsOnThreeHostsClaimOneQueueThroughAPartition() throws {
    let (lab, server) = try Self.lab(hosts: 3, delay: 25)
    let (seed, clones) = try Self.team(on: lab, issues: 12)

    // Each agent claims until nothing is ready (exit 4), trying again after a failure (the cut).
    let script = """
      while :; do
        out=$(\(GHPBinary.path) claim --next --json 2>>"$LOG.err"); code=$?
        if [ $code = 0 ]; then printf '%s\\n' "$out" | tr -d '\\n' >> "$LOG"; echo >> "$LOG"; continue; fi
        [ $code = 4 ] && exit 0
        sleep 0.2
      done
      """
    var agents: [(name: String, log: String, process: ProcessRunner.Running)] = []
    for (index, host) in lab.hosts.enumerated() {
      for slot in 1...4 {
        let name = "h\(index + 1)-a\(slot)"
        let log = lab.folder + "/\(name).log"
        let process = try lab.start(
          host, "/bin/sh", ["-c", script], in: clones[index], environment: ["GHP_AGENT": name, "LOG": log])
        agents.append((name, log, process))
      }
    }
    usleep(400_000)
    try lab.partition(lab.hosts[2], cut: true)
    sleep(3)
    try lab.partition(lab.hosts[2], cut: false)
    for agent in agents { #expect(agent.process.wait().status == 0, "\(agent.name)") }

    // What each agent was told it won.
    var won: [String: String] = [:]
    for agent in agents {
      let text = (try? String(contentsOfFile: agent.log, encoding: .utf8)) ?? ""
      for line in text.split(separator: "\n") {
        let answer = try JSON.parse(String(line))
        guard let id = answer["issue"]?["id"]?.intValue else { continue }
        #expect(won["\(id)"] == nil, "#\(id) was told won twice: \(won["\(id)"] ?? "") and \(agent.name)")
        won["\(id)"] = agent.name
      }
    }
    #expect(won.count == 12, "\(won)")
    // The server agrees, claim by claim.
    let holders = try ProcessRunner.run(
      "/bin/sh",
      ["-c", "for f in $(git ls-tree -r --name-only ghp/state .ghp/issues); do git show ghp/state:$f; done"],
      in: server
    ).stdout
    for (id, agent) in won {
      #expect(holders.contains("\"assignee\": \"\(agent)\"") || holders.contains("\"assignee\":\"\(agent)\""), "#\(id)")
    }
    let claims = try ProcessRunner.run(
      "/usr/bin/git", ["log", "--format=%(trailers:key=Ghp-Op,valueonly)", "ghp/state"], in: server
    ).stdout.split(separator: "\n").filter { $0 == "claim" || $0 == "claim-next" }
    #expect(claims.count == 12, "\(claims.count) claims on the server")
    let verified = try lab.run(lab.hosts[1], GHPBinary.path, ["verify", "origin/ghp/state"], in: clones[1])
    #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
  }

  /// Eight writers on one host, 30 ms from the server: what they write while a push is in flight
  /// goes out on top of it, so one push carries several operations. Every write is told it
  /// landed once the server holds it; every operation is on the server exactly once, in fewer
  /// moves of the server's branch than operations (its reflog), and the state verifies.
  @Test(.enabled(if: NetworkLab.available)) func writersOnOneHostShareTheirPushes() throws {
    let (lab, server) = try Self.lab(hosts: 1, delay: 30)
    _ = try ProcessRunner.run("/usr/bin/git", ["config", "core.logAllRefUpdates", "always"], in: server)
    let host = lab.hosts[0]
    let seed = try ScratchRepository()
    try seed.git("remote", "add", "origin", lab.url("project.git"))
    #expect(try lab.run(host, "/usr/bin/git", ["push", "-q", "origin", "main"], in: seed.path).status == 0)
    try seed.initialise()
    #expect(
      try lab.run(host, GHPBinary.path, ["remote", "set", "origin"], in: seed.path, environment: ["GHP_AGENT": "lead"])
        .status == 0)
    let before =
      Int(
        try ProcessRunner.run("/usr/bin/git", ["rev-list", "--count", "ghp/state"], in: server).stdout
          .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    let moves = { () throws -> Int in
      try ProcessRunner.run("/usr/bin/git", ["reflog", "show", "--format=%H", "ghp/state"], in: server).stdout
        .split(separator: "\n").count
    }
    let movesBefore = try moves()
    let script = """
      for i in 1 2 3 4 5; do
        \(GHPBinary.path) agent-status update --status working --action "$GHP_AGENT step $i" >/dev/null || exit 1
      done
      """
    let writers = try (1...8).map { index in
      try lab.start(host, "/bin/sh", ["-c", script], in: seed.path, environment: ["GHP_AGENT": "w\(index)"])
    }
    for writer in writers { #expect(writer.wait().status == 0) }
    let after =
      Int(
        try ProcessRunner.run("/usr/bin/git", ["rev-list", "--count", "ghp/state"], in: server).stdout
          .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    #expect(after - before == 40, "\(after - before) commits for 40 writes")
    let log = try ProcessRunner.run("/usr/bin/git", ["log", "--format=%B", "ghp/state"], in: server).stdout
    for index in 1...8 {
      for step in 1...5 {
        #expect(
          log.components(separatedBy: "\"action\":\"w\(index) step \(step)\"").count == 2, "w\(index) step \(step)")
      }
    }
    let pushes = try moves() - movesBefore
    #expect(pushes < 40, "\(pushes) moves of the server's ghp/state for 40 operations")
    print("writers on one host: 40 operations in \(pushes) pushes")
    let verified = try lab.run(host, GHPBinary.path, ["verify", "origin/ghp/state"], in: seed.path)
    #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
  }

  /// Supervisors on three hosts work one queue of eight issues, with the merge queue on: each run
  /// has its own document on the server and worker names no other run uses. The third host dies
  /// (every process in its namespace killed) while its workers hold issues; once its lease is
  /// stale a supervisor on another host adopts its run and gives its issues back, and the two left
  /// finish the queue with one lander at a time: every issue lands exactly once on the server's
  /// main, and the server's state verifies.
  @Test(.enabled(if: NetworkLab.available)) func supervisorsOnThreeHostsFinishOneQueueThroughADeadHost() throws {
    let (lab, server) = try Self.lab(hosts: 3, delay: 10)
    let (seed, clones) = try Self.team(
      on: lab, issues: 8,
      config: Self.supervised(lease: "20s") + [("landing.gate", "[\"true\"]"), ("landing.sandbox", "off")])
    let supervisors = try lab.hosts.indices.map { index in
      try lab.start(
        lab.hosts[index], GHPBinary.path,
        ["run", "--json", "-w", "2", "--agent-command", "\(Self.fixtures)/agents/slow"],
        in: clones[index], environment: ["GHP_AGENT": "lead", "SLOW_SECONDS": "3"])
    }
    // The third host dies once both its workers run.
    #expect(Self.bothWorkersStarted(supervisors[2]), "the third host's workers never started")
    try lab.crash(lab.hosts[2])
    for (index, supervisor) in supervisors.enumerated().dropLast() {
      let result = supervisor.wait(within: 120)
      // What its workers printed, when it failed (kept under .git/ghp/run/ of that clone).
      let logs = try ProcessRunner.run(
        "/bin/sh", ["-c", "for f in .git/ghp/run/*/*; do echo \"== $f\"; tail -c 1500 \"$f\"; done"],
        in: clones[index]
      ).stdout
      #expect(result.status == 0, "host \(index + 1): \(result.stderr)\n\(result.stdout.suffix(3000))\n\(logs)")
    }

    // On the server: three runs, each with its own workers; the dead host's adopted.
    let runs = try Self.serverRuns(server)
    #expect(runs.count == 3, "\(runs.map { $0.compact() })")
    let workers = runs.flatMap { $0["workers"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    #expect(Set(workers).count == 6, "\(workers)")
    let dead = runs.filter { $0["state"] == .string("failed") }
    #expect(dead.count == 1 && dead.first?["outcome"]?.stringValue?.contains("adopted by run") == true, "\(runs)")
    #expect(runs.filter { $0["state"] == .string("finished") }.count == 2, "\(runs)")
    let log = try Self.serverGit(server, ["log", "--format=%B%x00", "ghp/state"]).components(separatedBy: "\u{0}")
    #expect(log.filter { $0.contains("\"action\":\"adopt\"") }.count == 1)
    // No run took an issue another run's worker held (both picking it from the queue at once).
    #expect(log.filter { $0.contains("the issue is claimed now") }.isEmpty)
    try Self.expectEachLandedOnce(8, log: log, server: server, lab: lab, host: lab.hosts[0], clone: seed.path)
  }

  /// Supervisors on two hosts; the second is cut off from the server while its workers hold
  /// issues, for longer than its run's lease. The first host's supervisor adopts the cut-off run
  /// and finishes the queue alone. When the link comes back, the cut-off supervisor finds its run
  /// adopted and stops, and nothing its workers did while cut off lands: every issue lands exactly
  /// once on the server's main, and the server's state verifies.
  @Test(.enabled(if: NetworkLab.available)) func aHostCutOffPastItsLeaseIsAdoptedAndStopsWhenJoinedAgain() throws {
    let (lab, server) = try Self.lab(hosts: 2, delay: 10)
    let (seed, clones) = try Self.team(
      on: lab, issues: 6,
      config: Self.supervised(lease: "8s") + [("landing.gate", "[\"true\"]"), ("landing.sandbox", "off")])
    let supervisors = try [3, 6].enumerated().map { index, seconds in
      try lab.start(
        lab.hosts[index], GHPBinary.path,
        ["run", "--json", "-w", "2", "--agent-command", "\(Self.fixtures)/agents/slow"],
        // A link that is down may leave a connection hanging rather than refused: the network
        // timeout makes each attempt end within 3 s, either way.
        in: clones[index], environment: ["GHP_AGENT": "lead", "SLOW_SECONDS": "\(seconds)", "GHP_NETWORK_TIMEOUT": "3"])
    }
    #expect(Self.bothWorkersStarted(supervisors[1]), "the second host's workers never started")
    try lab.partition(lab.hosts[1], cut: true)
    let first = supervisors[0].wait(within: 120)
    #expect(first.status == 0, "\(first.stderr)\n\(first.stdout.suffix(3000))")
    try lab.partition(lab.hosts[1], cut: false)
    let second = supervisors[1].wait(within: 60)
    // It went on while cut off (said once), and stopped only when it learnt its run was adopted.
    #expect(
      second.status == 3 && second.stderr.contains("no longer holds")
        && second.stdout.components(separatedBy: "\"event\":\"offline\"").count == 2,
      "\(second.stderr)\n\(second.stdout.suffix(3000))")

    let runs = try Self.serverRuns(server)
    let adopted = runs.filter { $0["state"] == .string("failed") }
    #expect(
      runs.count == 2 && adopted.count == 1 && adopted.first?["host"]?.stringValue == lab.hosts[1]
        && adopted.first?["outcome"]?.stringValue?.contains("adopted by run") == true,
      "\(runs.map { $0.compact() })")
    let log = try Self.serverGit(server, ["log", "--format=%B%x00", "ghp/state"]).components(separatedBy: "\u{0}")
    try Self.expectEachLandedOnce(6, log: log, server: server, lab: lab, host: lab.hosts[1], clone: clones[1])
    withExtendedLifetime(seed) {}
  }

  /// A supervisor killed with its host (every process in the namespace) while its workers hold
  /// issues; once its lease is stale, `ghp run` started on another host takes the run over: the
  /// same run, its workers' issues given back uncounted and done there, the takeover counted.
  @Test(.enabled(if: NetworkLab.available)) func aRunWhoseHostDiedIsTakenOverFromAnother() throws {
    let (lab, server) = try Self.lab(hosts: 2, delay: 10)
    let (seed, clones) = try Self.team(on: lab, issues: 3, config: Self.supervised(lease: "8s"))
    let first = try lab.start(
      lab.hosts[0], GHPBinary.path, ["run", "--json", "-w", "2", "--agent-command", "\(Self.fixtures)/agents/slow"],
      in: clones[0], environment: ["GHP_AGENT": "lead", "SLOW_SECONDS": "60"])
    #expect(Self.bothWorkersStarted(first), "the first host's workers never started")
    try lab.crash(lab.hosts[0])
    _ = first.wait(within: 10)
    sleep(9)
    let second = try lab.start(
      lab.hosts[1], GHPBinary.path, ["run", "--json", "-w", "2", "--agent-command", "\(Self.fixtures)/agents/slow"],
      in: clones[1], environment: ["GHP_AGENT": "lead", "SLOW_SECONDS": "1"])
    let result = second.wait(within: 120)
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(2000))")
    let git = { (arguments: [String]) throws -> String in try Self.serverGit(server, arguments) }
    #expect(result.stdout.contains("\"event\":\"takeover\""), "\(result.stdout.suffix(2000))")
    let runs = try Self.serverRuns(server)
    #expect(runs.count == 1, "one run, taken over: \(runs.map { $0.compact() })")
    if let run = runs.first {
      #expect(run["takeovers"]?.intValue == 1 && run["state"]?.stringValue == "finished", "\(run.compact())")
      #expect(run["host"]?.stringValue == lab.hosts[1], "\(run.compact())")
    }
    let issues = try git(["ls-tree", "-r", "--name-only", "ghp/state", ".ghp/issues"]).split(separator: "\n")
    for name in issues {
      let issue = try JSON.parse(try git(["show", "ghp/state:\(name)"]))
      #expect(issue["status"]?.stringValue == "done", "\(name): \(issue.compact())")
    }
    let verified = try lab.run(lab.hosts[1], GHPBinary.path, ["verify", "origin/ghp/state"], in: clones[1])
    #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    withExtendedLifetime(seed) {}
  }
}
