/// `ghp discover`: appends a finding to `.ghp/discoveries.md` for every agent to read.
public struct DiscoverOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "discover"

  /// The finding, trimmed when applied; refused when empty or too long.
  public var text: String

  /// Appends `text` as a discovery by the actor.
  public init(text: String) { self.text = text }

  /// Appends the entry to `.ghp/discoveries.md`, naming the issue the actor holds.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Discovery) {
    try state.requireInitialised()
    let text = text.trimmingSpaces
    guard !text.isEmpty else { throw .emptyText("the discovery") }
    try TextLimit.check(text, "the discovery", TextLimit.note)
    let issue = try state.agents().agents[actor]?.issue
    let entry = Discovery(agent: actor, at: clock.now, issue: issue, text: text)
    var document = try state.text(StatePaths.discoveries) ?? "# Discoveries\n"
    if !document.hasSuffix("\n") { document += "\n" }
    document += "\n" + entry.markdown
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): discover \(TextTable.clip(text, 60))", operation: DiscoverOperation(text: text).record,
        agent: actor, issue: issue))
    change.writes[StatePaths.discoveries] = Array(document.utf8)
    return (change, entry)
  }
}
