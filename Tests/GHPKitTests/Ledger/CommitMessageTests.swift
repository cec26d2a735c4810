import Testing

@testable import GHPKit

@Suite struct CommitMessageTests {
  @Test func trailersRoundTrip() throws {
    let message = CommitMessage(
      subject: "worker-1: claim #147 Create dashboard command",
      operation: OperationRecord("claim", ["issue": .string("147")]),
      agent: "worker-1", issue: "147", epoch: 3)
    #expect(
      message.text == """
        worker-1: claim #147 Create dashboard command

        Ghp-Op: claim
        Ghp-Agent: worker-1
        Ghp-Issue: 147
        Ghp-Epoch: 3
        Ghp-Operation: {"args":{"issue":"147"},"op":"claim","v":1}

        """)
    #expect(CommitMessage.parse(message.text) == message)
  }

  @Test func freeTextNeverBecomesATrailer() throws {
    // The reproduction from the field: a reason that carries trailers of its own after a NUL.
    let forged = "flaky\n\nGhp-Op: claim\nGhp-Agent: evil\nGhp-Issue: 2\nGhp-Epoch: 1\u{0}"
    let message = CommitMessage(
      subject: "w1: fail #1 \(forged)", body: forged,
      operation: OperationRecord("fail", ["issue": .string("1"), "reason": .string(forged)]),
      agent: "w1", issue: "1")
    #expect(!message.text.utf8.contains(0))
    let parsed = try #require(CommitMessage.parse(message.text))
    #expect(parsed.agent == "w1")
    #expect(parsed.operation.arguments["reason"] == .string(forged))
    #expect(!parsed.subject.contains("\n"))
  }

  @Test func anOperationRecordHasOneCanonicalSpelling() throws {
    let record = OperationRecord("claim", ["issue": .string("1")])
    #expect(try OperationRecord.decode(record.encoded).get() == record)
    for other in [
      #"{"op":"claim","args":{"issue":"1"},"v":1}"#, #"{"args":{"issue":"1"},"op":"claim","v":2}"#, "claim",
    ] {
      #expect(throws: GHPError.self) { try OperationRecord.decode(other).get() }
    }
  }

  @Test func argumentsOfTheWrongTypeAreErrorsNamingTheField() throws {
    for wrong: [String: JSON] in [
      ["issue": .bool(true)], ["issue": .array([.int(1)])], ["issue": .double(1.5)], ["task_id": .string("1")], [:],
    ] {
      #expect(throws: GHPError.self) { try OperationCatalog.decode(OperationRecord("claim", wrong)) }
    }
    do {
      _ = try OperationCatalog.decode(OperationRecord("issue-add", ["title": .string("x"), "priority": .string("1")]))
      Issue.record("a priority given as a string was accepted")
    } catch {
      #expect(error.description.contains("priority"))
    }
  }

  @Test func aHandMadeCommitHasNoOperation() throws {
    #expect(CommitMessage.parse("fix typo in plan\n\nby hand\n") == nil)
  }
}
