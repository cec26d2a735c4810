extension StateSnapshot {
  /// The next escalation number.
  func nextEscalationID() throws(GHPError) -> String {
    let highest = try escalations().compactMap { Int($0.id) }.max() ?? 0
    guard highest < Int.max else { throw .exhausted("every escalation number is taken") }
    return String(highest + 1)
  }
}

/// The change that writes one escalation document, rendered from the (possibly overridden) template.
func escalationWrite(_ escalation: Escalation, state: StateSnapshot, into change: inout Change) throws(GHPError) {
  let template = try Templates.text("escalation.md", state: state)
  change.put(StatePaths.escalation(escalation.id), text: try escalation.document(template: template))
}

extension Escalation {
  /// Open ones first, the most severe first, then the oldest.
  public static func inboxOrder(_ a: Escalation, _ b: Escalation) -> Bool {
    if a.status != b.status { return a.status == .open }
    if a.severity != b.severity { return a.severity > b.severity }
    if a.asked != b.asked { return a.asked < b.asked }
    return IssueID.precedes(a.id, b.id)
  }
}
