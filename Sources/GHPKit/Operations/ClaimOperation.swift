/// `ghp claim <id>`: take an issue, or be refused with the holder's name.
public struct ClaimOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "claim"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case issueID = "issue"
    case orNext = "next"
  }

  /// The issue to claim.
  public var issueID: String
  /// `claim --next`'s: when the issue is no longer open and ready where the claim lands (another
  /// agent took it first), the first issue of the ready queue there is claimed instead, and the
  /// record written names that one. So a server that lands operations in its own order gives each
  /// of many agents racing for the top of the queue the next issue, rather than refusing all but
  /// one. Recorded as `"next": true`; a record without it (older, or `ghp claim ID`) claims only
  /// its issue.
  @RecordFlag public var orNext = false

  /// Claims `issueID` for the actor (with `orNext`, or the next ready issue when it is taken).
  public init(issueID: String, orNext: Bool = false) {
    self.issueID = issueID
    self.orNext = orNext
  }

  /// The same claim with the issue's id renamed.
  public func renaming(_ renames: IDRenames) -> Self {
    ClaimOperation(issueID: renames.issue(issueID), orNext: orNext)
  }

  /// The issue as claimed, and whether the caller held it already.
  public struct Output: Sendable {
    /// The issue after the claim: claimed by the actor, with its epoch.
    public var issue: Issue
    /// True when the caller already held it (nothing was written).
    public var alreadyHeld: Bool
  }

  /// Claims an open issue whose dependencies are done, or takes a landing one back for its
  /// holder; refused, naming the holder, when someone else has it.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Output) {
    try state.requireInitialised()
    if orNext, try !ReadyQueue.isReady(issueID, in: state, for: actor) {
      guard let first = try ReadyQueue.ready(state, limit: 1, for: actor).first else {
        throw try ReadyQueue.nothingFor(actor, in: state)
      }
      if first.id != issueID {
        return try ClaimOperation(issueID: first.id, orNext: true).apply(to: state, actor: actor, clock: clock)
      }
    }
    var issue = try state.requireIssue(issueID)
    if issue.kind == .epic && issue.assignee != actor {
      throw .refused(
        "#\(issue.id) is an epic: an orchestrator assigns it to a manager (`ghp assign \(issue.id) MANAGER`); its sub-issues are the work (`ghp epic show \(issue.id)`)"
      )
    }
    if issue.status == .open {
      try ReadyQueue.requireCapable(actor, of: issue, in: state, toDo: "claim it")
      try state.requireIndependentAttempt(issue, agent: actor, toDo: "claim")
    }
    switch issue.status {
    case .claimed where issue.assignee == actor:
      return (nil, Output(issue: issue, alreadyHeld: true))
    case .claimed:
      throw issue.lastReleasedFrom == actor
        ? issue.refusal(for: actor, action: "claim") : .refusedWith(holderDescription(issue), facts: holderFacts(issue))
    case .done:
      throw .refused("#\(issue.id) is done; there is nothing to claim")
    case .landing where issue.assignee == actor:
      // Its holder takes it back out of the landing queue, to change it: claimed again, same epoch.
      try issue.requireNotBeingLanded(toDo: "take it back")
      issue.submission = nil
      let change = try claimChange(&issue, state: state, actor: actor, clock: clock, takingBack: true)
      return (change, Output(issue: issue, alreadyHeld: false))
    case .landing:
      throw .refused(
        "#\(issue.id) is landing (submitted by \(issue.assignee ?? "?")); `ghp queue` shows where it waits")
    case .dead:
      throw .refused(
        "#\(issue.id) is dead after \(issue.attempts) failed attempts; an orchestrator can `ghp issue retry \(issue.id)`"
      )
    case .open:
      break
    }
    for dependency in issue.dependencies {
      let other = try state.issue(dependency)
      if other?.status != .done {
        throw .refused("#\(issue.id) waits on #\(dependency), which is \(other?.status.rawValue ?? "missing")")
      }
    }
    var change = try claimChange(&issue, state: state, actor: actor, clock: clock)
    if orNext { change.message.operation = ClaimOperation(issueID: issue.id, orNext: true).record }
    return (change, Output(issue: issue, alreadyHeld: false))
  }
}

extension ClaimOperation {
  /// The issue its record names.
  public var recordedIssue: String? { issueID }
  /// Who holds the issue once it landed.
  public func handsOver(actor: String) -> String? { actor }
}
