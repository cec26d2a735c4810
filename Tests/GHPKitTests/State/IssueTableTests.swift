import Foundation
import GHPTestSupport
import Testing

@testable import GHPKit

@Suite struct IssueIndexTests {
  func summaries(_ repo: ScratchRepository) throws -> [IssueSummary] {
    try workspace(repo).snapshot().issueSummaries().sorted { $0.id < $1.id }
  }

  /// The summaries read with no cache at all: the oracle the cached answers must equal.
  func fromScratch(_ repo: ScratchRepository) throws -> [IssueSummary] {
    let cache = repo.path + "/.git/ghp/cache/issues.idx"
    let saved = FileManager.default.contents(atPath: cache)
    try? FileManager.default.removeItem(atPath: cache)
    defer { if let saved { FileManager.default.createFile(atPath: cache, contents: saved) } }
    return try summaries(repo)
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
}
