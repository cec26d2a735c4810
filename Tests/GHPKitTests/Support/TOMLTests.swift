import Testing

@testable import GHPKit

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
