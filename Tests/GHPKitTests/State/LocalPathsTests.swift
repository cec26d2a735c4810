import Testing

@testable import GHPKit

@Suite struct LocalPathsTests {
  @Test func everyPathIsUnderTheCommonDirectoryWithOneSlash() {
    for common in ["/repo/.git", "/repo/.git/"] {
      let local = LocalPaths(commonDirectory: common)
      #expect(local.common == "/repo/.git")
      #expect(local.writerLock == "/repo/.git/ghp/writer.lock")
      #expect(local.issueIndex == "/repo/.git/ghp/cache/issues.idx")
      #expect(local.signingKeys == "/repo/.git/ghp/keys")
      #expect(local.run("run-1a") == "/repo/.git/ghp/run/run-1a")
      #expect(local.worktreeAdmin("w1") == "/repo/.git/worktrees/w1")
      #expect(local.stateRefLock == "/repo/.git/refs/heads/ghp/state.lock")
      #expect(local.infoExclude == "/repo/.git/info/exclude")
    }
    #expect(LocalPaths(commonDirectory: "/").common == "/", "the root stays the root")
    #expect(LocalPaths.join("/a/", "b") == "/a/b" && LocalPaths.join("/a", "b") == "/a/b")
  }
}
