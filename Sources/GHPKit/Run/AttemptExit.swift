/// How one worker's attempt ended, judged from the issue as the state has it after the worker's
/// process exited: finished (done or submitted under the attempt's epoch), given back (the run
/// stopped it, or the worker released the issue), or failed (counted; the breaker hears of it when
/// the agent command itself failed).
public struct AttemptExit: Equatable, Sendable {
  /// The outcome recorded in the run's `exit`.
  public var outcome: RunOperation.Outcome
  /// Why, for the record and the agent's next attempt.
  public var reason: String?
  /// Whether the agent command failed (a breaker failure), as opposed to the agent reporting one.
  public var commandFailed: Bool

  /// Judges the attempt of `agent` at `epoch` that exited with `code`: `killReason` and
  /// `killOutcome` when the supervisor stopped it, `outputTail` the end of what it printed.
  public static func judge(
    issue: Issue, agent: String, epoch: Int, code: Int, killReason: String?,
    killOutcome: RunOperation.Outcome?, outputTail: String
  ) -> AttemptExit {
    let held = issue.status == .claimed && issue.assignee == agent && issue.epoch == epoch
    let finished = (issue.status == .done || issue.status == .landing) && issue.epoch == epoch
    if finished { return AttemptExit(outcome: .finished, reason: nil, commandFailed: false) }
    if let killReason, killOutcome == .released {
      return AttemptExit(outcome: .released, reason: killReason, commandFailed: false)
    }
    if held {
      let reason =
        killReason
        ?? "the agent exited \(code) without `ghp done` or `ghp fail`"
        + (outputTail.isEmpty ? "" : "; its output ended: \(TextTable.clip(outputTail, 600))")
      return AttemptExit(outcome: .failed, reason: reason, commandFailed: true)
    }
    // It gave the issue up itself (`ghp fail`, a release), or someone took it.
    let reported = issue.failures.last?.agent == agent && issue.status != .claimed
    return AttemptExit(
      outcome: reported ? .failed : .released,
      reason: issue.failures.last.map { "reported by the agent: \($0.reason)" }
        ?? "the issue is \(issue.status.rawValue) now",
      commandFailed: code != 0)
  }
}
