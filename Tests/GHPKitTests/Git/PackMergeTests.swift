import Testing

@testable import GHPKit

/// Which packs a merge takes: from the smallest up, each less than twice the sum below it, as
/// `git repack --geometric=2` chooses; a large pack stays as it is.
@Suite struct PackMergeTests {
  @Test func theSmallPacksAreMergedAndALargeOneIsLeft() {
    let packs = [("big", 100_000)] + (1...8).map { ("small-\($0)", 1_000 + $0) }
    let chosen = Repository.geometricTail(packs.map { (index: $0.0, size: $0.1) })
    #expect(chosen == (1...8).map { "small-\($0)" })
  }

  @Test func aPackNotTwiceTheOnesBelowJoinsThem() {
    // 10 + 12 = 22; 30 < 44 joins (sum 52); 200 >= 104 stays.
    let chosen = Repository.geometricTail(
      [("a", 12), ("b", 200), ("c", 10), ("d", 30)].map { (index: $0.0, size: $0.1) })
    #expect(chosen == ["c", "a", "d"])
  }

  @Test func atLeastTheTwoSmallestAreMerged() {
    // Already geometric: still two are merged, so that the count goes down.
    let chosen = Repository.geometricTail([("a", 1), ("b", 3), ("c", 9), ("d", 27)].map { (index: $0.0, size: $0.1) })
    #expect(chosen == ["a", "b"])
  }
}
