import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// A team whose repository lands work through `ghp land`, with a real gate, contained as every gate
/// is: `gate.sh` fails when any `.txt` file holds the word BAD, and sleeps as many seconds as
/// `<control>/sleep` says (`GATE_CONTROL`, passed to the gate by `landing.env`), saying so with a
/// file in its own worktree, the only place it may write.
final class LandingTeam {
  let team: Team
  let control: String
  var repo: ScratchRepository { team.repo }

  static let gate = """
    #!/bin/sh
    if [ -f "$GATE_CONTROL/sleep" ]; then s=$(cat "$GATE_CONTROL/sleep"); touch .gate-sleeping; sleep "$s"; fi
    bad=$(grep -l BAD *.txt 2>/dev/null)
    if [ -n "$bad" ]; then echo "checking $(ls *.txt | wc -l) files"; echo "gate: BAD found in $bad"; exit 1; fi
    echo "gate: ok"

    """

  init(agents: [String], batch: Int = 1, hooks: Bool = false) throws {
    team = try Team(agents: agents, installHooks: hooks)
    // Outside /tmp and /var/tmp, which a contained gate sees as empty folders of its own.
    control = "/var/cache/ghp-gate-control-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: control, withIntermediateDirectories: true)
    try team.repo.write("gate.sh", Self.gate)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: team.repo.path + "/gate.sh")
    try team.repo.git("add", "gate.sh")
    try team.repo.git("commit", "-qm", "the gate")
    for agent in agents { #expect(try team.git(agent, "merge", "-q", "main").status == 0) }
    #expect(try lead("config", "set", "landing.gate", "[\"./gate.sh\"]").status == 0)
    #expect(try lead("config", "set", "landing.env", "[\"GATE_CONTROL\"]").status == 0)
    if batch > 1 { #expect(try lead("config", "set", "landing.batch", "\(batch)").status == 0) }
  }

  deinit { try? FileManager.default.removeItem(atPath: control) }

  var environment: [String: String] { ["GATE_CONTROL": control] }

  @discardableResult
  func lead(_ arguments: String...) throws -> ProcessRunner.Result {
    try repo.ghp(arguments, agent: "lead", environment: environment)
  }

  /// Waits (up to 15 s) for the gate to say it sleeps.
  func waitForSleepingGate() -> Bool {
    for _ in 0..<300 {
      if FileManager.default.fileExists(atPath: repo.path + "/.git/ghp/land/main/.gate-sleeping") { return true }
      usleep(50_000)
    }
    return false
  }

  func land(_ extra: [String: String] = [:]) throws -> ProcessRunner.Result {
    try repo.ghp(["land", "--once", "--json"], agent: "lead", environment: environment.merging(extra) { _, b in b })
  }

  /// Adds an issue, lets `agent` claim it, commit `text` to `file` and say done.
  @discardableResult
  func work(
    _ agent: String, title: String, file: String, text: String, priority: Int = 2, after: [String] = [],
    at time: String? = nil
  ) throws -> (id: String, done: ProcessRunner.Result) {
    var arguments = ["issue", "add", title, "-p", "\(priority)", "--json"]
    for id in after { arguments += ["--after", id] }
    let added = try repo.ghp(arguments, agent: "lead")
    let id = try #require(added.json()["id"].flatMap { $0.stringValue ?? $0.intValue.map(String.init) })
    #expect(try team.ghp(agent, "claim", id).status == 0)
    #expect(try team.commit(agent, file, text, "\(agent): \(title)").status == 0)
    let done = try ProcessRunner.run(
      GHPBinary.path, ["done", id, "--result", "\(title) done"], in: team.worktrees[agent]!,
      environment: time.map { ["GHP_NOW": $0] } ?? [:])
    return (id, done)
  }

  func issue(_ id: String) throws -> JSON {
    let shard = id.count >= 2 ? String(id.suffix(2)) : "0" + id
    return try JSON.parse(Array(try repo.git("show", "ghp/state:.ghp/issues/\(shard)/\(id).json").utf8))
  }

  /// Processes of a process group that are not zombies (from /proc).
  static func liveProcesses(inGroup group: Int32) -> Int {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { entry in
      guard Int32(entry) != nil, let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { return false }
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      return fields.count > 2 && fields[0] != "Z" && Int32(fields[2]) == group
    }.count
  }

  func main() throws -> String { try repo.git("rev-parse", "main").trimmingCharacters(in: .whitespacesAndNewlines) }
}

@Suite struct LandingTests {
  /// Two agents submit; `ghp land` merges each onto main in priority order with the gate passing,
  /// records the evidence in the issue, and only then do dependants become ready.
  @Test func twoAgentsLandInOrderWithEvidence() throws {
    let team = try LandingTeam(agents: ["w1", "w2"])
    let before = try team.main()
    let first = try team.work("w1", title: "Low priority", file: "one.txt", text: "one\n", priority: 3)
    #expect(first.done.status == 0, "\(first.done.stderr)")
    let second = try team.work("w2", title: "Urgent", file: "two.txt", text: "two\n", priority: 1)
    let dependant = try team.repo.ghp(["issue", "add", "After urgent", "--after", second.id, "--json"], agent: "lead")
    let dependantID = try #require(dependant.json()["id"]?.intValue)
    #expect(try team.issue(first.id)["status"]?.stringValue == "landing")
    #expect(
      try team.repo.ghp(["ready", "--json"]).json()["issues"]?.arrayValue?.isEmpty == true,
      "a landing dependency is not done")
    #expect(try team.main() == before, "done moves nothing")

    let queue = try team.repo.ghp(["queue", "--json"]).json()
    #expect(queue["queue"]?.arrayValue?.compactMap { $0["id"]?.intValue.map(String.init) } == [second.id, first.id])

