import Testing

@testable import GHPKit

@Suite struct TimeTests {
  @Test func formatsAndParsesRFC3339() {
    #expect(RFC3339.format(0) == "1970-01-01T00:00:00Z")
    #expect(RFC3339.format(1_737_801_000) == "2025-01-25T10:30:00Z")
    #expect(RFC3339.parse("2025-01-25T10:30:00Z") == 1_737_801_000)
    #expect(RFC3339.parse("2025-01-25T11:30:00.123+01:00") == 1_737_801_000)
    #expect(RFC3339.parse("2025-01-25 10:30:00z") == 1_737_801_000)
  }

  @Test(arguments: [
    "", "2025-01-25", "2025-13-01T00:00:00Z", "2025-01-25T10:30:00", "yesterday", "2025-01-25T10:30:00Zx",
  ])
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
