/// The operations `ghp land` records on `ghp/state`: the lease (one lander per base), a passed
/// gate with its evidence (before the base moves), the landing itself, and a bounce back to the
/// agent. Each records every input it was given, so `ghp verify` re-executes it.

/// One issue of a gate run that passed: what it lands and on what.
public struct PendingEntry: Equatable, Sendable, Codable {
  /// The issue's id.
  public var issue: String
  /// The agent branch's tip that the gate passed and that lands.
  public var tip: ObjectID
  /// The base tip this issue was merged onto (the previous entry's `baseAfter` in a batch).
  public var baseBefore: ObjectID
  /// The base tip once this issue is on it (a merge, a squash, the last rebased commit, or the
  /// base itself when the tip was already in it).
  public var baseAfter: ObjectID
  /// The merge commit made for it, or nil when the base already held the tip.
  public var merge: ObjectID?

  /// One issue's landing as the gate run computed it.
  public init(issue: String, tip: ObjectID, baseBefore: ObjectID, baseAfter: ObjectID, merge: ObjectID?) {
    self.issue = issue
    self.tip = tip
    self.baseBefore = baseBefore
    self.baseAfter = baseAfter
    self.merge = merge
  }

  var json: JSON { JSONEncoding.encode(self) }
}
