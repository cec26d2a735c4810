import Foundation
import GHPTestSupport
import Testing

@testable import GHPKit

@Suite struct IssueIndexTests {
  func summaries(_ repo: ScratchRepository) throws -> [IssueSummary] {
    try workspace(repo).snapshot().issueSummaries().sorted { $0.id < $1.id }
  }

  /// The summaries read with no cache at all, neither the file nor the process's table: the
  /// oracle the cached answers must equal.
  func fromScratch(_ repo: ScratchRepository) throws -> [IssueSummary] {
    let state = try workspace(repo).snapshot()
    let folder = try #require(try state.tree?.entryID(at: StatePaths.issuesFolder))
    var issues: [(blob: ObjectID, issue: GHPKit.Issue)] = []
    for file in try state.issueFiles() { issues.append((file.blob, try state.requireIssue(file.id))) }
    let table = IssueTable(tree: folder, issues: issues)
    return (0..<table.count).map { table.summary($0) }.sorted { $0.id < $1.id }
  }

  func cache(_ repo: ScratchRepository) -> String { repo.path + "/.git/ghp/cache/issues.idx" }

  /// The tree the cache file was written for.
  func fileTree(_ repo: ScratchRepository) throws -> ObjectID {
    let bytes = [UInt8](try #require(FileManager.default.contents(atPath: cache(repo))))
    return try #require(IssueTable(bytes: bytes)).tree
  }

  @Test func theCacheFollowsEveryChangeOfTheTree() throws {
    let repo = try initialised(issues: 3)
    #expect(try summaries(repo).count == 3)
    #expect(FileManager.default.fileExists(atPath: repo.path + "/.git/ghp/cache/issues.idx"))
    let lead = try workspace(repo)
    try workspace(repo, agent: "w1").run(ClaimOperation(issueID: "2"))
    #expect(try summaries(repo) == fromScratch(repo))
    try lead.run(EditIssueOperation(issueID: "3", title: "Renamed\twith tab\nand newline", dependencies: ["1"]))
    #expect(try summaries(repo) == fromScratch(repo))
    try lead.run(AddIssueOperation(title: "Four", dependencies: ["3"]))
    let imported = (1...20).map { number in
      var issue = Issue(id: "im-\(number)", title: "Imported \(number)", createdAt: 0, createdBy: "lead")
      issue.dependencies = number > 1 ? ["im-\(number - 1)"] : ["4"]
      return issue
    }
    try lead.run(ImportIssuesOperation(issues: imported, source: "test"))
    let after = try summaries(repo)
    #expect(after == (try fromScratch(repo)))
    #expect(after.count == 24)
    #expect(after.first { $0.id == "3" }?.title == "Renamed\twith tab\nand newline")
    #expect(after.first { $0.id == "im-2" }?.dependencies == ["im-1"])
    #expect(try ReadyQueue.ready(lead.snapshot()).map(\.id) == ["1"])
    try workspace(repo, agent: "w1").run(ClaimOperation(issueID: "1"))
    try workspace(repo, agent: "w1").run(DoneOperation(issueID: "1", result: "ok"))
    #expect(try ReadyQueue.ready(lead.snapshot()).map(\.id) == ["3"])
  }

  @Test func anIssueRemovedByHandRebuildsTheTable() throws {
    let repo = try initialised(issues: 3)
    _ = try summaries(repo)
    try repo.git("read-tree", "ghp/state")
    try repo.git("rm", "-q", "--cached", ".ghp/issues/02/2.json")
    let tree = try repo.git("write-tree")
    let commit = try repo.git("commit-tree", tree, "-p", "ghp/state", "-m", "remove #2 by hand")
    try repo.git("update-ref", "refs/heads/ghp/state", commit)
    try repo.git("read-tree", "HEAD")
    #expect(try summaries(repo).map(\.id) == ["1", "3"])
  }

  @Test(arguments: ["garbage", "truncated", "bad index"])
  func aDamagedCacheIsNeverTrusted(_ damage: String) throws {
    let repo = try initialised(issues: 4)
    try workspace(repo).run(EditIssueOperation(issueID: "2", dependencies: ["1"]))
    let expected = try summaries(repo)
    let cache = repo.path + "/.git/ghp/cache/issues.idx"
    var bytes = [UInt8](try #require(FileManager.default.contents(atPath: cache)))
    switch damage {
    case "garbage": bytes = Array("not a table at all".utf8)
    case "truncated": bytes.removeLast(7)
    default:
      // Point record 0's id past the end of the strings.
      let offset = IssueTable.headerSize + 40
      bytes.replaceSubrange(offset..<offset + 4, with: [0xFF, 0xFF, 0xFF, 0x7F])
    }
    FileManager.default.createFile(atPath: cache, contents: Data(bytes))
    #expect(try summaries(repo) == expected)
  }

  /// A long-lived process (`ghp land`) keeps its table on its repository handle and writes the
  /// file when it first loads it and then every `persistEvery` trees; a process reading a file
  /// that many trees behind brings it up to date, and every answer on the way is the one read
  /// from scratch.
  @Test func aLongLivedProcessWritesTheFileNowAndThen() throws {
    let repo = try initialised(issues: 3)
    let lead = try workspace(repo)
    // One handle, as a lander's: each load reads the tip anew.
    let reader = try workspace(repo)
    func read() throws -> [IssueSummary] { try reader.snapshot().issueSummaries().sorted { $0.id < $1.id } }
    _ = try read()
    let first = try fileTree(repo)
    var trees: [ObjectID] = []
    for round in 1...(IssueIndex.persistEvery + 3) {
      try lead.run(EditIssueOperation(issueID: "\(round % 3 + 1)", title: "Round \(round)"))
      if round == 5 { try lead.run(AddIssueOperation(title: "Five", dependencies: ["2"])) }
      #expect(try read() == fromScratch(repo), "round \(round)")
      trees.append(try #require(try lead.snapshot().tree?.entryID(at: StatePaths.issuesFolder)))
      if round < IssueIndex.persistEvery {
        #expect(try fileTree(repo) == first, "the file is not written at round \(round)")
      } else {
        #expect(try fileTree(repo) == trees[IssueIndex.persistEvery - 1], "round \(round)")
      }
    }
    // A new handle (a new process) starts from the file, three trees behind.
    #expect(try fileTree(repo) != trees.last)
    #expect(try summaries(repo) == fromScratch(repo))
    #expect(try fileTree(repo) == trees.last, "its first load writes the file")
  }

  @Test func findsCycles() {
    #expect(DependencyGraph.cycle(in: ["1": ["2"], "2": ["3"], "3": []]) == nil)
    #expect(DependencyGraph.cycle(in: ["1": ["2"], "2": ["3"], "3": ["1"]]) == ["1", "2", "3", "1"])
    #expect(DependencyGraph.cycle(in: ["a": ["a"]]) == ["a", "a"])
  }

  @Test func discoveriesSplitWhereTheyWereJoined() {
    let entries = [
      Discovery(agent: "w1", at: 100, issue: "3", text: "first\n### looks like a heading"),
      Discovery(agent: "w2", at: 200, issue: nil, text: "second"),
    ]
    let document = "# Discoveries\n" + entries.map { "\n" + $0.markdown }.joined()
    #expect(Discovery.parse(document) == entries)
  }
}

@Suite struct TreeDeltaTests {
  @Test func onlyTheChangedDocumentsAreNamed() throws {
    let repo = try initialised(issues: 120)
    let issuesBefore = try #require(ObjectID(hex: try repo.git("rev-parse", "ghp/state:.ghp/issues")))
    try workspace(repo, agent: "w1").run(ClaimOperation(issueID: "117"))
    try workspace(repo).run(AddIssueOperation(title: "New"))
    let issuesAfter = try #require(ObjectID(hex: try repo.git("rev-parse", "ghp/state:.ghp/issues")))
    let deltas = try workspace(repo).repository.treeDeltas(from: issuesBefore, to: issuesAfter)
    #expect(deltas.map(\.path).sorted() == ["17/117.json", "21/121.json"])
    #expect(deltas.allSatisfy { $0.newID != nil })
    let gone = try workspace(repo).repository.treeDeltas(from: issuesAfter, to: issuesBefore)
    #expect(gone.filter { $0.newID == nil }.map(\.path) == ["21/121.json"])
  }

  /// Every status and kind, and an epic's sub-issues, read back from the file exactly as built:
  /// a file holding a landing issue was once refused (its status byte checked against four
  /// statuses of five) and the table rebuilt by every process.
  @Test func everyStatusAndKindSurvivesTheFile() throws {
    let tree = try #require(ObjectID(hex: String(repeating: "ab", count: 20)))
    var issues: [(blob: ObjectID, issue: GHPKit.Issue)] = []
    for (index, status) in GHPKit.Issue.Status.allCases.enumerated() {
      var issue = GHPKit.Issue(id: "\(index + 1)", title: "T\(index)", createdAt: 1_700_000_000, createdBy: "lead")
      issue.status = status
      issue.epic = index > 0 ? "9" : nil
      issues.append((tree, issue))
    }
    var epic = GHPKit.Issue(id: "9", title: "Epic", createdAt: 1_700_000_000, createdBy: "lead")
    epic.kind = .epic
    issues.append((tree, epic))
    let table = IssueTable(tree: tree, issues: issues)
    let read = try #require(IssueTable(bytes: table.bytes))
    #expect((0..<read.count).map(read.summary) == (0..<table.count).map(table.summary))
    #expect((0..<read.count).map(read.status) == GHPKit.Issue.Status.allCases + [.open])
    #expect(read.subIssues(of: "9").map(read.id) == ["2", "3", "4", "5"])
    #expect(read.kind(5) == .epic && read.kind(0) == .task)
    // An epic is never in the ready queue, though open with nothing to wait for.
    #expect(read.ready().map(read.id) == ["1"])
  }
}
