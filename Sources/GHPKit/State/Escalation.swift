/// A question for a human: `.ghp/escalations/<id>.md`.
///
/// The document is Markdown rendered from the escalation template for people to read; its first
/// line is an HTML comment holding the fields as JSON, so ghp reads it back whatever the template.
public struct Escalation: Equatable, Sendable {
  /// How urgent the asker says the question is, from low to critical.
  public enum Severity: String, CaseIterable, Sendable, Comparable, RecordedWord {
    case low, medium, high, critical

    var rank: Int { Self.allCases.firstIndex(of: self)! }
    /// Whether `a` is less urgent than `b`.
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
  }

  /// Whether the question still waits for an answer.
  public enum Status: String, Sendable { case open, resolved }

  /// The escalation's number, as `ghp resolve` takes it.
  public var id: String
  /// The agent who asked.
  public var agent: String
  /// The issue the question is about, nil when it names none.
  public var issue: String?
  /// For escalations `ghp reap` raises: the stale agent they are about.
  public var about: String?
  /// How urgent the asker said it is.
  public var severity: Severity
  /// The question, as the agent wrote it.
  public var question: String
  /// What the asker added to explain the question, nil when nothing.
  public var context: String?
  /// Open until an orchestrator or a person answers it (`ghp resolve`, the page).
  public var status: Status = .open
  /// When it was asked, in seconds since 1970.
  public var asked: Int64
  /// The answer given with `ghp resolve` or on the page, nil while the question is open.
  public var answer: String?
  /// The orchestrator who answered it, nil while the question is open.
  public var answeredBy: String?
  /// When it was answered, in seconds since 1970; nil while the question is open.
  public var answered: Int64?
  /// When the answer was told to the asker (on its next report): each answer is told once.
  public var told: Int64?

  /// An open question from `agent`, asked at `asked` (seconds since 1970).
  public init(
    id: String, agent: String, issue: String?, about: String? = nil, severity: Severity, question: String,
    context: String?, asked: Int64
  ) {
    self.id = id
    self.agent = agent
    self.issue = issue
    self.about = about
    self.severity = severity
    self.question = question
    self.context = context
    self.asked = asked
  }

  static let marker = "<!-- ghp-escalation "

  /// The escalation as commands and tools answer it (the document's header keeps its own shape):
  /// its times named `askedAt` and `answeredAt`, and nothing of what was told when.
  public var answerJSON: JSON {
    guard case .object(var fields) = json else { return json }
    fields["askedAt"] = fields.removeValue(forKey: "asked")
    fields["answeredAt"] = fields.removeValue(forKey: "answered")
    fields["told"] = nil
    return .object(fields)
  }

  /// The fields as the JSON of the document's header line.
  public var json: JSON {
    var f: [String: JSON] = [
      "id": IssueReference.write(id), "agent": .string(agent), "issue": IssueReference.write(issue),
      "severity": .string(severity.rawValue), "question": .string(question), "status": .string(status.rawValue),
      "asked": .string(RFC3339.format(asked)),
    ]
    f["about"] = about.map { .string($0) } ?? .null
    f["context"] = context.map { .string($0) } ?? .null
    f["answer"] = answer.map { .string($0) } ?? .null
    f["answeredBy"] = answeredBy.map { .string($0) } ?? .null
    f["answered"] = answered.map { .string(RFC3339.format($0)) } ?? .null
    // Written only once set, so that documents from before it existed replay unchanged.
    if let told { f["told"] = .string(RFC3339.format(told)) }
    return .object(f)
  }

  init(json: JSON) throws(DocumentError) {
    guard let f = json.objectValue, let id = try IssueReference.read(f["id"], what: "\"id\""),
      let agent = f["agent"]?.stringValue, let question = f["question"]?.stringValue,
      let severity = f["severity"]?.stringValue.flatMap(Severity.init(rawValue:)),
      let status = f["status"]?.stringValue.flatMap(Status.init(rawValue:)),
      let asked = f["asked"]?.stringValue.flatMap(RFC3339.parse)
    else { throw DocumentError("the ghp-escalation header lacks id, agent, question, severity, status or asked") }
    self.init(
      id: id, agent: agent, issue: try IssueReference.read(f["issue"], what: "\"issue\""),
      about: f["about"]?.stringValue,
      severity: severity, question: question, context: f["context"]?.stringValue, asked: asked)
    self.status = status
    answer = f["answer"]?.stringValue
    answeredBy = f["answeredBy"]?.stringValue
    answered = f["answered"]?.stringValue.flatMap(RFC3339.parse)
    told = f["told"]?.stringValue.flatMap(RFC3339.parse)
  }

  /// The whole document: the header line, then the rendered template.
  func document(template: String) throws(GHPError) -> String {
    // ">" only ever occurs inside JSON strings, where \u003e means the same and cannot end the comment.
    let header = Self.marker + json.compact().replacing(">", with: "\\u003e") + " -->\n"
    var values: [String: Any] = [
      "id": id, "agent": agent, "severity": severity.rawValue, "question": question, "status": status.rawValue,
      "asked": RFC3339.format(asked),
    ]
    if let issue { values["issue"] = issue }
    if let about { values["about"] = about }
    if let context, !context.isEmpty { values["context"] = context }
    if let answer { values["answer"] = answer }
    if let answeredBy { values["answeredBy"] = answeredBy }
    if let answered { values["answered"] = RFC3339.format(answered) }
    return header + (try TemplateRenderer.render(template, values))
  }

  /// Reads the header line of a document.
  static func parse(_ document: String) throws(DocumentError) -> Escalation {
    guard document.hasPrefix(marker), let end = document.firstIndex(of: "\n") else {
      throw DocumentError("the first line is not a ghp-escalation header")
    }
    let line = document[document.index(document.startIndex, offsetBy: marker.count)..<end]
    guard line.hasSuffix(" -->") else { throw DocumentError("the ghp-escalation header is not closed") }
    do {
      return try Escalation(json: JSON.parse(String(line.dropLast(4))))
    } catch let error as DocumentError {
      throw error
    } catch {
      throw DocumentError("the ghp-escalation header is not JSON: \(error)")
    }
  }
}

extension StateSnapshot {
  /// Every escalation, by id.
  public func escalations() throws(GHPError) -> [Escalation] {
    guard let tree else { return [] }
    let entries: [(name: String, id: ObjectID)]
    do {
      guard let folder = try tree.entryID(at: StatePaths.escalationsFolder) else { return [] }
      entries = try repository.tree(folder).entries()
    } catch {
      throw .git(error)
    }
    var out: [Escalation] = []
    for entry in entries where entry.name.hasSuffix(".md") {
      out.append(try escalation(String(entry.name.dropLast(3)))!)
    }
    return out.sorted { IssueID.precedes($0.id, $1.id) }
  }

  /// The escalation with this number, nil when there is none; refuses an invalid number or a damaged document.
  public func escalation(_ id: String) throws(GHPError) -> Escalation? {
    guard (try? IssueID.validate(id)) == id else {
      throw .invalidValue("escalation id '\(id)'", "use the number `ghp escalations` shows")
    }
    let path = StatePaths.escalation(id)
    guard let text = try text(path) else { return nil }
    do { return try Escalation.parse(text) } catch {
      throw .corruptDocument(path: path, commit: shortCommit, detail: error.detail)
    }
  }
}