    let landed = try team.land()
    #expect(landed.status == 0, "\(landed.stderr)")
    #expect(
      try landed.json()["landed"]?.arrayValue?.compactMap { $0["id"]?.intValue.map(String.init) } == [
        second.id, first.id,
      ])
    // main is two merges: the urgent one first, each with the agent's tip as second parent.
    let merges = try team.repo.git("log", "--first-parent", "--format=%H %P %s", "\(before)..main")
      .split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    #expect(merges.count == 2)
    #expect(merges.last?[1] == before)
    for (id, line) in [(second.id, merges.last!), (first.id, merges.first!)] {
      let evidence = try team.issue(id)
      #expect(evidence["status"]?.stringValue == "done")
      let landing = try #require(evidence["landing"])
      #expect(landing["baseAfter"]?.stringValue == line[0] && landing["merge"]?.stringValue == line[0])
      #expect(landing["baseBefore"]?.stringValue == line[1])
      #expect(landing["tip"]?.stringValue == line[2])
      #expect(landing["tip"] == evidence["submission"]?["tip"])
      let gate = try #require(landing["gate"]?.arrayValue?.first)
      #expect(gate["command"]?.stringValue == "./gate.sh" && gate["exit"]?.intValue == 0)
      #expect(gate["tail"]?.stringValue?.contains("gate: ok") == true)
      #expect(try team.repo.git("show", "ghp/state:.ghp/results/\(id).gate.log").contains("$ ./gate.sh\ngate: ok"))
    }
    #expect(try team.repo.ghp(["ready", "--json"]).json()["issues"]?.arrayValue?.first?["id"]?.intValue == dependantID)
    // The main worktree (main checked out, clean) followed the base.
    #expect(FileManager.default.fileExists(atPath: team.repo.path + "/one.txt"))
    #expect(try team.repo.git("status", "--porcelain").isEmpty)
    let shown = try team.repo.ghp("issue", "show", first.id)
    #expect(shown.stdout.contains("landed:") && shown.stdout.contains("gate `./gate.sh` exit 0"), "\(shown.stdout)")
    #expect(try team.repo.ghp("verify").status == 0)
    // Nothing is left to land, and the lease was given back.
    #expect(try team.land().json()["landed"]?.arrayValue?.isEmpty == true)
    #expect(try team.repo.ghp(["queue", "--json"]).json()["lease"] == .null)
  }

  /// A worker that skips its hooks (`git commit --no-verify`) lands nothing the hooks refuse: the
  /// lander judges every commit before the gate runs any of its code and bounces the issue, naming
  /// each rule and path, as a failed attempt. Approved, and the other agent's file taken out of the
  /// branch, it lands, and the once-approval is used up by the commit that needed it.
  @Test func whatTheHooksRefuseIsBouncedBeforeTheGateRuns() throws {
    let team = try LandingTeam(agents: ["w1", "w2"], hooks: true)
    let before = try team.main()
    let billing = try team.repo.ghp(
      ["issue", "add", "Billing", "--scope", "Sources/Billing/**", "--json"], agent: "lead")
    let billingID = try #require(billing.json()["id"]?.intValue.map(String.init))
    #expect(try team.team.ghp("w2", "claim", billingID).status == 0)
    let login = try team.repo.ghp(["issue", "add", "Login", "--json"], agent: "lead")
    let loginID = try #require(login.json()["id"]?.intValue.map(String.init))
    #expect(try team.team.ghp("w1", "claim", loginID).status == 0)
    #expect(try team.team.commit("w1", "README.md", "# Ours now\n", "readme", noVerify: true).status == 0)
    #expect(try team.team.commit("w1", "Sources/Billing/Pay.swift", "// mine\n", "pay", noVerify: true).status == 0)
    #expect(try team.team.commit("w1", "login.txt", "login\n", "login", noVerify: true).status == 0)
    #expect(try team.team.ghp("w1", "done", loginID, "--result", "done").status == 0)

    let landed = try team.land()
    #expect(landed.status == 1, "\(landed.stderr)")
    let report = try landed.json()
    #expect(report["landed"]?.arrayValue?.isEmpty == true && report["gateRuns"] == .int(0), "\(landed.stdout)")
    #expect(try team.main() == before)
    let issue = try team.issue(loginID)
    #expect(issue["status"]?.stringValue == "claimed" && issue["assignee"]?.stringValue == "w1")
    #expect(issue["attempts"]?.intValue == 1)
    #expect(issue["bounced"]?["kind"]?.stringValue == "policy")
    #expect(issue["bounced"]?["paths"] == .array([.string("README.md"), .string("Sources/Billing/Pay.swift")]))
    let reason = issue["bounced"]?["reason"]?.stringValue ?? ""
    #expect(
      reason.contains("README.md is a shared file") && reason.contains("in the scope of #\(billingID)"), "\(reason)")
    let told = try team.team.ghp("w1", "agent-heartbeat", "--json").json()["returned"]?.arrayValue ?? []
    #expect(told.first?["kind"]?.stringValue == "policy")

    // The Billing commit taken out, README.md approved once: it lands, and the approval is spent.
    #expect(try team.team.git("w1", "rebase", "-q", "--onto", "HEAD~2", "HEAD~1").status == 0)
    #expect(try team.repo.ghp(["approve", "w1", "README.md", "--once"], agent: "lead").status == 0)
    #expect(try team.team.ghp("w1", "done", loginID, "--result", "done").status == 0)
    let second = try team.land()
    #expect(try second.json()["landed"]?.arrayValue?.count == 1, "\(second.stdout) \(second.stderr)")
    let approvals = try team.repo.ghp(["approvals", "--all", "--json"]).json()["approvals"]?.arrayValue ?? []
    #expect(approvals.first?["usedBy"]?.stringValue?.isEmpty == false, "\(approvals)")
    #expect(try team.repo.ghp("verify").status == 0)
  }

  /// A worker rewrites the gate script on its branch to act as the lander: approve itself, promote
  /// itself, read the lead's key and the lander's secrets, reach a server. The gate runs contained:
  /// every one of those fails, and the state holds none of it.
  @Test func aGateScriptFromAWorkersBranchCannotActAsTheLander() throws {
    let team = try LandingTeam(agents: ["w1"])
    let daemon = try GitDaemon(base: team.repo.root.deletingLastPathComponent().appendingPathComponent("srv"))
    try team.repo.write("check.sh", "echo checked\n")
    try team.repo.git("add", "check.sh")
    try team.repo.git("commit", "-qm", "the check")
    #expect(try team.lead("config", "set", "landing.gate", "[\"sh check.sh\"]").status == 0)
    #expect(try team.team.git("w1", "merge", "-q", "main").status == 0)
    let attack = """
      repo="$(cd ../../../.. && pwd)"
      echo "repo: $repo"
      GHP_AGENT=lead '\(GHPBinary.path)' -C "$repo" approve w1 '**' && echo ATTACK-APPROVED
      '\(GHPBinary.path)' -C "$repo" --agent lead config set roles.orchestrators '["w1"]' && echo ATTACK-PROMOTED
      cat "$repo/.git/ghp/keys/lead" && echo ATTACK-KEY
      env | grep -E 'GHP_SERVE_TOKEN|GHP_GIT_TOKEN|SSH_AUTH_SOCK' && echo ATTACK-SECRETS
      git -C "$repo" update-ref refs/heads/main HEAD && echo ATTACK-MOVED-MAIN
      echo "gitdir: $HOME" > .git && echo ATTACK-GITFILE
      cat /etc/shadow | grep -q root && echo ATTACK-SHADOW
      '\(TestPython.path)' -c "import socket; socket.create_connection(('127.0.0.1', \(daemon.port)), 2)" && echo ATTACK-NETWORK
      echo checked
      """
    let id = try team.work("w1", title: "A better check", file: "check.sh", text: attack).id
    let secrets = ["GHP_SERVE_TOKEN": "page-token", "GHP_GIT_TOKEN": "git-token", "SSH_AUTH_SOCK": "/tmp/agent.sock"]
    let before = try team.repo.git("rev-parse", "ghp/state")
    let landed = try team.land(secrets)
    #expect(landed.status == 0, "\(landed.stderr)")
    let log = try team.repo.git("show", "ghp/state:.ghp/results/\(id).gate.log")
    #expect(log.contains("checked"), "the gate ran: \(log)")
    #expect(!log.contains("ATTACK-"), "\(log)")
    #expect(!log.contains("PRIVATE KEY") && !log.contains("page-token") && !log.contains("git-token"), "\(log)")
    let approvals = try team.repo.ghp(["approvals", "--all", "--json"]).json()["approvals"]?.arrayValue ?? []
    #expect(approvals.isEmpty, "\(approvals)")
    #expect(try team.repo.ghp(["config", "get", "roles.orchestrators"]).stdout.contains("w1") == false)
    let written = try team.repo.git("log", "--format=%an %s", "\(before)..ghp/state")
    #expect(!written.contains("approve") && !written.contains("config"), "\(written)")
    daemon.stop()
  }

  /// A gate's processes and memory are bounded by the policy: a gate that forks past
  /// `landing.processes` or allocates past `landing.memory` fails (and bounces) instead of taking
  /// the machine with it.
  @Test func aGateIsBoundedInProcessesAndMemory() throws {
    let team = try LandingTeam(agents: ["w1"])
    #expect(try team.lead("config", "set", "landing.processes", "16").status == 0)
    #expect(try team.lead("config", "set", "landing.memory", "\"64M\"").status == 0)
    #expect(try team.lead("config", "set", "landing.gate", "[\"sh fork.sh\", \"sh eat.sh\"]").status == 0)
    let eat = "exec '\(TestPython.path)' -c 'b = bytearray(512 << 20); print(\"ate\", len(b))'\n"
    #expect(try team.team.commit("w1", "eat.sh", eat, "eat").status == 0)
    let forks = "i=0; while [ $i -lt 40 ]; do sleep 2 & i=$((i+1)); done; wait; echo forked all\n"
    let work = try team.work("w1", title: "Hungry", file: "fork.sh", text: forks)
    #expect(work.done.status == 0, "\(work.done.stderr)")
    let landed = try team.land()
    #expect(landed.status == 1, "\(landed.stderr)")
    let log = try team.repo.git("show", "ghp/state:.ghp/results/\(work.id).gate.log")
    #expect(log.contains("Cannot fork") && !log.contains("forked all"), "forks past 16 processes failed: \(log)")
    #expect(!log.contains("ate 536870912"), "the allocation did not succeed: \(log)")
    #expect(try team.issue(work.id)["bounced"]?["kind"]?.stringValue == "gate", "\(log)")
  }

  /// A lander killed while its gate ran leaves the gate's cgroups behind; the next lander removes
  /// those of landers that are gone.
  @Test(.enabled(if: access("/sys/fs/cgroup/pids/cgroup.procs", W_OK) == 0, "cgroups (v1) can be made here"))
  func aKilledLandersCgroupsAreRemovedByTheNext() throws {
    let leftover = "/sys/fs/cgroup/pids/ghp-gate-4000000-1"
    #expect(mkdir(leftover, 0o755) == 0)
    let team = try LandingTeam(agents: ["w1"])
    _ = try team.work("w1", title: "Work", file: "work.txt", text: "work\n")
    #expect(try team.land().status == 0)
    #expect(!FileManager.default.fileExists(atPath: leftover))
  }

  /// bubblewrap copies every mount under `/` read-only, one by one, and fails when one goes away
  /// meanwhile (a network namespace or a container removed on the host): the gate never ran, so
  /// the lander starts it again rather than bouncing good work, and a gate that fails of its own
  /// accord still runs once.
  @Test func aSandboxThatCouldNotBeMadeIsMadeAgain() throws {
    let team = try LandingTeam(agents: ["w1"])
    let bwrap = try FlakyBubblewrap(in: team.control + "/bin", matching: "gate.sh", failures: 2)
    let path = ["PATH": bwrap.path]

    let work = try team.work("w1", title: "Work", file: "work.txt", text: "work\n")
    let landed = try team.land(path)
    #expect(landed.status == 0, "\(landed.stderr)")
    #expect(try landed.json()["landed"]?.arrayValue?.count == 1, "\(landed.stdout)")
    #expect(bwrap.runs == 3)
    let log = try team.repo.git("show", "ghp/state:.ghp/results/\(work.id).gate.log")
    #expect(log.components(separatedBy: "trying again").count == 3 && log.contains("gate: ok"), "\(log)")

    // Three times is all: the gate is then judged failed, as it would be.
    try bwrap.fail(3)
    let third = try team.work("w1", title: "Third", file: "third.txt", text: "third\n")
    #expect(try team.land(path).status == 1)
    #expect(bwrap.runs == 6)
    #expect(try team.issue(third.id)["bounced"]?["reason"]?.stringValue?.contains("Can't bind mount") == true)

    // A gate that fails by itself is not started again.
    let bad = try team.work("w1", title: "Bad", file: "bad.txt", text: "BAD\n")
    #expect(try team.land(path).status == 1)
    #expect(bwrap.runs == 7)
    #expect(try team.issue(bad.id)["bounced"] != nil)
  }

  /// Without bubblewrap the lander gates nothing and says why in one line; `landing.sandbox = "off"`
  /// (unsafe) runs the gate as before.
  @Test func withoutASandboxTheLanderRefusesUnlessToldItIsUnsafe() throws {
    let team = try LandingTeam(agents: ["w1"])
    let work = try team.work("w1", title: "Work", file: "work.txt", text: "work\n")
    let nowhere = try team.land(["PATH": "/nonexistent"])
    #expect(nowhere.status == 3, "\(nowhere.stderr)")
    #expect(nowhere.stderr.split(separator: "\n").count == 1, "\(nowhere.stderr)")
    #expect(
      nowhere.stderr.contains("bubblewrap") && nowhere.stderr.contains("landing.sandbox off"), "\(nowhere.stderr)")
    #expect(try team.issue(work.id)["status"]?.stringValue == "landing")
    #expect(try team.lead("config", "set", "landing.sandbox", "off").status == 0)
    let unsafe = try team.land(["PATH": "/usr/bin:/bin"])
    #expect(try unsafe.json()["landed"]?.arrayValue?.count == 1, "\(unsafe.stdout) \(unsafe.stderr)")
  }

  /// The label is the author's word, and a merge can bring what neither parent shows: a commit
  /// that calls itself the lead's is judged as the submitter's work too, and a merge (`-s ours`,
  /// then the file removed) that drops a shared file is judged by what it changes against the clean
  /// merge of its parents; both bounce.
  @Test func aForeignLabelOrAMergeDoesNotCarryASharedFileIn() throws {
    let team = try LandingTeam(agents: ["w1"])
    try team.repo.write(".ci/run", "echo ci\n")
    try team.repo.git("add", ".ci/run")
    try team.repo.git("commit", "-qm", "ci")
    #expect(try team.team.git("w1", "merge", "-q", "main").status == 0)
    let issue = try team.repo.ghp(["issue", "add", "Sneaky", "--json"], agent: "lead")
    let id = try #require(issue.json()["id"]?.intValue.map(String.init))
    #expect(try team.team.ghp("w1", "claim", id).status == 0)
    try team.team.write("w1", "README.md", "# Mine\n")
    _ = try team.team.git("w1", "add", "README.md")
    #expect(try team.team.git("w1", "commit", "-q", "--no-verify", "-m", "docs\n\nGhp-Agent: lead").status == 0)
    // A side line from before .ci/run existed, merged with `-s ours` and the file removed in the
    // merge itself: against its second parent the merge changes nothing there.
    let old = try team.repo.git("rev-list", "-1", "main", "--", ".ci/run").trimmingCharacters(
      in: .whitespacesAndNewlines)
    #expect(try team.team.git("w1", "checkout", "-q", "-b", "side", old + "~1").status == 0)
    #expect(try team.team.commit("w1", "side.txt", "side\n", "side", noVerify: true).status == 0)
    #expect(try team.team.git("w1", "checkout", "-q", "agent/w1").status == 0)
    #expect(try team.team.git("w1", "merge", "-q", "--no-commit", "-s", "ours", "side").status == 0)
    _ = try team.team.git("w1", "rm", "-q", ".ci/run")
    #expect(try team.team.git("w1", "commit", "-q", "--no-verify", "-m", "merge").status == 0)
    #expect(try team.team.ghp("w1", "done", id, "--result", "done").status == 0)
    let landed = try team.land()
    #expect(try landed.json()["landed"]?.arrayValue?.isEmpty == true, "\(landed.stdout)")
    let bounce = try team.issue(id)["bounced"]
    #expect(bounce?["kind"]?.stringValue == "policy")
    let reason = bounce?["reason"]?.stringValue ?? ""
    #expect(reason.contains("says it is lead's, and lands as w1's work") && reason.contains("README.md"), "\(reason)")
    // The merge is judged by what it changes against the clean merge of its parents: .ci/run.
    #expect(reason.contains(".ci/run is a shared file"), "\(reason)")
  }

  /// A once-approval covers one commit: two commits of a branch that both edit the approved file
  /// cannot both land under it.
  @Test func aOnceApprovalCoversOneCommitOfABranch() throws {
    let team = try LandingTeam(agents: ["w1"])
    let issue = try team.repo.ghp(["issue", "add", "Docs", "--json"], agent: "lead")
    let id = try #require(issue.json()["id"]?.intValue.map(String.init))
    #expect(try team.team.ghp("w1", "claim", id).status == 0)
    #expect(try team.repo.ghp(["approve", "w1", "README.md", "--once"], agent: "lead").status == 0)
    #expect(try team.team.commit("w1", "README.md", "# One\n", "first", noVerify: true).status == 0)
    #expect(try team.team.commit("w1", "README.md", "# Two\n", "second", noVerify: true).status == 0)
    #expect(try team.team.ghp("w1", "done", id, "--result", "done").status == 0)
    #expect(try team.land().json()["landed"]?.arrayValue?.isEmpty == true)
    let reason = try team.issue(id)["bounced"]?["reason"]?.stringValue ?? ""
    #expect(
      reason.contains("which is for one commit") && reason.contains("Approval needed to edit README.md"), "\(reason)")
  }

  /// Work made under a claim that was taken away stays fenced at landing, as on a push: the worker
  /// claims the issue again and submits a branch that still holds the old epoch's commit.
  @Test func workFromALostClaimIsBouncedAtLanding() throws {
    let team = try LandingTeam(agents: ["w1"], hooks: true)
    let work = try team.repo.ghp(["issue", "add", "Search", "--json"], agent: "lead")
    let id = try #require(work.json()["id"]?.intValue.map(String.init))
    #expect(try team.team.ghp("w1", "claim", id).status == 0)
    #expect(try team.team.commit("w1", "search.txt", "v1\n", "search v1").status == 0)
    #expect(try team.repo.ghp(["release", id, "--reason", "reassigning"], agent: "lead").status == 0)
    _ = try team.team.ghp("w1", "agent-heartbeat")
    #expect(try team.team.ghp("w1", "claim", id).status == 0)
    #expect(try team.team.commit("w1", "search2.txt", "v2\n", "search v2").status == 0)
    let done = try team.team.ghp("w1", "done", id, "--result", "done")
    #expect(done.status == 0, "\(done.stderr)")
    let landed = try team.land()
    #expect(try landed.json()["landed"]?.arrayValue?.isEmpty == true, "\(landed.stdout)")
    let reason = try team.issue(id)["bounced"]?["reason"]?.stringValue ?? ""
    #expect(reason.contains("under #\(id) epoch 1") && reason.contains("stale work"), "\(reason)")
  }

  /// done refuses a branch with nothing on it, and uncommitted work, naming the files.
  @Test func doneRefusesABranchWithoutCommitsOrWithUncommittedWork() throws {
    let team = try LandingTeam(agents: ["w1"])
    #expect(try team.repo.ghp(["issue", "add", "Nothing yet"], agent: "lead").status == 0)
    #expect(try team.team.ghp("w1", "claim", "1").status == 0)
    let empty = try team.team.ghp("w1", "done", "1", "--result", "trust me")
    #expect(empty.status == 3 && empty.stderr.contains("no commits that main does not have"), "\(empty.stderr)")
    try team.team.write("w1", "draft.txt", "draft\n")
    let dirty = try team.team.ghp("w1", "done", "1", "--result", "trust me")
    #expect(dirty.status == 3 && dirty.stderr.contains("uncommitted work (draft.txt)"), "\(dirty.stderr)")
    // A commit that changes nothing (reverted) is nothing to land either.
    _ = try team.team.git("w1", "add", "draft.txt")
    _ = try team.team.git("w1", "commit", "-qm", "draft")
    _ = try team.team.git("w1", "rm", "-q", "draft.txt")
    _ = try team.team.git("w1", "commit", "-qm", "undo draft")
    let undone = try team.team.ghp("w1", "done", "1", "--result", "trust me")
    #expect(undone.status == 3 && undone.stderr.contains("change no file"), "\(undone.stderr)")
    #expect(try team.issue("1")["status"]?.stringValue == "claimed")
    // Only an orchestrator lands: a worker moving main through ghp is refused.
    let worker = try team.team.ghp("w1", "land", "--once")
    #expect(worker.status == 3 && worker.stderr.contains("orchestrator"), "\(worker.stderr)")
  }

  /// A failing gate sends the issue back to its agent with the failing command and its output's
  /// tail, counts an attempt, moves nothing, and the agent is told on its next heartbeat.
  @Test func aFailingGateBouncesTheIssueWithTheOutputTail() throws {
    let team = try LandingTeam(agents: ["w1"])
    let before = try team.main()
    let work = try team.work("w1", title: "Bad work", file: "bad.txt", text: "BAD\n")
    #expect(work.done.status == 0)
    let landed = try team.land()
    #expect(landed.status == 1, "a pass that bounced exits 1: \(landed.stderr)")
    #expect(try team.main() == before, "nothing moves on a failed gate")
    // The bounce shows where a lead looks: issue show, status.
    let shown = try team.lead("issue", "show", work.id).stdout
    #expect(shown.contains("BOUNCED:") && shown.contains("Result (sent back by the lander, not landed):"), "\(shown)")
    let status = try team.lead("status")
    #expect(
      status.stdout.contains("BOUNCED by the lander") && status.stdout.contains("#\(work.id) gate"), "\(status.stdout)")
    #expect(try team.lead("status", "--json").json()["bounced"]?.arrayValue?.count == 1)
    let issue = try team.issue(work.id)
    #expect(issue["status"]?.stringValue == "claimed" && issue["assignee"]?.stringValue == "w1")
    #expect(issue["attempts"]?.intValue == 1 && issue["epoch"]?.intValue == 1)
    let reason = issue["bounced"]?["reason"]?.stringValue ?? ""
    #expect(reason.contains("`./gate.sh` exited 1") && reason.contains("gate: BAD found in bad.txt"), "\(reason)")
    #expect(issue["failures"]?.arrayValue?.count == 1)
    #expect(try team.repo.git("show", "ghp/state:.ghp/results/\(work.id).gate.log").contains("BAD found in bad.txt"))
    let told = try team.team.ghp("w1", "agent-heartbeat", "--json")
    let returned = try told.json()["returned"]?.arrayValue ?? []
    #expect(returned.count == 1 && returned.first?["kind"]?.stringValue == "gate", "\(told.stdout)")
    #expect(
      try team.team.ghp("w1", "agent-heartbeat", "--json").json()["returned"]?.arrayValue?.isEmpty == true, "told once")
    // Fixed and submitted again, it lands.
    #expect(try team.team.commit("w1", "bad.txt", "good\n", "fix").status == 0)
    #expect(try team.team.ghp("w1", "done", work.id, "--result", "fixed").status == 0)
    #expect(try team.land().json()["landed"]?.arrayValue?.count == 1)
    #expect(try team.repo.ghp("verify").status == 0)
  }

  /// Two agents edit the same line: `ghp conflicts` shows the pair while both work; the first lands,
  /// the second gets the conflict back (claimed, same epoch) with the path.
  @Test func aConflictingPairIsSeenEarlyAndTheSecondGetsItBack() throws {
    let team = try LandingTeam(agents: ["w1", "w2"])
    try team.repo.write("shared.txt", "value 0\n")
    try team.repo.git("add", "shared.txt")
    try team.repo.git("commit", "-qm", "shared")
    for agent in ["w1", "w2"] { #expect(try team.team.git(agent, "merge", "-q", "main").status == 0) }
    let one = try team.work("w1", title: "One", file: "shared.txt", text: "value 1\n", priority: 1)
    let two = try team.work("w2", title: "Two", file: "shared.txt", text: "value 2\n", priority: 2)
    let report = try team.repo.ghp(["conflicts", "--json"]).json()
    #expect(report["conflicts"]?.arrayValue?.first?["paths"] == .array([.string("shared.txt")]))
    let status = try team.repo.ghp(["agent-status", "--json"]).json()
    #expect(status["agents"]?["w1"]?["conflicts"]?.arrayValue?.compactMap(\.stringValue) == ["agent/w2"], "\(status)")

    let landed = try team.land().json()
    #expect(landed["landed"]?.arrayValue?.compactMap { $0["id"]?.intValue.map(String.init) } == [one.id])
    #expect(landed["bounced"]?.arrayValue?.compactMap { $0["id"]?.intValue.map(String.init) } == [two.id])
    let issue = try team.issue(two.id)
    #expect(issue["status"]?.stringValue == "claimed" && issue["assignee"]?.stringValue == "w2")
    #expect(issue["epoch"]?.intValue == 1 && issue["attempts"]?.intValue == 0)
    #expect(issue["bounced"]?["paths"] == .array([.string("shared.txt")]))
    let told = try team.team.ghp("w2", "agent-heartbeat")
    let said = told.stdout + told.stderr
    #expect(said.contains("#\(two.id) came back from landing") && said.contains("shared.txt"), "\(said)")
  }

  /// A person commits on main while the gate runs: the base move fails its compare-and-swap, the
  /// landing is merged onto the new tip and gated again; the person's commit stays.
  @Test func aPersonMovingMainDuringTheGateLosesNothing() throws {
    let team = try LandingTeam(agents: ["w1"])
    let work = try team.work("w1", title: "Work", file: "work.txt", text: "work\n")
    #expect(work.done.status == 0)
    FileManager.default.createFile(atPath: team.control + "/sleep", contents: Data("2".utf8))
    let lander = try team.repo.startGHP(["land", "--once", "--json"], agent: "lead", environment: team.environment)
    #expect(team.waitForSleepingGate(), "the gate started")
    try FileManager.default.removeItem(atPath: team.control + "/sleep")
    try team.repo.write("person.txt", "person\n")
    try team.repo.git("add", "person.txt")
    try team.repo.git("commit", "-qm", "a person moves main")
    let landed = lander.wait()
    #expect(landed.status == 0, "\(landed.stderr)")
    #expect(try landed.json()["gateRuns"]?.intValue == 2)
    let person = try team.repo.git("log", "--format=%H", "-1", "--grep=a person moves main", "main").trimmingCharacters(
      in: .whitespacesAndNewlines)
    #expect(!person.isEmpty, "the person's commit is on main")
    let landing = try #require(try team.issue(work.id)["landing"])
    #expect(landing["baseBefore"]?.stringValue == person)
    #expect(landing["baseAfter"]?.stringValue == (try team.main()))
    #expect(try team.repo.git("show", "main:person.txt").contains("person"))
    #expect(try team.repo.git("show", "main:work.txt").contains("work"))
  }

  /// batch = 4 with one bad branch: gated together, bisected, three land and one bounces.
  @Test func aBatchWithOneBadBranchLandsTheRest() throws {
    let team = try LandingTeam(agents: ["w1", "w2", "w3", "w4"], batch: 4)
    var ids: [String] = []
    for (index, agent) in ["w1", "w2", "w3", "w4"].enumerated() {
      let text = agent == "w3" ? "BAD\n" : "\(agent)\n"
      let work = try team.work(agent, title: "Part \(index + 1)", file: "\(agent).txt", text: text, priority: index)
      #expect(work.done.status == 0, "\(work.done.stderr)")
      ids.append(work.id)
    }
    let report = try team.land().json()
    #expect(
      Set(report["landed"]?.arrayValue?.compactMap { $0["id"]?.intValue.map(String.init) } ?? [])
        == Set([ids[0], ids[1], ids[3]]))
    #expect(report["bounced"]?.arrayValue?.compactMap { $0["id"]?.intValue.map(String.init) } == [ids[2]])
    // [1 2 3 4] fails, [1 2] passes, [3 4] fails, [3] fails, [4] passes.
    #expect(report["gateRuns"]?.intValue == 5)
    for id in [ids[0], ids[1], ids[3]] {
      #expect(try team.issue(id)["landing"]?["gate"]?.arrayValue?.first?["exit"]?.intValue == 0)
    }
    #expect(
      try team.repo.git("ls-tree", "--name-only", "main").split(separator: "\n").filter { $0.hasPrefix("w") } == [
        "w1.txt", "w2.txt", "w4.txt",
      ])
    #expect(try team.issue(ids[2])["bounced"]?["kind"]?.stringValue == "gate")
  }

  /// `ghp land` killed during the gate leaves main alone and takes its gate with it; a second
  /// lander meanwhile is told who holds the lease; the next `ghp land` takes the lease over and lands.
  @Test func aKilledLanderLeavesTheBaseAndTheNextResumes() throws {
    let team = try LandingTeam(agents: ["w1"])
    let before = try team.main()
    let work = try team.work("w1", title: "Work", file: "work.txt", text: "work\n")
    #expect(work.done.status == 0)
    FileManager.default.createFile(atPath: team.control + "/sleep", contents: Data("60".utf8))
    let first = try team.repo.startGHP(["land", "--once"], agent: "lead", environment: team.environment)
    #expect(team.waitForSleepingGate(), "the gate started")
    let marker = try String(contentsOfFile: team.repo.path + "/.git/ghp/land/main.gate", encoding: .utf8)
    let gateGroup = try #require(Int32(marker.split(separator: " ").first ?? ""))
    #expect(LandingTeam.liveProcesses(inGroup: gateGroup) > 0)
    let second = try team.land()
    #expect(second.status == 3 && second.stderr.contains("held by lead (pid \(first.pid)"), "\(second.stderr)")
    kill(first.pid, SIGKILL)
    _ = first.wait()
    // The gate's keeper takes the group with it when the lander dies: no lander needs to come by.
    var left = LandingTeam.liveProcesses(inGroup: gateGroup)
    for _ in 0..<100 where left > 0 {
      usleep(50_000)
      left = LandingTeam.liveProcesses(inGroup: gateGroup)
    }
    #expect(left == 0, "the killed lander's gate outlived it")
    #expect(try team.main() == before, "a killed lander moved nothing")
    #expect(try team.issue(work.id)["status"]?.stringValue == "landing")

    try FileManager.default.removeItem(atPath: team.control + "/sleep")
    let resumed = try team.repo.ghp(["land", "--once"], agent: "lead", environment: team.environment)
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(resumed.stdout.contains("Took over the landing lease"), "\(resumed.stdout)")
    #expect(try team.issue(work.id)["status"]?.stringValue == "done")
    #expect(try team.main() != before)
    // The orphaned `sleep 60` of the killed lander's gate was stopped with its process group.
    #expect(LandingTeam.liveProcesses(inGroup: gateGroup) == 0, "the killed lander's gate was left running")
  }

  /// A lander killed after moving main but before recording the landing: the next one records it
  /// from the evidence it left (base after is in main) and does not merge it again.
  @Test func aLandingInterruptedAfterTheBaseMovedIsFinishedNotRepeated() throws {
    let team = try LandingTeam(agents: ["w1"])
    let work = try team.work("w1", title: "Work", file: "work.txt", text: "work\n")
    #expect(work.done.status == 0)
    let killed = try team.land(["GHP_TEST_FAULT": "after-base-move"])
    #expect(killed.status == 137)
    let moved = try team.main()
    #expect(try team.issue(work.id)["status"]?.stringValue == "landing")
    #expect(try team.issue(work.id)["pending"]?["baseAfter"]?.stringValue == moved)

    let resumed = try team.land()
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(try resumed.json()["recovered"] == .array([.int(Int(work.id)!)]))
    #expect(try resumed.json()["gateRuns"]?.intValue == 0, "not gated again")
    #expect(try team.main() == moved, "not merged twice")
    let issue = try team.issue(work.id)
    #expect(issue["status"]?.stringValue == "done" && issue["landing"]?["recovered"] == .bool(true))
    #expect(try team.repo.ghp("verify").status == 0)
  }

  /// `agent-handoff --to` carries the code: the receiver's branch continues from the giver's tip
  /// (its clean worktree follows), the document lands in the receiver's worktree without counting
  /// as its work; with uncommitted work of the giver's, the handoff is refused, naming it.
  @Test func aHandoffCarriesTheBranchToTheReceiver() throws {
    let team = try LandingTeam(agents: ["w1", "w2"])
    #expect(try team.repo.ghp(["issue", "add", "Half done"], agent: "lead").status == 0)
    #expect(try team.team.ghp("w1", "claim", "1").status == 0)
    #expect(try team.team.commit("w1", "half.txt", "half\n", "first half").status == 0)
    try team.team.write("w1", "scratch.txt", "not committed\n")
    let refused = try team.team.ghp(
      "w1", "agent-handoff", "--issue", "1", "--to", "w2", "--write", "HANDOFF.md", "--json")
    #expect(refused.status == 3, "\(refused.stderr)")
    #expect(refused.stdout.contains("uncommitted work") && refused.stdout.contains("scratch.txt"), "\(refused.stdout)")
    try FileManager.default.removeItem(atPath: team.team.worktrees["w1"]! + "/scratch.txt")
    let handoff = try team.team.ghp(
      "w1", "agent-handoff", "--issue", "1", "--to", "w2", "--write", "HANDOFF.md", "--json")
    #expect(handoff.status == 0, "\(handoff.stderr)")
    #expect(try handoff.json()["code"]?["continued"] == .bool(true))
    #expect(
      try team.team.git("w2", "rev-parse", "HEAD").stdout == (try team.team.git("w1", "rev-parse", "HEAD").stdout))
    let w2 = team.team.worktrees["w2"]!
    #expect(FileManager.default.fileExists(atPath: w2 + "/half.txt"), "the receiver's worktree followed its branch")
    let document = try String(contentsOfFile: w2 + "/HANDOFF.md", encoding: .utf8)
    #expect(document.contains("git merge agent/w1"))
    // The receiver finishes and lands: the handoff file is not work of its own.
    #expect(try team.team.commit("w2", "half.txt", "whole\n", "second half").status == 0)
    let done = try team.team.ghp("w2", "done", "1", "--result", "whole")
    #expect(done.status == 0, "\(done.stderr)")
    #expect(try team.land().json()["landed"]?.arrayValue?.count == 1)
    #expect(try team.repo.git("show", "main:half.txt").contains("whole"))
  }

  /// `claim --next` passes over a ready issue whose scope touches a path two branches already
  /// conflict on, and takes the next clear one; with only such issues left, it takes the first.
  @Test func claimNextAvoidsScopesInConflict() throws {
    let team = try LandingTeam(agents: ["w1", "w2", "w3"])
    try team.repo.write("shared.txt", "value 0\n")
    try team.repo.git("add", "shared.txt")
    try team.repo.git("commit", "-qm", "shared")
    for agent in ["w1", "w2"] { #expect(try team.team.git(agent, "merge", "-q", "main").status == 0) }
    #expect(try team.team.commit("w1", "shared.txt", "value 1\n", "w1").status == 0)
    #expect(try team.team.commit("w2", "shared.txt", "value 2\n", "w2").status == 0)
    #expect(
      try team.repo.ghp(["issue", "add", "Touches shared", "-p", "1", "--scope", "shared*"], agent: "lead").status == 0)
    #expect(
      try team.repo.ghp(["issue", "add", "Elsewhere", "-p", "2", "--scope", "docs/**"], agent: "lead").status == 0)
    let first = try team.team.ghp("w3", "claim", "--next", "--json")
    #expect(try first.json()["issue"]?["id"]?.intValue == 2, "\(first.stdout) \(first.stderr)")
    let second = try team.team.ghp("w3", "claim", "--next", "--json")
    #expect(try second.json()["issue"]?["id"]?.intValue == 1, "only the overlapping one is left: it is still taken")
  }

  /// A lander that stopped renewing its lease (its clock says so) loses it to the next; when it
  /// wakes it can record nothing and moves nothing: the work lands once.
  @Test func aStaleLeaseIsTakenOverAndItsHolderCanRecordNothing() throws {
    let team = try LandingTeam(agents: ["w1"])
    let before = try team.main()
    let work = try team.work("w1", title: "Work", file: "work.txt", text: "work\n")
    #expect(work.done.status == 0)
    FileManager.default.createFile(atPath: team.control + "/sleep", contents: Data("3".utf8))
    let slow = try team.repo.startGHP(
      ["land", "--once"], agent: "lead",
      environment: team.environment.merging(["GHP_NOW": "2026-01-01T10:00:00Z"]) { _, b in b })
    #expect(team.waitForSleepingGate())
    try FileManager.default.removeItem(atPath: team.control + "/sleep")
    // 30 minutes later by the second lander's clock: past timeout (20m) + 5m without renewal.
    let fresh = try team.land(["GHP_NOW": "2026-01-01T10:30:00Z"])
    #expect(fresh.status == 0, "\(fresh.stdout) \(fresh.stderr)")
    #expect(try fresh.json()["landed"]?.arrayValue?.count == 1)
    let late = slow.wait()
    #expect(
      late.status == 3 && late.stderr.contains("no longer holds the landing lease"), "\(late.stdout) \(late.stderr)")
    #expect(
      try team.repo.git("rev-list", "--count", "--merges", "\(before)..main").trimmingCharacters(
        in: .whitespacesAndNewlines) == "1")
    #expect(
      try team.repo.git("log", "--format=%s", "ghp/state").contains("take over the landing lease of main from lead"))
  }

  /// An issue queued longer than landing.maxWait goes before a higher priority.
  @Test func anIssueWaitingPastMaxWaitGoesFirst() throws {
    let team = try LandingTeam(agents: ["w1", "w2"])
    #expect(try team.lead("config", "set", "landing.maxWait", "1h").status == 0)
    let old = try team.work(
      "w1", title: "Old, low", file: "old.txt", text: "old\n", priority: 5, at: "2099-01-01T10:00:00Z")
    #expect(old.done.status == 0, "\(old.done.stderr)")
    let new = try team.work(
      "w2", title: "New, urgent", file: "new.txt", text: "new\n", priority: 0, at: "2099-01-01T10:50:00Z")
    #expect(new.done.status == 0)
    func order(at time: String) throws -> [Int] {
      try team.repo.ghp(["queue", "--json"], environment: ["GHP_NOW": time]).json()["queue"]?.arrayValue?.compactMap {
        $0["id"]?.intValue
      } ?? []
    }
    #expect(try order(at: "2099-01-01T10:55:00Z") == [2, 1], "neither waited an hour: priority decides")
    #expect(try order(at: "2099-01-01T11:10:00Z") == [1, 2], "the old one waited 70 minutes: it goes first")
    #expect(try order(at: "2099-01-01T12:00:00Z") == [1, 2], "both overdue: the oldest first")
  }

  /// mode = squash lands one commit with the base as only parent; mode = rebase replays the
  /// branch's commits on the base, keeping their authors.
  @Test func squashAndRebaseModes() throws {
    for mode in ["squash", "rebase"] {
      let team = try LandingTeam(agents: ["w1"])
      #expect(try team.lead("config", "set", "landing.mode", mode).status == 0)
      try team.repo.write("main.txt", "main moved\n")
      try team.repo.git("add", "main.txt")
      try team.repo.git("commit", "-qm", "main moves")
      let before = try team.main()
      #expect(try team.repo.ghp(["issue", "add", "Two steps"], agent: "lead").status == 0)
      #expect(try team.team.ghp("w1", "claim", "1").status == 0)
      #expect(try team.team.commit("w1", "a.txt", "a\n", "step a").status == 0)
      #expect(try team.team.commit("w1", "b.txt", "b\n", "step b").status == 0)
      #expect(try team.team.ghp("w1", "done", "1", "--result", "two steps").status == 0)
      #expect(try team.land().json()["landed"]?.arrayValue?.count == 1, "\(mode)")
      let log = try team.repo.git("log", "--format=%P|%s|%an", "\(before)..main").split(separator: "\n").map(
        String.init)
      if mode == "squash" {
        #expect(log.count == 1 && log[0].hasPrefix(before + "|Land #1"), "\(log)")
      } else {
        #expect(log.map { $0.split(separator: "|")[1] } == ["step b", "step a"], "\(log)")
        #expect(log.allSatisfy { $0.hasSuffix("|Test Human") }, "authors kept: \(log)")
      }
      #expect(
        try team.repo.git("show", "main:b.txt").contains("b")
          && (try team.repo.git("show", "main:main.txt").contains("main moved")))
      #expect(try team.repo.ghp("verify").status == 0)
    }
  }

  /// A gate that outruns landing.timeout is killed with its process group; the issue bounces as a
  /// timed-out attempt, here its last.
  @Test func aGateOverItsTimeoutIsKilledAndBounces() throws {
    let team = try LandingTeam(agents: ["w1"])
    #expect(try team.lead("config", "set", "landing.timeout", "1s").status == 0)
    #expect(try team.lead("config", "set", "maxAttempts", "1").status == 0)
    let before = try team.main()
    let work = try team.work("w1", title: "Slow", file: "slow.txt", text: "slow\n")
    #expect(work.done.status == 0)
    FileManager.default.createFile(atPath: team.control + "/sleep", contents: Data("30".utf8))
    let started = Date()
    let landed = try team.land()
    #expect(Date().timeIntervalSince(started) < 20, "the gate was stopped, not waited for")
    let gate = try #require(try landed.json()["bounced"]?.arrayValue?.first?["bounced"]?["gate"]?.arrayValue?.first)
    #expect(gate["timedOut"] == .bool(true) && gate["exit"]?.intValue == 128 + 15, "\(gate)")
    #expect(try team.main() == before)
    #expect(try team.issue(work.id)["bounced"]?["reason"]?.stringValue?.contains("timed out") == true)
    // With maxAttempts = 1 that was its last attempt: dead, and its agent is still told.
    #expect(try team.issue(work.id)["status"]?.stringValue == "dead")
    let told = try team.team.ghp("w1", "agent-heartbeat", "--json").json()["returned"]?.arrayValue?.first?["reason"]?
      .stringValue
    #expect(told?.contains("dead after 1 attempts") == true, "\(told ?? "nothing told")")
  }

  /// Without --once, `ghp land` keeps landing work as it is submitted; SIGTERM stops it, and it
  /// gives its lease back on the way out.
  @Test func aRunningLanderLandsNewSubmissionsAndStopsCleanly() throws {
    let team = try LandingTeam(agents: ["w1"])
    let lander = try team.repo.startGHP(["land", "--interval", "1"], agent: "lead", environment: team.environment)
    var held = false
    for _ in 0..<100 where !held {
      held = (try? team.repo.ghp(["queue", "--json"]).json()["lease"]?["holder"]) == .string("lead")
      if !held { usleep(50_000) }
    }
    #expect(held, "the lander took the lease")
    let work = try team.work("w1", title: "Later", file: "later.txt", text: "later\n")
    #expect(work.done.status == 0)
    var status = ""
    for _ in 0..<200 where status != "done" {
      status = (try? team.issue(work.id)["status"]?.stringValue) ?? ""
      if status != "done" { usleep(50_000) }
    }
    #expect(status == "done", "landed while the lander ran")
    kill(lander.pid, SIGTERM)
    // A lander that ignored the signal would hang the suite: it is killed (and the test fails) instead.
    let pid = lander.pid
    DispatchQueue.global().asyncAfter(deadline: .now() + 15) { kill(pid, SIGKILL) }
    let stopped = lander.wait()
    #expect(stopped.status == 130, "\(stopped.stdout) \(stopped.stderr)")
    #expect(stopped.stdout.contains("Landed #\(work.id)"))
    #expect(try team.repo.ghp(["queue", "--json"]).json()["lease"] == .null, "the lease was given back")
  }

  /// With --json the looping lander's report is its whole answer: SIGTERM ends it with one JSON
  /// document and exit 0 (a script reads one object, not a report and an error).
  @Test func aLoopingLanderWithJSONEndsWithOneDocument() throws {
    let team = try LandingTeam(agents: ["w1"])
    let lander = try team.repo.startGHP(
      ["land", "--json", "--interval", "1"], agent: "lead", environment: team.environment)
    var held = false
    for _ in 0..<100 where !held {
      held = (try? team.repo.ghp(["queue", "--json"]).json()["lease"]?["holder"]) == .string("lead")
      if !held { usleep(50_000) }
    }
    #expect(held, "the lander took the lease")
    kill(lander.pid, SIGTERM)
    let pid = lander.pid
    DispatchQueue.global().asyncAfter(deadline: .now() + 15) { kill(pid, SIGKILL) }
    let stopped = lander.wait()
    #expect(stopped.status == 0, "\(stopped.stdout) \(stopped.stderr)")
    let report = try JSON.parse(stopped.stdout)
    #expect(report["landed"] != nil, "\(stopped.stdout)")
  }

  /// A worker who writes "landed" on ghp/state with plain git, skipping the gate, is caught by
  /// `ghp verify`: the operation needs an orchestrator holding the lease and a passed gate.
  @Test func aLandingForgedWithPlainGitFailsVerification() throws {
    let team = try LandingTeam(agents: ["w1"])
    let work = try team.work("w1", title: "Work", file: "work.txt", text: "work\n")
    #expect(work.done.status == 0)
    var issue = try team.issue(work.id)
    guard case .object(var fields) = issue else { throw ScratchError("not an object") }
    fields["status"] = .string("done")
    fields["landing"] = .object(["base": .string("main"), "tip": fields["submission"]?["tip"] ?? .null])
    issue = .object(fields)
    let head = try team.main()
    let operation =
      #"{"args":{"base":"main","head":"\#(head)","issues":["\#(work.id)"],"recovered":false,"token":"x"},"op":"landed","v":1}"#
    try team.repo.forge(
      [".ghp/issues/0\(work.id)/\(work.id).json": String(decoding: issue.canonical(), as: UTF8.self)],
      message: "w1: landed #\(work.id)\n\nGhp-Op: landed\nGhp-Agent: w1\nGhp-Operation: \(operation)", author: "w1")
    let verified = try team.repo.ghp(["verify", "--json"])
    #expect(verified.status == 1)
    let problems = try verified.json()["findings"]?.arrayValue?.compactMap { $0["problem"]?.stringValue } ?? []
    #expect(problems.contains { $0.contains("orchestrator") }, "\(problems)")
  }

  /// The holder takes a submitted issue back with `claim` (same epoch) to change it, even while its
  /// gate runs: the lander then lands nothing of it. Once the gate passed and the base is moving,
  /// taking it back is refused; an orchestrator's `release` puts a queued issue back in the queue.
  @Test func aSubmittedIssueCanBeTakenBackUntilItIsBeingLanded() throws {
    let team = try LandingTeam(agents: ["w1", "w2"])
    let before = try team.main()
    let work = try team.work("w1", title: "Work", file: "work.txt", text: "work\n")
    #expect(work.done.status == 0)
    FileManager.default.createFile(atPath: team.control + "/sleep", contents: Data("2".utf8))
    let lander = try team.repo.startGHP(["land", "--once"], agent: "lead", environment: team.environment)
    #expect(team.waitForSleepingGate())
    let back = try team.team.ghp("w1", "claim", work.id)
    #expect(back.status == 0 && back.stdout.contains("epoch 1"), "\(back.stdout) \(back.stderr)")
    let landed = lander.wait()
    #expect(landed.status == 0, "\(landed.stdout) \(landed.stderr)")
    #expect(landed.stdout.contains("left the landing queue while its gate ran"), "\(landed.stdout)")
    #expect(try team.main() == before, "nothing of a withdrawn issue lands")
    #expect(try team.issue(work.id)["status"]?.stringValue == "claimed")
    try FileManager.default.removeItem(atPath: team.control + "/sleep")

    // Submitted again; the lander dies after moving main: now it is being landed, and stays so.
    #expect(try team.team.ghp("w1", "done", work.id, "--result", "again").status == 0)
    #expect(try team.land(["GHP_TEST_FAULT": "after-base-move"]).status == 137)
    let refused = try team.team.ghp("w1", "claim", work.id)
    #expect(refused.status == 3 && refused.stderr.contains("being landed"), "\(refused.stderr)")
    #expect(try team.land().json()["recovered"]?.arrayValue?.count == 1)

    // An orchestrator's release of a queued issue: open again, epoch + 1, out of the queue.
    let other = try team.work("w2", title: "Other", file: "other.txt", text: "other\n")
    #expect(other.done.status == 0)
    #expect(try team.lead("release", other.id).status == 0)
    let released = try team.issue(other.id)
    #expect(released["status"]?.stringValue == "open" && released["epoch"]?.intValue == 2)
    #expect(try team.repo.ghp(["queue", "--json"]).json()["queue"]?.arrayValue?.isEmpty == true)
    #expect(try team.repo.ghp("verify").status == 0)
  }
}
