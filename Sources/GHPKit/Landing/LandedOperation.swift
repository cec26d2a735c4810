/// The operations `ghp land` records on `ghp/state`: the lease (one lander per base), a passed
/// gate with its evidence (before the base moves), the landing itself, and a bounce back to the
/// agent. Each records every input it was given, so `ghp verify` re-executes it.

/// `landed`: the base holds these issues' pending landings; they are done, with their evidence.
public struct LandedOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "landed"

  /// The branch the issues landed on (`[landing] base`).
  public var base: String
  /// The lander's lease token; refused unless it still holds the lease of `base`.
  public var token: String
  /// The ids of the issues recorded done, each with a passed gate waiting (`land-pending`).
  @Defaulted<NoStrings> public var issues: [String]
  /// The base tip the lander saw holding them.
  public var head: ObjectID
  /// True when a lander finished what a killed one had gated and moved.
  public var recovered: Bool

  /// The landing of `issues` on `base`, seen at `head`.
  public init(base: String, token: String, issues: [String], head: ObjectID, recovered: Bool) {
    self.base = base
    self.token = token
    self.issues = issues
    self.head = head
    self.recovered = recovered
  }

  /// The same landing with the issues' ids renamed as the offline batch was.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.issues = issues.map(renames.issue)
    return renamed
  }

  /// Applies the landing: each issue becomes done, its pending evidence kept as `landing` with the
  /// time and head; returns the issues as written.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, [Issue]) {
    try state.requireInitialised()
    try requireLandingLease(state, base: base, token: token, actor: actor)
    guard !issues.isEmpty else { throw .emptyText("the issues of landed") }
    var landed: [Issue] = []
    var change = Change(message: CommitMessage(subject: "", operation: record, agent: actor))
    for id in issues {
      var issue = try state.requireIssue(id)
      guard issue.status == .landing, var evidence = issue.pending else {
        throw .refused("#\(issue.id) has no passed gate waiting to land (it is \(issue.status.rawValue))")
      }
      evidence.landedAt = RFC3339.format(clock.now)
      evidence.head = head
      evidence.recovered = recovered
      issue.landing = evidence
      issue.pending = nil
      // What the review approved is in the evidence now.
      issue.reviewing = nil
      issue.status = .done
      issue.updatedAt = clock.now
      change.put(StatePaths.issue(issue.id), json: issue.json)
      landed.append(issue)
    }
    let named = landed.map { "#\($0.id) \($0.title)" }.joined(separator: ", ")
    change.message = CommitMessage(
      subject: "\(actor): landed \(named) on \(base) (\(head.short))"
        + (recovered ? " (finishing a killed lander's landing)" : ""),
      operation: record, agent: actor, issue: landed.count == 1 ? landed[0].id : nil)
    // An attempt of a best-of issue that landed won its vote: the issue and its other attempts close.
    var finished = landed
    var agents = AgentStatusDocument()
    for issue in landed where issue.attemptOf != nil {
      finished += try change.closeBestOf(winner: issue, state: state, agents: &agents, clock: clock)
    }
    let epics = try state.epicsCompleted(by: finished)
    if !epics.isEmpty {
      // One document for the managers and the attempts' holders: an agent may be both.
      for manager in epics.compactMap(StateSnapshot.manager(of:)) where agents.agents[manager] == nil {
        agents.agents[manager] = try state.agentRecord(manager)
      }
      try change.close(epics, finished: Set(finished.map(\.id)), agents: &agents, state: state, clock: clock)
    }
    if !agents.agents.isEmpty { try change.putAgents(agents.agents, onto: state) }
    return (change, landed)
  }
}
