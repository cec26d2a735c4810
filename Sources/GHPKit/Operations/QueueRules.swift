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
    _ agent: String, issue: String, action: String, clock: Clock, byHolder: Bool, state: StateSnapshot,
    alsoFinished: Set<String> = []
  ) throws(GHPError) {
    guard var record = agents[agent] else { return }
    let others = try state.issueSummaries().filter {
      $0.status == .claimed && $0.assignee == agent && $0.id != issue && !alsoFinished.contains($0.id)
    }
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
  /// The ready issues in queue order, at most `limit` (nil: all); with `agent`, only those it can
  /// do (each need among its capabilities). None before the issue table exists.
  public static func ready(_ state: StateSnapshot, limit: Int? = nil, for agent: String? = nil) throws(GHPError)
    -> [IssueSummary]
  {
    try state.requireInitialised()
    guard let table = try state.issueTable() else { return [] }
    var ready = table.ready()
    if let agent {
      let can = Set(try state.agentRecord(agent)?.capabilities ?? [])
      let attempting = table.bestOfAttempted(by: agent)
      ready = ready.filter {
        table.needs($0).allSatisfy(can.contains)
          && !(table.isAttempt($0) && attempting.contains(BestOf.parentID(ofAttempt: table.id($0))))
      }
    }
    return (limit.map { ready.prefix($0) } ?? ready[...]).map(table.summary)
  }

  /// Why `agent` is given nothing: `nothingReady` when the queue is empty, else what the ready
  /// issues need that it cannot do.
  static func nothingFor(_ agent: String, in state: StateSnapshot) throws(GHPError) -> GHPError {
    let ready = try ready(state, limit: 5)
    guard !ready.isEmpty else { return .nothingReady }
    var why: [String] = []
    for issue in ready {
      if let other = try state.otherAttemptHeld(by: agent, besides: issue.id) {
        why.append(
          "#\(issue.id) is an attempt of #\(BestOf.parentID(ofAttempt: issue.id)), and \(agent) makes #\(other) (one attempt each)"
        )
      } else {
        why.append("#\(issue.id) needs \(issue.needs.joined(separator: ","))")
      }
    }
    return .nothingReadyFor(agent: agent, needed: why.joined(separator: "; "))
  }

  /// `ready` as `ghp ready --json` and the `ready_tasks` tool answer it: each issue's summary,
  /// `"nobodyCan": true` on one no registered agent can do.
  public static func json(_ ready: [IssueSummary], in state: StateSnapshot) throws(GHPError) -> JSON {
    let nobody = try nobodyCan(ready, in: state)
    return .object([
      "issues": .array(
        ready.map { summary in
          guard nobody.contains(summary.id), case .object(var fields) = summary.json else { return summary.json }
          fields["nobodyCan"] = .bool(true)
          return .object(fields)
        })
    ])
  }

  /// The ids of `issues` no registered agent can do: none has every capability one needs.
  public static func nobodyCan(_ issues: [IssueSummary], in state: StateSnapshot) throws(GHPError) -> Set<String> {
    let needing = issues.filter { !$0.needs.isEmpty }
    guard !needing.isEmpty else { return [] }
    let abilities = Set(try state.agents().agents.values.map { Set($0.capabilities) })
    return Set(needing.filter { issue in !abilities.contains { Set(issue.needs).isSubset(of: $0) } }.map(\.id))
  }

  /// Refuses to give `issue` to `agent` when it cannot do all the issue needs, naming what is missing.
  static func requireCapable(_ agent: String, of issue: Issue, in state: StateSnapshot, toDo action: String)
    throws(GHPError)
  {
    guard !issue.needs.isEmpty else { return }
    let can = try state.agentRecord(agent)?.capabilities ?? []
    let missing = issue.needs.filter { !can.contains($0) }
    guard !missing.isEmpty else { return }
    throw .refused(
      "#\(issue.id) needs \(issue.needs.joined(separator: ", ")), and \(agent) "
        + (can.isEmpty ? "has no capability" : "can do \(can.joined(separator: ", "))")
        + ": it cannot \(action) (an orchestrator adds what it can do with `ghp agent add \(agent) --can "
        + (can + missing).sorted().joined(separator: ",") + "`)")
  }

  /// Whether the issue `id` is in the ready queue, wherever in its order (with `agent`: in its own).
  public static func isReady(_ id: String, in state: StateSnapshot, for agent: String? = nil) throws(GHPError) -> Bool {
    guard let table = try state.issueTable(), let index = table.index(of: id), table.isReady(index) else {
      return false
    }
    guard let agent else { return true }
    let can = try state.agentRecord(agent)?.capabilities ?? []
    if try state.otherAttemptHeld(by: agent, besides: table.id(index)) != nil { return false }
    return table.needs(index).allSatisfy(can.contains)
  }
}

extension ConflictReport {
  /// Every path some pair of branches conflicts on.
  public var conflictingPaths: [String] { Array(Set(pairs.flatMap(\.paths))).sorted() }
}
