/// What an issue keeps of its landing: the evidence of the gate run that passed (its `pending`
/// while the base moves), and the same with when and onto which head it landed (its `landing`).
/// Read strictly from the issue document (a field of the wrong type or a missing one is refused)
/// and written back byte for byte as ghp always wrote it; a field this ghp does not know (a later
/// one's) is kept as it is, as the issue keeps its own (`Issue.extra`).
public struct LandingEvidence: Equatable, Sendable, Codable, KeepsUnknownFields {
  /// The branch it lands on.
  public var base: String
  /// How it lands: merge, rebase or squash.
  public var mode: LandingPolicy.Mode
  /// Each gate command's outcome, in the order they ran.
  public var gate: [GateCommandResult]
  /// The issues gated together in one run, in queue order.
  public var batch: [String]
  /// The lander that ran the gate.
  public var by: String
  /// When the gate passed, RFC 3339.
  public var gatedAt: String
  /// The agent branch's tip that the gate passed and that lands.
  public var tip: ObjectID
  /// The base tip this issue was merged onto.
  public var baseBefore: ObjectID
  /// The base tip once this issue is on it.
  public var baseAfter: ObjectID
  /// The merge commit made for it; nil when the base already held the tip (written as null).
  public var merge: ObjectID?
  /// Where the gate's whole output is on `ghp/state` (`.ghp/results/<id>.gate.log`), nil when none.
  public var log: String?
  /// When it landed, RFC 3339; nil while it is pending.
  public var landedAt: String?
  /// The base's head once it landed; nil while it is pending.
  public var head: ObjectID?
  /// True when a later lander recorded a landing a killed one had made.
  @RecordFlag public var recovered = false
  /// The review that approved the merge before the base moved: the tree shown, who approved it and
  /// when; nil when none was asked for.
  public var review: ReviewRequest?
  /// Fields this ghp does not know, kept so that writing the document back loses nothing.
  public var extra: [String: JSON] = [:]

  /// The evidence of one entry of a gate run that passed, not landed yet.
  public init(
    base: String, mode: LandingPolicy.Mode, gate: [GateCommandResult], batch: [String], by: String, gatedAt: String,
    entry: PendingEntry, log: String?
  ) {
    self.base = base
    self.mode = mode
    self.gate = gate
    self.batch = batch
    self.by = by
    self.gatedAt = gatedAt
    tip = entry.tip
    baseBefore = entry.baseBefore
    baseAfter = entry.baseAfter
    merge = entry.merge
    self.log = log
  }

  /// The document's keys, each named once.
  enum CodingKeys: String, CodingKey {
    case base, mode, gate, batch, by, gatedAt, tip, baseBefore, baseAfter, merge, log, landedAt, head, recovered
    case review
  }

  /// Writes the evidence: `merge` always (null when none), `log`, `landedAt`, `head` and
  /// `recovered` only when they say something.
  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: CodingKeys.self)
    try fields.encode(base, forKey: .base)
    try fields.encode(mode, forKey: .mode)
    try fields.encode(gate, forKey: .gate)
    try fields.encode(batch, forKey: .batch)
    try fields.encode(by, forKey: .by)
    try fields.encode(gatedAt, forKey: .gatedAt)
    try fields.encode(tip, forKey: .tip)
    try fields.encode(baseBefore, forKey: .baseBefore)
    try fields.encode(baseAfter, forKey: .baseAfter)
    try fields.encodeIfPresent(merge, forKey: .merge)
    if let log { try fields.encode(log, forKey: .log) }
    if let landedAt { try fields.encode(landedAt, forKey: .landedAt) }
    if let head { try fields.encode(head, forKey: .head) }
    try fields.encode(_recovered, forKey: .recovered)
    if let review { try fields.encode(review, forKey: .review) }
  }
}

