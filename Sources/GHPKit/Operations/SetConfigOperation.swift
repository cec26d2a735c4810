/// `ghp config set`: one setting of `.ghp/config.toml` (orchestrators). The rest of the file, its
/// comments among it, stays as it is; the result must still be a valid policy.
public struct SetConfigOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "config-set"

  /// The setting: a top-level key (`staleAfter`) or `table.key` (`shared.globs`).
  public var key: String
  /// The value as TOML (`"10m"`, `5`, `true`, `["README*"]`).
  public var value: String

  /// Sets `key` to `value`, a TOML value.
  public init(key: String, value: String) {
    self.key = key
    self.value = value
  }

  /// Rewrites that one setting of `.ghp/config.toml` (orchestrators only) and returns the policy;
  /// refused when the result is not a valid policy.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Config) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "change the policy")
    let text = try state.text(StatePaths.config) ?? Config().toml
    let updated = try TOMLEdit.set(key, to: value, in: text)
    let config: Config
    do { config = try Config(toml: updated) } catch { throw .invalidValue("\(key) = \(value)", error.detail) }
    if updated == text { return (nil, config) }
    var change = Change(
      message: CommitMessage(subject: "\(actor): config \(key) = \(value)", operation: record, agent: actor))
    change.put(StatePaths.config, text: updated)
    return (change, config)
  }
}

extension SetConfigOperation {
  /// A value as a person types it: TOML when it reads as TOML (`5`, `true`, `["a"]`, `"text"`),
  /// otherwise text, quoted (`15m` -> `"15m"`).
  public static func tomlValue(_ typed: String) -> String {
    if (try? TOML.parse("x = \(typed)\n")) != nil { return typed }
    return TOML.quote(typed)
  }
}
