/// Checks that every dependency exists (in `state` or among `incoming`) and that the graph, with
/// `incoming` applied, has no cycle.
func validateDependencies(_ state: StateSnapshot, incoming: [String: [String]]) throws(GHPError) {
  let existing = try state.issueSummaries()
  var graph = Dictionary(existing.map { ($0.id, $0.dependencies) }, uniquingKeysWith: { a, _ in a })
  for (id, dependencies) in incoming {
    for dependency in dependencies where graph[dependency] == nil && incoming[dependency] == nil {
      throw .invalidValue("dependency", "#\(id) depends on #\(dependency), which does not exist; nothing was written")
    }
    graph[id] = dependencies
  }
  if let cycle = DependencyGraph.cycle(in: graph) { throw DependencyGraph.refusal(cycle) }
}

extension AgentStatusDocument {
  /// The holder's status after it let go of an issue (done, failed, released, reassigned). When
  /// someone else acted, only the issue is cleared: that is not the holder's heartbeat. An agent
  /// that still holds another claim is never shown idle: its status names that one.
  mutating func finish(
    _ agent: String, issue: String, action: String, clock: Clock, byHolder: Bool, state: StateSnapshot
  ) throws(GHPError) {
    guard var record = agents[agent] else { return }
    let others = try state.issueSummaries().filter { $0.status == .claimed && $0.assignee == agent && $0.id != issue }
      .map(\.id).sorted(by: IssueID.precedes)
    if record.issue == issue || record.issue == nil { record.issue = others.first }
    if byHolder {
      record.status = others.isEmpty ? "idle" : "claimed"
      record.lastAction = action
      record.timestamp = clock.now
    }
    agents[agent] = record
  }
}

/// Fails unless `actor` holds `issue` or is an orchestrator (and the issue is claimed).
func requireHolderOrOrchestrator(_ issue: Issue, _ actor: String, _ state: StateSnapshot, toDo action: String)
  throws(GHPError)
{
  if issue.status == .claimed && issue.assignee == actor { return }
  if try state.role(of: actor) == .orchestrator && issue.status == .claimed { return }
  if issue.status != .claimed && issue.lastReleasedFrom != actor {
    throw .refused(
      "#\(issue.id) is \(issue.status.rawValue), not claimed: only a claimed issue can be marked \(action)")
  }
  throw issue.refusal(for: actor, action: "mark \(action)")
}

/// `ghp issue edit`: change an issue's title, body, priority, dependencies or scope (orchestrators).
public struct EditIssueOperation: RecordedOperation {
  public var issueID: String
  public var title: String?
  public var body: String?
  public var priority: Int?
  public var dependencies: [String]?
  public var scope: [String]?

  public init(
    issueID: String, title: String? = nil, body: String? = nil, priority: Int? = nil,
    dependencies: [String]? = nil, scope: [String]? = nil
  ) {
    self.issueID = issueID
    self.title = title
    self.body = body
    self.priority = priority
    self.dependencies = dependencies
    self.scope = scope
  }

  public var record: OperationRecord {
    OperationRecord(
      "issue-edit",
      [
        "issue": .string(issueID), "title": title.map { .string($0) } ?? .null,
        "body": body.map { .string($0) } ?? .null,
        "priority": priority.map { .int($0) } ?? .null,
        "dependencies": dependencies.map { .array($0.map { .string($0) }) } ?? .null,
        "scope": scope.map { .array($0.map { .string($0) }) } ?? .null,
      ])
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    issueID = try arguments.string("issue")
    title = try arguments.optionalString("title")
    body = try arguments.optionalString("body")
    priority = try arguments.optionalInt("priority")
    dependencies = try arguments.optionalStrings("dependencies")
    scope = try arguments.optionalStrings("scope")
  }

  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.issueID = renames.issue(issueID)
    renamed.dependencies = dependencies?.map(renames.issue)
    return renamed
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "edit issues")
    var issue = try state.requireIssue(issueID)
    var changed: [String] = []
    if let title {
      let trimmed = title.trimmingSpaces
      guard !trimmed.isEmpty else { throw .emptyText("the issue title") }
      try TextLimit.check(trimmed, "the issue title", TextLimit.title)
      issue.title = trimmed
      changed.append("title")
    }
    if let body {
      try TextLimit.check(body, "the issue body", TextLimit.long)
      issue.body = body
      changed.append("body")
    }
    if let priority {
      issue.priority = priority
      changed.append("priority \(priority)")
    }
    if let dependencies {
      if dependencies.contains(issue.id) { throw DependencyGraph.refusal([issue.id, issue.id]) }
      try validateDependencies(state, incoming: [issue.id: dependencies])
      issue.dependencies = dependencies
      changed.append(
        "after " + (dependencies.isEmpty ? "nothing" : dependencies.map { "#\($0)" }.joined(separator: ",")))
    }
    if let scope {
      issue.scope = scope
      changed.append("scope")
    }
    guard !changed.isEmpty else { return (nil, issue) }
    issue.updatedAt = clock.now
    var recorded = self
    recorded.issueID = issue.id
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): edit #\(issue.id) (\(changed.joined(separator: ", ")))", operation: recorded.record,
        agent: actor, issue: issue.id))
    change.put(StatePaths.issue(issue.id), json: issue.json)
    return (change, issue)
  }
}

