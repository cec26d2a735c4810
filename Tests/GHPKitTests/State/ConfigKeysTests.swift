import GHPKit
import Testing

@Suite struct ConfigKeysTests {
  /// `ghp config set` refuses keys outside `Config.keys`: every key the policy file is written
  /// with must be among them, or a setting ghp itself documents would be refused.
  @Test func everyKeyOfTheWrittenPolicyIsKnown() throws {
    var config = Config.initial
    config.landing = LandingPolicy(base: "main")
    let written = try TOML.parse(config.toml).keys
    for key in written { #expect(Config.keys.contains(key), "\(key) is written but not known") }
    #expect(throws: GHPError.self) { try Config.requireKnown("staleafter ") }
    try Config.requireKnown("pushers.alice")
  }
}
