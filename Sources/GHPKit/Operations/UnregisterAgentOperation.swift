import Glibc

/// Unregisters an agent and releases its claims (epoch + 1), recording why (orchestrators).
public struct UnregisterAgentOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "agent-remove"

  /// The agent to unregister.
  public var name: String

  /// Unregisters `name`.
  public init(name: String) { self.name = name }

  /// Removes the agent and reopens every issue it held (orchestrators only); returns their ids.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, [String]) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "remove agents")
    var agents = try state.agents()
    guard agents.agents[name] != nil else {
      throw .unknownAgent(name, hint: KnownAgent.closest(to: name, among: agents.agents))
    }
    var change = Change(message: CommitMessage(subject: "", operation: record, agent: actor))
    let held = try state.issueSummaries().filter { $0.status == .claimed && $0.assignee == name }.map(\.id).sorted(
      by: IssueID.precedes)
    for id in held {
      var issue = try state.requireIssue(id)
      issue.reopen(at: clock.now, takenBy: actor, reason: "agent \(name) removed")
      change.put(StatePaths.issue(id), json: issue.json)
    }
    agents.agents[name] = nil
    change.put(StatePaths.agentStatus, json: agents.json)
    change.message.subject =
      "\(actor): remove agent \(name)"
      + (held.isEmpty ? "" : " (released " + held.map { "#\($0)" }.joined(separator: ", ") + ")")
    return (change, held)
  }
}
