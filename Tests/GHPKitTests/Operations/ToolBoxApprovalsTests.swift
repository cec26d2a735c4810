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
    #expect(listed["approvals"]?.arrayValue?.map { $0["id"] } == [.int(2)], "\(listed.compact())")
    let all = try ToolBox.call("list_approvals", arguments: ["all": .bool(true)], workspace: workspace(repo))
    #expect(all["approvals"]?.arrayValue?.count == 2)
    #expect(try workspace(repo).snapshot().listedApprovals(all: false).map(\.id) == ["2"])
  }
}

/// `null` for a typed argument is a wrong type like any other, for every argument of every tool:
/// `claim_task {"id": null}` claims nothing (it once claimed the next ready task).
@Suite struct ToolBoxNullTests {
  @Test func nullIsNoArgument() throws {
    let repo = try initialised(issues: 1)
    var checked = 0
    for tool in ToolBox.tools {
      for key in (tool.schema["properties"]?.objectValue ?? [:]).keys.sorted() {
        #expect(throws: GHPError.self, "\(tool.name).\(key)") {
          try ToolBox.validate(tool.name, arguments: [key: .null])
        }
        do { try ToolBox.validate(tool.name, arguments: [key: .null]) } catch {
          #expect(error.description.contains("got null") || error.description.contains("required"), "\(error)")
        }
        checked += 1
      }
    }
    #expect(checked > 20)
    #expect(throws: GHPError.self) {
      try ToolBox.call("claim_task", arguments: ["id": .null], workspace: workspace(repo, agent: "w1"))
    }
    #expect(try workspace(repo).snapshot().issueSummaries().allSatisfy { $0.status == .open })
  }
}
