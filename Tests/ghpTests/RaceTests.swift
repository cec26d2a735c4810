import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// Real processes racing on one real repository.
@Suite(.serialized) struct RaceTests {
  /// Starts `count` ghp processes that wait at a gate file, opens the gate, and collects the results.
  func race(_ repo: ScratchRepository, count: Int, arguments: (Int) -> [String], agent: (Int) -> String) throws
    -> [ProcessRunner.Result]
  {
    let gate = repo.root.deletingLastPathComponent().appendingPathComponent("gate-\(UUID().uuidString)").path
    let processes = try (0..<count).map { index in
      let command = (["exec", GHPBinary.path] + arguments(index)).map { "'\($0)'" }.joined(separator: " ")
      return try ProcessRunner.start(
        "/bin/sh", ["-c", "while [ ! -e '\(gate)' ]; do sleep 0.005; done; \(command)"], in: repo.path,
        environment: ["GHP_AGENT": agent(index)])
    }
    usleep(200_000)
    FileManager.default.createFile(atPath: gate, contents: nil)
    return processes.map { $0.wait() }
  }

  @Test func thirtyTwoAgentsClaimOneIssueAndExactlyOneWins() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 10)
    for round in 1...10 {
      let results = try race(repo, count: 32, arguments: { _ in ["claim", "\(round)"] }, agent: { "agent-\($0)" })
      let winners = results.enumerated().filter { $0.element.status == 0 }
      #expect(winners.count == 1, "round \(round): \(results.map(\.status))")
      let winner = "agent-\(winners.first?.offset ?? -1)"
      let losers = results.filter { $0.status != 0 }
      #expect(losers.count == 31)
      #expect(losers.allSatisfy { $0.status == 3 && $0.stderr.contains("held by \(winner)") })
      let claims = try repo.git("log", "--format=%B%x00", "ghp/state").split(separator: "\0").filter {
        $0.contains("Ghp-Op: claim\n") && $0.contains("Ghp-Issue: \(round)\n")
      }
      #expect(claims.count == 1, "round \(round)")
      let issue = try JSON.parse(try repo.stateFile(StatePaths.issue(String(round))))
      #expect(issue["assignee"] == .string(winner))
      #expect(issue["epoch"] == .int(1))
    }
  }

  @Test func sixteenAgentsSendFiftyHeartbeatsEachAndNoneIsLost() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    let gate = repo.root.deletingLastPathComponent().appendingPathComponent("gate").path
    let processes = try (0..<16).map { agent in
      let script = """
        while [ ! -e '\(gate)' ]; do sleep 0.005; done
        for i in $(seq 1 50); do
          '\(GHPBinary.path)' agent-heartbeat --status implementing --action "beat $i" || exit 1
        done
        """
      return try ProcessRunner.start("/bin/sh", ["-c", script], in: repo.path, environment: ["GHP_AGENT": "w\(agent)"])
    }
    FileManager.default.createFile(atPath: gate, contents: nil)
    let results = processes.map { $0.wait() }
    #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")

    let heartbeats = try repo.git("log", "--format=%B%x00", "ghp/state").split(separator: "\0").filter {
      $0.contains("Ghp-Op: heartbeat\n")
    }
    #expect(heartbeats.count == 800)
    let document = try JSON.parse(try repo.stateFile(".ghp/agent-status.json"))
    for agent in 0..<16 {
      #expect(document["agents"]?["w\(agent)"]?["lastAction"] == .string("beat 50"))
      let lastTime = try repo.git("log", "-1", "--author=^w\(agent) <", "--format=%ct", "ghp/state")
      let recorded = document["agents"]?["w\(agent)"]?["timestamp"]?.stringValue.flatMap(RFC3339.parse)
      #expect(recorded.map(String.init) == lastTime)
    }
  }

  @Test func writersKilledMidWriteLeaveNothingUnrecoverable() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 4)
    for round in 0..<40 {
      let victims = try (0..<4).map { index in
        try repo.startGHP(
          ["agent-heartbeat", "--status", "implementing", "--action", "round \(round)"], agent: "k\(index)")
      }
      usleep(UInt32.random(in: 0...20_000))
      for victim in victims { kill(victim.pid, SIGKILL) }
      _ = victims.map { $0.wait() }
    }
    // Whatever was half done, the next commands work and the repository is sound.
    let after = try repo.ghp("claim", "1", agent: "survivor")
    #expect(after.status == 0, "\(after.stderr)")
    #expect(try repo.ghp("agent-status", "--json").status == 0)
    let fsck = try ProcessRunner.run("/usr/bin/git", ["fsck", "--full", "--no-dangling"], in: repo.path)
    #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
    #expect(!fsck.stdout.contains("error") && !fsck.stderr.contains("error"))
  }

  @Test func aRefLockGhpCannotProveStaleIsReportedNeverRemoved() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    let lock = repo.path + "/.git/refs/heads/ghp/state.lock"
    FileManager.default.createFile(atPath: lock, contents: Data("deadbeef\n".utf8))
    try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -300)], ofItemAtPath: lock)
    let result = try repo.ghp("claim", "1", agent: "w1")
    #expect(result.status == 1)
    #expect(result.stderr.contains(lock) && result.stderr.contains("rm '"), "\(result.stderr)")
    #expect(result.stderr.split(separator: "\n").count == 1)
    #expect(FileManager.default.fileExists(atPath: lock))
  }

  @Test func aRefLockLeftByAKilledGhpWriterIsRecoveredAtOnce() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    // A ghp writer that died while moving the ref: its record in the writer lock names it, and it is gone.
    let dead = try ProcessRunner.start("/bin/true", [], in: repo.path)
    _ = dead.wait()
    let record = repo.path + "/.git/ghp/writer.lock"
    try "\(dead.pid) 12345 updating\n".write(toFile: record, atomically: false, encoding: .utf8)
    let lock = repo.path + "/.git/refs/heads/ghp/state.lock"
    FileManager.default.createFile(atPath: lock, contents: Data("deadbeef\n".utf8))
    let result = try repo.ghp("claim", "1", agent: "w1")
    #expect(result.status == 0, "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: lock))
  }

  @Test func aLiveGitTransactionKeepsItsRefLock() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    let old = try repo.git("rev-parse", "ghp/state")
    let new = try repo.git("rev-parse", "ghp/state~1")
    let fifo = repo.root.deletingLastPathComponent().appendingPathComponent("update-ref.fifo").path
    #expect(mkfifo(fifo, 0o600) == 0)
    let git = try ProcessRunner.start("/bin/sh", ["-c", "exec git update-ref --stdin < '\(fifo)'"], in: repo.path)
    let writer = open(fifo, O_WRONLY)
    #expect(writer >= 0)
    func send(_ text: String) { _ = text.withCString { write(writer, $0, strlen($0)) } }
    send("start\nupdate refs/heads/ghp/state \(new) \(old)\nprepare\n")
    let lock = repo.path + "/.git/refs/heads/ghp/state.lock"
    for _ in 0..<200 where !FileManager.default.fileExists(atPath: lock) { usleep(10_000) }
    #expect(FileManager.default.fileExists(atPath: lock))
    let ghp = try repo.ghp("claim", "1", agent: "w1")
    #expect(ghp.status == 1)
    #expect(ghp.stderr.contains("held by another process"), "\(ghp.stderr)")
    #expect(FileManager.default.fileExists(atPath: lock), "ghp must not break git's transaction")
    send("commit\n")
    close(writer)
    #expect(git.wait().status == 0)
    #expect(try repo.git("rev-parse", "ghp/state") == new)
  }

  @Test func aStoppedWriterIsNamedAfterABoundedWait() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    let holder = try ProcessRunner.start(
      "/usr/bin/flock", [repo.path + "/.git/ghp/writer.lock", "sleep", "60"], in: repo.path)
    defer {
      kill(holder.pid, SIGCONT)
      kill(holder.pid, SIGKILL)
      _ = holder.wait()
    }
    usleep(300_000)
    kill(holder.pid, SIGSTOP)
    let result = try repo.ghp(["claim", "1"], agent: "w1", environment: ["GHP_LOCK_TIMEOUT": "1"])
    #expect(result.status == 1)
    #expect(result.stderr.contains("pid \(holder.pid)"), "\(result.stderr)")
    #expect(result.stderr.contains("nothing was written"))
    #expect(try repo.ghp(["issue", "show", "1", "--json"]).json()["issue"]?["status"] == .string("open"))
  }
}
