/// `ghp claim <id>`: take an issue, or be refused with the holder's name.
public struct ClaimOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "claim"

  public var issueID: String

  public init(issueID: String) { self.issueID = issueID }

  public var record: OperationRecord { OperationRecord(Self.name, ["issue": .string(issueID)]) }

  public init(arguments: inout OperationArguments) throws(GHPError) { issueID = try arguments.string("issue") }

  public func renaming(_ renames: IDRenames) -> Self { ClaimOperation(issueID: renames.issue(issueID)) }

  public struct Output: Sendable {
    public var issue: Issue
    /// True when the caller already held it (nothing was written).
    public var alreadyHeld: Bool
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Output) {
    try state.requireInitialised()
    var issue = try state.requireIssue(issueID)
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
    return (try claimChange(&issue, state: state, actor: actor, clock: clock), Output(issue: issue, alreadyHeld: false))
  }
}

extension ClaimOperation {
  public var recordedIssue: String? { issueID }
  public func handsOver(actor: String) -> String? { actor }
}
