/// What queries need of an issue, without its body or history.
public struct IssueSummary: Equatable, Sendable {
  public var id: String
  public var title: String
  public var status: Issue.Status
  public var priority: Int
  public var createdAt: Int64
  public var assignee: String?
  public var dependencies: [String]
  public var attempts: Int

  init(_ issue: Issue) {
    id = issue.id
    title = issue.title
    status = issue.status
    priority = issue.priority
    createdAt = issue.createdAt
    assignee = issue.assignee
    dependencies = issue.dependencies
    attempts = issue.attempts
  }

  init(
    id: String, title: String, status: Issue.Status, priority: Int, createdAt: Int64, assignee: String?,
    dependencies: [String], attempts: Int
  ) {
    self.id = id
    self.title = title
    self.status = status
    self.priority = priority
    self.createdAt = createdAt
    self.assignee = assignee
    self.dependencies = dependencies
    self.attempts = attempts
  }

  public var json: JSON {
    .object([
      "id": IssueReference.write(id), "title": .string(title), "status": .string(status.rawValue),
      "priority": .int(priority), "createdAt": .string(RFC3339.format(createdAt)),
      "assignee": assignee.map { .string($0) } ?? .null,
      "dependencies": .array(dependencies.map { IssueReference.write($0) }),
      "attempts": .int(attempts),
    ])
  }
}