/// `ghp assign <id> <agent>`: an orchestrator gives an issue to an agent (epoch + 1).
public struct AssignOperation: RecordedOperation {
  public var issueID: String
  public var agent: String

  public init(issueID: String, agent: String) {
    self.issueID = issueID
    self.agent = agent
  }

  public var record: OperationRecord { OperationRecord("assign", ["issue": .string(issueID), "to": .string(agent)]) }

  init(arguments: inout OperationArguments) throws(GHPError) {
    issueID = try arguments.string("issue")
    agent = try arguments.string("to")
  }

  public func renaming(_ renames: IDRenames) -> Self { AssignOperation(issueID: renames.issue(issueID), agent: agent) }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "assign issues")
    try AgentName.validate(agent)
    var issue = try state.requireIssue(issueID)
    if issue.status == .claimed && issue.assignee == agent { return (nil, issue) }
    if issue.status == .done || issue.status == .dead || issue.status == .landing {
      throw .refused("#\(issue.id) is \(issue.status.rawValue); only an open or claimed issue can be assigned")
    }
    let previous = issue.status == .claimed ? issue.assignee : nil
    if let previous { issue.recordTaking(from: previous, by: actor, at: clock.now, reason: "reassigned to \(agent)") }
    var agents = try state.agents()
    if let previous {
      try agents.finish(previous, issue: issue.id, action: "", clock: clock, byHolder: false, state: state)
    }
    handOver(
      &issue, to: agent, agents: &agents, clock: clock, status: "assigned", action: "Assigned #\(issue.id) by \(actor)")
    // Being given work is not the assignee's own heartbeat.
    if let before = try state.agents().agents[agent] { agents.agents[agent]?.timestamp = before.timestamp }
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): assign #\(issue.id) \(issue.title) to \(agent)" + (previous.map { " (was \($0))" } ?? ""),
        operation: AssignOperation(issueID: issue.id, agent: agent).record, agent: actor, issue: issue.id,
        epoch: issue.epoch))
    change.put(StatePaths.issue(issue.id), json: issue.json)
    change.put(StatePaths.agentStatus, json: agents.json)
    return (change, issue)
  }
}

/// The ready queue: open, unclaimed, every dependency done; by priority, then age.
public enum ReadyQueue {
  public static func ready(_ state: StateSnapshot, limit: Int? = nil) throws(GHPError) -> [IssueSummary] {
    try state.requireInitialised()
    guard let table = try state.issueTable() else { return [] }
    let ready = table.ready()
    return (limit.map { ready.prefix($0) } ?? ready[...]).map(table.summary)
  }
}

/// `ghp claim --next`: claims the first issue of the ready queue, atomically. Given paths in
/// conflict between active branches (`ghp conflicts`), it prefers the first ready issue whose scope
/// touches none of them, so that new work does not pile onto a conflict.
public struct ClaimNextOperation: StateOperation {
  public var avoiding: [String]

  public init(avoiding: [String] = []) { self.avoiding = avoiding }

  /// How far down the ready queue a clear issue is looked for.
  static let lookahead = 50

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError)
    -> (Change?, ClaimOperation.Output)
  {
    let ready = try ReadyQueue.ready(state, limit: avoiding.isEmpty ? 1 : Self.lookahead)
    guard let first = ready.first else { throw .nothingReady }
    var chosen = try state.requireIssue(first.id)
    if !avoiding.isEmpty {
      for candidate in ready {
        let issue = try state.requireIssue(candidate.id)
        let globs = issue.scope.map { Glob($0) }
        if !avoiding.contains(where: { path in globs.contains { $0.matches(path) } }) {
          chosen = issue
          break
        }
      }
    }
    let change = try claimChange(&chosen, state: state, actor: actor, clock: clock)
    return (change, ClaimOperation.Output(issue: chosen, alreadyHeld: false))
  }
}

extension ConflictReport {
  /// Every path some pair of branches conflicts on.
  public var conflictingPaths: [String] { Array(Set(pairs.flatMap(\.paths))).sorted() }
}

/// `ghp done <id>`: the holder reports the issue finished, with its result. With `[landing]`
/// configured the issue is submitted for landing instead (status `landing`), with the branch tip
/// and base tip the caller read (`LandingSubmission.gather`); it is done once `ghp land` landed it.
public struct DoneOperation: RecordedOperation {
  /// What the caller read from the repository: the branch to land, its tip, the base and its tip.
  public struct Branch: Equatable, Sendable {
    public var branch: String
    public var tip: ObjectID
    public var base: String
    public var baseTip: ObjectID

    public init(branch: String, tip: ObjectID, base: String, baseTip: ObjectID) {
      self.branch = branch
      self.tip = tip
      self.base = base
      self.baseTip = baseTip
    }

