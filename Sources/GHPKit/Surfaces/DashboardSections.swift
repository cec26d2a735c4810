// The sections of the page's view (`Dashboard`), each built from what the view read once.

extension Dashboard {
  /// One card per agent: its status, issue, heartbeat, branch ahead/behind the base, conflicts,
  /// and when the page should mark it stale.
  static func agentCards(
    _ report: StatusReport, state: StateSnapshot, config: Config, titles: [String: String], run: RunRecord?,
    repository: Repository
  ) -> [JSON] {
    let baseTip = try? repository.referenceTarget("refs/heads/\(config.baseBranch)")
    var agents: [JSON] = []
    for row in report.rows {
      let record = row.record
      var ahead: JSON = .null
      var behind: JSON = .null
      if let tip = try? repository.referenceTarget("refs/heads/agent/\(row.name)"), let baseTip,
        let counts = try? repository.aheadBehind(tip, baseTip)
      {
        ahead = .int(counts.ahead)
        behind = .int(counts.behind)
      }
      let role = (try? state.role(of: row.name)) ?? record.role
      let running = run?.slots.contains { $0.agent == row.name } ?? false
      // When the page should mark it stale if nothing changes: a worker (not one a run
      // supervises) or anyone holding a claim goes stale; others never do.
      let canGoStale = row.stale || record.issue != nil || (role == .worker && !running)
      agents.append(
        .object([
          "name": .string(row.name), "role": .string(role.rawValue), "status": .string(record.status),
          "issue": IssueReference.write(record.issue),
          "issueTitle": record.issue.flatMap { titles[$0] }.map { .string($0) } ?? .null,
          "lastAction": .string(record.lastAction), "heartbeatAt": .string(RFC3339.format(record.timestamp)),
          "heartbeatEpoch": .int(Int(record.timestamp)), "age": .int(Int(row.age)),
          "stale": .bool(row.stale),
          "ahead": ahead, "behind": behind, "hasBranch": .bool(ahead != .null),
          "conflicts": .array(row.conflicts.map { .string($0) }), "conflicted": .bool(!row.conflicts.isEmpty),
          "running": .bool(running),
          "staleEpoch": canGoStale ? .int(Int(record.timestamp + config.staleAfter)) : .null,
        ]))
    }

    return agents
  }

  /// The board: a column per status, each best first (done: newest first), at most
  /// `cardsPerColumn` cards; and the record indices of every column, for the landing section.
  /// `nobodyCan`: whether no registered agent has all of these needs.
  static func board(_ table: IssueTable?, ready readyIndices: Set<Int>, nobodyCan: ([String]) -> Bool) -> (
    board: [JSON], columns: [String: [Int]]
  ) {
    var columns: [String: [Int]] = [:]
    if let table {
      for index in 0..<table.count {
        let column: String
        switch table.status(index) {
        case .open: column = table.attempts(index) > 0 ? "failed" : "open"
        case .claimed: column = "claimed"
        case .landing: column = "landing"
        case .done: column = "done"
        case .dead: column = "dead"
        }
        columns[column, default: []].append(index)
      }
      for (name, indices) in columns {
        columns[name] =
          name == "done"
          ? indices.reversed()
          : indices.map { (table.priority($0), table.createdAt($0), $0) }.sorted { $0 < $1 }.map(\.2)
      }
    }
    var board: [JSON] = []
    for name in Self.columns {
      let indices = columns[name] ?? []
      let shown = indices.prefix(Self.cardsPerColumn).map { index -> JSON in
        let summary = table!.summary(index)
        let dependencies = table!.dependencyIndices(index).map { dependency -> JSON in
          let known = dependency != IssueTable.missing
          return .object([
            "id": known ? IssueReference.write(table!.id(Int(dependency))) : .string("?"),
            "done": .bool(known && table!.status(Int(dependency)) == .done),
          ])
        }
        var card: [String: JSON] = [
          "id": IssueReference.write(summary.id), "title": .string(summary.title), "priority": .int(summary.priority),
          "assignee": summary.assignee.map { .string($0) } ?? .null, "attempts": .int(summary.attempts),
          "ready": .bool(readyIndices.contains(index)), "hasAttempts": .bool(summary.attempts > 0),
          "dependencies": .array(dependencies), "isEpic": .bool(summary.kind == .epic),
          "epic": summary.epic.map { IssueReference.write($0) } ?? .null,
          "needs": .array(summary.needs.map { .string($0) }), "hasNeeds": .bool(!summary.needs.isEmpty),
          "nobodyCan": .bool(!summary.needs.isEmpty && summary.status == .open && nobodyCan(summary.needs)),
        ]
        if summary.kind == .epic {
          let subs = table!.subIssues(of: summary.id)
          card["subIssues"] = .int(subs.count)
          card["subIssuesDone"] = .int(subs.count { table!.status($0) == .done })
        }
        return .object(card)
      }
      board.append(
        .object([
          "status": .string(name), "count": .int(indices.count), "issues": .array(Array(shown)),
          "more": .int(indices.count - shown.count), "hasMore": .bool(indices.count > shown.count),
        ]))
    }

    return (board, columns)
  }

