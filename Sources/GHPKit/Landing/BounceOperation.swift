/// The operations `ghp land` records on `ghp/state`: the lease (one lander per base), a passed
/// gate with its evidence (before the base moves), the landing itself, and a bounce back to the
/// agent. Each records every input it was given, so `ghp verify` re-executes it.

/// `land-bounce`: the issue goes back to its agent: its branch conflicts with the base (claimed
/// again, epoch unchanged), its commits break the edit rules (shared files without an approval,
/// another agent's scope, work under a lost claim), or the gate failed on it — those two are a
/// failed attempt each (dead after `maxAttempts`).
public struct BounceOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "land-bounce"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case base, token
    case issueID = "issue"
    case tip, baseTip, kind, paths, gate, log, violations
  }

  /// Why the issue goes back: its branch conflicts with the base, its commits break the edit rules
  /// (judged before the gate runs), or the gate failed on the merge.
  /// (`review`: a reviewer asked for changes, recorded by `ReviewOperation`, never by a lander.)
  public enum Kind: String, Sendable, CaseIterable, RecordedWord { case conflict, gate, policy, review }

  /// The branch the issue was to land on (`[landing] base`).
  public var base: String
  /// The lander's lease token; refused unless it still holds the lease of `base`.
  public var token: String
  /// The issue that goes back to its agent.
  public var issueID: String
  /// The agent branch's tip as submitted; the issue must still wait to land exactly this commit.
  public var tip: ObjectID
  /// The base tip the branch was merged with when it conflicted or failed the gate.
  public var baseTip: ObjectID
  /// A conflict (claimed again, no attempt counted) or a gate failure (a failed attempt).
  public var kind: Kind
  /// The paths that conflict (at least one for a conflict); empty for a gate bounce.
  @Defaulted<NoStrings> public var paths: [String]
  /// The outcome of each gate command run, up to the one that failed; empty for a conflict.
  @Defaulted<NoGateResults> public var gate: [GateCommandResult]
  /// The blob of the gate's whole output, put at `.ghp/results/<id>.gate.log`; nil when none was kept.
  public var log: ObjectID?
  /// A policy bounce: the rules broken, one sentence each as the hooks say them (nil otherwise, and
  /// left out of the record).
  public var violations: [String]?

  /// The bounce of one issue, with every input recorded as given.
  public init(
    base: String, token: String, issueID: String, tip: ObjectID, baseTip: ObjectID, kind: Kind, paths: [String],
    gate: [GateCommandResult], log: ObjectID?, violations: [String]? = nil
  ) {
    self.violations = violations
    self.base = base
    self.token = token
    self.issueID = issueID
    self.tip = tip
    self.baseTip = baseTip
    self.kind = kind
    self.paths = paths
    self.gate = gate
    self.log = log
  }

  /// The same bounce with the issue's id renamed as the offline batch was.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.issueID = renames.issue(issueID)
    return renamed
  }

  /// The reason told to the agent.
  var reason: String {
    switch kind {
    case .conflict:
      let shown = paths.prefix(20).joined(separator: ", ") + (paths.count > 20 ? ", … (\(paths.count) paths)" : "")
      return
        "agent branch conflicts with \(base) at \(baseTip.short) in \(shown); merge \(base) into your branch, resolve, commit, and `ghp done` again"
    case .policy:
      let broken = violations ?? []
      let shown = broken.prefix(10).joined(separator: "\n") + (broken.count > 10 ? "\n… (\(broken.count) in all)" : "")
      return
        "the branch breaks the edit rules, so it was not gated; fix it (an orchestrator's approval, or the change taken out of the branch), then `ghp done` again:\n\(shown)"
    case .review: return "a reviewer asked for changes"
    case .gate:
      guard let failed = gate.first(where: { !$0.passed }) else { return "the gate failed" }
      let tail = failed.tail.split(separator: "\n", omittingEmptySubsequences: false).suffix(10).joined(separator: "\n")
      return "gate \(failed.summary) on the merge with \(base) at \(baseTip.short):\n\(tail)"
    }
  }

  /// Applies the bounce: the issue goes back claimed to its agent (dead after `maxAttempts` gate
  /// failures), who is told why on its next report; returns the issue as written.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    try requireLandingLease(state, base: base, token: token, actor: actor)
    var issue = try requireSubmitted(state, issueID, tip: tip)
    if kind == .conflict && paths.isEmpty { throw .emptyText("the conflicting paths") }
    // An attempt whose trial failed (its score command printed no number) bounces on that trial.
    let trialFailed = issue.trial.map { !$0.passed && $0.tip == tip } ?? false
    if kind == .gate && gate.allSatisfy(\.passed) && !trialFailed {
      throw .refused("every gate command passed; #\(issue.id) cannot bounce on the gate")
    }
    if kind == .policy && (violations ?? []).isEmpty { throw .emptyText("the broken rules of a policy bounce") }
    if kind == .review { throw .refused("a review's request for changes is the reviewer's (`ghp review changes`)") }
    let agent = issue.assignee ?? issue.submission?.by ?? actor
    let reason = reason
    var change = Change(message: CommitMessage(subject: "", operation: record, agent: actor, issue: issue.id))
    if let log { change.links[StatePaths.gateLog(issue.id)] = log }
    issue.bounced = Bounce(
      kind: kind, at: RFC3339.format(clock.now), by: actor, base: base, baseTip: baseTip, tip: tip, reason: reason,
      paths: paths, gate: gate, log: log.map { _ in StatePaths.gateLog(issue.id) })
    issue.pending = nil
    issue.trial = nil
    issue.updatedAt = clock.now
    var fate = "back to \(agent)"
    if kind != .conflict {
      issue.attempts += 1
      issue.failures.append(Issue.Failure(agent: agent, at: clock.now, reason: reason))
      if issue.attempts >= (try state.config().maxAttempts) {
        issue.assignee = agent
        issue.reopen(at: clock.now)
        issue.status = .dead
        fate = "dead after \(issue.attempts) attempts"
      }
    }
    var agents = try state.agents()
    if issue.status != .dead {
      issue.status = .claimed
      issue.assignee = agent
    }
    // The agent is told on its next report, also when the failure was its last attempt.
    let told =
      issue.status == .dead ? "\(reason)\n(\(fate): an orchestrator can `ghp issue retry \(issue.id)`)" : reason
    agents.tellReturned(agent, issue: issue, kind: kind.rawValue, reason: told, at: clock.now)
    let what =
      switch kind {
      case .conflict: "conflicts with \(base) in \(paths.count) path\(paths.count == 1 ? "" : "s")"
      case .policy: "breaks the edit rules in \(Set(paths).count) path\(Set(paths).count == 1 ? "" : "s")"
      case .gate: "gate failed"
      case .review: "changes asked for"
      }
    change.message = CommitMessage(
      subject: "\(actor): bounce #\(issue.id) \(issue.title): \(what); \(fate)", body: reason, operation: record,
      agent: actor, issue: issue.id, epoch: issue.epoch)
    change.put(StatePaths.issue(issue.id), json: issue.json)
    change.put(StatePaths.agentStatus, json: agents.json)
    return (change, issue)
  }
}
