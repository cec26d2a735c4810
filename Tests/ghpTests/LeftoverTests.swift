import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// What a killed lander, supervisor, agent or `agent add` leaves outside the ledger — git's lock
/// files, a worktree half-staged, an endless log — is recovered by the next command, or named
/// with its holder and the command that clears it; never an empty reason, never a wedge.
@Suite("leftovers", .serialized)
struct LeftoverTests {
  /// `sh -c 'exec 3< FILE; sleep 60'`: a live process holding `path` open, as git holds its lock.
  static func hold(_ path: String) throws -> ProcessRunner.Running {
    try ProcessRunner.start("/bin/sh", ["-c", "exec 3<'\(path)'; exec sleep 60"], in: "/")
  }

  @Test func aLockALanderLeftOnTheBaseIsRemovedAndALiveOneNamed() throws {
    let team = try LandingTeam(agents: ["w1"])
    let first = try team.work("w1", title: "First", file: "first.txt", text: "first\n")
    #expect(first.done.status == 0)
    // As a lander killed between taking the ref's lock and renaming it leaves it.
    let lock = team.repo.path + "/.git/refs/heads/main.lock"
    FileManager.default.createFile(atPath: lock, contents: Data())
    let landed = try team.land()
    #expect(landed.status == 0, "\(landed.stderr)")
    #expect(try team.issue(first.id)["status"]?.stringValue == "done")
    #expect(try team.repo.git("show", "main:first.txt").contains("first"))
    #expect(!FileManager.default.fileExists(atPath: lock), "the lock was left")

    // A lock someone alive holds is named, with its holder, and nothing lands or loops.
    let second = try team.work("w1", title: "Second", file: "second.txt", text: "second\n")
    #expect(second.done.status == 0)
    FileManager.default.createFile(atPath: lock, contents: Data())
    let holder = try Self.hold(lock)
    defer { kill(holder.pid, SIGKILL) }
    let before = try team.repo.git("rev-list", "--count", "ghp/state")
    let refused = try team.land()
    #expect(refused.status != 0, "\(refused.stdout)")
    #expect(refused.stderr.contains(lock) && refused.stderr.contains("sleep (pid"), "\(refused.stderr)")
    #expect(!refused.stderr.contains("kept moving"), "\(refused.stderr)")
    kill(holder.pid, SIGKILL)
    _ = holder.wait()
    // Once the holder is gone, the next lander lands it without a hand on the file.
    let again = try team.land()
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try team.issue(second.id)["status"]?.stringValue == "done")
    #expect(!FileManager.default.fileExists(atPath: lock))
    let after = Int(try team.repo.git("rev-list", "--count", "ghp/state").trimmingCharacters(in: .whitespaces)) ?? 0
    #expect(after - (Int(before.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) < 12)
  }

  @Test func locksInTheLandingWorktreeAreRemoved() throws {
    let team = try LandingTeam(agents: ["w1"])
    let first = try team.work("w1", title: "First", file: "first.txt", text: "first\n")
    #expect(first.done.status == 0)
    #expect(try team.land().status == 0)
    let admin = team.repo.path + "/.git/worktrees/ghp-land-main"
    for name in ["HEAD.lock", "index.lock"] {
      FileManager.default.createFile(atPath: "\(admin)/\(name)", contents: Data())
    }
    let second = try team.work("w1", title: "Second", file: "second.txt", text: "second\n")
    #expect(second.done.status == 0)
    let landed = try team.land()
    #expect(landed.status == 0, "\(landed.stderr)")
    #expect(try team.issue(second.id)["status"]?.stringValue == "done")
    for name in ["HEAD.lock", "index.lock"] { #expect(!FileManager.default.fileExists(atPath: "\(admin)/\(name)")) }
  }

  @Test func aKilledAgentAddIsFinishedByRunningItAgain() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    let lock = repo.path + "/.git/refs/heads/agent/w9.lock"
    try FileManager.default.createDirectory(
      atPath: repo.path + "/.git/refs/heads/agent", withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: lock, contents: Data())
    let holder = try Self.hold(lock)
    let held = try repo.ghp(["agent", "add", "w9"], agent: "lead")
    #expect(held.status != 0)
    #expect(held.stderr.contains(lock) && held.stderr.contains("ghp agent add w9"), "\(held.stderr)")
    #expect(held.stderr.split(separator: "\n").count == 1, "\(held.stderr)")
    kill(holder.pid, SIGKILL)
    _ = holder.wait()
    let again = try repo.ghp(["agent", "add", "w9"], agent: "lead")
    #expect(again.status == 0, "\(again.stderr)")
    #expect(!FileManager.default.fileExists(atPath: lock))
    #expect(!(try repo.git("rev-parse", "agent/w9")).isEmpty)
  }

  @Test func aKilledAttemptsFilesNeverReachAnotherIssue() throws {
    let bench = try RunBench(issues: 2, settings: ["agent.sandbox": "on"])
    let marks = bench.scratch + "/marks"
    try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
    #expect(try bench.repo.ghp(["config", "set", "agent.writable", "[\"\(marks)\"]"], agent: "lead").status == 0)
    let stager = bench.scratch + "/stager"
    // The first attempt on #1 stages a file and changes a tracked one, then hangs until killed.
    try """
    #!/bin/sh
    if [ "$GHP_ISSUE" = 1 ] && [ ! -e "\(marks)/hung" ]; then
      touch "\(marks)/hung"
      echo "half-done" > left-by-1.txt && git add left-by-1.txt
      echo "changed by 1" >> README.md
      exec sleep 600
    fi
    exec \(bench.agent("good"))

    """.write(toFile: stager, atomically: true, encoding: .utf8)
    chmod(stager, 0o755)
    let (result, events) = try bench.run(["-w", "1", "--agent-command", stager, "--task-timeout", "2s"])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    for id in ["1", "2"] { #expect(try bench.issue(id)["status"]?.stringValue == "done") }
    // No commit on the worker's branch holds what the killed attempt left.
    let files = try bench.repo.git("log", "--format=", "--name-only", "agent/worker-1")
    #expect(!files.contains("left-by-1.txt"), "\(files)")
    #expect(!(try bench.repo.git("show", "agent/worker-1:README.md")).contains("changed by 1"))
    // It is kept, under the ref the event names.
    let kept = try bench.repo.git("for-each-ref", "--format=%(refname)", "refs/ghp/set-aside/worker-1")
      .trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(!kept.isEmpty)
    #expect(try bench.repo.git("show", "\(kept):left-by-1.txt").contains("half-done"))
    #expect(
      events.contains { $0["event"]?.stringValue == "set-aside" && ($0["text"]?.stringValue ?? "").contains(kept) })
  }

  @Test func aWorkersLogKeepsItsHeadAndTailWithinTheLimit() throws {
    let bench = try RunBench(issues: 1, settings: ["agent.logLimit": "\"64K\""])
    let talker = bench.scratch + "/talker"
    try """
    #!/bin/sh
    echo "FIRST LINE"
    i=0; while [ $i -lt 20000 ]; do echo "line $i of a long, long agent transcript"; i=$((i + 1)); done
    echo "LAST LINE"
    exec \(bench.agent("good"))

    """.write(toFile: talker, atomically: true, encoding: .utf8)
    chmod(talker, 0o755)
    let (result, _) = try bench.run(["-w", "1", "--agent-command", talker])
    #expect(result.status == 0, "\(result.stderr)")
    let log = try WorkerContainmentTests.log(bench, agent: "worker-1")
    #expect(log.utf8.count <= 64 * 1024 + 200, "\(log.utf8.count) bytes")
    #expect(log.hasPrefix("FIRST LINE"))
    #expect(log.contains("LAST LINE") && log.contains("bytes of output left out here (agent.logLimit)"))
  }

  @Test func onAFullDiskEveryWriteSaysSoInOneLineAndChangesNothing() throws {
    let mount = FileManager.default.temporaryDirectory.appendingPathComponent("ghp-full-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
    let mounted = try ProcessRunner.run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mount], in: "/")
    try #require(mounted.status == 0, "tmpfs: \(mounted.stderr)")
    defer {
      _ = try? ProcessRunner.run("/bin/umount", ["-l", mount], in: "/")
      try? FileManager.default.removeItem(atPath: mount)
    }
    let repo = try ScratchRepository(at: mount + "/repo")
    try repo.initialise(issues: 2)
    #expect(try repo.ghp(["claim", "1"], agent: "w1").status == 0)
    try "plan\n".write(toFile: mount + "/plan.md", atomically: true, encoding: .utf8)
    try #"[{"id": "9", "title": "Imported"}]"#.write(toFile: mount + "/issues.json", atomically: true, encoding: .utf8)
    let filled = try ProcessRunner.run("/bin/dd", ["if=/dev/zero", "of=\(mount)/filler", "bs=64k"], in: "/")
    #expect(filled.status != 0, "the disk did not fill")
    let tip = try repo.git("rev-parse", "ghp/state")
    let writes: [(String, [String])] = [
      ("lead", ["plan", "set", mount + "/plan.md"]), ("lead", ["issue", "add", "A new one"]),
      ("w1", ["agent-heartbeat", "--action", "beat"]), ("w1", ["agent-escalate", "Stuck"]),
      ("w1", ["done", "1", "--result", "ok"]), ("w1", ["discover", "a finding"]), ("w2", ["claim", "2"]),
      ("lead", ["approve", "w1", "README.md"]), ("lead", ["config", "set", "staleAfter", "\"20m\""]),
      ("w1", ["agent-status", "update", "--status", "testing"]), ("w1", ["fail", "1", "--reason", "broken"]),
      ("w1", ["release", "1"]), ("lead", ["issue", "edit", "2", "--title", "Renamed"]),
      ("lead", ["assign", "2", "lead"]), ("w1", ["agent-handoff", "--issue", "1", "--to", "lead", "--note", "yours"]),
      ("lead", ["issue", "import", mount + "/issues.json"]),
    ]
    for (agent, arguments) in writes {
      let result = try repo.ghp(arguments, agent: agent)
      #expect(result.status != 0, "\(arguments): \(result.stdout)")
      let lines = result.stderr.split(separator: "\n")
      #expect(lines.count == 1, "\(arguments): \(result.stderr)")
      #expect(
        result.stderr.contains("No space left on device") || result.stderr.contains("the disk is full"),
        "\(arguments): \(result.stderr)")
      #expect(!result.stderr.contains("unknown error"), "\(arguments): \(result.stderr)")
    }
    #expect(try repo.git("rev-parse", "ghp/state") == tip, "a write landed on a full disk")
    try FileManager.default.removeItem(atPath: mount + "/filler")
    #expect(try repo.ghp(["agent-heartbeat", "--action", "space again"], agent: "w1").status == 0)
    #expect(try repo.ghp(["verify"], agent: "lead").status == 0)
  }

  /// The processes whose command line holds `needle` (from /proc).
  static func processes(_ needle: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> Int32? in
      guard let pid = Int32(entry), let bytes = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else {
        return nil
      }
      return String(decoding: bytes, as: UTF8.self).contains(needle) ? pid : nil
    }
  }

  @Test(arguments: ["on", "off"])
  func aDaemonAnAgentStartsDiesWithItsAttempt(sandbox: String) throws {
    let bench = try RunBench(issues: 1, settings: ["agent.sandbox": sandbox])
    let marks = bench.scratch + "/marks"
    try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
    #expect(try bench.repo.ghp(["config", "set", "agent.writable", "[\"\(marks)\"]"], agent: "lead").status == 0)
    let needle = "daemon-\(UUID().uuidString.prefix(8))"
    let spawner = bench.scratch + "/spawner"
    try """
    #!/bin/sh
    cat > /dev/null
    setsid sh -c 'while :; do echo beat >> "\(marks)/beats"; ghp agent-heartbeat --action "\(needle)" > /dev/null 2>&1; sleep 0.2; done; : \(needle)' < /dev/null > /dev/null 2>&1 &
    sleep 1
    exec \(bench.agent("good")) < /dev/null

    """.write(toFile: spawner, atomically: true, encoding: .utf8)
    chmod(spawner, 0o755)
    let (result, _) = try bench.run(["-w", "1", "--agent-command", spawner])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try bench.issue("1")["status"]?.stringValue == "done")
    let beats = { (try? String(contentsOfFile: marks + "/beats", encoding: .utf8))?.count ?? 0 }
    #expect(beats() > 0, "the daemon never ran")
    let left = Self.processes(needle)
    #expect(left.isEmpty, "the daemon outlived the run: \(left)")
    let before = beats()
    usleep(800_000)
    #expect(beats() == before, "the daemon still writes")
    for pid in left { kill(pid, SIGKILL) }
  }

  @Test func aPersonsEditInTheBaseCheckoutDuringTheGateHoldsTheLandingBack() throws {
    let team = try LandingTeam(agents: ["w1"])
    let work = try team.work("w1", title: "Work", file: "work.txt", text: "work\n")
    #expect(work.done.status == 0)
    let before = try team.main()
    FileManager.default.createFile(atPath: team.control + "/sleep", contents: Data("2".utf8))
    let lander = try team.repo.startGHP(["land", "--once", "--json"], agent: "lead", environment: team.environment)
    #expect(team.waitForSleepingGate(), "the gate started")
    try FileManager.default.removeItem(atPath: team.control + "/sleep")
    // The person edits a tracked file in main's worktree while the gate runs, and commits nothing.
    try team.repo.write("README.md", "# scratch\nthe person's edit\n")
    let held = lander.wait()
    #expect(try team.main() == before, "main moved under the person's edit")
    #expect(held.stdout.contains("README.md") || held.stderr.contains("README.md"), "\(held.stdout)\(held.stderr)")
    // Their worktree shows their edit and nothing else: no landed work seen as reverted.
    let status = try team.repo.git("status", "--porcelain").trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(status == "M README.md", "\(status)")
    // Once they commit, the landing goes through, and the checkout follows.
    try team.repo.git("commit", "-qam", "the person's edit")
    let landed = try team.land()
    #expect(landed.status == 0, "\(landed.stderr)")
    #expect(try team.issue(work.id)["status"]?.stringValue == "done")
    #expect(FileManager.default.fileExists(atPath: team.repo.path + "/work.txt"))
    #expect(try team.repo.git("status", "--porcelain").isEmpty)
  }

  /// A lander killed after it moved main and before (or while) main's checkout followed left that
  /// checkout behind: its index the old tree, and, killed mid-follow, the index lock with the files
  /// already new (found by the lander storm). The next lander, taking the lease over from the dead
  /// one, clears the lock and brings the checkout to main.
  @Test(arguments: [true, false])
  func aCheckoutALanderLeftHalfWayFollowsTheBaseAgain(killedMidFollow: Bool) throws {
    let team = try LandingTeam(agents: ["w1"])
    let first = try team.work("w1", title: "First", file: "first.txt", text: "first\n")
    #expect(first.done.status == 0)
    #expect(try team.land().status == 0)
    // A second landing, killed while its gate runs: the lease stays with a dead lander.
    let second = try team.work("w1", title: "Second", file: "second.txt", text: "second\n")
    #expect(second.done.status == 0)
    FileManager.default.createFile(atPath: team.control + "/sleep", contents: Data("30".utf8))
    let lander = try team.repo.startGHP(["land", "--once"], agent: "lead", environment: team.environment)
    #expect(team.waitForSleepingGate(), "the gate started")
    kill(lander.pid, SIGKILL)
    _ = lander.wait()
    try FileManager.default.removeItem(atPath: team.control + "/sleep")
    // What the kill would leave had it fallen while main's checkout followed: the index a landing
    // behind the files, and the index lock.
    let tip = try team.main()
    try team.repo.git("read-tree", "\(tip)~1")
    let lock = team.repo.path + "/.git/index.lock"
    if killedMidFollow {
      FileManager.default.createFile(atPath: lock, contents: Data())
      _ = try ProcessRunner.run("/usr/bin/touch", ["-d", "10 seconds ago", lock], in: "/")
    } else {
      // Killed before the follow began: the files are the old tree's too.
      try FileManager.default.removeItem(atPath: team.repo.path + "/first.txt")
    }
    #expect(!(try team.repo.git("status", "--porcelain").isEmpty), "the simulated half-way state is not there")
    let next = try team.repo.ghp(["land", "--once"], agent: "lead", environment: team.environment)
    #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
    #expect(!FileManager.default.fileExists(atPath: lock), "the left lock stayed")
    #expect(next.stdout.contains("follows it again"), "\(next.stdout)")
    #expect(try team.issue(second.id)["status"]?.stringValue == "done")
    let status = try team.repo.git("status", "--porcelain")
    #expect(status.isEmpty, "main's checkout is not at main: \(status)\n\(next.stdout)")
  }
}
