import Foundation
import GHPTestSupport
import Testing

@testable import GHPKit

@Suite struct ClaimTests {
  @Test func claimIsExclusiveAndEachChangeOfHandsGrowsTheEpoch() throws {
    let repo = try initialised(issues: 1)
    let first = try workspace(repo, agent: "w1").run(ClaimOperation(issueID: "1"))
    #expect(first.result.issue.epoch == 1)
    #expect(first.result.issue.assignee == "w1")

    let refusal = try #require(caught { try workspace(repo, agent: "w2").run(ClaimOperation(issueID: "1")) })
    #expect(refusal.isRefusal)
    #expect(refusal.description == "#1 is held by w1 since 2025-01-25T10:30:00Z (epoch 1)")

    let again = try workspace(repo, agent: "w1").run(ClaimOperation(issueID: "1"))
    #expect(again.commit == nil)
    #expect(again.result.alreadyHeld)

    let released = try workspace(repo, agent: "w1").run(ReleaseOperation(issueID: "1"))
    #expect(released.result.epoch == 2)
    let second = try workspace(repo, agent: "w2").run(ClaimOperation(issueID: "1"))
    #expect(second.result.issue.epoch == 3)
  }

  @Test func onlyTheHolderOrAnOrchestratorReleases() throws {
    let repo = try initialised(issues: 1)
    try workspace(repo, agent: "w1").run(ClaimOperation(issueID: "1"))
    #expect(throws: GHPError.self) { try workspace(repo, agent: "w2").run(ReleaseOperation(issueID: "1")) }
    let byLead = try workspace(repo, agent: "lead").run(ReleaseOperation(issueID: "1"))
    #expect(byLead.result.assignee == nil)
    let status = try workspace(repo).snapshot().agents()
    #expect(status.agents["w1"]?.issue == nil)
  }

  @Test func unknownIssuesAndNamesFailWithoutWriting() throws {
    let repo = try initialised()
    let before = try repo.git("rev-parse", "ghp/state")
    #expect(throws: GHPError.self) { try workspace(repo, agent: "w1").run(ClaimOperation(issueID: "9")) }
    #expect(throws: GHPError.self) { try workspace(repo, agent: "bad/name").run(ClaimOperation(issueID: "9")) }
    #expect(try repo.git("rev-parse", "ghp/state") == before)
  }
}

@Suite struct AuthorityTests {
  @Test func onlyAnOrchestratorCreatesIssues() throws {
    let repo = try initialised()
    let refusal = try #require(caught { try workspace(repo, agent: "w1").run(AddIssueOperation(title: "Sneaky")) })
    #expect(refusal.isRefusal)
    #expect(refusal.description.contains("w1 is not an orchestrator"))
    #expect(throws: GHPError.self) { try workspace(repo).run(AddIssueOperation(title: "   ")) }
    #expect(try workspace(repo).run(AddIssueOperation(title: "Real")).result.id == "1")
    #expect(try workspace(repo).run(AddIssueOperation(title: "Next")).result.id == "2")
  }

  @Test func theConfigCanNameMoreOrchestrators() throws {
    let repo = try initialised()
    let ws = try workspace(repo)
    try ws.run(SetConfigOperation(key: "roles.orchestrators", value: #"["boss"]"#))
    #expect(try workspace(repo, agent: "boss").run(AddIssueOperation(title: "By boss")).result.createdBy == "boss")
  }

  @Test func aStatusMayNameOnlyAnIssueTheAgentHolds() throws {
    let repo = try initialised(issues: 2)
    try workspace(repo, agent: "w1").run(ClaimOperation(issueID: "1"))
    #expect(throws: GHPError.self) {
      try workspace(repo, agent: "w2").run(StatusUpdateOperation(issueID: "1", isHeartbeat: true))
    }
    #expect(throws: GHPError.self) {
      try workspace(repo, agent: "w1").run(StatusUpdateOperation(issueID: "2", isHeartbeat: true))
    }
    let ok = try workspace(repo, agent: "w1").run(
      StatusUpdateOperation(status: "testing", issueID: "1", isHeartbeat: true))
    #expect(ok.result.record.issue == "1")
  }
}