    var json: JSON {
      .object([
        "branch": .string(branch), "tip": .string(tip.hex), "base": .string(base), "baseTip": .string(baseTip.hex),
      ])
    }
  }

  public var issueID: String
  public var result: String
  public var branch: Branch?

  public init(issueID: String, result: String, branch: Branch? = nil) {
    self.issueID = issueID
    self.result = result
    self.branch = branch
  }

  public var record: OperationRecord {
    var arguments: [String: JSON] = ["issue": .string(issueID), "result": .string(result)]
    if let branch { arguments["landing"] = branch.json }
    return OperationRecord("done", arguments)
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    issueID = try arguments.string("issue")
    result = try arguments.string("result")
    if let value = arguments.optionalValue("landing") {
      var fields = OperationArguments(operation: "the landing of done", value.objectValue ?? [:])
      guard value.objectValue != nil else { throw arguments.wrong("landing", "an object") }
      branch = Branch(
        branch: try fields.string("branch"), tip: try fields.objectID("tip"), base: try fields.string("base"),
        baseTip: try fields.objectID("baseTip"))
      try fields.finish()
    }
  }

  public func renaming(_ renames: IDRenames) -> Self {
    DoneOperation(issueID: renames.issue(issueID), result: result, branch: branch)
  }

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
    var agents = try state.agents()
    try agents.finish(holder, issue: issue.id, action: action, clock: clock, byHolder: holder == actor, state: state)
    var recorded = self
    recorded.issueID = issue.id
    recorded.result = text
    if policy == nil { recorded.branch = nil }
    var change = Change(
      message: CommitMessage(
        subject: subject, body: summary, operation: recorded.record, agent: actor, issue: issue.id, epoch: issue.epoch))
    change.put(StatePaths.issue(issue.id), json: issue.json)
    change.put(
      StatePaths.result(issue.id),
      text: "# #\(issue.id) \(issue.title)\n\nDone by \(holder) at \(RFC3339.format(clock.now)).\n\n\(text)\n")
    change.put(StatePaths.agentStatus, json: agents.json)
    return (change, issue)
  }
}

/// `ghp fail <id>`: the attempt failed; the issue goes back to open, or is dead after `maxAttempts`.
public struct FailOperation: RecordedOperation {
  public var issueID: String
  public var reason: String

  public init(issueID: String, reason: String) {
    self.issueID = issueID
    self.reason = reason
  }

  public var record: OperationRecord {
    OperationRecord("fail", ["issue": .string(issueID), "reason": .string(reason)])
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    issueID = try arguments.string("issue")
    reason = try arguments.string("reason")
  }

  public func renaming(_ renames: IDRenames) -> Self { FailOperation(issueID: renames.issue(issueID), reason: reason) }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    let reason = reason.trimmingSpaces
    guard !reason.isEmpty else { throw .emptyText("the reason") }
    try TextLimit.check(reason, "the reason", TextLimit.note)
    var issue = try state.requireIssue(issueID)
    try requireHolderOrOrchestrator(issue, actor, state, toDo: "failed")
    let holder = issue.assignee ?? actor
    issue.attempts += 1
    issue.failures.append(Issue.Failure(agent: holder, at: clock.now, reason: reason))
    issue.reopen(at: clock.now)
    if issue.attempts >= (try state.config().maxAttempts) { issue.status = .dead }
    var agents = try state.agents()
    try agents.finish(
      holder, issue: issue.id, action: "Failed #\(issue.id): \(reason)", clock: clock, byHolder: holder == actor,
      state: state)
    let fate = issue.status == .dead ? "dead after \(issue.attempts) attempts" : "attempt \(issue.attempts)"
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): fail #\(issue.id) \(issue.title) (\(fate))", body: reason,
        operation: FailOperation(issueID: issue.id, reason: reason).record, agent: actor, issue: issue.id,
        epoch: issue.epoch))
    change.put(StatePaths.issue(issue.id), json: issue.json)
    change.put(StatePaths.agentStatus, json: agents.json)
    return (change, issue)
  }
}

/// `ghp issue retry <id>`: an orchestrator puts a dead issue back in the queue, with fresh attempts.
public struct RetryOperation: RecordedOperation {
  public var issueID: String

  public init(issueID: String) { self.issueID = issueID }

  public var record: OperationRecord { OperationRecord("retry", ["issue": .string(issueID)]) }

  init(arguments: inout OperationArguments) throws(GHPError) { issueID = try arguments.string("issue") }

  public func renaming(_ renames: IDRenames) -> Self { RetryOperation(issueID: renames.issue(issueID)) }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "retry issues")
    var issue = try state.requireIssue(issueID)
    guard issue.status == .dead else {
      throw .refused("#\(issue.id) is \(issue.status.rawValue), not dead: only a dead issue can be retried")
    }
    issue.status = .open
    issue.attempts = 0
    issue.updatedAt = clock.now
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): retry #\(issue.id) \(issue.title)", operation: RetryOperation(issueID: issue.id).record,
        agent: actor, issue: issue.id))
    change.put(StatePaths.issue(issue.id), json: issue.json)
    return (change, issue)
  }
}
