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
      record.status = others.isEmpty ? StatusWord.idle : StatusWord.claimed
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
  if issue.kind == .epic {
    throw .refused(
      "#\(issue.id) is an epic: it is done when all its sub-issues are, never marked \(action) (`ghp epic show \(issue.id)`)"
    )
  }
  if issue.status == .claimed && issue.assignee == actor { return }
  if try state.role(of: actor) == .orchestrator && issue.status == .claimed { return }
  if issue.status == .claimed, try state.manages(actor, epic: issue.epic) { return }
  if issue.status != .claimed && issue.lastReleasedFrom != actor {
    throw .refused(
      "#\(issue.id) is \(issue.status.rawValue), not claimed: only a claimed issue can be marked \(action)")
  }
  throw issue.refusal(for: actor, action: "mark it \(action)")
}

/// The ready queue: open, unclaimed, every dependency done; by priority, then age.
public enum ReadyQueue {
  /// The ready issues in queue order, at most `limit` (nil: all); none before the issue table exists.
  public static func ready(_ state: StateSnapshot, limit: Int? = nil) throws(GHPError) -> [IssueSummary] {
    try state.requireInitialised()
    guard let table = try state.issueTable() else { return [] }
    let ready = table.ready()
    return (limit.map { ready.prefix($0) } ?? ready[...]).map(table.summary)
  }

  /// Whether the issue `id` is in the ready queue, wherever in its order.
  public static func isReady(_ id: String, in state: StateSnapshot) throws(GHPError) -> Bool {
    guard let table = try state.issueTable(), let index = table.index(of: id) else { return false }
    return table.isReady(index)
  }
}

extension ConflictReport {
  /// Every path some pair of branches conflicts on.
  public var conflictingPaths: [String] { Array(Set(pairs.flatMap(\.paths))).sorted() }
}
