import GHPTestSupport
import Testing

@testable import GHPKit

/// Runs on several hosts at once, as the operations judge them: each its own document and worker
/// names, one run adopting another only once its lease is stale, a stop reaching them all, and an
/// older ghp's single run document still replayed where it was.
@Suite struct RunsOnSeveralHostsTests {
  static let t0 = "2025-01-25T10:30:00Z"

  func start(_ id: String, host: String, workers: [String], own: Bool = true) -> RunOperation {
    var start = RunOperation(action: .start, token: "token-\(id)")
    start.id = id
    start.host = host
    start.pid = 100
    start.command = "claude"
    start.workers = workers
    start.ownDocument = own
    return start
  }

  @Test func runsOnTwoHostsKeepTheirOwnDocumentsAndAGoneOneIsAdoptedOnlyOnceItsLeaseIsStale() throws {
    let repo = try initialised(issues: 2)
    let lead = try workspace(repo)
    try lead.run(start("run-a", host: "h1", workers: ["worker-1", "worker-2"]))
    var assign = RunOperation(action: .assign, token: "token-run-a")
    assign.agent = "worker-1"
    assign.issue = "1"
    try lead.run(assign)

    // Beside it, on another host: never a name the first run holds.
    let clash = try #require(caught { try lead.run(start("run-b", host: "h2", workers: ["worker-1"])) })
    #expect(clash.description.contains("worker-1 is a worker of run run-a"), "\(clash.description)")
    try lead.run(start("run-b", host: "h2", workers: ["worker-3"]))
    // Both supervisors picked #1 from the queue at once: the later assign is refused, and
    // worker-1 keeps it (an orchestrator's assign would have taken it away).
    var twice = RunOperation(action: .assign, token: "token-run-b")
    twice.agent = "worker-3"
    twice.issue = "1"
    let taken = try #require(caught { try lead.run(twice) })
    #expect(taken.description.contains("#1 is held by worker-1 now"), "\(taken.description)")
    #expect(try workspace(repo).snapshot().requireIssue("1").assignee == "worker-1")
    let files = try repo.git("ls-tree", "--name-only", "ghp/state", ".ghp/runs/")
    #expect(files == ".ghp/runs/run-a.json\n.ghp/runs/run-b.json")
    #expect(try repo.git("ls-tree", "--name-only", "ghp/state", ".ghp/run.json").isEmpty)

    // A minute later run-a's lease (2 minutes) still lives: no adopting it.
    var adopt = RunOperation(action: .adopt, token: "token-run-b")
    adopt.id = "run-a"
    adopt.replaces = "token-run-a"
    let early = try #require(caught { try workspace(repo, now: "2025-01-25T10:31:00Z").run(adopt) })
    #expect(early.description.contains("renewed its lease 1m ago"), "\(early.description)")
    var forged = adopt
    forged.replaces = "a-guess"
    let guessed = try #require(caught { try workspace(repo, now: "2025-01-25T10:33:00Z").run(forged) })
    #expect(guessed.description.contains("not active under that lease"), "\(guessed.description)")

    // Past the lease: run-a ends, its worker's issue back in the queue, run-b going on.
    let adopted = try workspace(repo, now: "2025-01-25T10:33:00Z").run(adopt)
    #expect(adopted.result.state == .failed)
    #expect(adopted.result.outcome?.contains("adopted by run run-b on h2, which gave back #1") == true)
    let state = try workspace(repo).snapshot()
    #expect(try state.requireIssue("1").status == .open)
    #expect(try state.runRecord(id: "run-b")?.isActive == true)
    // run-a's supervisor, back, is fenced out.
    var tick = RunOperation(action: .tick, token: "token-run-a")
    tick.updates = []
    let fenced = try #require(caught { try workspace(repo, now: "2025-01-25T10:33:05Z").run(tick) })
    #expect(fenced.description.contains("no longer holds"), "\(fenced.description)")

    // A stop reaches every active run; a new run on h2 clears h2's finished documents.
    try lead.run(start("run-c", host: "h3", workers: ["worker-1"]))
    let stopped = try workspace(repo, now: "2025-01-25T10:34:00Z").run(RunOperation(action: .stop, token: ""))
    #expect(stopped.result.id == "run-c")
    let after = try workspace(repo).snapshot().runRecords()
    #expect(after.filter(\.isActive).allSatisfy { $0.state == .stopping } && after.filter(\.isActive).count == 2)
    var finish = RunOperation(action: .finish, token: "token-run-b")
    finish.state = .stopped
    finish.summary = "stopped"
    try lead.run(finish)
    try lead.run(start("run-d", host: "h2", workers: ["worker-3"]))
    #expect(try workspace(repo).snapshot().runRecord(id: "run-b") == nil)
    #expect(try workspace(repo).snapshot().runRecord(id: "run-a")?.state == .failed)
  }

  @Test func anOlderGhpsSingleRunDocumentIsStillWhereItsRecordsReplay() throws {
    let repo = try initialised(issues: 1)
    let lead = try workspace(repo)
    try lead.run(start("run-old", host: "h1", workers: ["worker-1"], own: false))
    #expect(try repo.git("ls-tree", "--name-only", "ghp/state", ".ghp/run.json") == ".ghp/run.json")
    // One run at a time there, as it was.
    let second = try #require(caught { try lead.run(start("run-new", host: "h2", workers: ["worker-2"], own: false)) })
    #expect(second.description.contains("run-old"))
    var tick = RunOperation(action: .tick, token: "token-run-old")
    tick.updates = []
    try lead.run(tick)
    // A run of this ghp runs beside it; the page and `run status` show the one started last.
    try lead.run(start("run-new", host: "h2", workers: ["worker-2"]))
    #expect(try workspace(repo).snapshot().runRecords().map(\.id) == ["run-old", "run-new"])
  }
}