@Suite struct IdentityTests {
  @Test func resolutionOrder() throws {
    let repo = try ScratchRepository()
    #expect(throws: GHPError.self) { try Workspace(path: repo.path, environment: [:]).actor() }
    try repo.git("checkout", "-q", "-b", "agent/from-branch")
    #expect(try Workspace(path: repo.path, environment: [:]).actor() == "from-branch")
    try repo.git("config", "ghp.agent", "from-config")
    #expect(try Workspace(path: repo.path, environment: [:]).actor() == "from-config")
    try Workspace(path: repo.path, environment: [:]).recordIdentity("from-worktree")
    #expect(try Workspace(path: repo.path, environment: [:]).actor() == "from-worktree")
    #expect(try repo.git("config", "ghp.agent") == "from-worktree")
    #expect(try Workspace(path: repo.path, environment: ["GHP_AGENT": "from-env"]).actor() == "from-env")
    #expect(
      try Workspace(path: repo.path, agent: "explicit", environment: ["GHP_AGENT": "from-env"]).actor() == "explicit")
    #expect(throws: GHPError.self) { try Workspace(path: repo.path, environment: ["GHP_AGENT": "no/slash"]).actor() }
  }

  @Test func initRecordsTheCallerMadeFromUserName() throws {
    let repo = try ScratchRepository()
    let ws = try Workspace(path: repo.path, environment: [:])
    let landed = try InitSession.initialise(ws, goal: "G", config: Config())
    #expect(landed.result.orchestrator == "test-human")
    #expect(try repo.git("config", "ghp.agent") == "test-human")
    #expect(try ws.snapshot().role(of: "test-human") == .orchestrator)
    #expect(throws: GHPError.self) { try InitSession.initialise(ws, goal: "again", config: Config()) }
  }
}

@Suite struct StatusTests {
  @Test func staleIsAHeartbeatOlderThanStaleAfter() throws {
    let repo = try initialised(issues: 1)
    try workspace(repo, agent: "w1", now: "2025-01-25T10:29:00Z").run(ClaimOperation(issueID: "1"))
    try workspace(repo, agent: "w1", now: "2025-01-25T10:30:00Z").run(
      StatusUpdateOperation(status: "implementing", action: "A", isHeartbeat: true))
    // An idle worker as silent as w1: nobody waits on it either.
    try workspace(repo, agent: "w3", now: "2025-01-25T10:30:00Z").run(
      StatusUpdateOperation(status: nil, action: "Idle", isHeartbeat: true))
    try workspace(repo, agent: "w2", now: "2025-01-25T10:35:00Z").run(
      StatusUpdateOperation(status: "testing", action: "B", isHeartbeat: true))
    let at = try workspace(repo, now: "2025-01-25T10:41:00Z")
    let report = try StatusReport(state: at.snapshot(), clock: at.clock)
    let stale = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.name, $0.stale) })
    // The orchestrator is as silent as w1 but holds nothing: nobody waits on it.
    #expect(stale == ["lead": false, "w1": true, "w2": false, "w3": false])
    #expect(report.rows.filter(\.reapable).map(\.name) == ["w1"])
    #expect(report.json["agents"]?["w1"]?["stale"] == .bool(true))
    #expect(report.json["agents"]?["w2"]?["lastAction"] == .string("B"))
    #expect(report.table().contains("STALE"))
  }

  @Test func theDocumentKeepsTheSeedShapeAndUnknownFields() throws {
    let seed = try JSON.parse(
      #"{"agents": {"worker-1": {"issue": 147, "status": "implementing", "lastAction": "Created dashboard command skeleton", "timestamp": "2025-01-25T10:30:00Z", "mood": "good"}}}"#
    )
    let document = try AgentStatusDocument(json: seed)
    #expect(document.agents["worker-1"]?.issue == "147")
    #expect(document.json["agents"]?["worker-1"]?["issue"] == .int(147))
    #expect(document.json["agents"]?["worker-1"]?["mood"] == .string("good"))
  }
}
