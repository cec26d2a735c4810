import GHPTestSupport
import Testing

@testable import GHPKit

/// The page's approve form is filled in from an agent's question, which is the agent's own text:
/// only the literal paths it names that exist on the base branch go in, and a question that names
/// a glob is marked for the person to read.
@Suite struct DashboardInboxTests {
  @Test func theApproveFormHoldsOnlyExistingLiteralPathsAndAGlobIsMarked() throws {
    let repo = try initialised()
    try repo.write("README.md", "# Project\n")
    try repo.git("add", "README.md")
    try repo.git("commit", "-qm", "readme")
    let w1 = try workspace(repo, agent: "w1")
    w1.allowsNewAgent = true
    try w1.run(EscalateOperation(question: "Approval needed to edit README.md **", severity: .high))
    try w1.run(EscalateOperation(question: "Approval needed to edit docs/guide.md", severity: .low))
    let lead = try workspace(repo)
    let view = try Dashboard(lead, period: .init(since: 0, until: lead.clock.now), timelineLimit: 10, conflicts: nil)
    let inbox = view.json["escalations"]?.arrayValue ?? []
    #expect(inbox.count == 2, "\(inbox)")
    let glob = try #require(inbox.first { $0["question"]?.stringValue?.hasSuffix("**") == true })
    #expect(glob["requestedFiles"] == .string("README.md"), "\(glob)")
    #expect(glob["asksGlob"] == .bool(true))
    let missing = try #require(inbox.first { $0["question"]?.stringValue?.hasSuffix("guide.md") == true })
    #expect(missing["requestedFiles"] == .string(""), "a path that does not exist is not offered")
    #expect(missing["asksGlob"] == .bool(false))
  }
}
