/// `ghp remote set`: record the remote state changes go through, in `[remote]` of the config
/// (orchestrators). The rest of the human-edited file is kept as it is.
public struct SetRemoteOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "remote-set"

  /// The git remote state changes go through; nil removes `[remote]`, so they stay local.
  public var name: String?

  /// Sets the remote to `name`, or none.
  public init(name: String?) { self.name = name }

  /// Replaces the `[remote]` table of `.ghp/config.toml` (orchestrators only); nothing to do when
  /// the policy names that remote already.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, String?) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "set the remote")
    let text = try state.text(StatePaths.config) ?? Config().toml
    // Drop an existing [remote] table, then append the new one.
    var kept: [Substring] = []
    var inRemote = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let trimmed = line.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
      if trimmed.hasPrefix("[") { inRemote = trimmed.hasPrefix("[remote]") }
      if !inRemote { kept.append(line) }
    }
    while let last = kept.last, last.trimmingPrefix(while: { $0 == " " }).isEmpty { kept.removeLast() }
    var updated = kept.joined(separator: "\n") + "\n"
    if let name {
      updated +=
        "\n[remote]\n# State changes go through this git remote; a change counts once the server took it.\nname = \(TOML.quote(name))\n"
    }
    do { _ = try Config(toml: updated) } catch {
      throw .corruptConfig(commit: state.commit?.short ?? "", detail: error.detail)
    }
    if try state.config().remote == name { return (nil, name) }
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): " + (name.map { "state changes go through \($0)" } ?? "state changes stay local"),
        operation: record, agent: actor))
    change.put(StatePaths.config, text: updated)
    return (change, name)
  }
}
