import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// A server with ghp's hooks lands the operations agents push to `refs/ghp/ops/<agent>` in its
/// own order (`Sequencer`): writers on many hosts stop racing for one compare-and-swap, and the
/// merges it makes prove themselves on every clone like any other commit.
@Suite(.serialized) struct SequencerTests {
  /// Sixteen agents on four clones claim, release and claim again their own issues at once, all
  /// through `git daemon`: every write lands (none gives up), the server landed some as merges,
  /// each operation is on the server's line exactly once, and the history verifies on a clone
  /// and reads there as the operations, once each.
  @Test func racingWritesFromFourHostsAllLandInTheServersOrder() throws {
    let network = try Network(issues: 16, remoteMode: true, serverHooks: true)
    let machines = try (0..<4).map { _ in try network.clone() }
    let results = try network.race(on: machines, perMachine: 4, gate: "gate") { machine, slot in
      let issue = machine * 4 + slot + 1
      return
        "'\(GHPBinary.path)' claim \(issue) && '\(GHPBinary.path)' release \(issue) && exec '\(GHPBinary.path)' claim \(issue)"
    }
    for (agent, result) in results {
      #expect(result.status == 0, "\(agent): \(result.stderr)")
    }
    let subjects = try network.serverLog().map { $0.split(separator: "\n").first.map(String.init) ?? "" }
    for issue in 1...16 {
      #expect(subjects.filter { $0.contains(": claim #\(issue) ") }.count == 2, "#\(issue): \(subjects)")
      #expect(subjects.filter { $0.contains(": release #\(issue) ") }.count == 1, "#\(issue): \(subjects)")
    }
    let merges = try ProcessRunner.run(
      "/usr/bin/git", ["rev-list", "--merges", "--count", "ghp/state"], in: network.server)
    #expect(
      (Int(merges.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0, "no write was landed by the server"
    )

    let reader = machines[0]
    #expect(try network.ghp(["sync"], in: reader, agent: "lead").status == 0)
    let doctor = try network.ghp(["doctor", "--json"], in: reader, agent: "lead")
    let server = try JSON.parse(doctor.stdout)["checks"]?.arrayValue?.first { $0["topic"] == .string("server") }
    #expect(server?["text"]?.stringValue?.contains("it lands operations itself") == true, "\(doctor.stdout)")
    let verified = try network.ghp(["verify"], in: reader, agent: "lead")
    #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    let log = try network.ghp(["log", "--op", "claim", "-n", "100", "--json"], in: reader, agent: "lead")
    let entries = try JSON.parse(log.stdout)["events"]?.arrayValue ?? []
    #expect(entries.count == 32, "\(entries.count) claims in ghp log: \(log.stdout.prefix(400))")
  }

  /// Sixteen agents on four clones run `claim --next` at once: the server gives each the next
  /// issue where its claim lands (`ClaimOperation.orNext`) instead of refusing all but one, so
  /// every one gets a different issue, and the answer each printed is what the server holds.
  @Test func racingClaimNextEachGetsTheIssueTheServerGaveIt() throws {
    let network = try Network(issues: 20, remoteMode: true, serverHooks: true)
    let machines = try (0..<4).map { _ in try network.clone() }
    // Each agent writes once first, so that its claim finds the server moved by the others.
    let results = try network.race(
      on: machines, perMachine: 4, gate: "gate", settle: 1_500_000,
      before: "'\(GHPBinary.path)' agent-status update --status idle >/dev/null || exit 1"
    ) { _, _ in "exec '\(GHPBinary.path)' claim --next --json" }
    var told: [String: String] = [:]
    for (agent, result) in results {
      #expect(result.status == 0, "\(agent): \(result.stderr)")
      switch try? JSON.parse(result.stdout)["issue"]?["id"] {
      case .string(let id): told[agent] = id
      case .int(let id): told[agent] = String(id)
      default: break
      }
    }
    #expect(told.count == 16 && Set(told.values).count == 16, "\(told)")
    let reader = machines[0]
    #expect(try network.ghp(["sync"], in: reader, agent: "lead").status == 0)
    for (agent, id) in told {
      let shown = try JSON.parse(try network.ghp(["issue", "show", id, "--json"], in: reader, agent: "lead").stdout)
      #expect(shown["issue"]?["assignee"]?.stringValue == agent, "#\(id) told to \(agent): \(shown["issue"] ?? .null)")
    }
    let merges = try ProcessRunner.run(
      "/usr/bin/git", ["log", "--merges", "--format=%s", "ghp/state"], in: network.server)
    #expect(merges.stdout.contains(": claim #"), "no claim was landed by the server: \(merges.stdout)")
    // The server gave some agent another issue than the one its commit named (the issue it had
    // picked was taken by then): a merge's claim differs from its second parent's.
    let landed = try ProcessRunner.run(
      "/usr/bin/git", ["log", "--merges", "--format=%H", "ghp/state"], in: network.server
    ).stdout.split(separator: "\n")
    let given = try landed.filter { merge in
      let subjects = try ["\(merge)", "\(merge)^2"].map {
        try ProcessRunner.run("/usr/bin/git", ["log", "-1", "--format=%s", $0], in: network.server).stdout
          .split(separator: " ").prefix(3).joined(separator: " ")
      }
      return subjects[0].contains(": claim #") && subjects[0] != subjects[1]
    }
    #expect(!given.isEmpty, "every landed claim was of the issue its agent had picked")
  }

  /// Once the server has landed a write of this clone (others are writing too), the clone's next
  /// write goes to the server at once: one push and one fetch, not first a push to ghp/state that
  /// would lose again. Counted as connections under strace.
  @Test(.enabled(if: Strace.available)) func aContendedCloneHandsItsNextWriteToTheServerAtOnce() throws {
    let network = try Network(issues: 4, remoteMode: true, serverHooks: true)
    let a = try network.clone()
    let b = try network.clone()
    #expect(try network.ghp(["claim", "1"], in: a, agent: "w1").status == 0)
    #expect(try network.ghp(["claim", "2"], in: b, agent: "w2").status == 0)
    #expect(try network.ghp(["claim", "3"], in: a, agent: "w1").status == 0)
    let (status, calls) = try Strace.ghp(
      ["release", "2"], calls: "connect", in: b, environment: ["GHP_AGENT": "w2"])
    let connections = calls.filter { $0.contains("htons(\(network.daemon.port))") }.count
    #expect(status == 0 && connections == 2, "\(connections) connections")
    let tip = try ProcessRunner.run(
      "/usr/bin/git", ["log", "-1", "--format=%p %s", "ghp/state"], in: network.server
    ).stdout
    #expect(tip.split(separator: " ").count > 3 && tip.contains("w2: release #2"), "\(tip)")
  }

  /// A server that dies after landing an operation and before answering the push (its
  /// receive-pack killed as the hook ends): the agent finds its operation landed in the server's
  /// state and says so, and it is there once.
  @Test func anAnswerLostAfterTheServerLandedIsFoundInItsState() throws {
    let network = try Network(issues: 3, remoteMode: true, serverHooks: true)
    let a = try network.clone()
    let b = try network.clone()
    #expect(try network.ghp(["claim", "1"], in: a, agent: "w1").status == 0)
    #expect(try network.ghp(["claim", "2"], in: b, agent: "w2").status == 0)
    #expect(try network.ghp(["claim", "3"], in: a, agent: "w1").status == 0)
    let hook = network.server + "/hooks/proc-receive"
    #expect(rename(hook, hook + ".real") == 0)
    let killer = """
      #!/bin/sh
      "$0.real" "$@"; status=$?
      kill -9 $PPID
      exit $status
      """
    try killer.write(toFile: hook, atomically: true, encoding: .utf8)
    #expect(chmod(hook, 0o755) == 0)
    let released = try network.ghp(["release", "2"], in: b, agent: "w2")
    #expect(released.status == 0 && released.stdout.contains("Released #2"), "\(released.stdout)\(released.stderr)")
    let releases = try network.serverLog().filter { $0.hasPrefix("w2: release #2") }
    #expect(releases.count == 1, "\(releases)")
  }

  /// A first try that lost its race stays among the clone's objects. Found there with plain git
  /// (`git fsck --unreachable`) after its agent went on writing, and pushed as that agent's
  /// operation, it is refused: its author has written since the tip it was built on, so an old
  /// signed operation cannot be landed behind its author's back.
  @Test func aLostFirstTryFoundWithPlainGitIsNotLandedLater() throws {
    let network = try Network(issues: 3, remoteMode: true, serverHooks: true)
    let a = try network.clone()
    let b = try network.clone()
    #expect(try network.ghp(["claim", "1"], in: a, agent: "w1").status == 0)
    #expect(try network.ghp(["claim", "2"], in: b, agent: "w2").status == 0)
    #expect(try network.ghp(["release", "2"], in: b, agent: "w2").status == 0)
    let unreachable = try ProcessRunner.run("/usr/bin/git", ["fsck", "--unreachable", "--no-reflogs"], in: b).stdout
    let lost = try unreachable.split(separator: "\n").compactMap { line -> String? in
      let fields = line.split(separator: " ")
      guard fields.count == 3, fields[1] == "commit" else { return nil }
      let message = try ProcessRunner.run("/usr/bin/git", ["log", "-1", "--format=%an %s", String(fields[2])], in: b)
      return message.stdout.hasPrefix("w2 w2: claim #2") ? String(fields[2]) : nil
    }
    #expect(!lost.isEmpty, "no lost first try among \(unreachable)")
    for commit in lost {
      let pushed = try ProcessRunner.run("/usr/bin/git", ["push", "origin", "+\(commit):refs/ghp/ops/w2"], in: b)
      #expect(pushed.status != 0 && pushed.stderr.contains("w2 has written"), "\(pushed.stderr)")
    }
    #expect(try network.ghp(["sync"], in: a, agent: "lead").status == 0)
    let issue = try JSON.parse(try network.ghp(["issue", "show", "2", "--json"], in: a, agent: "lead").stdout)
    #expect(issue["issue"]?["status"]?.stringValue == "open", "\(issue["issue"] ?? .null)")
  }

  /// A server whose git is older than 2.29 runs no proc-receive: `hooks install --server` says so,
  /// installs pre-receive alone and does not tell clients the server lands operations.
  @Test func anOldGitMakesNoServerThatLandsOperations() throws {
    let scratch = try ScratchRepository()
    let bin = scratch.root.deletingLastPathComponent().appendingPathComponent("old-git-bin").path
    try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
    try "#!/bin/sh\necho 'git version 2.25.1'\n".write(toFile: bin + "/git", atomically: true, encoding: .utf8)
    #expect(chmod(bin + "/git", 0o755) == 0)
    let bare = scratch.root.deletingLastPathComponent().appendingPathComponent("old.git").path
    #expect(try ProcessRunner.run("/usr/bin/git", ["init", "-q", "--bare", bare], in: scratch.path).status == 0)
    let installed = try ProcessRunner.run(
      GHPBinary.path, ["-C", bare, "hooks", "install", "--server"], in: bare,
      environment: ["PATH": bin + ":/usr/bin:/bin"])
    #expect(installed.status == 0 && installed.stdout.contains("older than 2.29"), "\(installed.stdout)")
    #expect(FileManager.default.fileExists(atPath: bare + "/hooks/pre-receive"))
    #expect(!FileManager.default.fileExists(atPath: bare + "/hooks/proc-receive"))
    let marked = try ProcessRunner.run("/usr/bin/git", ["for-each-ref", "refs/ghp"], in: bare).stdout
    #expect(marked.isEmpty, "\(marked)")
  }

  /// What an attacker on the team could try with plain git against a server that lands
  /// operations: a merge made by hand (landing an operation twice, at a time it chose, as another
  /// agent, with another message or tree) is refused by `ghp verify` and by the server; an
  /// operation pushed again, another agent's, or one the server does not land is refused and
  /// moves nothing; and a server whose git does not hand the ops refs to ghp refuses them rather
  /// than keep them.
  @Test func aMergeOnTheStateMustBeExactlyWhatTheServerMakes() throws {
    let network = try Network(issues: 4, remoteMode: true, serverHooks: true)
    let a = try network.clone()
    let b = try network.clone()
    #expect(try network.ghp(["claim", "1"], in: a, agent: "w1").status == 0)
    let claimed = try network.ghp(["claim", "2"], in: b, agent: "w2")
    #expect(claimed.status == 0, "\(claimed.stderr)")
    func git(_ arguments: [String], in path: String, environment: [String: String] = [:]) throws -> ProcessRunner.Result
    {
      try ProcessRunner.run("/usr/bin/git", arguments, in: path, environment: environment)
    }
    func out(_ arguments: [String], in path: String) throws -> String {
      try git(arguments, in: path).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    // w2's claim came after w1 moved the server: the server landed it, as a merge.
    let merge = try out(["rev-parse", "ghp/state"], in: network.server)
    #expect(try out(["rev-list", "--parents", "-n", "1", merge], in: network.server).split(separator: " ").count == 3)
    #expect(try out(["log", "-1", "--format=%an %s", merge], in: network.server) == "w2 w2: claim #2 Issue 2")
    #expect(try out(["rev-parse", "ghp/state"], in: b) == merge)
    #expect(try network.ghp(["verify"], in: b, agent: "w2").status == 0)

    let operation = try out(["rev-parse", "\(merge)^2"], in: b)
    let message = try out(["log", "-1", "--format=%B", merge], in: b)
    let date = Int(try out(["log", "-1", "--format=%at", merge], in: b)) ?? 0
    let as2 = [
      "GIT_AUTHOR_NAME": "w2", "GIT_AUTHOR_EMAIL": "w2@ghp", "GIT_COMMITTER_NAME": "w2",
      "GIT_COMMITTER_EMAIL": "w2@ghp", "GIT_AUTHOR_DATE": "@\(date) +0000", "GIT_COMMITTER_DATE": "@\(date) +0000",
    ]
    func forge(tree: String, parents: [String], message: String, environment: [String: String]) throws -> String {
      let made = try git(
        ["commit-tree", tree] + parents.flatMap { ["-p", $0] } + ["-m", message], in: b, environment: environment)
      #expect(made.status == 0, "\(made.stderr)")
      return made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    let forgeries: [(String, String, String)] = [
      (
        "landing it twice",
        try forge(tree: "\(merge)^{tree}", parents: [merge, operation], message: message, environment: as2),
        "has landed already"
      ),
      (
        "an hour later",
        try forge(
          tree: "\(merge)^{tree}", parents: ["\(merge)^1", operation], message: message,
          environment: as2.merging(["GIT_AUTHOR_DATE": "@\(date + 3600) +0000"]) { $1 }), "says it is by"
      ),
      (
        "as w1",
        try forge(
          tree: "\(merge)^{tree}", parents: ["\(merge)^1", operation], message: message,
          environment: as2.merging(["GIT_AUTHOR_NAME": "w1", "GIT_AUTHOR_EMAIL": "w1@ghp"]) { $1 }), "says it is by"
      ),
      (
        "another message",
        try forge(
          tree: "\(merge)^{tree}", parents: ["\(merge)^1", operation],
          message: message + "\n\nAlso approved by the lead.", environment: as2), "its message is not"
      ),
      (
        "the tree before",
        try forge(tree: "\(merge)^1^{tree}", parents: ["\(merge)^1", operation], message: message, environment: as2),
        "its tree is not"
      ),
    ]
    for (what, forged, said) in forgeries {
      let verified = try network.ghp(["verify", "\(merge)^1..\(forged)"], in: b, agent: "w2")
      #expect(verified.status != 0 && verified.stdout.contains(said), "\(what): \(verified.stdout)\(verified.stderr)")
    }
    // The server refuses a forged merge pushed as ghp/state (a fast-forward of its tip).
    let pushed = try git(["push", "origin", "\(forgeries[0].1):refs/heads/ghp/state"], in: b)
    #expect(pushed.status != 0 && pushed.stderr.contains("has landed already"), "\(pushed.stderr)")
    // The operation pushed again; lead's `issue add` as an operation; w1's commit as w2's.
    let again = try git(["push", "origin", "+\(operation):refs/ghp/ops/w2"], in: b)
    #expect(again.status != 0 && again.stderr.contains("has landed already"), "\(again.stderr)")
    let add = try out(
      ["log", "--first-parent", "--format=%H", "--grep=Ghp-Op: issue-add", "-n", "1", "ghp/state"], in: b)
    #expect(!add.isEmpty)
    let notLanded = try git(["push", "origin", "\(add):refs/ghp/ops/lead"], in: b)
    #expect(
      notLanded.status != 0 && notLanded.stderr.contains("issue-add is not landed by the server"), "\(notLanded.stderr)"
    )
    let other = try git(["push", "origin", "+\(add):refs/ghp/ops/w2"], in: b)
    #expect(other.status != 0 && other.stderr.contains("takes only w2's"), "\(other.stderr)")
    #expect(try out(["rev-parse", "ghp/state"], in: network.server) == merge)
    // The only ops ref is w2's, at the merge landed for it: nothing pushed was kept.
    #expect(
      try out(["for-each-ref", "--format=%(refname) %(objectname)", "refs/ghp/ops"], in: network.server)
        == "refs/ghp/ops/w2 \(merge)")

    // A server whose git no longer hands refs/ghp/ops to ghp refuses them instead of keeping them.
    #expect(try git(["config", "--unset", "receive.procReceiveRefs"], in: network.server).status == 0)
    let kept = try git(["push", "origin", "+\(operation):refs/ghp/ops/w2"], in: b)
    #expect(kept.status != 0 && kept.stderr.contains("does not land operations"), "\(kept.stderr)")
    #expect(try out(["rev-parse", "refs/ghp/ops/w2"], in: network.server) == merge)
    // ghp itself then goes back to compare-and-swap on ghp/state, and lands.
    #expect(try network.ghp(["claim", "3"], in: a, agent: "w1").status == 0)
    let late = try network.ghp(["claim", "4"], in: b, agent: "w2")
    #expect(late.status == 0, "\(late.stderr)")
    #expect(try network.serverLog().last?.hasPrefix("w2: claim #4") == true)
  }
}
