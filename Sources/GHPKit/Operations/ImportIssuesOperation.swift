/// `ghp issue import`: many issues in one commit (orchestrators). Refuses, writing nothing, a file
/// whose ids repeat or already exist, whose dependencies are unknown, or whose dependencies loop.
public struct ImportIssuesOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "import"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case source
    case document = "issues"
  }

  /// The issues, when they are at hand (read from a file); nil when the operation was read from a
  /// commit, whose record names the document that holds them instead.
  public var issues: [Issue]?
  /// `.ghp/imports/<blob>.json`: the imported issues as one document of the state. The record names
  /// its blob rather than carrying thousands of issues in the commit message, which every reader of
  /// the tip or of history would otherwise inflate.
  var document: ObjectID?
  /// Where the issues came from, for the commit's subject: the file's name, or `standard input`.
  public var source: String
  /// Renamings of an offline batch, applied to the dependencies once the issues are read.
  var renames = IDRenames()

  /// Imports `issues`, read from `source`.
  public init(issues: [Issue], source: String) {
    self.issues = issues
    self.source = source
  }

  /// The same import with the renamings kept, applied to the dependencies when the issues are read.
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
    for index in loaded.indices {
      loaded[index].dependencies = loaded[index].dependencies.map(renames.issue)
      loaded[index].epic = loaded[index].epic.map(renames.issue)
    }
    return loaded
  }

  /// Writes every issue and their document in one commit (orchestrators only); refuses, writing
  /// nothing, repeated or existing ids and unknown or looping dependencies.
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
    // Epics as `ghp epic add` and `issue add --epic` make them: a sub-issue's epic is an epic
    // (here or already), and an epic comes unclaimed (an orchestrator assigns it to a manager).
    let epics = Set(issues.filter { $0.kind == .epic }.map(\.id))
    for issue in issues {
      if issue.kind == .epic && issue.status != .open {
        throw .refused(
          "#\(issue.id) is an epic: it is imported open, and assigned to a manager after; nothing was written")
      }
      if let epic = issue.epic, !epics.contains(epic), try state.issue(epic)?.kind != .epic {
        throw .refused("#\(issue.id) names #\(epic) as its epic, which is no epic; nothing was written")
      }
    }
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
