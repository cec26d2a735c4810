import Foundation
import GHPTestSupport
import Testing

@testable import GHPKit

/// `ghp land` merges with the merge bases found in a handle of their own
/// (`mergedTree(_:_:walking:)`): it must merge exactly as libgit2's merge of the two commits does,
/// with one base, none, several (criss-cross), and with conflicts.
@Suite struct MergeWalkTests {
  func write(_ repo: ScratchRepository, _ file: String, _ text: String, _ message: String) throws -> ObjectID {
    try text.write(toFile: repo.path + "/" + file, atomically: true, encoding: .utf8)
    _ = try repo.git("add", file)
    _ = try repo.git("-c", "core.hooksPath=/nonexistent", "commit", "-q", "-m", message)
    return try #require(ObjectID(hex: try repo.git("rev-parse", "HEAD")))
  }

  func expectSame(_ repository: Repository, _ walks: Repository, _ ours: ObjectID, _ theirs: ObjectID, bases: Int)
    throws
  {
    #expect(try walks.mergeBases(ours, theirs).count == bases)
    let libgit2 = try repository.mergedTree(ours, theirs)
    let walked = try repository.mergedTree(ours, theirs, walking: walks)
    #expect(walked.tree == libgit2.tree)
    #expect(walked.conflicts == libgit2.conflicts)
  }

  @Test func aMergeWalkedElsewhereIsLibgit2sMerge() throws {
    let repo = try ScratchRepository()
    let lines = (1...9).map { "line \($0)\n" }
    func text(_ changes: [Int: String]) -> String {
      lines.enumerated().map { changes[$0.offset] ?? $0.element }.joined()
    }
    let start = try write(repo, "f.txt", text([:]), "start")
    _ = try repo.git("checkout", "-q", "-b", "x")
    let x1 = try write(repo, "f.txt", text([0: "x\n"]), "x1")
    _ = try repo.git("checkout", "-q", "-b", "y", start.hex)
    let y1 = try write(repo, "f.txt", text([8: "y\n"]), "y1")
    let repository = try Repository(discovering: repo.path)
    let walks = try Repository(discovering: repo.path)
    // One base; the same file changed in two places.
    try expectSame(repository, walks, x1, y1, bases: 1)
    // A conflict.
    _ = try repo.git("checkout", "-q", "-b", "z", start.hex)
    let z1 = try write(repo, "f.txt", text([0: "z\n"]), "z1")
    try expectSame(repository, walks, x1, z1, bases: 1)
    // Criss-cross: each side merges the other's first commit keeping its own line (two bases).
    // Merged from one base alone the result is not libgit2's recursive merge from a virtual base
    // (tried): what libgit2 merges must be what is landed.
    _ = try repo.git("checkout", "-q", "x")
    _ = try repo.git("-c", "core.hooksPath=/nonexistent", "merge", "-q", "-s", "ours", "--no-edit", y1.hex)
    let x3 = try write(repo, "g.txt", "x side\n", "x3")
    _ = try repo.git("checkout", "-q", "y")
    _ = try repo.git("-c", "core.hooksPath=/nonexistent", "merge", "-q", "-s", "ours", "--no-edit", x1.hex)
    let y3 = try write(repo, "h.txt", "y side\n", "y3")
    try expectSame(repository, walks, x3, y3, bases: 2)
    // No common history.
    _ = try repo.git("checkout", "-q", "--orphan", "other")
    _ = try repo.git("rm", "-q", "-r", "--cached", ".")
    let other = try write(repo, "o.txt", "other\n", "other")
    try expectSame(repository, walks, x1, other, bases: 0)
    // Walked again in the same handles: the same answers.
    try expectSame(repository, walks, x1, y1, bases: 1)
    try expectSame(repository, walks, x3, y3, bases: 2)
  }
}
