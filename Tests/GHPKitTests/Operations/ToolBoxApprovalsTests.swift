import GHPTestSupport
import Testing

@testable import GHPKit

/// The MCP tool lists approvals as `ghp approvals` does: those in force, and with `all` used-up and
/// revoked ones too.
@Suite struct ToolBoxApprovalsTests {
  @Test func listApprovalsLeavesUsedUpOnesToAll() throws {
    let repo = try initialised()
    try workspace(repo).run(ApproveOperation(agent: "w1", globs: ["README.md"], once: true, note: nil))
    try workspace(repo).run(ApproveOperation(agent: "w1", globs: ["docs/**"], once: false, note: nil))
    try workspace(repo, agent: "w1").run(UseApprovalsOperation(ids: ["1"]))
    let listed = try ToolBox.call("list_approvals", arguments: ["agent": .string("w1")], workspace: workspace(repo))
    #expect(listed.arrayValue?.map { $0["id"] } == [.string("2")], "\(listed.compact())")
    let all = try ToolBox.call("list_approvals", arguments: ["all": .bool(true)], workspace: workspace(repo))
    #expect(all.arrayValue?.count == 2)
    #expect(try workspace(repo).snapshot().listedApprovals(all: false).map(\.id) == ["2"])
  }
}
