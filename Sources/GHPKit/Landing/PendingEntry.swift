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
  /// The tree of `baseAfter` that a reviewer approved, when the issue is reviewed before landing;
  /// nil (not recorded) otherwise.
  public var reviewed: ObjectID?

  /// One issue's landing as the gate run computed it.
  public init(
    issue: String, tip: ObjectID, baseBefore: ObjectID, baseAfter: ObjectID, merge: ObjectID?,
    reviewed: ObjectID? = nil
  ) {
    self.issue = issue
    self.tip = tip
    self.baseBefore = baseBefore
    self.baseAfter = baseAfter
    self.merge = merge
    self.reviewed = reviewed
  }

  /// The record's keys, each named once.
  enum CodingKeys: String, CodingKey { case issue, tip, baseBefore, baseAfter, merge, reviewed }

  /// Writes the entry: `merge` always (null when none), `reviewed` only when there is one, so an
  /// entry without a review is written as it always was.
  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: CodingKeys.self)
    try fields.encode(issue, forKey: .issue)
    try fields.encode(tip, forKey: .tip)
    try fields.encode(baseBefore, forKey: .baseBefore)
    try fields.encode(baseAfter, forKey: .baseAfter)
    try fields.encodeIfPresent(merge, forKey: .merge)
    if let reviewed { try fields.encode(reviewed, forKey: .reviewed) }
  }

  var json: JSON { JSONEncoding.encode(self) }
}
