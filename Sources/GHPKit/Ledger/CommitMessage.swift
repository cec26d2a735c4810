/// The message of a state commit: a readable subject, then trailers that say what happened so that
/// a later step can re-apply the operation onto a newer tip.
///
/// ```
/// worker-1: claim #147 Create dashboard command
///
/// Ghp-Op: claim
/// Ghp-Agent: worker-1
/// Ghp-Issue: 147
/// Ghp-Epoch: 3
/// ```
public struct CommitMessage: Equatable, Sendable {
  public var subject: String
  public var body: String?
  public var op: String
  public var agent: String
  public var issue: String?
  public var epoch: Int?
  /// The operation's other arguments, one JSON object on one line.
  public var arguments: JSON?
  /// For an operation re-applied by `ghp sync`: the local commit it came from, so that a sync
  /// run again after a lost connection never applies it twice.
  public var replayOf: String?

  public init(
    subject: String, body: String? = nil, op: String, agent: String, issue: String? = nil, epoch: Int? = nil,
    arguments: JSON? = nil
  ) {
    self.subject = subject
    self.body = body
    self.op = op
    self.agent = agent
    self.issue = issue
    self.epoch = epoch
    self.arguments = arguments
  }

  public var text: String {
    var lines = [String(subject.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")]
    lines.append("")
    if let body, !body.isEmpty {
      lines.append(body)
      lines.append("")
    }
    lines.append("Ghp-Op: \(op)")
    lines.append("Ghp-Agent: \(agent)")
    if let issue { lines.append("Ghp-Issue: \(issue)") }
    if let epoch { lines.append("Ghp-Epoch: \(epoch)") }
    if let arguments, arguments != .object([:]) { lines.append("Ghp-Args: \(arguments.compact())") }
    if let replayOf { lines.append("Ghp-Replay-Of: \(replayOf)") }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The `Ghp-*` trailers of the last paragraph of a message.
  public static func trailers(_ message: String) -> [String: String] {
    var trailers: [String: String] = [:]
    let lines = message.split(separator: "\n", omittingEmptySubsequences: false)
    for line in lines.reversed() {
      if line.isEmpty { if trailers.isEmpty { continue } else { break } }
      guard line.hasPrefix("Ghp-"), let colon = line.firstIndex(of: ":") else {
        if trailers.isEmpty { continue } else { break }
      }
      let key = String(line[..<colon])
      let value = line[line.index(after: colon)...].drop { $0 == " " }
      trailers[key] = String(value)
    }
    return trailers
  }

  /// Reads a state commit's message; nil when it has no `Ghp-Op` trailer (a commit made by hand).
  public static func parse(_ message: String) -> CommitMessage? {
    let trailers = trailers(message)
    let lines = message.split(separator: "\n", omittingEmptySubsequences: false)
    guard let op = trailers["Ghp-Op"], let agent = trailers["Ghp-Agent"] else { return nil }
    var message = CommitMessage(
      subject: lines.first.map(String.init) ?? "", op: op, agent: agent, issue: trailers["Ghp-Issue"],
      epoch: trailers["Ghp-Epoch"].flatMap { Int($0) }, arguments: trailers["Ghp-Args"].flatMap { try? JSON.parse($0) })
    message.replayOf = trailers["Ghp-Replay-Of"]
    return message
  }
}
