import Testing

@testable import GHPKit

/// Operations and landing documents are `Codable` types read through ghp's own strict decoder:
/// every wrong field is refused with a sentence that names it, and what is written is what ghp
/// always wrote.
@Suite struct JSONCodingTests {
  static let tip = String(repeating: "ab", count: 20)
  static let base = String(repeating: "cd", count: 20)

  func refusal(_ name: String, _ fields: [String: JSON]) -> String {
    do {
      let operation = try OperationCatalog.decode(OperationRecord(name, fields))
      return "decoded as \(operation.record.encoded)"
    } catch {
      return error.description
    }
  }

  @Test func aWrongArgumentIsRefusedNamingItsPathWhatWasExpectedAndWhatCame() {
    #expect(
      refusal("claim", ["issue": .int(4)]) == "invalid argument 'issue' of claim: expected a string, got a number")
    #expect(
      refusal("claim", [:]) == "invalid argument 'issue' of claim: expected a string, got nothing (it is required)")
    #expect(
      refusal("claim", ["issue": .string("4"), "task_id": .string("4")])
        == "invalid argument 'task_id' of claim: claim takes no such argument")
    #expect(
      refusal("escalate", ["question": .string("Why?"), "severity": .string("urgent")])
        == "invalid argument 'severity' of escalate: 'urgent' is not one of low, medium, high, critical")
    #expect(
      refusal("approve", ["to": .string("w1"), "globs": .array([.string("a"), .int(2)])])
        == "invalid argument 'globs[1]' of approve: expected a string, got a number")
    #expect(
      refusal("release", ["issue": .string("4"), "tells": .string("yes")])
        == "invalid argument 'tells' of release: expected true or false, got a string")
  }

  @Test func nestedFieldsAreHeldToTheSameRules() {
    let landing: [String: JSON] = [
      "branch": .string("agent/w1"), "tip": .string("xyz"), "base": .string("main"), "baseTip": .string(Self.base),
    ]
    #expect(
      refusal("done", ["issue": .string("4"), "result": .string("ok"), "landing": .object(landing)])
        == "invalid argument 'landing.tip' of done: expected a commit id of 40 hex digits, got a string")
    let update: [String: JSON] = ["agent": .string("w1"), "progressed": .bool(true), "pid_": .int(4)]
    #expect(
      refusal("run", ["action": .string("tick"), "token": .string("t"), "updates": .array([.object(update)])])
        == "invalid argument 'updates[0].pid_' of run: run takes no such argument")
    #expect(
      refusal("run", ["action": .string("stop"), "token": .string("t")])
        == "invalid argument 'token' of run: run takes no such argument",
      "a field of another action is not read, so it is refused")
    #expect(
      refusal(
        "run",
        ["action": .string("finish"), "token": .string("t"), "state": .string("running"), "summary": .string("")])
        == "invalid argument 'state' of run: expected finished, stopped or failed, got running")
  }

  @Test func fieldsAddedLaterReadAsTheirOldBehaviourWhenAbsent() throws {
    let add = try recorded(AddIssueOperation.self, "issue-add", ["title": .string("Router")])
    #expect(add.body == "" && add.priority == 2 && add.dependencies.isEmpty)
    #expect(add.record.arguments["priority"] == .int(2), "written again, the default is spelt out")
    let approve = try recorded(ApproveOperation.self, "approve", ["to": .string("w1")])
    #expect(!approve.once && !approve.answersEscalations && approve.globs.isEmpty)
    #expect(approve.record.arguments["answersEscalations"] == nil, "a flag that is false is not written")
  }

  /// Evidence as `ghp land` wrote it before it was typed (keys, nulls and what is left out).
  static let pending = """
    {"base":"main","baseAfter":"\(tip)","baseBefore":"\(base)","batch":["4","5"],"by":"lead",\
    "gate":[{"command":"swift test","exit":0,"milliseconds":812,"tail":"ok","timedOut":false}],\
    "gatedAt":"2026-12-01T10:00:00Z","merge":null,"mode":"merge","tip":"\(tip)"}
    """
  static let landed = """
    {"base":"main","baseAfter":"\(tip)","baseBefore":"\(base)","batch":["4"],"by":"lead","gate":[],\
    "gatedAt":"2026-12-01T10:00:00Z","head":"\(tip)","landedAt":"2026-12-01T10:00:03Z",\
    "log":".ghp/results/04/4.gate.log","merge":"\(base)","mode":"squash","recovered":true,"tip":"\(tip)"}
    """
  static let bounced = """
    {"at":"2026-12-01T10:00:00Z","base":"main","baseTip":"\(base)","by":"lead","kind":"conflict",\
    "paths":["README.md"],"reason":"agent branch conflicts","tip":"\(tip)"}
    """

  func issue(_ extra: [String: JSON]) throws(DocumentError) -> GHPKit.Issue {
    var fields: [String: JSON] = [
      "id": .string("4"), "title": .string("Router"), "status": .string("done"),
      "createdAt": .string("2026-12-01T09:00:00Z"), "createdBy": .string("lead"),
    ]
    fields.merge(extra) { _, new in new }
    return try GHPKit.Issue(json: .object(fields))
  }

  @Test func landingDocumentsAreTypedAndWrittenBackAsTheyWere() throws {
    let pending = try JSON.parse(Self.pending)
    let landed = try JSON.parse(Self.landed)
    let bounced = try JSON.parse(Self.bounced)
    let read = try issue(["pending": pending, "landing": landed, "bounced": bounced])
    #expect(read.pending?.batch == ["4", "5"] && read.pending?.merge == nil && read.pending?.log == nil)
    #expect(read.pending?.gate.first?.passed == true)
    #expect(read.landing?.recovered == true && read.landing?.head?.hex == Self.tip)
    #expect(
      read.bounced?.kind == .conflict && read.bounced?.paths == ["README.md"] && read.bounced?.gate.isEmpty == true)
    #expect(read.json["pending"]?.compact() == Self.pending)
    #expect(read.json["landing"]?.compact() == Self.landed)
    #expect(read.json["bounced"]?.compact() == Self.bounced)
  }

  @Test func aLandingDocumentOfTheWrongShapeIsRefusedAndALaterGhpsFieldIsKept() throws {
    var fields = try #require(try JSON.parse(Self.landed).objectValue)
    func refusal() -> String {
      do { return "read as \(try issue(["landing": .object(fields)]).json.compact())" } catch { return error.detail }
    }
    fields["tip"] = .int(7)
    #expect(refusal() == "\"landing.tip\" must be a commit id of 40 hex digits, not a number")
    fields["tip"] = nil
    #expect(refusal() == "\"landing.tip\" must be a commit id of 40 hex digits, not nothing (it is required)")
    fields["tip"] = .string(Self.tip)
    fields["gate"] = .array([.object(["command": .string("make"), "exit": .int(0)])])
    #expect(refusal().hasPrefix("\"landing.gate[0].milliseconds\" must be a whole number"), "\(refusal())")
    // A field a later ghp writes is kept, and written back as it was.
    fields["gate"] = .array([])
    fields["approvedBy"] = .string("lead")
    let read = try issue(["landing": .object(fields)])
    #expect(read.landing?.extra == ["approvedBy": .string("lead")])
    #expect(read.json["landing"] == .object(fields))
  }

  @Test func numbersOfOtherWidthsAreReadOrRefusedNotLooped() throws {
    struct Widths: Codable, Equatable {
      var small: Int32
      var ratio: Float
    }
    #expect(try JSONDecoding.decode(Widths.self, from: .object(["small": .int(7), "ratio": .double(0.5)])).small == 7)
    #expect(throws: FieldError.self) {
      try JSONDecoding.decode(Widths.self, from: .object(["small": .int(1 << 40), "ratio": .int(1)]))
    }
  }

  @Test func aRunRecordsBreakerIsReadAsStrictlyAsTheRest() {
    let breaker: JSON = .object([
      "state": .string("open"), "failures": .array([]), "openedAt": .string("2026-12-01T10:00:00Z"),
      "bogus": .int(1),
    ])
    #expect(
      refusal("run", ["action": .string("tick"), "token": .string("t"), "updates": .array([]), "breaker": breaker])
        == "invalid argument 'breaker.bogus' of run: run takes no such argument")
    var late = breaker.objectValue!
    late["bogus"] = nil
    late["openedAt"] = .int(5)
    #expect(
      refusal(
        "run", ["action": .string("tick"), "token": .string("t"), "updates": .array([]), "breaker": .object(late)])
        == "invalid argument 'breaker.openedAt' of run: expected a string, got a number")
  }
}
