/// What queries need of an issue, without its body or history.
public struct IssueSummary: Equatable, Sendable {
  /// The issue's number or name, as `ghp issue show` takes it.
  public var id: String
  /// The issue's one-line title.
  public var title: String
  /// Where the issue is in its life.
  public var status: Issue.Status
  /// Its priority; lower comes first.
  public var priority: Int
  /// When the issue was created, in seconds since 1970.
  public var createdAt: Int64
  /// The agent holding the issue, nil when nobody does.
  public var assignee: String?
  /// The ids of the issues that must be done before this one is ready.
  public var dependencies: [String]
  /// Failed attempts since it was created or last retried.
  public var attempts: Int
  /// A task or an epic.
  public var kind: Issue.Kind
  /// The epic it is a sub-issue of, nil when none.
  public var epic: String?
  /// What an agent must be able to do to take it.
  public var needs: [String]

  init(_ issue: Issue) {
    id = issue.id
    title = issue.title
    status = issue.status
    priority = issue.priority
    createdAt = issue.createdAt
    assignee = issue.assignee
    dependencies = issue.dependencies
    attempts = issue.attempts
    kind = issue.kind
    epic = issue.epic
    needs = issue.needs
  }

  init(
    id: String, title: String, status: Issue.Status, priority: Int, createdAt: Int64, assignee: String?,
    dependencies: [String], attempts: Int, kind: Issue.Kind = .task, epic: String? = nil, needs: [String] = []
  ) {
    self.id = id
    self.title = title
    self.status = status
    self.priority = priority
    self.createdAt = createdAt
    self.assignee = assignee
    self.dependencies = dependencies
    self.attempts = attempts
    self.kind = kind
    self.epic = epic
    self.needs = needs
  }

  /// The summary as JSON, the issue document's keys for these fields.
  public var json: JSON {
    var fields: [String: JSON] = [
      "id": IssueReference.write(id), "title": .string(title), "status": .string(status.rawValue),
      "priority": .int(priority), "createdAt": .string(RFC3339.format(createdAt)),
      "assignee": assignee.map { .string($0) } ?? .null,
      "dependencies": .array(dependencies.map { IssueReference.write($0) }),
      "attempts": .int(attempts),
    ]
    if kind != .task { fields["kind"] = .string(kind.rawValue) }
    if let epic { fields["epic"] = IssueReference.write(epic) }
    if !needs.isEmpty { fields["needs"] = .array(needs.map { .string($0) }) }
    return .object(fields)
  }
}
