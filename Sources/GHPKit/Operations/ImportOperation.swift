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
        throw error as! GHPError
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

/// `ghp issue import`: many issues in one commit (orchestrators). Refuses, writing nothing, a file
/// whose ids repeat or already exist, whose dependencies are unknown, or whose dependencies loop.
public struct ImportIssuesOperation: RecordedOperation {
  /// The issues, when they are at hand (read from a file); nil when the operation was read from a
  /// commit, whose record names the document that holds them instead.
  public var issues: [Issue]?
  /// `.ghp/imports/<blob>.json`: the imported issues as one document of the state. The record names
  /// its blob rather than carrying thousands of issues in the commit message, which every reader of
  /// the tip or of history would otherwise inflate.
  var document: ObjectID?
  public var source: String
  /// Renamings of an offline batch, applied to the dependencies once the issues are read.
  var renames = IDRenames()

  public init(issues: [Issue], source: String) {
    self.issues = issues
    self.source = source
  }

  public var record: OperationRecord {
    OperationRecord("import", ["source": .string(source), "issues": document.map { .string($0.hex) } ?? .null])
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    source = try arguments.string("source")
    let hex = try arguments.string("issues")
    guard let id = ObjectID(hex: hex) else {
      throw .invalidValue("argument 'issues' of import", "'\(hex)' is not a blob id")
    }
    document = id
  }

  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.renames = renames
    return renamed
  }

  /// The issues: at hand, or read from the recorded document (which the commit's tree holds).
  func loadIssues(_ state: StateSnapshot) throws(GHPError) -> [Issue] {
    var loaded: [Issue]
    if let issues {
      loaded = issues
    } else {
      guard let document else { throw .invalidValue("import", "it names no document of issues") }
      let bytes: [UInt8]
      do { bytes = try state.repository.blobBytes(document) } catch {
        throw .invalidValue("import", "its document \(document.short) is not in this repository")
      }
      guard case .array(let items)? = try? JSON.parse(bytes) else {
        throw .invalidValue("import", "its document \(document.short) is not a JSON array of issues")
      }
      loaded = []
      for (index, item) in items.enumerated() {
        do throws(DocumentError) {
          loaded.append(try Issue(json: item))
        } catch {
          throw .invalidValue("issue \(index + 1) of import \(document.short)", error.detail)
        }
      }
    }
    for index in loaded.indices { loaded[index].dependencies = loaded[index].dependencies.map(renames.issue) }
    return loaded
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, [Issue]) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "import issues")
    let issues = try loadIssues(state)
    guard !issues.isEmpty else { throw .emptyText("the import file") }
    var incoming: [String: [String]] = [:]
    for issue in issues {
      try IssueID.validate(issue.id)
      try TextLimit.check(issue.title, "the title of #\(issue.id)", TextLimit.title)
      try TextLimit.check(issue.body, "the body of #\(issue.id)", TextLimit.long)
      guard incoming[issue.id] == nil else {
        throw .refused("the import file has #\(issue.id) twice; nothing was written")
      }
      incoming[issue.id] = issue.dependencies
    }
    let existing = Set(try state.issueIDs())
    let clashes = issues.map(\.id).filter(existing.contains)
    if !clashes.isEmpty {
      let named = clashes.prefix(5).map { "#\($0)" }.joined(separator: ", ") + (clashes.count > 5 ? ", …" : "")
      throw .refused("\(clashes.count) issue(s) of the import file already exist (\(named)); nothing was written")
    }
    try validateDependencies(state, incoming: incoming)
    let bytes = JSON.array(issues.map(\.json)).canonical()
    let blob: ObjectID
    do { blob = try ObjectID.hashing(blob: bytes) } catch { throw .git(error) }
    var recorded = self
    recorded.issues = nil
    recorded.document = blob
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): import \(issues.count) issue\(issues.count == 1 ? "" : "s") from \(source)",
        operation: recorded.record, agent: actor))
    change.writes["\(StatePaths.importsFolder)/\(blob.hex).json"] = bytes
    for issue in issues { change.put(StatePaths.issue(issue.id), json: issue.json) }
    return (change, issues)
  }
}
