/// `ghp agent-heartbeat` and `ghp agent-status update`: the agent says it is alive, what it is doing,
/// and on which issue. A heartbeat is always a commit: it is the record that the agent was alive.
public struct StatusUpdateOperation: StateOperation {
  public var status: String?
  public var action: String?
  /// The issue the agent works on; it must hold it.
  public var issueID: String?
  /// True for a heartbeat (the op recorded in the commit).
  public var isHeartbeat: Bool

  public init(status: String? = nil, action: String? = nil, issueID: String? = nil, isHeartbeat: Bool) {
    self.status = status
    self.action = action
    self.issueID = issueID
    self.isHeartbeat = isHeartbeat
  }

  /// Validates a status word: lowercase letters, digits and '-', at most 32 characters.
  public static func validateStatus(_ status: String) throws(GHPError) {
    let ok =
      !status.isEmpty && status.utf8.count <= 32
      && status.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    if !ok {
      throw .invalidValue(
        "status '\(status)'", "use a lowercase word such as implementing, testing, blocked or reviewing")
    }
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, AgentRecord) {
    try state.requireInitialised()
    if let status { try Self.validateStatus(status) }
    var agents = try state.agents()
    var record = agents.record(for: actor, clock: clock)
    if let issueID {
      let issue = try state.requireIssue(issueID)
      guard issue.assignee == actor, issue.status == .claimed else {
        throw .refused(
          issue.status == .claimed
            ? "\(holderDescription(issue)), not by \(actor): a status may name only an issue you hold"
            : "#\(issue.id) is \(issue.status.rawValue), not held by \(actor): claim it first (`ghp claim \(issue.id)`)")
      }
      record.issue = issue.id
    }
    if let status { record.status = status }
    if let action { record.lastAction = action }
    record.timestamp = clock.now
    agents.agents[actor] = record
    let op = isHeartbeat ? "heartbeat" : "status"
    var arguments: [String: JSON] = [:]
    if let status { arguments["status"] = .string(status) }
    if let action { arguments["action"] = .string(action) }
    let detail = [status, action].compactMap { $0 }.joined(separator: ": ")
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): \(op)" + (detail.isEmpty ? "" : " \(detail)"), op: op, agent: actor, issue: record.issue,
        arguments: .object(arguments)))
    change.put(StatePaths.agentStatus, json: agents.json)
    return (change, record)
  }
}
