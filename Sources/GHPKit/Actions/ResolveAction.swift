/// `ghp resolve` and the page's answer box: answers an open escalation as the acting orchestrator;
/// the asking agent is told on its next report.
public struct ResolveAction {
  /// The escalation's number.
  public var escalation: String
  /// The decision.
  public var answer: String

  /// An answer to escalation `escalation`.
  public init(escalation: String, answer: String) {
    self.escalation = escalation
    self.answer = answer
  }

  /// The escalation as answered.
  public struct Answer: ActionAnswer {
    /// The escalation, answered.
    public var escalation: Escalation
    /// The state commit.
    public var commit: ObjectID?

    /// The answer as `--json` prints it and the MCP tool returns it.
    public var json: JSON {
      guard case .object(var fields) = escalation.answerJSON else { return escalation.answerJSON }
      fields["commit"] = commit.answerJSON
      return .object(fields)
    }

    /// The answer for a person, one sentence a line.
    public var lines: [String] {
      ["Answered escalation \(escalation.id); \(escalation.agent) sees the answer on its next report."]
    }
  }

  /// Lands the answer as the acting agent.
  public func run(in workspace: Workspace) throws(GHPError) -> Answer {
    let landed = try workspace.run(ResolveOperation(escalationID: escalation, answer: answer))
    return Answer(escalation: landed.result, commit: landed.commit)
  }
}
