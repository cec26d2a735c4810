import Foundation
import GHPKit
import GHPTestSupport
import Testing

@Suite struct ConflictTests {
  /// w1 and w2 edit the same line of one file, w3 another file, and main moves under w3's file:
  /// the conflicts show while they work, before anything lands.
  @Test func conflictingBranchesAreFoundBeforeAnyLands() throws {
    let team = try Team(agents: ["w1", "w2", "w3", "w4"], installHooks: false)
    try team.repo.write("Sources/Shared.swift", "let value = 0\n")
    try team.repo.write("Sources/Other.swift", "let other = 0\n")
    try team.repo.git("add", ".")
    try team.repo.git("commit", "-qm", "shared files")
    for agent in ["w1", "w2", "w3"] { #expect(try team.git(agent, "merge", "-q", "main").status == 0) }
    #expect(try team.commit("w1", "Sources/Shared.swift", "let value = 1\n", "w1's value").status == 0)
    #expect(try team.commit("w2", "Sources/Shared.swift", "let value = 2\n", "w2's value").status == 0)
    #expect(try team.commit("w3", "Sources/Other.swift", "let other = 3\n", "w3's other").status == 0)
    try team.repo.write("Sources/Other.swift", "let other = 42\n")
    try team.repo.git("commit", "-qam", "main moves other")

    let report = try team.repo.ghp(["conflicts", "--json"]).json()
    #expect(
      report["branches"] == .array(["agent/w1", "agent/w2", "agent/w3"].map { .string($0) }),
      "w4 has no commits of its own")
    #expect(report["checked"]?.intValue == 3 + 3)
    let pairs = (report["conflicts"]?.arrayValue ?? []).map { pair in
      "\(pair["one"]?.stringValue ?? "")~\(pair["two"]?.stringValue ?? ""): \(pair["paths"]?.arrayValue?.compactMap(\.stringValue) ?? [])"
    }
    #expect(
      pairs.sorted()
        == ["agent/w1~agent/w2: [\"Sources/Shared.swift\"]", "main~agent/w3: [\"Sources/Other.swift\"]"].sorted(),
      "\(pairs)")
    let text = try team.repo.ghp(["conflicts"])
    #expect(text.status == 0 && text.stdout.contains("2 of 6 merges conflict"), "\(text.stdout)")
    // Nothing was touched: no worktree changed, no ref moved.
    #expect(try team.git("w1", "status", "--porcelain").stdout.isEmpty)
  }
}