/// Why the last landing attempt sent an issue back: its branch conflicts with the base, or a gate
/// command failed on the merge.
public struct Bounce: Equatable, Sendable, Codable, KeepsUnknownFields {
  /// A conflict or a failed gate.
  public var kind: BounceOperation.Kind
  /// When it bounced, RFC 3339.
  public var at: String
  /// The lander that sent it back.
  public var by: String
  /// The branch it was to land on.
  public var base: String
  /// The base's tip it was merged with.
  public var baseTip: ObjectID
  /// The agent branch's tip that bounced.
  public var tip: ObjectID
  /// What the agent is told, and what to do next.
  public var reason: String
  /// The conflicting paths (a conflict); empty for a gate.
  @Defaulted<NoStrings> public var paths: [String]
  /// Each gate command's outcome (a gate); empty for a conflict.
  @Defaulted<NoGateResults> public var gate: [GateCommandResult]
  /// Where the gate's whole output is on `ghp/state`, nil when none.
  public var log: String?
  /// Fields this ghp does not know, kept so that writing the document back loses nothing.
  public var extra: [String: JSON] = [:]

  /// A bounce as `BounceOperation` makes it.
  public init(
    kind: BounceOperation.Kind, at: String, by: String, base: String, baseTip: ObjectID, tip: ObjectID,
    reason: String, paths: [String], gate: [GateCommandResult], log: String?
  ) {
    self.kind = kind
    self.at = at
    self.by = by
    self.base = base
    self.baseTip = baseTip
    self.tip = tip
    self.reason = reason
    self.paths = paths
    self.gate = gate
    self.log = log
  }

  /// The document's keys, each named once.
  enum CodingKeys: String, CodingKey { case kind, at, by, base, baseTip, tip, reason, paths, gate, log }

  /// Writes the bounce; `paths`, `gate` and `log` only when they say something.
  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: CodingKeys.self)
    try fields.encode(kind, forKey: .kind)
    try fields.encode(at, forKey: .at)
    try fields.encode(by, forKey: .by)
    try fields.encode(base, forKey: .base)
    try fields.encode(baseTip, forKey: .baseTip)
    try fields.encode(tip, forKey: .tip)
    try fields.encode(reason, forKey: .reason)
    if !paths.isEmpty { try fields.encode(paths, forKey: .paths) }
    if !gate.isEmpty { try fields.encode(gate, forKey: .gate) }
    if let log { try fields.encode(log, forKey: .log) }
  }
}

/// A part of a document with fields of its own and room for those of a later ghp: read with
/// `JSONDecoding.document(keeping:)`, written with `JSONEncoding.document(_:)`.
public protocol KeepsUnknownFields: Codable {
  /// The fields this ghp does not know, as they were.
  var extra: [String: JSON] { get set }
  /// Whether `key` is one of the type's own fields.
  static func knows(_ key: String) -> Bool
}

extension LandingEvidence {
  /// Whether `key` is one of the evidence's own fields.
  public static func knows(_ key: String) -> Bool { CodingKeys(stringValue: key) != nil }
}

extension Bounce {
  /// Whether `key` is one of the bounce's own fields.
  public static func knows(_ key: String) -> Bool { CodingKeys(stringValue: key) != nil }
}

extension JSONDecoding {
  /// A part of a document that keeps the fields it does not know (see `KeepsUnknownFields`); its
  /// own fields are read as strictly as `document(_:from:field:)` reads them.
  public static func document<Part: KeepsUnknownFields>(keeping type: Part.Type, from json: JSON, field: String)
    throws(DocumentError) -> Part
  {
    guard case .object(let fields) = json else { throw DocumentError("\"\(field)\" is not an object") }
    var part = try document(type, from: .object(fields.filter { Part.knows($0.key) }), field: field)
    part.extra = fields.filter { !Part.knows($0.key) }
    return part
  }
}

extension JSONEncoding {
  /// A part of a document with the fields it kept (see `KeepsUnknownFields`).
  public static func document<Part: KeepsUnknownFields>(_ part: Part) -> JSON {
    .object(fields(part).merging(part.extra) { own, _ in own })
  }
}
