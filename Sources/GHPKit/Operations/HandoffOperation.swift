import Glibc

/// `ghp agent-handoff`: a handoff document generated from the state and the repository, stored at
/// `.ghp/handoffs/<issue>.md`; with a receiver, the claim passes to it in the same commit.
public struct HandoffOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "handoff"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case issueID = "issue"
    case receiver = "to"
    case note, branch
  }

  /// The issue handed off; the actor must hold it.
  public var issueID: String
  /// The agent the claim passes to in the same commit (`to` in the record); nil only writes
  /// the document.
  public var receiver: String?
  /// What the giver adds for the receiver, nil when nothing.
  public var note: String?
  /// What the giver's branch holds, as read from the repository when the handoff was made.
  public var branch: BranchReport

  /// A handoff of `issueID`, to `receiver` when given.
  public init(issueID: String, receiver: String?, note: String?, branch: BranchReport) {
    self.issueID = issueID
    self.receiver = receiver
    self.note = note
    self.branch = branch
  }

  /// The handoff as written, and the issue after it.
  public struct Output: Sendable {
    /// The handoff document, Markdown rendered from `handoff.md`.
    public var document: String
    /// The issue after the handoff: claimed by the receiver when there is one.
    public var issue: Issue
  }

  /// The same handoff with the issue's id renamed.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.issueID = renames.issue(issueID)
    return renamed
  }

  /// Writes `.ghp/handoffs/<issue>.md` from the issue, the branch, the actor's recent actions,
  /// discoveries and open escalations; with a receiver, hands the claim over (epoch + 1).
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Output) {
    try state.requireInitialised()
    var issue = try state.requireIssue(issueID)
    guard issue.status == .claimed, issue.assignee == actor else { throw issue.refusal(for: actor, action: "hand off") }
    try TextLimit.check(note, "the note", TextLimit.note)
    if let receiver {
      try AgentName.validate(receiver)
      if receiver == actor { throw .invalidValue("--to", "you already hold #\(issue.id)") }
      try state.requireIndependentAttempt(issue, agent: receiver, toDo: "take over")
    }
    var agents = try state.agents()
    let record = agents.record(for: actor, clock: clock)
    let claimedAt = issue.claimedAt ?? 0
    let discoveries = Discovery.parse(try state.text(StatePaths.discoveries) ?? "").filter { $0.at >= claimedAt }
    let escalations = try state.escalations().filter {
      $0.status == .open && ($0.agent == actor || $0.issue == issue.id || $0.about == actor)
    }
    let actions = try HistoryLog.entries(state, agent: actor, limit: 10, scanning: 2000)

    var values: [String: Any] = [
      "from": actor, "at": RFC3339.format(clock.now), "status": record.status, "lastAction": record.lastAction,
      "lastHeartbeat": RFC3339.format(record.timestamp), "branch": branch.values,
      "hasDependencies": !issue.dependencies.isEmpty, "hasBody": !issue.body.trimmingSpaces.isEmpty,
      "hasScope": !issue.scope.isEmpty, "hasFiles": !branch.files.isEmpty,
      "hasUncommitted": !branch.uncommitted.isEmpty,
      "actions": actions.map { ["time": RFC3339.format($0.time), "subject": $0.subject] },
      "discoveries": discoveries.map { ["at": RFC3339.format($0.at), "agent": $0.agent, "text": $0.text] },
      "escalations": escalations.map {
        ["id": $0.id, "severity": $0.severity.rawValue, "agent": $0.agent, "question": $0.question]
      },
    ]
    if let receiver { values["to"] = receiver }
    if let note = note?.trimmingSpaces, !note.isEmpty { values["note"] = note }

    var subject = "\(actor): handoff #\(issue.id) \(issue.title)"
    if let receiver {
      try agents.finish(
        actor, issue: issue.id, action: "Handed off #\(issue.id) to \(receiver)", clock: clock, byHolder: true,
        state: state)
      if agents.agents[actor]?.issue == nil { agents.agents[actor]?.status = StatusWord.handedOff }
      let previous = agents.agents[receiver]
      handOver(
        &issue, to: receiver, agents: &agents, clock: clock, status: StatusWord.handoff,
        action: "Received #\(issue.id) from \(actor)")
      // Receiving work is not the receiver's own heartbeat.
      if let previous { agents.agents[receiver]?.timestamp = previous.timestamp }
      agents.agents[receiver]?.handoffWaiting = issue.id
      subject += " to \(receiver)"
    } else {
      var updated = record
      updated.lastAction = "Wrote a handoff for #\(issue.id)"
      updated.timestamp = clock.now
      agents.agents[actor] = updated
    }
    values["issue"] =
      [
        "id": issue.id, "title": issue.title, "body": issue.body, "priority": issue.priority,
        "status": issue.status.rawValue,
        "epoch": issue.epoch, "dependencies": issue.dependencies, "scope": issue.scope,
      ] as [String: Any]
    let document = try Templates.render("handoff.md", state: state, values)

    var change = Change(
      message: CommitMessage(
        subject: subject,
        operation: HandoffOperation(issueID: issue.id, receiver: receiver, note: note, branch: branch).record,
        agent: actor, issue: issue.id, epoch: issue.epoch))
    change.put(StatePaths.handoff(issue.id), text: document)
    if receiver != nil { change.put(StatePaths.issue(issue.id), json: issue.json) }
    change.put(StatePaths.agentStatus, json: agents.json)
    return (change, Output(document: document, issue: issue))
  }
}

extension StateSnapshot {
  /// The issues that have a handoff document, in id order.
  public func handoffIssues() throws(GHPError) -> [String] {
    guard let tree else { return [] }
    do {
      guard let folder = try tree.entryID(at: StatePaths.handoffsFolder) else { return [] }
      return try repository.tree(folder).entries().map(\.name).filter { $0.hasSuffix(".md") }.map {
        String($0.dropLast(3))
      }
      .sorted(by: IssueID.precedes)
    } catch {
      throw .git(error)
    }
  }
}

extension HandoffOperation {
  /// The issue its record names.
  public var recordedIssue: String? { issueID }
  /// Who holds the issue once it landed.
  public func handsOver(actor: String) -> String? { receiver }
}
