/// `ghp issue edit`: change an issue's title, body, priority, dependencies or scope (orchestrators).
public struct EditIssueOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "issue-edit"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case issueID = "issue"
    case title, body, priority, dependencies, scope, needs, review
  }

  /// The issue to change.
  public var issueID: String
  /// The new title, trimmed when applied; nil keeps the old one.
  public var title: String?
  /// The new description; nil keeps the old one.
  public var body: String?
  /// The new priority, lower first in the queue; nil keeps the old one.
  public var priority: Int?
  /// The ids that replace the issue's dependencies (empty: none); nil keeps them. A cycle is refused.
  public var dependencies: [String]?
  /// The globs that replace the issue's scope; nil keeps it.
  public var scope: [String]?
  /// The capabilities that replace what the issue needs (empty: nothing); nil keeps them.
  public var needs: [String]?
  /// Its own review before landing, replacing what it had; nil keeps it.
  public var review: ReviewMode?

  /// An edit of `issueID`; each field left nil is kept as it is.
  public init(
    issueID: String, title: String? = nil, body: String? = nil, priority: Int? = nil,
    dependencies: [String]? = nil, scope: [String]? = nil, needs: [String]? = nil, review: ReviewMode? = nil
  ) {
    self.issueID = issueID
    self.title = title
    self.body = body
    self.priority = priority
    self.dependencies = dependencies
    self.scope = scope
    self.needs = needs
    self.review = review
  }

  /// The same edit with the issue's and the dependencies' ids renamed.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.issueID = renames.issue(issueID)
    renamed.dependencies = dependencies?.map(renames.issue)
    return renamed
  }

  /// Changes the fields given (orchestrators only); nothing to do when none is given.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    var issue = try state.requireIssue(issueID)
    try state.requireAuthority(actor, over: issue, toDo: "edit #\(issue.id)")
    // The attempts of a best-of issue are one piece of work made independently: they change with it.
    if issue.attemptOf != nil {
      throw .refused(
        "#\(issue.id) is an attempt of #\(issue.attemptOf ?? ""): edit #\(issue.attemptOf ?? "") and its attempts change with it"
      )
    }
    var changed: [String] = []
    if let title {
      let trimmed = title.trimmingSpaces
      guard !trimmed.isEmpty else { throw .emptyText("the issue title") }
      try TextLimit.check(trimmed, "the issue title", TextLimit.title)
      issue.title = trimmed
      changed.append("title")
    }
    if let body {
      try TextLimit.check(body, "the issue body", TextLimit.long)
      issue.body = body
      changed.append("body")
    }
    if let priority {
      issue.priority = priority
      changed.append("priority \(priority)")
    }
    if let dependencies {
      if dependencies.contains(issue.id) { throw DependencyGraph.refusal([issue.id, issue.id]) }
      try validateDependencies(state, incoming: [issue.id: dependencies])
      issue.dependencies = dependencies
      changed.append(
        "after " + (dependencies.isEmpty ? "nothing" : dependencies.map { "#\($0)" }.joined(separator: ",")))
    }
    if let scope {
      try state.requireInsideEpicScope(scope, epic: issue.epic, actor: actor, what: "#\(issue.id)'s scope")
      issue.scope = scope
      changed.append("scope")
    }
    if let needs {
      try Capability.validate(needs)
      issue.needs = Array(Set(needs)).sorted()
      changed.append(issue.needs.isEmpty ? "needs nothing" : "needs " + issue.needs.joined(separator: ","))
    }
    if let review {
      issue.reviewMode = review
      changed.append("review \(review.rawValue)")
    }
    guard !changed.isEmpty else { return (nil, issue) }
    issue.updatedAt = clock.now
    var recorded = self
    recorded.issueID = issue.id
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): edit #\(issue.id) (\(changed.joined(separator: ", ")))", operation: recorded.record,
        agent: actor, issue: issue.id))
    change.put(StatePaths.issue(issue.id), json: issue.json)
    for var attempt in try state.attempts(of: issue) where attempt.status != .done {
      let number = attempt.id.split(separator: ".").last.flatMap { Int($0) } ?? 0
      attempt.title = BestOf.attemptTitle(issue.title, number, of: issue.bestOf ?? 0)
      if body != nil { attempt.body = issue.body }
      if priority != nil { attempt.priority = issue.priority }
      if dependencies != nil { attempt.dependencies = issue.dependencies }
      if scope != nil { attempt.scope = issue.scope }
      if needs != nil { attempt.needs = issue.needs }
      if review != nil { attempt.reviewMode = issue.reviewMode }
      attempt.updatedAt = clock.now
      change.put(StatePaths.issue(attempt.id), json: attempt.json)
    }
    return (change, issue)
  }
}

extension EditIssueOperation {
  /// The issue its record names.
  public var recordedIssue: String? { issueID }
}
