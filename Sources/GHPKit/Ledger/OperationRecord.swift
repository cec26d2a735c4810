/// One typed state operation as it is written into the commit that made it: its name and every
/// argument, as canonical JSON on one trailer line.
///
/// ```
/// Ghp-Operation: {"args":{"issue":"147"},"op":"claim","v":1}
/// ```
///
/// JSON escapes every control character (a newline, a NUL), so no free text inside an argument can
/// end the line or start another trailer; and the line is the commit's last, so text the message
/// carries above it (a subject, a body) can never stand in its place.
public struct OperationRecord: Equatable, Sendable {
  /// The encoding's version; a reader refuses a version it does not know.
  public static let version = 1
  /// The key of the trailer the record is written under, on the message's last line.
  public static let trailer = "Ghp-Operation"

  /// The operation's name, as `Ghp-Op` and `ghp log --op` spell it.
  public var name: String
  /// Every argument by name, as JSON; one that is null is left out.
  public var arguments: [String: JSON]

  /// The record of operation `name` with `arguments`, dropping the null ones.
  public init(_ name: String, _ arguments: [String: JSON] = [:]) {
    self.name = name
    self.arguments = arguments.filter { $0.value != .null }
  }

  /// The trailer's value: canonical compact JSON.
  public var encoded: String {
    JSON.object(["op": .string(name), "args": .object(arguments), "v": .int(Self.version)]).compact()
  }

  /// Reads a trailer value; nil with why when it is not a record this version of ghp can read.
  public static func decode(_ text: String) -> Result<OperationRecord, GHPError> {
    let json: JSON
    do { json = try JSON.parse(text) } catch {
      return .failure(.invalidValue("operation", "\(trailer) is not JSON (\(error.description))"))
    }
    guard let fields = json.objectValue, let name = fields["op"]?.stringValue, let args = fields["args"]?.objectValue,
      fields["v"]?.intValue == version, fields.count == 3
    else {
      return .failure(
        .invalidValue("operation", "\(trailer) must be {\"op\": name, \"args\": {...}, \"v\": \(version)}"))
    }
    let record = OperationRecord(name, args)
    // A second encoding of the same operation would let two texts mean one thing: only the
    // canonical form is accepted.
    guard record.encoded == text else {
      return .failure(.invalidValue("operation", "\(trailer) is not in canonical form"))
    }
    return .success(record)
  }
}

/// How a value is named in an error about a field: "a string", "nothing (it is required)".
enum FieldDescription {
  static func describe(_ value: JSON?) -> String {
    switch value {
    case nil: "nothing (it is required)"
    case .null?: "null"
    case .bool?: "a boolean"
    case .int?, .double?: "a number"
    case .string?: "a string"
    case .array?: "an array"
    case .object?: "an object"
    }
  }
}

/// A state operation that can be recorded in a commit and rebuilt from that record: the closed
/// set of them is `OperationCatalog`.
///
/// Its arguments are its `Codable` fields, each declared once (its `CodingKeys` give the record's
/// keys): `record` writes them and `OperationCatalog.decode` reads them back strictly through
/// `JSONDecoding` — a missing, mistyped or unknown argument is an error naming it.
public protocol RecordedOperation: StateOperation, Sendable, Codable {
  /// The name of its records (`Ghp-Op`, `ghp log --op`): declared once, by the operation.
  static var name: String { get }
  /// The name this record is written under: `name`, unless the operation has a second one.
  var recordName: String { get }
  /// The same operation with the ids of an offline batch renamed (see `IDRenames`).
  func renaming(_ renames: IDRenames) -> Self
  /// The same operation without the ids it recorded as made, so that re-applied elsewhere it makes
  /// fresh ones.
  func remintingIDs() -> Self
  /// The issue the record names (what `Ghp-Issue` must say), nil when it names none. Readers of the
  /// history ask this, not the trailer.
  var recordedIssue: String? { get }
  /// Who holds `recordedIssue` once the operation landed, when it passes the issue to someone: a
  /// claim (the actor), an assignment, a handoff with a receiver, a run giving a worker its issue.
  func handsOver(actor: String) -> String?
  /// Liveness noise: a heartbeat, a supervisor's tick (`ghp log --no-heartbeats` leaves it out).
  var isLiveness: Bool { get }
  /// The ids its record says it made (see `IDRenames`).
  var mintedIDs: MintedIDs { get }
}

