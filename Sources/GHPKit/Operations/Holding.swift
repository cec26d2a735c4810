// What claims share: how a refusal names the holder of an issue ("#147 is held by worker-2 since
// 2025-01-25T10:31:00Z (epoch 3)"), and the change that hands an issue to an agent.

/// The facts of a claim, for `--json` readers of a refusal.
func holderFacts(_ issue: Issue) -> [String: JSON] {
  [
    "issue": IssueReference.write(issue.id), "holder": issue.assignee.map { .string($0) } ?? .null,
    "claimedAt": issue.claimedAt.map { .string(RFC3339.format($0)) } ?? .null, "epoch": .int(issue.epoch),
    "status": .string(issue.status.rawValue),
  ]
}

func holderDescription(_ issue: Issue) -> String {
  let since = issue.claimedAt.map { " since \(RFC3339.format($0))" } ?? ""
  return "#\(issue.id) is held by \(issue.assignee ?? "nobody")\(since) (epoch \(issue.epoch))"
}

extension AgentStatusDocument {
  /// Tells `agent`, on its next report, that `issue` (as written) came back from landing, of
  /// `kind`, for `reason`; one it holds again becomes its issue, and an idle agent claimed.
  mutating func tellReturned(_ agent: String, issue: Issue, kind: String, reason: String, at time: Int64) {
    guard var record = agents[agent] else { return }
    record.returned.append(ReturnedIssue(issue: issue.id, kind: kind, reason: reason, at: time))
    if issue.status == .claimed {
      if record.issue == nil { record.issue = issue.id }
      if record.status == StatusWord.idle { record.status = StatusWord.claimed }
    }
    agents[agent] = record
  }

  /// The agent's record, or a new worker's.
  func record(for agent: String, clock: Clock) -> AgentRecord {
    agents[agent] ?? AgentRecord(status: StatusWord.idle, lastAction: "", timestamp: clock.now, role: .worker)
  }
}

extension Issue {
  /// Refuses while a lander has gated the issue and is moving the base (its evidence is pending):
  /// taking it out of the queue then would leave landed work on an issue that says otherwise.
  func requireNotBeingLanded(toDo action: String) throws(GHPError) {
    guard pending == nil else {
      throw .refused(
        "#\(id) passed its gate and is being landed; cannot \(action) now (if no `ghp land` runs, one finishes it: `ghp land --once`)"
      )
    }
  }
}

/// Gives `issue` to `agent` (epoch + 1) and points the agent's status at it. `sameClaim`: its
/// holder takes back what it submitted for landing (same epoch, same claim time).
func handOver(
  _ issue: inout Issue, to agent: String, agents: inout AgentStatusDocument, clock: Clock, status: String,
  action: String, sameClaim: Bool = false
) {
  issue.status = .claimed
  issue.assignee = agent
  if !sameClaim {
    issue.epoch += 1
    issue.claimedAt = clock.now
  }
  issue.updatedAt = clock.now
  var record = agents.record(for: agent, clock: clock)
  record.issue = issue.id
  record.status = status
  record.lastAction = action
  record.timestamp = clock.now
  agents.agents[agent] = record
}

/// `actor` claims `issue` (or, `takingBack`, takes back what it submitted for landing): the change to land.
func claimChange(_ issue: inout Issue, state: StateSnapshot, actor: String, clock: Clock, takingBack: Bool = false)
  throws(GHPError) -> Change
{
  // Only the actor's entry is read and written (`AgentEntries`).
  var agents = try state.agents(only: [actor])
  let action = takingBack ? "Took #\(issue.id) back from the landing queue" : "Claimed #\(issue.id) \(issue.title)"
  handOver(
    &issue, to: actor, agents: &agents, clock: clock, status: StatusWord.claimed, action: action, sameClaim: takingBack)
  var change = Change(
    message: CommitMessage(
      subject: "\(actor): claim #\(issue.id) \(issue.title)" + (takingBack ? " (back from the landing queue)" : ""),
      operation: ClaimOperation(issueID: issue.id).record, agent: actor, issue: issue.id, epoch: issue.epoch))
  change.put(StatePaths.issue(issue.id), json: issue.json)
  try change.putAgents(agents.agents, onto: state)
  return change
}
