/// Reads files of issues for `ghp issue import`: the task format of the file-based prototype
/// (`{"tasks": [...]}`) or a plain JSON array of ghp's own issue objects.
public enum IssueImport {
  /// Parses `bytes` into issues created by `actor` now. Names the task and field that is wrong.
  public static func parse(_ bytes: [UInt8], actor: String, clock: Clock) throws(GHPError) -> [Issue] {
    let json: JSON
    do { json = try JSON.parse(bytes) } catch { throw .invalidValue("import file", "not JSON: \(error.description)") }
    if let tasks = json["tasks"]?.arrayValue {
      var issues: [Issue] = []
      for (index, task) in tasks.enumerated() {
        issues.append(try fromTask(task, index: index, actor: actor, clock: clock))
      }
      return issues
    }
    guard let items = json.arrayValue else {
      throw .invalidValue("import file", "expected {\"tasks\": [...]} or a JSON array of issues")
    }
    var issues: [Issue] = []
    for (index, item) in items.enumerated() {
      var fields = item.objectValue ?? [:]
      if fields["createdAt"] == nil { fields["createdAt"] = .string(RFC3339.format(clock.now)) }
      if fields["createdBy"] == nil { fields["createdBy"] = .string(actor) }
      do {
        var issue = try Issue(json: .object(fields))
        try IssueID.validate(issue.id)
        if issue.status == .claimed {
          guard let holder = issue.assignee else { throw DocumentError("status is claimed but there is no assignee") }
          try AgentName.validate(holder)
          if issue.epoch == 0 { issue.epoch = 1 }
          issue.claimedAt = issue.claimedAt ?? clock.now
        }
        issues.append(issue)
      } catch let error as DocumentError {
        throw .invalidValue("issue \(index + 1) of the import file", error.detail)
      } catch {
        throw GHPError.bridging(error)
      }
    }
    return issues
  }

  /// One task of the prototype's format: id, description, status (available/claimed/done),
  /// claimed_by, priority, dependencies, context.files (the scope) and context.hints (the body).
  static func fromTask(_ task: JSON, index: Int, actor: String, clock: Clock) throws(GHPError) -> Issue {
    func bad(_ detail: String) -> GHPError { .invalidValue("task \(index + 1) of the import file", detail) }
    guard let fields = task.objectValue else { throw bad("not an object") }
    let read: String?
    do { read = try IssueReference.read(fields["id"], what: "\"id\"") } catch { throw bad(error.detail) }
    guard let id = read else { throw bad("\"id\" is missing") }
    try IssueID.validate(id)
    guard let title = (fields["description"] ?? fields["title"])?.stringValue?.trimmingSpaces, !title.isEmpty else {
      throw bad("task \(id) has no \"description\"")
    }
    var issue = Issue(id: id, title: title, createdAt: clock.now, createdBy: actor)
    if let priority = fields["priority"], !priority.isNull {
      guard let value = priority.intValue else { throw bad("task \(id): \"priority\" is not a number") }
      issue.priority = value
    }
    for dependency in fields["dependencies"]?.arrayValue ?? [] {
      guard let value = (dependency.intValue.map(String.init) ?? dependency.stringValue) else {
        throw bad("task \(id): a dependency is neither a number nor a string")
      }
      issue.dependencies.append(try IssueID.validate(value))
    }
    if let context = fields["context"]?.objectValue {
      issue.scope = context["files"]?.arrayValue?.compactMap(\.stringValue) ?? []
      if let hints = context["hints"]?.stringValue, !hints.isEmpty { issue.body = "Hints: \(hints)" }
      issue.extra["context"] = .object(context)
    }
    switch fields["status"]?.stringValue ?? "available" {
    case "available", "open", "pending", "todo": issue.status = .open
    case "claimed", "in_progress", "in-progress":
      if let holder = fields["claimed_by"]?.stringValue {
        issue.status = .claimed
        issue.assignee = try AgentName.validate(holder)
        issue.epoch = 1
        issue.claimedAt = clock.now
      }
    case "done", "completed", "complete": issue.status = .done
    case let other: throw bad("task \(id): unknown status '\(other)' (expected available, claimed or done)")
    }
    return issue
  }
}
