import GHPKit

/// The server's one reader and writer of the repository. An actor: requests take turns, so one
/// `Workspace` (and its libgit2 handles) serves them all, and the view of one moment is rendered
/// from one snapshot.
actor Backend {
  let workspace: Workspace
  /// Who writes act as; nil when the server is read-only.
  let actor: String?
  /// The conflicts between agent branches, by the tips they were computed from: merging every pair
  /// is the dearest part of a view, and the tips rarely move.
  private var conflicts: (key: String, report: ConflictReport?)?

  /// Why the server takes no writes (nil when it does), for the start-up line.
  let readOnlyReason: String?

  init(directory: String?, agent: String?, environment: [String: String], writable: Bool) throws(GHPError) {
    workspace = try Workspace(path: directory, agent: agent, environment: environment)
    let state = try workspace.snapshot()
    try state.requireInitialised()
    if !writable {
      (actor, readOnlyReason) = (nil, "started with --read-only")
    } else if let name = try? workspace.actor() {
      if (try? state.role(of: name)) == .orchestrator {
        (actor, readOnlyReason) = (name, nil)
      } else {
        (actor, readOnlyReason) = (
          nil, "\(name) is not an orchestrator (only an orchestrator may answer escalations and approve edits)"
        )
      }
    } else {
      (actor, readOnlyReason) = (
        nil, "no identity to answer as (give --agent NAME of an orchestrator, or `git config ghp.agent NAME`)"
      )
    }
  }

  var tip: String { (try? workspace.snapshot().commit?.hex) ?? "" }

  func view(since: String?, until: String?, limit: Int?) throws(GHPError) -> Dashboard {
    workspace.refreshClock()
    let period = try Dashboard.Period.parse(since: since, until: until, now: workspace.clock.now)
    return try Dashboard(workspace, period: period, timelineLimit: limit, conflicts: conflictReport())
  }

  /// The log, filtered; `since`/`until` as the commands take them, read at the server's clock.
  func timeline(
    agent: String?, issue: String?, ops: Set<String>, since: String?, until: String?, heartbeats: Bool, limit: Int?
  ) throws(GHPError) -> [JSON] {
    workspace.refreshClock()
    let now = workspace.clock.now
    return try HistoryLog.entries(
      workspace.snapshot(), agent: agent, issue: issue, limit: limit,
      since: Dashboard.Period.read("since", since, now: now), until: Dashboard.Period.read("until", until, now: now),
      ops: ops, heartbeats: heartbeats
    ).map(\.json)
  }

  private func conflictReport() -> ConflictReport? {
    guard let state = try? workspace.snapshot(), let agents = try? state.agents().agents.keys.sorted(),
      let base = try? state.config().baseBranch
    else { return nil }
    let repository = workspace.repository
    var key = base + "=" + ((try? repository.referenceTarget("refs/heads/\(base)"))?.hex ?? "-")
    for name in agents {
      if let tip = try? repository.referenceTarget("refs/heads/agent/\(name)") { key += " \(name)=\(tip.hex)" }
    }
    if let conflicts, conflicts.key == key { return conflicts.report }
    let report = try? ConflictReport.gather(workspace)
    conflicts = (key, report)
    return report
  }

  /// `ghp resolve ID --answer TEXT`, as the server's orchestrator.
  func answer(escalation id: String, text: String) throws(GHPError) -> JSON {
    guard actor != nil else { throw .refused("this server is read-only") }
    workspace.refreshClock()
    return Self.withMessage(try ResolveAction(escalation: id, answer: text).run(in: workspace))
  }

  /// `ghp approve AGENT GLOBS [--once] [--note]`, as the server's orchestrator.
  func approve(agent: String, globs: [String], once: Bool, note: String?) throws(GHPError) -> JSON {
    guard actor != nil else { throw .refused("this server is read-only") }
    workspace.refreshClock()
    return Self.withMessage(
      try ApproveAction(agent: agent, globs: globs, once: once, note: note).run(in: workspace))
  }

  /// `ghp vote for ATTEMPT`, as the server's orchestrator (the lead choosing).
  func vote(attempt: String, note: String?) throws(GHPError) -> JSON {
    guard actor != nil else { throw .refused("this server is read-only") }
    workspace.refreshClock()
    let landed = try workspace.run(VoteOperation(attemptID: attempt, note: note))
    let vote = landed.result.vote
    return .object([
      "issue": IssueReference.write(landed.result.id), "vote": vote.map(JSONEncoding.document) ?? .null,
      "commit": .string(landed.commit?.hex ?? ""),
      "message": .string(
        vote?.winner.map { "#\($0) wins the vote of #\(landed.result.id); the next landing lands it." }
          ?? "Voted for #\(attempt); the vote of #\(landed.result.id) is not decided yet."),
    ])
  }

  /// `ghp review approve|changes`, as the server's orchestrator (a person's review).
  func review(issue: String, tree: ObjectID, verdict: ReviewOperation.Verdict, text: String?) throws(GHPError) -> JSON {
    guard actor != nil else { throw .refused("this server is read-only") }
    workspace.refreshClock()
    let landed = try workspace.run(ReviewOperation(issueID: issue, tree: tree, verdict: verdict, text: text))
    return .object([
      "issue": landed.result.answerJSON, "commit": .string(landed.commit?.hex ?? ""),
      "message": .string(
        verdict == .approve
          ? "Approved the merge of #\(issue): the next landing lands it."
          : "Sent #\(issue) back to \(landed.result.assignee ?? "its agent") with the changes asked for."),
    ])
  }

  /// `ghp run stop`, as the server's orchestrator: asks the run to stop without waiting for it (the
  /// page follows the run as ghp/state moves; a wait here would hold every other request).
  func stopRun() throws(GHPError) -> JSON {
    guard actor != nil else { throw .refused("this server is read-only") }
    workspace.refreshClock()
    return Self.withMessage(try RunStopAction(wait: 0).run(in: workspace))
  }

  /// An action's answer for the page: its JSON with its sentences as `message`.
  private static func withMessage(_ answer: some ActionAnswer) -> JSON {
    guard case .object(var fields) = answer.json else { return answer.json }
    fields["message"] = .string(answer.lines.joined(separator: " "))
    return .object(fields)
  }
}
