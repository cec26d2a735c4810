/// The message of a state commit: a readable subject (and body), then trailers. The last trailer,
/// `Ghp-Operation`, is the operation itself (see `OperationRecord`); the others repeat the most
/// useful facts for people reading `git log` and are checked against it.
///
/// ```
/// worker-1: claim #147 Create dashboard command
///
/// Ghp-Op: claim
/// Ghp-Agent: worker-1
/// Ghp-Issue: 147
/// Ghp-Epoch: 3
/// Ghp-Operation: {"args":{"issue":"147"},"op":"claim","v":1}
/// ```
public struct CommitMessage: Equatable, Sendable {
  /// The keys of the trailers ghp writes, each spelled here only.
  public enum Trailer {
    /// The operation's name (`Ghp-Op`).
    public static let op = "Ghp-Op"
    /// Who acted (`Ghp-Agent`).
    public static let agent = "Ghp-Agent"
    /// The issue it is about (`Ghp-Issue`).
    public static let issue = "Ghp-Issue"
    /// The epoch of the claim it was made under (`Ghp-Epoch`).
    public static let epoch = "Ghp-Epoch"
    /// The local commit a `ghp sync` replay came from (`Ghp-Replay-Of`).
    public static let replayOf = "Ghp-Replay-Of"
  }

  /// The summary line `git log --oneline` shows (written cleaned, its first line only).
  public var subject: String
  /// Free text between the subject and the trailers, nil for none.
  public var body: String?
  /// The operation with all of its arguments, written last as the `Ghp-Operation` trailer.
  public var operation: OperationRecord
  /// The agent who acted (`Ghp-Agent`), which must be the commit's author.
  public var agent: String
  /// The issue it is about (`Ghp-Issue`), nil when it names none.
  public var issue: String?
  /// The epoch of the claim it was made under (`Ghp-Epoch`), nil outside a claim.
  public var epoch: Int?
  /// For an operation re-applied by `ghp sync`: the local commit it came from, so that a sync
  /// run again after a lost connection never applies it twice.
  public var replayOf: String?

  /// A message with no `Ghp-Replay-Of`; `subject` and `body` are cleaned when written.
  public init(
    subject: String, body: String? = nil, operation: OperationRecord, agent: String, issue: String? = nil,
    epoch: Int? = nil
  ) {
    self.subject = subject
    self.body = body
    self.operation = operation
    self.agent = agent
    self.issue = issue
    self.epoch = epoch
  }

  /// The operation's name (`Ghp-Op`).
  public var op: String { operation.name }

  /// The operation's arguments.
  public var arguments: JSON { .object(operation.arguments) }

  /// The whole message as committed: subject, body, the `Ghp-*` trailers, the record last.
  public var text: String {
    var lines = [Self.oneLine(subject)]
    lines.append("")
    if let body = body.map(Self.clean), !body.trimmingSpaces.isEmpty {
      lines.append(body)
      lines.append("")
    }
    lines.append("\(Trailer.op): \(op)")
    lines.append("\(Trailer.agent): \(agent)")
    if let issue { lines.append("\(Trailer.issue): \(issue)") }
    if let epoch { lines.append("\(Trailer.epoch): \(epoch)") }
    if let replayOf { lines.append("\(Trailer.replayOf): \(replayOf)") }
    lines.append("\(OperationRecord.trailer): \(operation.encoded)")
    return lines.joined(separator: "\n") + "\n"
  }

  /// Free text made safe for a message: every control character but a newline or a tab (a NUL above
  /// all, at which libgit2 would end the message) becomes a space.
  static func clean(_ text: String) -> String {
    var scalars = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      let control =
        scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
        || scalar.value == 0x2028 || scalar.value == 0x2029
      scalars.append(control && scalar != "\n" && scalar != "\t" ? " " : scalar)
    }
    return String(scalars)
  }

  /// A subject: the first line of the text, cleaned.
  static func oneLine(_ text: String) -> String {
    clean(String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""))
      .replacingTabs
  }

  /// The `Ghp-*` trailers of the message's last paragraph, and only of that one: text after the
  /// trailers (or a paragraph above them) is never read as one. A key given twice is not trusted.
  public static func trailers(_ message: String) -> [String: String] {
    var trailers: [String: String] = [:]
    var repeated: Set<String> = []
    var lines = message.split(separator: "\n", omittingEmptySubsequences: false)
    while let last = lines.last, last.allSatisfy({ $0 == " " || $0 == "\r" }) { lines.removeLast() }
    for line in lines.reversed() {
      if line.allSatisfy({ $0 == " " || $0 == "\r" }) { break }
      guard line.hasPrefix("Ghp-"), let colon = line.firstIndex(of: ":") else { continue }
      let key = String(line[..<colon])
      let value = line[line.index(after: colon)...].drop { $0 == " " }
      if trailers[key] != nil { repeated.insert(key) }
      trailers[key] = String(value)
    }
    for key in repeated { trailers[key] = nil }
    return trailers
  }

  /// Reads a state commit's message; nil when it carries no operation ghp can read (a commit made
  /// by hand, or one whose trailers disagree with its operation).
  public static func parse(_ message: String) -> CommitMessage? {
    try? read(message).get()
  }

  /// Reads a state commit's message, or says why it is not one ghp made.
  public static func read(_ message: String) -> Result<CommitMessage, GHPError> {
    let trailers = trailers(message)
    guard let encoded = trailers[OperationRecord.trailer] else {
      return .failure(.invalidValue("commit", "it carries no \(OperationRecord.trailer) trailer"))
    }
    let record: OperationRecord
    switch OperationRecord.decode(encoded) {
    case .success(let decoded): record = decoded
    case .failure(let error): return .failure(error)
    }
    guard let agent = trailers[Trailer.agent] else {
      return .failure(.invalidValue("commit", "it has no Ghp-Agent trailer"))
    }
    guard trailers[Trailer.op] == record.name else {
      return .failure(
        .invalidValue("commit", "its Ghp-Op says \(trailers[Trailer.op] ?? "nothing") but it records \(record.name)"))
    }
    let lines = message.split(separator: "\n", omittingEmptySubsequences: false)
    var parsed = CommitMessage(
      subject: lines.first.map(String.init) ?? "", operation: record, agent: agent, issue: trailers[Trailer.issue],
      epoch: trailers[Trailer.epoch].flatMap { Int($0) })
    parsed.replayOf = trailers[Trailer.replayOf]
    return .success(parsed)
  }
}

extension String {
  fileprivate var replacingTabs: String {
    contains("\t") ? split(separator: "\t", omittingEmptySubsequences: false).joined(separator: " ") : self
  }
}
