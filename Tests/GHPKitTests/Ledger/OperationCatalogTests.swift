import Testing

@testable import GHPKit

/// The catalog is a list of types, each declaring its name once: every one of them reads back the
/// record it writes, and a record of any other shape is refused.
@Suite struct OperationCatalogTests {
  static let tip = ObjectID(hex: String(repeating: "ab", count: 20))!
  static let base = ObjectID(hex: String(repeating: "cd", count: 20))!

  /// One operation of every type in the catalog, with its optional arguments set.
  static var samples: [any RecordedOperation] {
    var imported = ImportIssuesOperation(issues: [], source: "tasks.json")
    imported.document = tip
    var exit = RunOperation(action: .exit, token: "t1")
    exit.agent = "worker-1"
    exit.issue = "4"
    exit.outcome = .failed
    exit.reason = "the tests fail"
    exit.seconds = 12
    var own = RunOperation(action: .start, token: "t3")
    own.id = "run-2"
    own.ownDocument = true
    var adopt = RunOperation(action: .adopt, token: "t3")
    adopt.id = "run-1"
    adopt.replaces = "t1"
    var assign = RunOperation(action: .assign, token: "t1")
    assign.agent = "worker-1"
    assign.issue = "4"
    let gate = GateCommandResult(command: "swift test", exit: 1, milliseconds: 800, timedOut: false, tail: "1 failed")
    return [
      InitOperation(goal: "Ship it", key: "ssh-ed25519 AAAA lead@ghp"),
      StatusUpdateOperation(status: "testing", action: "Ran the tests", issueID: "4", isHeartbeat: true),
      StatusUpdateOperation(status: "blocked", isHeartbeat: false),
      ClaimOperation(issueID: "4"), ReleaseOperation(issueID: "4", reason: "later"),
      DoneOperation(
        issueID: "4", result: "Built",
        branch: DoneOperation.Branch(branch: "agent/w1", tip: tip, base: "main", baseTip: base)),
      FailOperation(issueID: "4", reason: "needs a database"), RetryOperation(issueID: "4"),
      AssignOperation(issueID: "4", agent: "w2"),
      AddIssueOperation(title: "Router", body: "Routes", priority: 1, dependencies: ["2"], scope: ["Sources/**"]),
      EditIssueOperation(issueID: "4", title: "Router v2", priority: 3), imported,
      SetPlanOperation(text: "# Plan"), DiscoverOperation(text: "The API is slow"),
      EscalateOperation(question: "Which table?", issueID: "4", severity: .high, context: "Two choices"),
      ResolveOperation(escalationID: "2", answer: "The first"),
      ApproveOperation(agent: "w1", globs: ["README.md"], once: true, note: "for #4"),
      RevokeOperation(approvalID: "3"), UseApprovalsOperation(ids: ["3"], commit: tip.hex),
      HandoffOperation(
        issueID: "4", receiver: "w2", note: "Tests remain",
        branch: BranchReport(name: "agent/w1", base: "main", exists: true)),
      ReapOperation(policy: .release), RegisterAgentOperation(name: "w3", role: .worker),
      UnregisterAgentOperation(name: "w3"), SetRemoteOperation(name: "origin"),
      SetConfigOperation(key: "staleAfter", value: "\"15m\""),
      NoticeLostClaimsOperation(notices: [.init(agent: "w1", issue: "4", reason: "lost the race")]),
      LandingLeaseOperation(base: "main", action: .acquire, token: "t2", host: "box", pid: 42, start: 7),
      PendingLandingOperation(
        base: "main", token: "t2", mode: .merge,
        entries: [PendingEntry(issue: "4", tip: tip, baseBefore: base, baseAfter: tip, merge: nil)], gate: [gate],
        log: nil),
      LandedOperation(base: "main", token: "t2", issues: ["4"], head: tip, recovered: false),
      BounceOperation(
        base: "main", token: "t2", issueID: "4", tip: tip, baseTip: base, kind: .gate, paths: [], gate: [gate],
        log: tip),
      RunOperation(action: .start, token: "t1"), own, adopt, assign, exit,
      BounceOperation(
        base: "main", token: "t2", issueID: "4", tip: tip, baseTip: base, kind: .policy, paths: ["README.md"],
        gate: [], log: nil, violations: ["commit abababa: README.md is a shared file"]),
      UseApprovalsOperation(ids: ["3"], commit: tip.hex, byLander: true),
      ReviewRequestOperation(base: "main", token: "t2", issueID: "4", tip: tip, tree: base, baseTip: base),
      ReviewOperation(issueID: "4", tree: base, verdict: .changes, text: "Add a test"),
      PendingLandingOperation(
        base: "main", token: "t2", mode: .merge,
        entries: [PendingEntry(issue: "4", tip: tip, baseBefore: base, baseAfter: tip, merge: tip, reviewed: base)],
        gate: [gate], log: nil),
      AddIssueOperation(title: "Faster parser", attempts: 3, vote: .score),
      TrialOperation(
        base: "main", token: "t2", issueID: "4.1", tip: tip, tree: base, baseTip: base, gate: [gate], score: nil,
        passed: false),
      TrialOperation(
        base: "main", token: "t2", issueID: "4.2", tip: tip, tree: base, baseTip: base, gate: [], score: 41.5,
        passed: true),
      VoteOperation(attemptID: "4.2", note: "Smallest diff"),
      DecideOperation(base: "main", token: "t2", issueID: "4"),
    ]
  }

  @Test func everyOperationReadsBackTheRecordItWrites() throws {
    for operation in Self.samples {
      let record = operation.record
      let decoded = try OperationCatalog.decode(record)
      #expect(decoded.record == record, "\(record.encoded) read back as \(decoded.record.encoded)")
      // Through the commit's text too: the trailer as written, decoded as `ghp verify` reads it.
      let text = try #require(try? OperationRecord.decode(record.encoded).get())
      #expect(try OperationCatalog.decode(text).record == record)
    }
  }

  @Test func theSamplesCoverTheWholeCatalogAndNamesAreUnique() {
    let sampled = Set(Self.samples.map(\.record.name))
    let catalogued = OperationCatalog.names
    #expect(Set(catalogued) == sampled, "an operation without a sample here: add one")
    #expect(Set(catalogued).count == catalogued.count, "two operations share a name")
    #expect(catalogued.count == OperationCatalog.operations.count + 1, "every type and the status update")
  }

  @Test func aRecordOfAnotherShapeIsRefusedNamingTheField() {
    for operation in Self.samples {
      let record = operation.record
      var extra = record
      extra.arguments["task_id"] = .string("4")
      #expect(throws: GHPError.self, "\(record.name) took an argument it does not read") {
        try OperationCatalog.decode(extra)
      }
    }
    #expect(throws: GHPError.self) { try OperationCatalog.decode(OperationRecord("claim-all")) }
  }
}
