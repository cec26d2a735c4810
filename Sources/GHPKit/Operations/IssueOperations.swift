/// `ghp issue add`: a new issue with the next free number (orchestrators only).
public struct AddIssueOperation: StateOperation {
  public var title: String
  public var body: String = ""
  public var priority: Int = 2
  public var dependencies: [String] = []
  public var scope: [String] = []

  public init(title: String, body: String = "", priority: Int = 2, dependencies: [String] = [], scope: [String] = []) {
    self.title = title
    self.body = body
    self.priority = priority
    self.dependencies = dependencies
    self.scope = scope
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    let title = title.trimmingSpaces
    guard !title.isEmpty else { throw .emptyText("the issue title") }
    try state.requireOrchestrator(actor, toDo: "create issues")
    for dependency in dependencies where try state.issue(dependency) == nil {
      throw .unknownIssue(dependency)
    }
    let next = (try state.issueIDs().compactMap { Int($0) }.max() ?? 0) + 1
    var issue = Issue(id: String(next), title: title, createdAt: clock.now, createdBy: actor)
    issue.body = body
    issue.priority = priority
    issue.dependencies = dependencies
    issue.scope = scope
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): add #\(issue.id) \(title)", op: "issue-add", agent: actor, issue: issue.id,
        arguments: .object([
          "title": .string(title), "priority": .int(priority), "body": .string(body),
          "dependencies": .array(dependencies.map { .string($0) }), "scope": .array(scope.map { .string($0) }),
        ])))
    change.put(StatePaths.issue(issue.id), json: issue.json)
    return (change, issue)
  }
}