extension RecordedOperation {
  /// The operation's name and all of its arguments, as its `Codable` fields write them.
  public var record: OperationRecord { OperationRecord(recordName, JSONEncoding.fields(self)) }
  /// By default an operation is recorded under its name.
  public var recordName: String { Self.name }
  /// By default an operation names no ids, so renaming leaves it as it is.
  public func renaming(_ renames: IDRenames) -> Self { self }
  /// By default an operation records no ids it made, so it stays as it is.
  public func remintingIDs() -> Self { self }
  /// By default an operation names no issue.
  public var recordedIssue: String? { nil }
  /// By default an operation passes no issue to anyone.
  public func handsOver(actor: String) -> String? { nil }
  /// By default an operation is not liveness noise.
  public var isLiveness: Bool { false }
  /// By default an operation makes no ids.
  public var mintedIDs: MintedIDs { MintedIDs() }

  /// The change the operation makes on `state`, without its answer (callable on `any RecordedOperation`).
  public func change(on state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> Change? {
    try apply(to: state, actor: actor, clock: clock).0
  }
}

extension IDRenames {
  /// An id after renaming (unchanged when it was not renamed).
  func issue(_ id: String) -> String { issues[id] ?? id }
  func issue(_ id: String?) -> String? { id.map { issues[$0] ?? $0 } }
  func escalation(_ id: String) -> String { escalations[id] ?? id }
  func approval(_ id: String) -> String { approvals[id] ?? id }
}

/// Ids that an operation made offline got another value when it was re-applied elsewhere (another
/// machine had taken the number): every later operation of the same batch is rewritten with them.
public struct IDRenames: Sendable, Equatable {
  /// Issue ids: the id made offline to the id it got on the remote.
  public var issues: [String: String] = [:]
  /// Escalation ids: the id made offline to the id it got on the remote.
  public var escalations: [String: String] = [:]
  /// Approval ids: the id made offline to the id it got on the remote.
  public var approvals: [String: String] = [:]

  /// No id renamed.
  public init() {}

  /// True when no id of any kind was renamed.
  public var isEmpty: Bool { issues.isEmpty && escalations.isEmpty && approvals.isEmpty }

  /// The renames as JSON: `issues`, `escalations`, `approvals`, each an object of old id to new.
  public var json: JSON {
    func map(_ names: [String: String]) -> JSON { .object(names.mapValues { .string($0) }) }
    return .object(["issues": map(issues), "escalations": map(escalations), "approvals": map(approvals)])
  }
}

/// The ids an operation made (issue, escalation and approval numbers), as recorded.
public struct MintedIDs: Sendable, Equatable {
  /// The issue ids it made, in the order it made them.
  public var issues: [String] = []
  /// The escalation ids it made, in order.
  public var escalations: [String] = []
  /// The approval ids it made, in order.
  public var approvals: [String] = []

  /// The ids made, by kind; none by default.
  public init(issues: [String] = [], escalations: [String] = [], approvals: [String] = []) {
    self.issues = issues
    self.escalations = escalations
    self.approvals = approvals
  }
}

/// The number an operation makes: the recorded one when it has one (refused when taken, so that
/// re-executing the commit gives the same document), else the next free one.
func mintedID(
  _ recorded: String?, _ what: String, isTaken: (String) throws(GHPError) -> Bool, next: () throws(GHPError) -> String
) throws(GHPError) -> String {
  guard let recorded else { return try next() }
  try IssueID.validate(recorded)
  if try isTaken(recorded) { throw .refused("\(what) \(recorded) already exists; nothing was written") }
  return recorded
}
