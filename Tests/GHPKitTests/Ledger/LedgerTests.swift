import Foundation
import GHPTestSupport
import Testing

@testable import GHPKit

/// A workspace on a scratch repository, acting as `agent` at a fixed time.
func workspace(_ repo: ScratchRepository, agent: String? = "lead", now: String = "2025-01-25T10:30:00Z") throws
  -> Workspace
{
  var env = ["GHP_NOW": now]
  if let agent { env["GHP_AGENT"] = agent }
  return try Workspace(path: repo.path, environment: env)
}

func initialised(issues: Int = 0) throws -> ScratchRepository {
  let repo = try ScratchRepository()
  let lead = try workspace(repo)
  _ = try InitSession.initialise(lead, goal: "Test goal", config: Config())
  for number in 0..<issues { try lead.run(AddIssueOperation(title: "Issue \(number + 1)")) }
  return repo
}

/// Records what it was asked, then lands what a heartbeat does (a recorded operation, as every
/// change the ledger writes must be: debug builds re-apply each record).
struct ProbeOperation: StateOperation {
  var onApply: (StateSnapshot) -> Void
  func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Int) {
    onApply(state)
    let (change, _) = try StatusUpdateOperation(action: "probe", isHeartbeat: true).apply(
      to: state, actor: actor, clock: clock)
    return (change, 0)
  }
}

@Suite struct LedgerTests {
  @Test func firstCommitCreatesTheBranchAndLaterOnesChainOnIt() throws {
    let repo = try initialised()
    #expect(try repo.git("rev-list", "--count", "ghp/state") == "1")
    #expect(try repo.git("log", "-1", "--format=%P", "ghp/state") == "")
    try workspace(repo).run(AddIssueOperation(title: "One"))
    #expect(try repo.git("rev-list", "--count", "ghp/state") == "2")
    #expect(try repo.git("log", "-1", "--format=%an <%ae>", "ghp/state") == "lead <lead@ghp>")
  }

  @Test func aChangeRewritesOnlyTheDocumentsItTouches() throws {
    let repo = try initialised(issues: 1)
    try workspace(repo, agent: "w1").run(ClaimOperation(issueID: "1"))
    let changed = try repo.git("diff", "--name-only", "ghp/state~1", "ghp/state")
    #expect(changed.split(separator: "\n").sorted() == [".ghp/agent-status.json", ".ghp/issues/01/1.json"])
  }

  @Test func aRefMovedByAnotherWriterIsRetriedFromTheNewTip() throws {
    let repo = try initialised()
    let ws = try workspace(repo, agent: "w1")
    var seen: [String] = []
    var movedBy: String?
    let landed = try ws.run(
      ProbeOperation { state in
        seen.append(state.commit!.hex)
        guard movedBy == nil else { return }
        // Someone outside ghp's lock (a person with the git CLI) moves the ref first.
        let tree = try! repo.git("rev-parse", "ghp/state^{tree}")
        let commit = try! repo.git("commit-tree", tree, "-p", "ghp/state", "-m", "by hand")
        try! repo.git("update-ref", "refs/heads/ghp/state", commit)
        movedBy = commit
      })
    #expect(seen.count == 2)
    #expect(seen[1] == movedBy)
    #expect(try repo.git("rev-parse", "ghp/state~1") == movedBy)
    #expect(try repo.git("rev-parse", "ghp/state") == landed.commit?.hex)
  }

  @Test func aRefLockHeldBrieflyIsWaitedForNotRemoved() throws {
    let repo = try initialised()
    let lock = repo.root.appendingPathComponent(".git/refs/heads/ghp/state.lock")
    try "x\n".write(to: lock, atomically: false, encoding: .utf8)
    // A git process that finishes its update a moment later (it removes its own lock).
    let path = lock.path
    let finisher = Thread {
      usleep(300_000)
      unlink(path)
    }
    finisher.start()
    let landed = try workspace(repo, agent: "w1").run(StatusUpdateOperation(status: "testing", isHeartbeat: true))
    #expect(landed.commit != nil)
    #expect(try repo.git("rev-parse", "ghp/state") == landed.commit?.hex)
  }

  @Test func aRefLockThatStaysIsReportedWithItsPathAndKept() throws {
    let repo = try initialised()
    let lock = repo.root.appendingPathComponent(".git/refs/heads/ghp/state.lock")
    try "x\n".write(to: lock, atomically: false, encoding: .utf8)
    do {
      _ = try workspace(repo, agent: "w1").run(StatusUpdateOperation(status: "testing", isHeartbeat: true))
      Issue.record("a write went through a ref lock ghp did not make")
    } catch {
      #expect("\(error)".contains(lock.path))
    }
    #expect(FileManager.default.fileExists(atPath: lock.path))
  }

  @Test func aCorruptDocumentStopsTheChangeAndNamesFileAndCommit() throws {
    let repo = try initialised()
    // Break agent-status.json on ghp/state with plain git, as a careless hand edit would.
    let blob = try ProcessRunner.run(
      "/usr/bin/git", ["hash-object", "-w", "--stdin"], in: repo.path, input: "{\"agents\": {oops\n"
    ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    try repo.git("read-tree", "ghp/state")
    try repo.git("update-index", "--cacheinfo", "100644,\(blob),.ghp/agent-status.json")
    let tree = try repo.git("write-tree")
    let broken = try repo.git("commit-tree", tree, "-p", "ghp/state", "-m", "hand edit")
    try repo.git("update-ref", "refs/heads/ghp/state", broken)
    try repo.git("read-tree", "HEAD")

    let ws = try workspace(repo, agent: "w1")
    let error = try #require(caught { try ws.run(StatusUpdateOperation(status: "testing", isHeartbeat: true)) })
    #expect(error.description.contains(".ghp/agent-status.json"))
    #expect(error.description.contains(String(broken.prefix(10))))
    #expect(!error.isRefusal)
    #expect(try repo.git("rev-parse", "ghp/state") == broken)
  }

  @Test func readsNeverTakeTheWriterLock() throws {
    let repo = try initialised()
    let ws = try workspace(repo)
    // Hold the writer lock from another file descriptor, as another process would.
    let fd = open(repo.path + "/.git/ghp/writer.lock", O_RDWR)
    #expect(flock(fd, LOCK_EX) == 0)
    defer { close(fd) }
    #expect(try StatusReport(state: ws.snapshot(), clock: ws.clock).rows.count == 1)
  }
}

/// The `GHPError` that `body` throws, or nil when it does not throw one.
func caught(_ body: () throws -> Void) -> GHPError? {
  do {
    try body()
    return nil
  } catch {
    return error as? GHPError
  }
}
