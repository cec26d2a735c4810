import Testing

@testable import GHPKit

@Suite struct RunPartsTests {
  @Test func commandLinesSplitAsAShellWouldWithoutExpanding() throws {
    #expect(
      try AgentCommand.words("claude -p 'two words' \"a \\\"q\\\"\" x\\ y $HOME") == [
        "claude", "-p", "two words", "a \"q\"", "x y", "$HOME",
      ])
    #expect(throws: GHPError.self) { try AgentCommand.words("claude 'oops") }
    #expect(throws: GHPError.self) { try AgentCommand.words("   ") }
    #expect(throws: GHPError.self) { try AgentCommand.words("a\0b") }
    #expect(try AgentCommand("claude").format == .claude)
    #expect(try AgentCommand("codex").words.first == "codex")
    #expect(try AgentCommand("./my agent").preset == nil)
  }

  @Test func moneyIsWholeMillionths() {
    #expect(Money.parse("5") == 5_000_000)
    #expect(Money.parse("$0.50") == 500_000)
    #expect(Money.parse("1.000001") == 1_000_001)
    #expect(Money.parse("1.0000001") == nil)
    #expect(Money.parse("-1") == nil)
    #expect(Money.parse("lots") == nil)
    #expect(Money.parse("99999999999999999999") == nil)
    #expect(Money.format(5_000_000) == "$5.00")
    #expect(Money.format(7_500_000) == "$7.50")
    #expect(Money.format(1_234) == "$0.001234")
  }

  @Test func claudeAndCodexOutputGiveActionsCostAndTokens() {
    var claude = AgentOutput()
    #expect(
      claude.consume(
        #"{"type":"assistant","message":{"content":[{"type":"tool_use","name":"Bash","input":{"command":"swift test"}}],"usage":{"input_tokens":100,"output_tokens":20}}}"#
      ) == "Bash: swift test")
    #expect(claude.tokens == 120)
    _ = claude.consume(
      #"{"type":"result","is_error":false,"total_cost_usd":0.25,"usage":{"input_tokens":300,"output_tokens":50}}"#)
    #expect(claude.costMicros == 250_000)
    #expect(claude.tokens == 350)
    var codex = AgentOutput()
    #expect(
      codex.consume(#"{"type":"item.completed","item":{"type":"command_execution","command":"make"}}"#) == "Ran: make")
    _ = codex.consume(#"{"type":"turn.completed","usage":{"input_tokens":10,"output_tokens":5}}"#)
    _ = codex.consume(#"{"type":"turn.completed","usage":{"input_tokens":10,"output_tokens":5}}"#)
    #expect(codex.tokens == 30)
    // Claude's stream-json repeats a message's whole usage on each of its content blocks (a text
    // and a tool call of message msg_01): it counts once, then a second message adds its own.
    var blocks = AgentOutput()
    let message =
      #"{"type":"assistant","message":{"id":"msg_01","content":[CONTENT],"usage":{"input_tokens":300,"output_tokens":12}}}"#
    _ = blocks.consume(message.replacingOccurrences(of: "CONTENT", with: #"{"type":"text","text":"Looking"}"#))
    _ = blocks.consume(
      message.replacingOccurrences(of: "CONTENT", with: #"{"type":"tool_use","name":"Read","input":{"file_path":"a"}}"#)
    )
    #expect(blocks.tokens == 312)
    _ = blocks.consume(
      #"{"type":"assistant","message":{"id":"msg_02","content":[{"type":"text","text":"Done"}],"usage":{"input_tokens":90,"output_tokens":10}}}"#
    )
    #expect(blocks.tokens == 412)
    // What went wrong, from the error events; codex's file changes and MCP calls are progress.
    var failing = AgentOutput()
    _ = failing.consume(
      #"{"type":"result","subtype":"error_max_turns","is_error":true,"result":"Reached max turns (3)"}"#)
    #expect(failing.errorText == "Reached max turns (3)")
    var codexFailing = AgentOutput()
    #expect(
      codexFailing.consume(
        #"{"type":"item.completed","item":{"id":"item_2","type":"file_change","changes":[{"path":"a.swift","kind":"update"}],"status":"completed"}}"#
      ) == "Changed: a.swift")
    #expect(
      codexFailing.consume(
        #"{"type":"item.completed","item":{"id":"item_3","type":"mcp_tool_call","server":"ghp","tool":"heartbeat","status":"completed"}}"#
      ) == "Called: ghp.heartbeat")
    _ = codexFailing.consume(#"{"type":"turn.failed","error":{"message":"stream disconnected before completion"}}"#)
    #expect(codexFailing.errorText == "stream disconnected before completion")
    var plain = AgentOutput()
    #expect(plain.consume("compiling \u{1B}[31mred")?.unicodeScalars.contains("\u{1B}") == false)
    #expect(plain.consume("{not json") == "{not json")
  }

  @Test func aRunRecordWithAnArgumentOfTheWrongTypeIsRefused() throws {
    let good = try recorded(
      RunOperation.self, "run",
      [
        "action": .string("exit"), "token": .string("t"), "agent": .string("w"),
        "issue": .string("1"), "outcome": .string("failed"), "seconds": .int(3), "costMicros": .int(0),
        "tokens": .int(0),
      ])
    #expect(good.outcome == .failed)
    for (key, value) in [
      ("seconds", JSON.string("3")), ("outcome", .string("won")), ("costMicros", .int(-1)),
      ("action", .string("delete")),
    ] {
      var fields: [String: JSON] = [
        "action": .string("exit"), "token": .string("t"), "agent": .string("w"), "issue": .string("1"),
        "outcome": .string("failed"), "seconds": .int(3), "costMicros": .int(0), "tokens": .int(0),
      ]
      fields[key] = value
      #expect(throws: GHPError.self) { try recorded(RunOperation.self, "run", fields) }
    }
  }

  @Test func agentSettingsAreCheckedByKey() throws {
    let config = try Config(
      toml: "[agent]\ncommand = \"codex\"\ntaskTimeout = \"2m\"\nbudgetUSD = \"0.5\"\nbreaker = 2\n")
    #expect(config.agent.command == "codex")
    #expect(config.agent.taskTimeout == 120)
    #expect(config.agent.budget.micros == 500_000)
    #expect(config.agent.breaker == 2)
    #expect(try Config(toml: "agentCommand = \"claude\"\n").agent.command == "claude")
    #expect(try Config(toml: "[agent]\nmaxAttempts = 5\n").maxAttempts == 5)
    #expect(throws: DocumentError.self) { try Config(toml: "maxAttempts = 2\n[agent]\nmaxAttempts = 5\n") }
    for bad in [
      "[agent]\nmaxWorkers = 0\n", "[agent]\ntaskTimeout = \"soon\"\n", "[agent]\nbudgetUSD = \"-2\"\n",
      "[agent]\ncommand = \"a 'b\"\n",
    ] {
      #expect(throws: DocumentError.self) { try Config(toml: bad) }
    }
  }
}

/// Records written before a behaviour existed replay as they were made, so `ghp verify` still
/// accepts old histories: the new behaviours are named in the records that have them.
@Suite struct OlderRecordsTests {
  @Test func anApprovalRecordedWithoutTheFlagAnswersNothing() throws {
    let repo = try initialised()
    try workspace(repo, agent: "w1").run(EscalateOperation(question: "Approval needed to edit README.md"))
    let old = try recorded(
      ApproveOperation.self, "approve",
      ["to": .string("w1"), "globs": .array([.string("README.md")]), "once": .bool(false)])
    let replayed = try workspace(repo).run(old)
    #expect(replayed.result.resolvedEscalations.isEmpty)
    #expect(try workspace(repo).snapshot().escalation("1")?.status == .open)
    let fresh = try workspace(repo).run(ApproveOperation(agent: "w1", globs: ["README.md"], once: false, note: nil))
    #expect(fresh.result.resolvedEscalations == ["1"])
    #expect(
      fresh.commit.flatMap { try? repo.git("log", "-1", "--format=%B", $0.hex) }?.contains(
        "\"answersEscalations\":true") == true)
  }

  @Test func aHeartbeatRecordedWithoutTheFlagTellsByTimeAndWritesNothingBack() throws {
    let repo = try initialised()
    try workspace(repo, agent: "w1", now: "2025-01-25T10:00:00Z").run(EscalateOperation(question: "Which database?"))
    try workspace(repo, now: "2025-01-25T10:01:00Z").run(ResolveOperation(escalationID: "1", answer: "Postgres"))
    let old = try recorded(StatusUpdateOperation.self, "heartbeat", ["status": .null, "action": .null, "issue": .null])
    let beat = try workspace(repo, agent: "w1", now: "2025-01-25T10:02:00Z").run(old)
    #expect(beat.result.answers.map(\.id) == ["1"])
    #expect(beat.result.record.status == "escalated", "an older record does not clear the status")
    #expect(try workspace(repo).snapshot().escalation("1")?.told == nil)
  }

  @Test func aReleaseRecordedWithoutTheFlagTellsTheHolderNothing() throws {
    let repo = try initialised(issues: 2)
    try workspace(repo, agent: "w1").run(ClaimOperation(issueID: "1"))
    try workspace(repo, agent: "w1").run(ClaimOperation(issueID: "2"))
    try workspace(repo).run(try recorded(ReleaseOperation.self, "release", ["issue": .string("1"), "reason": .null]))
    #expect(try workspace(repo).snapshot().agents().agents["w1"]?.lostClaims.isEmpty == true)
    let fresh = try workspace(repo).run(ReleaseOperation(issueID: "2", reason: "reassigned"))
    #expect(try workspace(repo).snapshot().agents().agents["w1"]?.lostClaims.map(\.issue) == ["2"])
    #expect(
      fresh.commit.flatMap { try? repo.git("log", "-1", "--format=%B", $0.hex) }?.contains("\"tells\":true") == true)
  }

  @Test func aRevokeRecordedWithoutTheFlagKeepsNothing() throws {
    let repo = try initialised()
    try workspace(repo).run(ApproveOperation(agent: "w1", globs: ["README.md"], once: false, note: nil))
    try workspace(repo).run(ApproveOperation(agent: "w1", globs: ["docs/**"], once: false, note: nil))
    try workspace(repo).run(try recorded(RevokeOperation.self, "revoke", ["id": .string("1")]))
    #expect(try workspace(repo).snapshot().revokedApprovals().isEmpty)
    try workspace(repo).run(RevokeOperation(approvalID: "2"))
    let kept = try workspace(repo).snapshot().revokedApprovals()
    #expect(kept.map(\.id) == ["2"] && kept.first?.revokedBy == "lead" && kept.first?.isActive == false)
    #expect(try workspace(repo).snapshot().approvals().isEmpty)
  }
}

extension OlderRecordsTests {
  @Test func aLostClaimsNoticeRecordedWithoutTheFlagRegistersNobody() throws {
    let repo = try initialised(issues: 1)
    try workspace(repo, agent: "w1").run(ClaimOperation(issueID: "1"))
    let notice = ["agent": JSON.string("ghost"), "issue": .string("1"), "reason": .string("lost the race")]
    try workspace(repo).run(
      try recorded(NoticeLostClaimsOperation.self, "claims-lost", ["notices": .array([.object(notice)])]))
    #expect(try workspace(repo).snapshot().agents().agents["ghost"] == nil)
    let fresh = try workspace(repo).run(
      NoticeLostClaimsOperation(notices: [.init(agent: "ghost", issue: "1", reason: "lost the race")]))
    #expect(try workspace(repo).snapshot().agents().agents["ghost"]?.lostClaims.map(\.issue) == ["1"])
    #expect(
      fresh.commit.flatMap { try? repo.git("log", "-1", "--format=%B", $0.hex) }?.contains("\"registers\":true")
        == true)
  }
}

/// The operation a record of `name` with `fields` decodes to, as `ghp verify` reads it.
func recorded<Operation: RecordedOperation>(
  _ type: Operation.Type, _ name: String, _ fields: [String: JSON]
) throws -> Operation {
  let decoded = try OperationCatalog.decode(OperationRecord(name, fields))
  guard let operation = decoded as? Operation else { throw GHPError.io("\(name) decoded as \(decoded)") }
  return operation
}

/// What counts as bubblewrap failing to make a sandbox (then the command never ran, and is started
/// again): its own lines alone, whatever notes the lander wrote around them.
@Suite struct SandboxSetUpTests {
  @Test func onlyBubblewrapsOwnLinesMeanItRanNothing() {
    let failed =
      "bwrap: Can't bind mount /oldroot/ on /newroot/: Unable to apply mount flags: remount \"/newroot/run/netns/lab1\": Invalid argument\n"
    #expect(GateSandbox.failedToSetUp(Array(failed.utf8)))
    let noted = "ghp land: no cgroups can be made here; the gate's processes and memory are not bounded\n" + failed
    #expect(GateSandbox.failedToSetUp(Array(noted.utf8)))
    #expect(!GateSandbox.failedToSetUp(Array((failed + "tests: 3 failed\n").utf8)))
    #expect(!GateSandbox.failedToSetUp(Array("ghp land: no cgroups can be made here\n".utf8)))
    #expect(!GateSandbox.failedToSetUp([]))
  }
}
