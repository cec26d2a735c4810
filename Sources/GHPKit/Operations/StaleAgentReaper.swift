/// `ghp reap`: act on stale agents (orchestrators). Policy `escalate` raises one escalation per stale
/// agent (never a second while the first is open); `release` gives their claims back to the queue
/// (epoch + 1), recording who reaped and why so the agent is told when it returns.
public struct ReapOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "reap"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case policy, closesEscalations, skipsIdle
    case madeEscalations = "escalations"
    case agents, alive
  }

  /// What to do with stale agents: escalate or release; nil takes the policy's `onStale`.
  public var policy: Config.OnStale?
  /// `release` answers the escalation an earlier reap opened about the agent. Recorded as
  /// `"closesEscalations": true`; a record without it (older) replays as it was made.
  @RecordFlag public var closesEscalations = true
  /// Leaves idle workers (holding no issue) alone, and a release closes an earlier reap's
  /// escalation about one. Recorded as `"skipsIdle": true`; an older record replays as it was made.
  @RecordFlag public var skipsIdle = true
  /// The escalations its record says it raised (read from a record; a new reap makes its own).
  var madeEscalations: [String]?
  /// The stale agents its record says it acted on (for people reading the record).
  var agents: [String]?
  /// The heartbeats on agents' own refs (`AliveRefs`) it judged by, newer than their entries in
  /// the agents document, by agent: recorded so that the record replays from the tree alone (an
  /// older record has none).
  var alive: [String: String]?
  /// A new reap reads the heartbeat refs this clone holds; one read from a record takes its own.
  var readsBeats = false

  /// Reaps with `policy`, or the policy's `onStale` when nil.
  public init(policy: Config.OnStale? = nil) {
    self.policy = policy
    readsBeats = true
  }

  /// What the reap did about one stale worker.
  public struct Action: Sendable {
    /// The stale worker.
    public var agent: String
    /// Its last heartbeat, in seconds since 1970.
    public var lastHeartbeat: Int64
    /// `escalated N`, `released #4, #7`, or why nothing was done.
    public var outcome: String
    /// Whether anything was written for it (false: already escalated, or nothing to release).
    public var changed: Bool
  }

  /// Escalates about, or releases the claims of, each worker or manager silent longer than
  /// `staleAfter` (orchestrators; a manager, only the workers on its epics' sub-issues, and only
  /// those claims); a live run's workers are left to it.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, [Action]) {
    try state.requireInitialised()
    // A manager reaps within the epics it holds; anyone else but an orchestrator is refused.
    let epics: Set<String>? =
      try state.role(of: actor) == .orchestrator ? nil : Set(try state.epicsManaged(by: actor))
    if epics?.isEmpty ?? false { try state.requireAuthority(actor, inEpic: nil, toDo: "reap stale agents") }
    let config = try state.config()
    let policy = self.policy ?? config.onStale
    var agents = try state.agents()
    let summaries = try state.issueSummaries()
    var escalations = try state.escalations()
    var nextEscalation: Int? = Int(try state.nextEscalationID())
    var change = Change(message: CommitMessage(subject: "", operation: record, agent: actor))
    var actions: [Action] = []
    let template = try Templates.text("escalation.md", state: state)
    // A live run's workers are its supervisor's to judge (it kills them at their timeout).
    let owned = try state.runOwnedAgents(now: clock.now)
    // A new reap reads an agent's own ref only for one its entry alone would find stale.
    let recordedBeats = (alive ?? [:]).compactMapValues(RFC3339.parse)
    func beat(_ agent: String) -> Int64? {
      readsBeats ? AliveRefs.latest(of: agent, in: state)?.at : recordedBeats[agent]
    }
    var judgedBy: [String: String] = [:]
    // Answers an open escalation an earlier reap raised, with `text`.
    func answer(_ index: Int, _ text: String) throws(GHPError) {
      escalations[index].status = .resolved
      escalations[index].answer = text
      escalations[index].answeredBy = actor
      escalations[index].answered = clock.now
      change.put(
        StatePaths.escalation(escalations[index].id), text: try escalations[index].document(template: template))
    }

    for (name, entry) in agents.agents.sorted(by: { $0.key < $1.key }) {
      // Heard from last: its entry, or its own heartbeat ref when newer.
      var record = entry
      if clock.now - entry.timestamp > config.staleAfter, let beat = beat(name), beat > entry.timestamp {
        judgedBy[name] = RFC3339.format(beat)
        record.timestamp = beat
      }
      guard clock.now - record.timestamp > config.staleAfter, try state.role(of: name) != .orchestrator,
        !owned.contains(name)
      else {
        continue
      }
      // What it holds to work on: an epic it manages is no work to release (its manager's
      // heartbeat goes stale like anyone's, and an orchestrator reassigns the epic).
      let claims = summaries.filter { $0.status == .claimed && $0.assignee == name && $0.kind == .task }
      let held = claims.filter { summary in
        epics.map { epics in summary.epic.map(epics.contains) ?? false } ?? true
      }.map(\.id).sorted(by: IssueID.precedes)
      // A manager's reap is about the work of its epics alone.
      if epics != nil && held.isEmpty { continue }
      // An idle worker holds nothing to release: nobody is asked about it, and an earlier reap's
      // escalation about it is closed by a release.
      if skipsIdle && held.isEmpty {
        if policy == .release {
          for index in escalations.indices where escalations[index].status == .open && escalations[index].about == name
          {
            try answer(index, "\(name) holds no issue: nothing to release (`ghp reap --release` by \(actor)).")
            actions.append(
              Action(
                agent: name, lastHeartbeat: record.timestamp,
                outcome: "holds no issue; closed escalation \(escalations[index].id)", changed: true))
          }
        }
        continue
      }
      let since = RFC3339.format(record.timestamp)
      let reason = "no heartbeat since \(since)"
      switch policy {
      case .escalate:
        if let open = escalations.first(where: { $0.status == .open && $0.about == name }) {
          actions.append(
            Action(
              agent: name, lastHeartbeat: record.timestamp, outcome: "already escalated as \(open.id)", changed: false))
          continue
        }
        let holding = held.isEmpty ? "holds no issue" : "holds " + held.map { "#\($0)" }.joined(separator: ", ")
        guard let number = nextEscalation else {
          throw .exhausted("every escalation number is taken")
        }
        var escalation = Escalation(
          id: String(number), agent: actor, issue: held.first, about: name, severity: .high,
          question:
            "\(name) has sent no heartbeat since \(since) and \(holding). Release its work for others (`ghp reap --release`), or wait?",
          context: "Raised by `ghp reap` (policy escalate, staleAfter \(Duration.exact(config.staleAfter))).",
          asked: clock.now)
        escalation.status = .open
        nextEscalation = number < Int.max ? number + 1 : nil
        escalations.append(escalation)
        change.put(StatePaths.escalation(escalation.id), text: try escalation.document(template: template))
        actions.append(
          Action(agent: name, lastHeartbeat: record.timestamp, outcome: "escalated \(escalation.id)", changed: true))
      case .release:
        guard !held.isEmpty else {
          actions.append(
            Action(agent: name, lastHeartbeat: record.timestamp, outcome: "holds nothing to release", changed: false))
          continue
        }
        var updated = entry
        for id in held {
          var issue = try state.requireIssue(id)
          issue.reopen(at: clock.now, takenBy: actor, reason: reason)
          change.put(StatePaths.issue(id), json: issue.json)
          updated.lostClaims.append(issue.lastRelease!)
        }
        // A manager releases only its epic's claims: the agent keeps pointing at one it still holds.
        updated.issue = claims.map(\.id).filter { !held.contains($0) }.sorted(by: IssueID.precedes).first
        updated.status = StatusWord.stale
        agents.agents[name] = updated
        // The escalation an earlier reap opened about this agent is closed by this answer to it.
        for index in escalations.indices
        where closesEscalations && escalations[index].status == .open && escalations[index].about == name {
          try answer(
            index,
            "Released " + held.map { "#\($0)" }.joined(separator: ", ")
              + " for others (`ghp reap --release` by \(actor)).")
        }
        actions.append(
          Action(
            agent: name, lastHeartbeat: record.timestamp,
            outcome: "released " + held.map { "#\($0)" }.joined(separator: ", "), changed: true))
      }
    }
    let done = actions.filter(\.changed)
    guard !done.isEmpty else { return (nil, actions) }
    if policy == .release { change.put(StatePaths.agentStatus, json: agents.json) }
    change.message.subject = "\(actor): reap " + done.map { "\($0.agent) (\($0.outcome))" }.joined(separator: ", ")
    let made = actions.compactMap { $0.outcome.hasPrefix("escalated ") ? String($0.outcome.dropFirst(10)) : nil }
    var recorded = self
    recorded.policy = policy
    recorded.agents = done.map(\.agent)
    recorded.madeEscalations = made.isEmpty ? nil : made
    recorded.alive = judgedBy.isEmpty ? nil : judgedBy
    change.message.operation = recorded.record
    return (change, actions)
  }
}

extension ReapOperation {
  /// The ids its record says it made.
  public var mintedIDs: MintedIDs { MintedIDs(escalations: madeEscalations ?? []) }
}
