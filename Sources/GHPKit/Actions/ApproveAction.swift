/// `ghp approve` and the page's approve button: lets an agent edit shared files matching globs, once
/// or until revoked. Only an orchestrator approves, and only an agent registered under that name
/// (a typo must not approve nobody); the approval answers the escalations that asked for it.
public struct ApproveAction {
  /// Who may edit.
  public var agent: String
  /// The files or globs.
  public var globs: [String]
  /// Used up by the first commit that needs it.
  public var once: Bool
  /// Why, for the record.
  public var note: String?
  /// Whether `agent` may be a name no agent is registered under.
  public var allowNew: Bool

  /// An approval for `agent` to edit `globs`.
  public init(agent: String, globs: [String], once: Bool = false, note: String? = nil, allowNew: Bool = false) {
    self.agent = agent
    self.globs = globs
    self.once = once
    self.note = note
    self.allowNew = allowNew
  }

  /// The approval made and the escalations it answered.
  public struct Answer: ActionAnswer {
    /// What the operation answered.
    public var result: ApproveOperation.Output
    /// The globs as asked for.
    public var globs: [String]
    /// Whether it is used up by one commit.
    public var once: Bool
    /// The state commit.
    public var commit: ObjectID?

    /// The answer as `--json` prints it and the MCP tool returns it.
    public var json: JSON {
      guard case .object(var fields) = result.json else { return result.json }
      fields["commit"] = commit.answerJSON
      return .object(fields)
    }

    /// The answer for a person, one sentence a line.
    public var lines: [String] {
      let agent = result.approval.agent
      return [
        "Approval \(result.approval.id): \(agent) may edit \(globs.joined(separator: " "))\(once ? " once" : "")."
      ]
        + result.resolvedEscalations.map {
          "Escalation \($0) asked for this approval: it is answered (\(agent) is told on its next report)."
        }
    }
  }

  /// Checks the actor's authority and the agent's name, then lands the approval.
  public func run(in workspace: Workspace) throws(GHPError) -> Answer {
    let state = try workspace.snapshot()
    let actor = try workspace.actor()
    if try state.role(of: actor) != .orchestrator {
      try ApproveOperation.requireManagersApproval(state, actor: actor, agent: agent, globs: globs)
      if !once {
        throw GHPError.refused(
          "a manager's approval is for one commit (the one that uses it): add --once, or ask an orchestrator for a lasting one"
        )
      }
    }
    try KnownAgent.require(agent, in: state, toDo: "approve it", allowNew: allowNew)
    let landed = try workspace.run(ApproveOperation(agent: agent, globs: globs, once: once, note: note), as: actor)
    return Answer(result: landed.result, globs: globs, once: once, commit: landed.commit)
  }
}
