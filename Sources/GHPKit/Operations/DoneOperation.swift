/// `ghp done <id>`: the holder reports the issue finished, with its result. With `[landing]`
/// configured the issue is submitted for landing instead (status `landing`), with the branch tip
/// and base tip the caller read (`LandingSubmission.gather`); it is done once `ghp land` landed it.
public struct DoneOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "done"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case issueID = "issue"
    case result
    case branch = "landing"
  }

  /// What the caller read from the repository: the branch to land, its tip, the base and its tip.
  public struct Branch: Equatable, Sendable, Codable {
    /// The branch to land, `agent/<holder>`.
    public var branch: String
    /// The branch's tip when done was run: the commit to land.
    public var tip: ObjectID
    /// The branch it lands on, the `[landing]` base.
    public var base: String
    /// The base's tip when done was run.
    public var baseTip: ObjectID

    /// The branch and base as read, with their tips.
    public init(branch: String, tip: ObjectID, base: String, baseTip: ObjectID) {
      self.branch = branch
      self.tip = tip
      self.base = base
      self.baseTip = baseTip
    }

  }

  /// The issue reported finished.
  public var issueID: String
  /// What was done, for `.ghp/results/<id>.md`; its first line, clipped, is the issue's result.
  public var result: String
  /// What to land, required with `[landing]` configured; dropped from the record otherwise.
  public var branch: Branch?

  /// Reports `issueID` done with `result`, submitting `branch` for landing when given.
  public init(issueID: String, result: String, branch: Branch? = nil) {
    self.issueID = issueID
    self.result = result
    self.branch = branch
  }

  /// The same report with the issue's id renamed.
  public func renaming(_ renames: IDRenames) -> Self {
    DoneOperation(issueID: renames.issue(issueID), result: result, branch: branch)
  }

  /// Marks the issue done, or landing with `[landing]` configured, writes its result and frees
  /// its holder; only the holder or an orchestrator may.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    let text = result.trimmingSpaces
    guard !text.isEmpty else { throw .emptyText("the result") }
    try TextLimit.check(text, "the result", TextLimit.long)
    var issue = try state.requireIssue(issueID)
    try requireHolderOrOrchestrator(issue, actor, state, toDo: "done")
    let holder = issue.assignee ?? actor
    let summary = TextTable.clip(text.split(separator: "\n").first.map(String.init) ?? text, 200)
    let policy = try state.config().landing
    var subject = "\(actor): done #\(issue.id) \(issue.title)"
    var action = "Done #\(issue.id): \(summary)"
    if let policy {
      guard let branch else {
        throw .refused(
          "#\(issue.id): [landing] is configured, so done submits agent/\(holder) for landing and must name its tip; run `ghp done \(issue.id) --result ...` in this repository (it reads the branch and its worktree)"
        )
      }
      guard branch.branch == "agent/\(holder)" else {
        throw .refused("#\(issue.id) is held by \(holder): only agent/\(holder) can land it, not \(branch.branch)")
      }
      guard branch.base == policy.base else {
        throw .refused("#\(issue.id): work lands on \(policy.base) ([landing] base), not \(branch.base)")
      }
      guard branch.tip != branch.baseTip else {
        throw .refused("#\(issue.id): \(branch.branch) is \(branch.base) itself; commit the work on it first")
      }
      issue.status = .landing
      issue.submission = Submission(
        branch: branch.branch, tip: branch.tip, base: branch.base, baseTip: branch.baseTip, at: clock.now, by: actor)
      issue.pending = nil
      issue.bounced = nil
      subject =
        "\(actor): done #\(issue.id) \(issue.title) (landing \(branch.branch) \(branch.tip.short) onto \(branch.base))"
      action = "Submitted #\(issue.id) for landing: \(summary)"
    } else {
      issue.status = .done
    }
    issue.result = summary
    issue.updatedAt = clock.now
    // Only the holder's entry is read and written (`AgentEntries`), and the manager's of an epic
    // this completes.
    let epics = try state.epicsCompleted(by: [issue])
    var agents = try state.agents(only: [holder] + epics.compactMap(StateSnapshot.manager(of:)))
    try agents.finish(holder, issue: issue.id, action: action, clock: clock, byHolder: holder == actor, state: state)
    var recorded = self
    recorded.issueID = issue.id
    recorded.result = text
    if policy == nil { recorded.branch = nil }
    var change = Change(
      message: CommitMessage(
        subject: subject, body: summary, operation: recorded.record, agent: actor, issue: issue.id, epoch: issue.epoch))
    change.put(StatePaths.issue(issue.id), json: issue.json)
    try change.close(epics, finished: [issue.id], agents: &agents, state: state, clock: clock)
    change.put(
      StatePaths.result(issue.id),
      text: "# #\(issue.id) \(issue.title)\n\nDone by \(holder) at \(RFC3339.format(clock.now)).\n\n\(text)\n")
    try change.putAgents(agents.agents, onto: state)
    return (change, issue)
  }
}

extension DoneOperation {
  /// The issue its record names.
  public var recordedIssue: String? { issueID }
}
