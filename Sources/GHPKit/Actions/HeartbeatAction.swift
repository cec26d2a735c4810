/// `ghp agent-heartbeat`, `ghp agent-status update`, the Claude Code hook and the MCP tool
/// `heartbeat`: the actor says it is alive, what it just did, what it is doing and on which issue;
/// the answer tells it what it must know (an answer to its question, a claim it lost, work sent
/// back, a handoff waiting for it).
public struct HeartbeatAction {
  /// What the agent is doing: implementing, testing, blocked, … (validated).
  public var status: String?
  /// What it just did.
  public var action: String?
  /// The issue it works on, which it must hold (validated).
  public var issue: String?
  /// A heartbeat (recorded as `heartbeat`) rather than a status update (`status`).
  public var isHeartbeat: Bool
  /// For hooks: no commit while the last heartbeat is recent and nothing changed.
  public var coalesce: Bool

  /// A report; `status` and `issue` are validated here.
  public init(
    status: String? = nil, action: String? = nil, issue: String? = nil, isHeartbeat: Bool = true,
    coalesce: Bool = false
  ) throws(GHPError) {
    if let status { try StatusUpdateOperation.validateStatus(status) }
    self.status = status
    self.action = action
    self.issue = try issue.map { (id) throws(GHPError) in try IssueID.validate(id) }
    self.isHeartbeat = isHeartbeat
    self.coalesce = coalesce
  }

  /// The operation this report lands.
  public var operation: StatusUpdateOperation {
    StatusUpdateOperation(
      status: status, action: action, issueID: issue, isHeartbeat: isHeartbeat, coalesce: coalesce)
  }

  /// What the report recorded, or that a recent heartbeat still stands.
  public struct Answer: ActionAnswer {
    /// The agent who reported.
    public var agent: String
    /// What the operation answered.
    public var result: StatusUpdateOperation.Output
    /// The state commit, or the commit on the agent's own heartbeat ref (`AliveRefs`) for a plain
    /// heartbeat in remote mode; nil when nothing was recorded.
    public var commit: ObjectID?
    /// The time the report was made at.
    public var now: Int64

    /// What the agent must be told, one line each.
    public var notices: [String] { result.notices }
    /// Claims it lost: work it must stop (the CLI exits 3).
    public var lostClaims: Bool { !result.lostClaims.isEmpty }

    /// The answer as `--json` prints it and the MCP tool returns it.
    public var json: JSON {
      if let last = result.skipped {
        return .object([
          "agent": .string(agent), "skipped": .bool(true), "lastHeartbeatAt": .string(RFC3339.format(last)),
          "commit": .null,
        ])
      }
      guard case .object(var fields) = result.json else { return result.json }
      fields["agent"] = .string(agent)
      fields["commit"] = commit.answerJSON
      fields["notices"] = .array(notices.map { .string($0) })
      return .object(fields)
    }

    /// The answer for a person, one sentence a line.
    public var lines: [String] {
      if let last = result.skipped {
        return ["\(agent): heartbeat \(Duration.exact(max(0, now - last))) ago still stands; nothing recorded"]
      }
      return ["\(agent): \(result.record.status) at \(RFC3339.format(result.record.timestamp))"]
    }

    /// What goes beside the answer (standard error in the CLI).
    public var notes: [String] { result.skipped == nil ? notices : [] }
  }

  /// Lands the report as the acting agent.
  public func run(in workspace: Workspace) throws(GHPError) -> Answer {
    let agent = try workspace.actor()
    // In remote mode a heartbeat that names no issue and sets no status the state acts on goes to
    // the agent's own ref, off the contended path (`AliveRefs`); anything else, or anything it
    // must be told, goes through ghp/state.
    if isHeartbeat, issue == nil, let remote = try workspace.snapshot().remoteName,
      let outcome = try workspace.ledger.beatAlive(
        remote: remote, actor: agent, clock: workspace.clock, action: action, status: status, coalesce: coalesce)
    {
      switch outcome {
      case .beat(let record, let commit):
        return Answer(
          agent: agent,
          result: .init(record: record, lostClaims: [], returned: [], handoffWaiting: nil, answers: []),
          commit: commit, now: workspace.clock.now)
      case .skipped(let record, let last):
        return Answer(
          agent: agent,
          result: .init(record: record, lostClaims: [], returned: [], handoffWaiting: nil, answers: [], skipped: last),
          commit: nil, now: workspace.clock.now)
      }
    }
    // Through ghp/state, the entry becomes newer than the agent's last beat: what that beat said
    // and this report does not (its status, its action) is said again, or readers would go back
    // to the entry's older words.
    var operation = self.operation
    if operation.status == nil || operation.action == nil {
      let state = try workspace.snapshot()
      if state.remoteName != nil, let beat = AliveRefs.latest(of: agent, in: state),
        let said = try state.agentRecord(agent)?.said(by: beat)
      {
        if operation.status == nil { operation.status = said.status }
        if operation.action == nil { operation.action = said.action }
      }
    }
    let landed = try workspace.run(operation, as: agent)
    return Answer(agent: agent, result: landed.result, commit: landed.commit, now: workspace.clock.now)
  }
}
