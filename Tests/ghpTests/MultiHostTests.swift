import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// Several machines, made by the test: network namespaces for a git server and three hosts,
/// each host's link delayed 25 ms each way (a relay, as the kernel here has no netem).
@Suite(.serialized) struct MultiHostTests {
  /// Four agents on each of three hosts claim from one queue of 12 issues at once, in remote mode;
  /// one host is cut off from the server for three seconds in the middle and joined again. Every
  /// issue is claimed exactly once on the server, by the agent that was told it won; no claim is
  /// lost, doubled or misdirected, and the server's state verifies.
  @Test(.enabled(if: NetworkLab.available)) func agentsOnThreeHostsClaimOneQueueThroughAPartition() throws {
    let relay = TemplateTests.root.appendingPathComponent("Tests/Fixtures/delay-relay.py").path
    let lab = try NetworkLab(hosts: 3, delay: 25, python: TestPython.path, relay: relay)
    try lab.makeRepository("project.git")
    let seed = try ScratchRepository()
    try seed.git("remote", "add", "origin", lab.url("project.git"))
    #expect(try lab.run(lab.hosts[0], "/usr/bin/git", ["push", "-q", "origin", "main"], in: seed.path).status == 0)
    try seed.initialise(issues: 12)
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
      clones.append(path)
    }

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
    let server = lab.folder + "/srv/project.git"
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
    let relay = TemplateTests.root.appendingPathComponent("Tests/Fixtures/delay-relay.py").path
    let lab = try NetworkLab(hosts: 1, delay: 30, python: TestPython.path, relay: relay)
    let server = try lab.makeRepository("project.git")
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
        \(GHPBinary.path) agent-heartbeat --action "$GHP_AGENT step $i" >/dev/null || exit 1
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
}
