/// Tells agents that claims they made offline lost on the shared remote (written by `ghp sync`), so
/// that their next report says so, as it does for reaped agents.
public struct NoticeLostClaimsOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "claims-lost"

  /// One claim an agent made offline that lost on the remote.
  public struct Notice: Equatable, Sendable, Codable {
    /// The agent that lost the claim.
    public var agent: String
    /// The issue it claimed; someone else holds it, or it moved on.
    public var issue: String
    /// Why the claim lost, told to the agent on its next report.
    public var reason: String
  }

  /// The record's keys.
  enum CodingKeys: String, CodingKey {
    case notices, registers
  }

  /// The lost claims to tell, one per agent and issue; empty writes nothing.
  public var notices: [Notice]
  /// An agent the agents document lacks (its only write was the offline claim that lost) is
  /// registered as an idle worker holding the notice, so that it is told too. Recorded as
  /// `"registers": true`; an older record (which dropped such a notice) replays as it was made.
  @RecordFlag public var registers = true

  /// The notices to write.
  public init(notices: [Notice]) { self.notices = notices }

  /// The same notices with the issues' ids renamed.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.notices = notices.map { Notice(agent: $0.agent, issue: renames.issue($0.issue), reason: $0.reason) }
    return renamed
  }

  /// Adds each notice to its agent's lost claims, named after the issue's holder now; refused
  /// when the agent still holds the issue.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Void) {
    try state.requireInitialised()
    guard !notices.isEmpty else { return (nil, ()) }
    var agents = try state.agents()
    for notice in notices {
      try AgentName.validate(notice.agent)
      let issue = try state.requireIssue(notice.issue)
      // Only a claim the agent does not hold can have been lost.
      if issue.status == .claimed && issue.assignee == notice.agent {
        throw .refused("\(notice.agent) holds #\(issue.id); it lost no claim on it")
      }
      if registers && agents.agents[notice.agent] == nil {
        agents.agents[notice.agent] = AgentRecord(
          status: "idle", lastAction: "Lost #\(issue.id), claimed offline", timestamp: clock.now)
      }
      // Named after who holds it now (the winner of the race), not after whoever synced.
      agents.agents[notice.agent]?.lostClaims.append(
        LostClaim(issue: issue.id, epoch: 0, by: issue.assignee ?? actor, at: clock.now, reason: notice.reason))
    }
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): " + notices.map { "\($0.agent) lost #\($0.issue)" }.joined(separator: ", "),
        operation: record,
        agent: actor))
    change.put(StatePaths.agentStatus, json: agents.json)
    return (change, ())
  }
}
