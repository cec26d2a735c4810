/// Epics and their managers: an epic is an issue (`kind: epic`) whose sub-issues (`epic: <id>`) are
/// the work; an orchestrator assigns it to an agent with the `manager` role, and while that agent
/// holds it, it has an orchestrator's authority over the epic's sub-issues and nowhere else.
///
/// The authority is read from the snapshot an operation is applied to, so a manager's commit is
/// judged by the epic it held at that commit wherever the operation is re-executed: `ghp verify`,
/// sync, and a server's `pre-receive`.
extension StateSnapshot {
  /// The manager of `epic`: its holder while it is claimed, nil otherwise.
  public static func manager(of epic: Issue) -> String? {
    epic.kind == .epic && epic.status == .claimed ? epic.assignee : nil
  }

  /// Whether `actor` is a manager holding epic `id` (nil: no epic).
  public func manages(_ actor: String, epic id: String?) throws(GHPError) -> Bool {
    guard let id, let epic = try issue(id), Self.manager(of: epic) == actor else { return false }
    return try role(of: actor) == .manager
  }

  /// The ids of the epics `agent` manages (holds, with the manager role), in id order.
  public func epicsManaged(by agent: String) throws(GHPError) -> [String] {
    guard try role(of: agent) == .manager, let table = try issueTable() else { return [] }
    return (0..<table.count).filter {
      table.kind($0) == .epic && table.status($0) == .claimed && table.assignee($0) == agent
    }.map { table.id($0) }.sorted(by: IssueID.precedes)
  }

  /// The sub-issues of epic `id`, in id order.
  public func subIssues(of id: String) throws(GHPError) -> [IssueSummary] {
    guard let table = try issueTable() else { return [] }
    return table.subIssues(of: id).map { table.summary($0) }
  }

  /// The epic `id`: an unknown id is an error, an issue that is not an epic a refusal.
  public func requireEpic(_ id: String) throws(GHPError) -> Issue {
    let epic = try requireIssue(id)
    guard epic.kind == .epic else {
      throw .refused("#\(epic.id) is not an epic (an orchestrator makes one with `ghp epic add`)")
    }
    return epic
  }

  /// Refuses unless `actor` may `action` (a phrase: "assign #13") on something in epic `epicID`
  /// (nil: in no epic): an orchestrator may anywhere; the manager holding that epic may within it.
  /// A refusal names the epic and its manager: a manager acting outside its epics is told which
  /// epics it holds, anyone else acting inside an epic is told who manages it.
  public func requireAuthority(_ actor: String, inEpic epicID: String?, toDo action: String) throws(GHPError) {
    let role = try role(of: actor)
    if role == .orchestrator { return }
    let epic = try epicID.flatMap { (id) throws(GHPError) in try issue(id) }
    let manager = epic.flatMap(Self.manager(of:))
    if role == .manager && manager == actor { return }
    if role == .manager {
      let held = try epicsManaged(by: actor)
      guard !held.isEmpty else {
        throw .refused(
          "\(actor) is a manager holding no epic: only an orchestrator may \(action) (an orchestrator gives it an epic with `ghp assign EPIC \(actor)`)"
        )
      }
      let place = epicID.map { "in epic #\($0)" + (manager.map { ", which \($0) manages" } ?? "") } ?? "in no epic"
      throw .refused(
        "\(actor) manages \(Self.epicList(held)) only, and this is outside (\(place)): only an orchestrator may \(action)"
      )
    }
    if let epic, epic.kind == .epic {
      throw .refused(
        "\(actor) may not \(action): only an orchestrator or epic #\(epic.id)'s manager ("
          + (manager ?? "it has none now; an orchestrator assigns one with `ghp assign \(epic.id) MANAGER`") + ") may")
    }
    try requireOrchestrator(actor, toDo: action)
  }

  /// Refuses globs a manager gives (a sub-issue's scope, an approval) that are not inside the scope
  /// of epic `epicID`; an orchestrator's are never refused.
  public func requireInsideEpicScope(_ globs: [String], epic epicID: String?, actor: String, what: String)
    throws(GHPError)
  {
    guard try role(of: actor) != .orchestrator, let epicID, let epic = try issue(epicID) else { return }
    let scope = epic.scope.map(Glob.init)
    for glob in globs where !scope.contains(where: { $0.contains(Glob(glob)) }) {
      throw .refused(
        "\(glob) is outside epic #\(epic.id)'s scope ("
          + (epic.scope.isEmpty ? "none" : epic.scope.joined(separator: " "))
          + "), which \(actor) manages: only an orchestrator may give it in \(what)")
    }
  }

  /// Refuses unless `actor` may `action` on `issue` itself: an epic is an orchestrator's, a
  /// sub-issue also its epic's manager's (`requireAuthority(_:inEpic:toDo:)`).
  public func requireAuthority(_ actor: String, over issue: Issue, toDo action: String) throws(GHPError) {
    if issue.kind == .epic { return try requireOrchestrator(actor, toDo: "\(action) (an epic)") }
    try requireAuthority(actor, inEpic: issue.epic, toDo: action)
  }

  /// `epic #12` or `epics #12, #14`.
  static func epicList(_ ids: [String]) -> String {
    (ids.count == 1 ? "epic " : "epics ") + ids.map { "#\($0)" }.joined(separator: ", ")
  }
}

extension StateSnapshot {
  /// The epics, open or held, that `finished` (issues as this change writes them) complete: each
  /// is an epic of an issue made done whose every other sub-issue is done already.
  func epicsCompleted(by finished: [Issue]) throws(GHPError) -> [Issue] {
    let done = finished.filter { $0.status == .done }
    let doneIDs = Set(done.map(\.id))
    var out: [Issue] = []
    for id in Set(done.compactMap(\.epic)).sorted(by: IssueID.precedes) {
      guard let epic = try issue(id), epic.kind == .epic, epic.status == .open || epic.status == .claimed else {
        continue
      }
      if try subIssues(of: id).allSatisfy({ $0.status == .done || doneIDs.contains($0.id) }) { out.append(epic) }
    }
    return out
  }
}

extension Change {
  /// Writes each of `epics` done (its sub-issues all are) and frees its manager's record of it;
  /// `agents` must hold the managers' entries (`StateSnapshot.manager(of:)`). `finished`: the
  /// issues this change makes done, which a manager holding one of them no longer holds either.
  mutating func close(
    _ epics: [Issue], finished: Set<String>, agents: inout AgentStatusDocument, state: StateSnapshot, clock: Clock
  ) throws(GHPError) {
    for var epic in epics {
      let manager = StateSnapshot.manager(of: epic)
      epic.status = .done
      epic.result = "All its sub-issues are done"
      epic.updatedAt = clock.now
      put(StatePaths.issue(epic.id), json: epic.json)
      if let manager {
        try agents.finish(
          manager, issue: epic.id, action: "Epic #\(epic.id) done", clock: clock, byHolder: false, state: state,
          alsoFinished: finished)
      }
      message.subject += "; epic #\(epic.id) done"
    }
  }
}
