/// `ghp issue retry <id>`: an orchestrator puts a dead issue back in the queue, with fresh attempts.
public struct RetryOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "retry"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey { case issueID = "issue" }

  /// The dead issue to put back.
  public var issueID: String

  /// Retries `issueID`.
  public init(issueID: String) { self.issueID = issueID }

  /// The same retry with the issue's id renamed.
  public func renaming(_ renames: IDRenames) -> Self { RetryOperation(issueID: renames.issue(issueID)) }

  /// Reopens the dead issue with its attempts at 0 (orchestrators only); refused for any other status.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    var issue = try state.requireIssue(issueID)
    try state.requireAuthority(actor, inEpic: issue.epic, toDo: "retry #\(issue.id)")
    guard issue.status == .dead else {
      throw .refused("#\(issue.id) is \(issue.status.rawValue), not dead: only a dead issue can be retried")
    }
    issue.status = .open
    issue.attempts = 0
    issue.updatedAt = clock.now
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): retry #\(issue.id) \(issue.title)", operation: RetryOperation(issueID: issue.id).record,
        agent: actor, issue: issue.id))
    change.put(StatePaths.issue(issue.id), json: issue.json)
    return (change, issue)
  }
}

extension RetryOperation {
  /// The issue its record names.
  public var recordedIssue: String? { issueID }
}
