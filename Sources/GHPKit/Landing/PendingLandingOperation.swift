/// The operations `ghp land` records on `ghp/state`: the lease (one lander per base), a passed
/// gate with its evidence (before the base moves), the landing itself, and a bounce back to the
/// agent. Each records every input it was given, so `ghp verify` re-executes it.

/// `land-pending`: the gate passed on the merge of these issues; the base is about to move. Each
/// issue keeps the evidence, so a lander killed before it records `landed` is finished by the next
/// one (which finds the base holding `baseAfter`), never repeated.
public struct PendingLandingOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "land-pending"

  /// The branch about to move (`[landing] base`).
  public var base: String
  /// The lander's lease token; refused unless it still holds the lease of `base`.
  public var token: String
  /// How each branch goes onto the base: merge, rebase or squash (`[landing] mode`).
  public var mode: LandingPolicy.Mode
  /// The issues gated together, in the order they land.
  public var entries: [PendingEntry]
  /// The outcome of each gate command; all must have passed.
  public var gate: [GateCommandResult]
  /// The blob holding the gate's whole output, put at `.ghp/results/<id>.gate.log` for each issue.
  public var log: ObjectID?

  /// The evidence of one passed gate run over `entries`.
  public init(
    base: String, token: String, mode: LandingPolicy.Mode, entries: [PendingEntry], gate: [GateCommandResult],
    log: ObjectID?
  ) {
    self.base = base
    self.token = token
    self.mode = mode
    self.entries = entries
    self.gate = gate
    self.log = log
  }

  /// The record: base, token, mode, entries, gate results and log blob.
  public var record: OperationRecord {
    OperationRecord(
      Self.name,
      [
        "base": .string(base), "token": .string(token), "mode": .string(mode.rawValue),
        "entries": .array(entries.map(\.json)), "gate": .array(gate.map(\.json)),
        "log": log.map { .string($0.hex) } ?? .null,
      ])
  }

  /// Reads the operation back from its record, each argument with its type.
  public init(arguments: inout OperationArguments) throws(GHPError) {
    base = try arguments.string("base")
    token = try arguments.string("token")
    guard let mode = LandingPolicy.Mode(rawValue: try arguments.string("mode")) else {
      throw arguments.wrong("mode", "merge, rebase or squash")
    }
    self.mode = mode
    guard case .array(let items)? = arguments.optionalValue("entries") else {
      throw arguments.wrong("entries", "an array")
    }
    entries = []
    for item in items {
      var fields = OperationArguments(operation: "an entry of land-pending", item.objectValue ?? [:])
      entries.append(
        PendingEntry(
          issue: try fields.string("issue"), tip: try fields.objectID("tip"),
          baseBefore: try fields.objectID("baseBefore"),
          baseAfter: try fields.objectID("baseAfter"), merge: try fields.optionalObjectID("merge")))
      try fields.finish()
    }
    gate = try GateCommandResult.list(&arguments, "gate")
    log = try arguments.optionalObjectID("log")
  }

  /// The same operation with each entry's issue id renamed as the offline batch was.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    for index in renamed.entries.indices { renamed.entries[index].issue = renames.issue(entries[index].issue) }
    return renamed
  }

  /// Applies the evidence: each issue keeps it as `pending` (and the gate log), still landing;
  /// returns the issues as written.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, [Issue]) {
    try state.requireInitialised()
    try requireLandingLease(state, base: base, token: token, actor: actor)
    guard !entries.isEmpty else { throw .emptyText("the issues of land-pending") }
    guard gate.allSatisfy(\.passed) else { throw .refused("a gate command failed; nothing lands") }
    var change = Change(
      message: CommitMessage(
        subject:
          "\(actor): gate passed for \(entries.map { "#\($0.issue)" }.joined(separator: " ")) on \(base); moving \(base)",
        operation: record, agent: actor, issue: entries.count == 1 ? entries[0].issue : nil))
    var issues: [Issue] = []
    for entry in entries {
      var issue = try requireSubmitted(state, entry.issue, tip: entry.tip)
      var evidence: [String: JSON] = [
        "base": .string(base), "mode": .string(mode.rawValue), "gate": .array(gate.map(\.json)),
        "batch": .array(entries.map { .string($0.issue) }), "by": .string(actor),
        "gatedAt": .string(RFC3339.format(clock.now)),
      ]
      if case .object(let fields) = entry.json { evidence.merge(fields.filter { $0.key != "issue" }) { a, _ in a } }
      if let log {
        evidence["log"] = .string(StatePaths.gateLog(issue.id))
        change.links[StatePaths.gateLog(issue.id)] = log
      }
      issue.pending = .object(evidence)
      issue.updatedAt = clock.now
      change.put(StatePaths.issue(issue.id), json: issue.json)
      issues.append(issue)
    }
    return (change, issues)
  }
}