  /// The escalation inbox: open ones most severe first, with what their agent is doing.
  /// The approve form is filled in only with the literal paths the question names that exist on the
  /// base branch (`exists`): an agent's question is its own text, and "README.md **" must not
  /// become a one-click approval of every file. A question naming a glob is marked, for a person to
  /// read before approving.
  static func inbox(
    _ report: StatusReport, agents records: [String: AgentRecord], titles: [String: String], now: Int64,
    exists: (String) -> Bool
  ) -> [JSON] {
    var inbox: [JSON] = []
    for escalation in report.openEscalations {
      let record = records[escalation.agent]
      guard case .object(var fields) = escalation.answerJSON else { continue }
      fields["issueTitle"] = escalation.issue.flatMap { titles[$0] }.map { .string($0) } ?? .null
      fields["agentStatus"] = record.map { .string($0.status) } ?? .null
      fields["agentAction"] = record.map { .string($0.lastAction) } ?? .null
      fields["agentIssue"] = IssueReference.write(record?.issue)
      fields["askedAge"] = .int(Int(max(0, now - escalation.asked)))
      fields["asksApproval"] = .bool(ApproveOperation.speaksOfApproval(escalation.question))
      let requested = ApproveOperation.requestedFiles(escalation.question)
      let literal = requested.filter { !Glob.isPattern($0) && exists($0) }
      fields["requestedFiles"] = .string(literal.joined(separator: " "))
      fields["asksGlob"] = .bool(requested.contains(where: Glob.isPattern))
      fields[escalation.severity.rawValue] = .bool(true)
      inbox.append(.object(fields))
    }

    return inbox
  }

  /// Landing: what waits, who holds the lease, the latest landings with their gates, bounces; null
  /// without `[landing]`. A broken landing document is a warning, not a failure of the page.
  static func landing(
    _ state: StateSnapshot, config: Config, table: IssueTable?, columns: [String: [Int]], now: Int64,
    warnings: inout [String]
  ) throws(GHPError) -> JSON {
    var landing: JSON = .null
    if let policy = config.landing {
      var queue = LandingQueue(base: policy.base, entries: [], lease: nil)
      do { queue = try LandingQueue.gather(state, policy: policy, now: now) } catch {
        guard case .corruptDocument = error else { throw error }
        if !warnings.contains(error.description) { warnings.append(error.description) }
      }
      var recent: [JSON] = []
      for index in (columns["done"] ?? []).prefix(200) where recent.count < 10 {
        guard let issue = try? state.issue(table!.id(index)), let evidence = issue.landing else { continue }
        recent.append(Self.landingView(issue: issue, landed: evidence))
      }
      var bounces: [JSON] = []
      for index in ((columns["claimed"] ?? []) + (columns["failed"] ?? [])).prefix(200) {
        guard let issue = try? state.issue(table!.id(index)), let bounce = issue.bounced else { continue }
        bounces.append(Self.landingView(issue: issue, bounce: bounce))
      }
      landing = .object([
        "base": .string(queue.base),
        "queue": .array(queue.entries.map(\.json)),
        "lease": queue.lease?.json ?? .null,
        "recent": .array(recent), "bounced": .array(bounces),
        "empty": .bool(queue.entries.isEmpty && recent.isEmpty && bounces.isEmpty),
      ])
    }

    return landing
  }
}

extension Dashboard {
  /// A best-of issue as the page's Votes panel shows it: its attempts with their gate and score,
  /// and which the lead (or a reviewer) may vote for.
  static func voteCard(_ shown: VoteBoard.Shown) -> JSON {
    let vote = shown.issue.vote
    let open = shown.winner == nil && vote?.method != .score
    return .object([
      "id": IssueReference.write(shown.issue.id), "title": .string(shown.issue.title),
      "method": .string(vote?.method.rawValue ?? "-"), "standing": .string(shown.standing),
      "attempts": .array(
        zip(shown.attempts, shown.rows).map { attempt, row in
          .object([
            "id": .string(attempt.id), "assignee": .string(row[1]), "status": .string(row[2]),
            "gate": .string(row[3]), "score": .string(row[4]), "ballots": .string(row[6]),
            "won": .bool(shown.winner == attempt.id), "votable": .bool(open && attempt.isCandidate),
            "byLead": .bool(vote?.method == .lead),
          ])
        }),
    ])
  }
}
