/// `ghp agent-handoff` and the MCP tool `handoff`: writes the handoff of an issue the actor holds,
/// built from the state and the actor's branch, and with a receiver passes on the claim (epoch + 1)
/// and the code: `agent/<receiver>` continues from the giver's tip when that loses nothing, or the
/// answer names the one command that continues from it.
public struct HandoffAction {
  /// The issue handed off (validated).
  public var issue: String
  /// The agent who takes the claim over; nil writes the document only.
  public var receiver: String?
  /// The giver's own words for the receiver.
  public var note: String?
  /// Where to also write the document, as `HandoffFile.validate` resolved it; with a receiver, the
  /// same place inside the receiver's worktree.
  public var destination: String?
  /// Whether `receiver` may be a name no agent is registered under (it is registered by the handoff).
  public var allowNew: Bool

  /// A handoff of `issue` (validated here).
  public init(
    issue: String, receiver: String? = nil, note: String? = nil, destination: String? = nil, allowNew: Bool = false
  ) throws(GHPError) {
    self.issue = try IssueID.validate(issue)
    self.receiver = receiver
    self.note = note
    self.destination = destination
    self.allowNew = allowNew
  }

  /// What the handoff did.
  public struct Answer: ActionAnswer {
    /// The issue after the handoff (the receiver's, when there is one).
    public var issue: Issue
    /// The handoff document, as stored at `.ghp/handoffs/<issue>.md`.
    public var document: String
    /// The giver's branch as the document describes it.
    public var branch: BranchReport
    /// The state commit.
    public var commit: ObjectID?
    /// What happened to the code: the receiver's branch moved, or the command that continues.
    public var code: HandoffCode.Outcome
    /// Where the document was also written.
    public var written: String?
    /// Who takes the claim over, when anyone does.
    public var receiver: String?

    /// The answer as `--json` prints it and the MCP tool returns it.
    public var json: JSON {
      let codeJSON: JSON
      switch code {
      case .continued(let name, let tip, _):
        codeJSON = .object(["continued": .bool(true), "branch": .string(name), "tip": .string(tip.hex)])
      case .command(let command, let why):
        codeJSON = .object(["continued": .bool(false), "command": .string(command), "why": .string(why)])
      case .nothing:
        codeJSON = .null
      }
      return .object([
        "issue": issue.answerJSON, "document": .string(document), "branch": branch.json,
        "path": .string(StatePaths.handoff(issue.id)), "commit": commit.answerJSON, "code": codeJSON,
        "written": written.map { .string($0) } ?? .null,
      ])
    }

    /// The answer for a person, one sentence a line.
    public var lines: [String] { [document] }

    /// What goes beside the answer (standard error in the CLI).
    public var notes: [String] {
      var out: [String] = []
      if !branch.uncommitted.isEmpty {
        out.append(
          "uncommitted work in \(branch.worktree ?? "your worktree") is not handed over: \(branch.uncommitted.prefix(10).joined(separator: ", ")); commit it on \(branch.name) and hand off again"
        )
      }
      switch code {
      case .continued(let name, let tip, let worktree):
        out.append(
          "\(name) now continues from \(branch.name) at \(tip.short)"
            + (worktree.map { " (\($0) is checked out there)" } ?? ""))
      case .command(let command, let why):
        out.append("\(why): to continue from \(branch.name), \(receiver ?? "the receiver") runs: \(command)")
      case .nothing:
        break
      }
      return out
    }
  }

  /// Lands the handoff as the acting agent, then carries the code and writes the document.
  public func run(in workspace: Workspace) throws(GHPError) -> Answer {
    let giver = try workspace.actor()
    let state = try workspace.snapshot()
    if let receiver {
      try KnownAgent.require(receiver, in: state, toDo: "hand over to it", allowNew: allowNew)
    }
    let branch = BranchReport.gather(workspace.repository, agent: giver, base: try state.config().baseBranch)
    // Work the giver has not committed would stay behind, and once the claim is the receiver's the
    // giver may no longer commit it: refused before anything changes.
    if receiver != nil, !branch.uncommitted.isEmpty {
      let shown = branch.uncommitted.prefix(10).joined(separator: ", ") + (branch.uncommitted.count > 10 ? ", …" : "")
      throw .refused(
        "uncommitted work in \(branch.worktree ?? "your worktree") would stay behind (\(shown)); commit it on \(branch.name) first (git add -A && git commit -m \"wip\"), then hand off again; nothing was handed over"
      )
    }
    let landed = try workspace.run(
      HandoffOperation(issueID: issue, receiver: receiver, note: note, branch: branch), as: giver)
    var written = destination
    if let destination, let receiver,
      let theirs = HandoffCode.receiverPath(destination, workspace: workspace, receiver: receiver)
    {
      written = theirs
    }
    if let written { try HandoffFile.write(landed.result.document, to: written) }
    let code = receiver.map { HandoffCode.carry(workspace.repository, from: giver, to: $0) } ?? .nothing
    return Answer(
      issue: landed.result.issue, document: landed.result.document, branch: branch, commit: landed.commit, code: code,
      written: written, receiver: receiver)
  }
}
