import Testing

@testable import GHPKit

@Suite struct NameTests {
  @Test(arguments: ["worker-1", "Claude_2", "a.b", String(repeating: "x", count: 64)])
  func acceptsRefSafeNames(_ name: String) throws {
    #expect(try AgentName.validate(name) == name)
  }

  @Test(arguments: [
    "", "a/b", "a..b", "has space", "tab\there", ".hidden", "-flag", "x.lock", "end.", "ctl\u{7}", "ünï",
    String(repeating: "x", count: 65), "a:b", "a~b", "a^b", "a*b", "a?b", "a[b", "a\\b", "@{x}",
  ])
  func refusesUnsafeNames(_ name: String) {
    #expect(throws: GHPError.self) { try AgentName.validate(name) }
  }

  @Test func slugsAUserName() throws {
    #expect(AgentName.slug("Jane Doe") == "jane-doe")
    #expect(AgentName.slug("  Ann-Marie O'Neil ") == "ann-marie-o-neil")
    #expect(AgentName.slug("李") == nil)
  }

  @Test func issueIDsSortNumericallyFirst() throws {
    #expect(["10", "task-1", "2", "1"].sorted(by: IssueID.precedes) == ["1", "2", "10", "task-1"])
    // Attempts of a best-of issue come after it, in number order, and before the next issue.
    #expect(
      ["13", "12.10", "12", "12.2", "task-1", "12.1"].sorted(by: IssueID.precedes) == [
        "12", "12.1", "12.2", "12.10", "13", "task-1",
      ])
    #expect(throws: GHPError.self) { try IssueID.validate("../x") }
    #expect(try IssueID.validate("#12") == "12")
  }
}
