/// Re-applying an operation recorded in a commit, onto another tip (`ghp sync`) or onto its own
/// parent (`ghp verify`). Operations are read only from their `Ghp-Operation` record.
enum Replay {

  /// Pairs the ids an operation made where it was first applied with those it made when re-applied.
  static func renames(from original: OperationRecord, to replayed: OperationRecord, into renames: inout IDRenames) {
    let before = OperationCatalog.minted(original)
    let after = OperationCatalog.minted(replayed)
    for (old, new) in zip(before.issues, after.issues) where old != new { renames.issues[old] = new }
    for (old, new) in zip(before.escalations, after.escalations) where old != new { renames.escalations[old] = new }
    for (old, new) in zip(before.approvals, after.approvals) where old != new { renames.approvals[old] = new }
  }
}

extension OperationRecord {
  /// Refuses a record whose text holds a NUL anywhere: git ends a commit message at one.
  func requireNoNUL() throws(GHPError) {
    func check(_ value: JSON, _ key: String) throws(GHPError) {
      switch value {
      case .string(let text) where text.utf8.contains(0):
        throw .invalidValue(key, "the text contains a NUL byte; remove it and try again (nothing was written)")
      case .array(let items): for item in items { try check(item, key) }
      case .object(let fields): for (name, field) in fields { try check(field, name) }
      default: break
      }
    }
    for (key, value) in arguments { try check(value, key) }
  }
}
