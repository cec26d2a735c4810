import Testing

@testable import GHPKit

@Suite struct JSONTests {
  @Test func canonicalFormSortsKeysIndentsAndEndsWithNewline() throws {
    let value = try JSON.parse(#"{"b": [1, 2.5, "x"], "a": {"z": null, "y": true}, "c": []}"#)
    let text = String(decoding: value.canonical(), as: UTF8.self)
    #expect(
      text == """
        {
          "a": {
            "y": true,
            "z": null
          },
          "b": [
            1,
            2.5,
            "x"
          ],
          "c": []
        }

        """)
  }

  @Test func sameDocumentGivesSameBytes() throws {
    let one = try JSON.parse(#"{"x": 1, "y": "two", "z": [true]}"#)
    let two = try JSON.parse(#"{"z":[true],"y":"two","x":1}"#)
    #expect(one.canonical() == two.canonical())
  }

  @Test func stringsRoundTripThroughEscapes() throws {
    let original = "quote \" backslash \\ newline \n tab \t control \u{01} snow ☃ emoji 🎉"
    let written = JSON.object(["s": .string(original)]).compact()
    #expect(try JSON.parse(written)["s"]?.stringValue == original)
    #expect(try JSON.parse(#""\ud83c\udf89 \u00e9""#).stringValue == "🎉 é")
  }

  @Test(arguments: ["", "{", #"{"a" 1}"#, "[1,]", "tru", #""unterminated"#, "{} x", "01x", #"{"a":1,}"#])
  func invalidTextIsRefused(_ text: String) throws {
    #expect(throws: JSONParseError.self) { try JSON.parse(text) }
  }

  @Test func numbersKeepTheirKind() throws {
    let value = try JSON.parse("[0, -12, 3.25, 1e3]")
    #expect(value.arrayValue == [.int(0), .int(-12), .double(3.25), .double(1000)])
    #expect(JSON.double(1000).compact() == "1000")
  }
}

@Suite struct TOMLTests {
  @Test func readsTheConfigSubset() throws {
    let values = try TOML.parse(
      """
      # comment
      staleAfter = "10m"   # trailing comment
      maxAttempts = 3
      literal = 'C:\\path'
      [roles]
      orchestrators = [
        "alice", # first
        "bob",
      ]
      [shared]
      appliesToOrchestrators = true
      """)
    #expect(values["staleAfter"] == .string("10m"))
    #expect(values["maxAttempts"] == .integer(3))
    #expect(values["literal"] == .string("C:\\path"))
    #expect(values["roles.orchestrators"] == .array([.string("alice"), .string("bob")]))
    #expect(values["shared.appliesToOrchestrators"] == .boolean(true))
  }

  @Test(arguments: ["x = ", "x = \"open", "[roles", "x = 1 2", "x = 1\nx = 2", "= 3", "x = [1,"])
  func malformedLinesAreErrorsWithTheirLine(_ text: String) throws {
    #expect(throws: TOML.ParseError.self) { try TOML.parse(text) }
  }

  @Test func writtenConfigReadsBackTheSame() throws {
    var config = Config()
    config.staleAfter = 90
    config.orchestrators = ["ann \"the\" lead"]
    config.onStale = .release
    #expect(try Config(toml: config.toml) == config)
  }

  @Test func invalidPolicyValuesAreNamed() throws {
    #expect(throws: DocumentError.self) { try Config(toml: "staleAfter = \"soon\"") }
    #expect(throws: DocumentError.self) { try Config(toml: "onStale = \"panic\"") }
    #expect(throws: DocumentError.self) { try Config(toml: "maxAttempts = 0") }
  }

  @Test func landingIsOffUntilConfiguredAndReadsEveryField() throws {
    #expect(try Config(toml: "staleAfter = \"10m\"").landing == nil)
    let text = """
      baseBranch = "trunk"
      [landing]
      gate = ["swift build", "swift test"]
      timeout = "90s"
      mode = "rebase"
      batch = 4
      maxWait = "2h"
      """
    let landing = try #require(try Config(toml: text).landing)
    #expect(landing.base == "trunk", "the base defaults to baseBranch")
    #expect(landing.gate == ["swift build", "swift test"])
    #expect(landing.timeout == 90 && landing.maxWait == 7200 && landing.batch == 4 && landing.mode == .rebase)
    #expect(landing.leaseStaleAfter == 90 + 300)
  }

  @Test(arguments: [
    "[landing]\nbatch = 0", "[landing]\nbatch = 65", "[landing]\nmode = \"yolo\"", "[landing]\ngate = [1]",
    "[landing]\ngate = [\" \"]", "[landing]\ntimeout = \"0s\"", "[landing]\ntimeout = \"forever\"",
    "[landing]\nbase = \"main..x\"", "[landing]\nbase = \"\"", "[landing]\nbase = \"a//b\"",
  ])
  func badLandingPoliciesAreRefused(_ text: String) throws {
    #expect(throws: DocumentError.self) { try Config(toml: text) }
  }
}

@Suite struct TimeTests {
  @Test func formatsAndParsesRFC3339() {
    #expect(RFC3339.format(0) == "1970-01-01T00:00:00Z")
    #expect(RFC3339.format(1_737_801_000) == "2025-01-25T10:30:00Z")
    #expect(RFC3339.parse("2025-01-25T10:30:00Z") == 1_737_801_000)
    #expect(RFC3339.parse("2025-01-25T11:30:00.123+01:00") == 1_737_801_000)
    #expect(RFC3339.parse("2025-01-25 10:30:00z") == 1_737_801_000)
  }

  @Test(arguments: ["", "2025-01-25", "2025-13-01T00:00:00Z", "2025-01-25T10:30:00", "yesterday", "2025-01-25T10:30:00Zx"])
  func rejectsWhatIsNotRFC3339(_ text: String) {
    #expect(RFC3339.parse(text) == nil)
  }

  @Test func readsDurations() throws {
    #expect(Duration.seconds("600") == 600)
    #expect(Duration.seconds("10m") == 600)
    #expect(Duration.seconds("2h") == 7200)
    #expect(Duration.seconds("ten") == nil)
    #expect(Duration.describe(3600 + 600) == "1h10m")
  }

  @Test func clockTakesGHPNow() throws {
    #expect(try Clock.fromEnvironment(["GHP_NOW": "2025-01-25T10:30:00Z"]).now == 1_737_801_000)
    #expect(throws: GHPError.self) { try Clock.fromEnvironment(["GHP_NOW": "noon"]) }
  }
}

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
    #expect(throws: GHPError.self) { try IssueID.validate("../x") }
    #expect(try IssueID.validate("#12") == "12")
  }
}

@Suite struct CommitMessageTests {
  @Test func trailersRoundTrip() throws {
    let message = CommitMessage(
      subject: "worker-1: claim #147 Create dashboard command", operation: OperationRecord("claim", ["issue": .string("147")]),
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
      subject: "w1: fail #1 \(forged)", body: forged, operation: OperationRecord("fail", ["issue": .string("1"), "reason": .string(forged)]),
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
    for other in [#"{"op":"claim","args":{"issue":"1"},"v":1}"#, #"{"args":{"issue":"1"},"op":"claim","v":2}"#, "claim"] {
      #expect(throws: GHPError.self) { try OperationRecord.decode(other).get() }
    }
  }

  @Test func argumentsOfTheWrongTypeAreErrorsNamingTheField() throws {
    for wrong: [String: JSON] in [["issue": .bool(true)], ["issue": .array([.int(1)])], ["issue": .double(1.5)], ["task_id": .string("1")], [:]] {
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
