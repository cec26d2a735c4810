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
  @Defaulted<NoGateResults> public var gate: [GateCommandResult]
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
      // Reviewed before landing: only the tree its reviewer approved, and alone.
      if try state.reviewMode(of: issue) != .none {
        guard let tree = entry.reviewed, let review = issue.reviewing, review.approves(tree), entries.count == 1 else {
          throw .refused(
            "#\(issue.id) lands only with a reviewer's approval of its merge, and "
              + (issue.reviewing.map {
                $0.approvedBy == nil
                  ? "its review of tree \($0.tree.short) waits" : "it was approved for tree \($0.tree.short)"
              }
                ?? "none was asked for") + "; nothing lands")
        }
      }
      // An attempt of a best-of issue lands only once its vote chose it.
      if issue.attemptOf != nil {
        let parent = try state.bestOfParent(of: issue)
        let winner = BestOf.winner(of: parent.vote, attempts: try state.attempts(of: parent))
        guard winner == issue.id else {
          throw .refused(
            "#\(issue.id) is an attempt of #\(parent.id), and lands only as the vote chose it ("
              + (winner.map { "#\($0) won" } ?? "the vote is open, or its choice lapsed") + "); nothing lands")
        }
      }
      issue.pending = LandingEvidence(
        base: base, mode: mode, gate: gate, batch: entries.map(\.issue), by: actor,
        gatedAt: RFC3339.format(clock.now), entry: entry, log: log.map { _ in StatePaths.gateLog(issue.id) })
      issue.pending?.review = entry.reviewed == nil ? nil : issue.reviewing
      if let log { change.links[StatePaths.gateLog(issue.id)] = log }
      issue.updatedAt = clock.now
      change.put(StatePaths.issue(issue.id), json: issue.json)
      issues.append(issue)
    }
    return (change, issues)
  }
}
