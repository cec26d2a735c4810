/// `ghp agent-status`, the MCP tool `get_status` and the resource `ghp://status`: every agent's
/// issue, status, last action and heartbeat age, the open escalations, dead issues, and the paths
/// where agents' branches conflict (with the base or with each other).
public struct StatusAction {
  /// Only agents whose heartbeat is older than `staleAfter`.
  public var staleOnly: Bool

  /// The report of every agent, or of the stale ones only.
  public init(staleOnly: Bool = false) { self.staleOnly = staleOnly }

  /// The report, read from the tip of `ghp/state` and the agents' branches.
  public func run(in workspace: Workspace) throws(GHPError) -> StatusReport {
    var report = try StatusReport(state: workspace.snapshot(), clock: workspace.clock)
    // Best effort: a repository without the base branch has no conflicts to show. Any other
    // failure (a pack swapped by gc, no descriptors left) leaves the report unsettled: shown, not kept.
    do { report.addConflicts(try ConflictReport.gather(workspace)) } catch {
      if case .invalidValue = error {} else { report.settled = false }
    }
    if staleOnly { report.rows = report.rows.filter(\.stale) }
    return report
  }
}

/// What a status report is read from besides the time: every ref of the repository (the state,
/// the heartbeat refs, the agents' branches and the base their conflicts are judged against), and
/// whether it shows the stale agents only. Objects never change, so equal inputs make an equal
/// report while its stale marks hold.
public struct StatusInputs: Equatable, Sendable {
  let staleOnly: Bool
  let names: [String]
  let targets: [ObjectID]

  /// The inputs of `action` in `repository`, as they are now.
  public init(_ action: StatusAction, in repository: Repository) {
    staleOnly = action.staleOnly
    let refs = repository.references(glob: "refs/*").sorted { $0.name < $1.name }
    names = refs.map(\.name)
    targets = refs.map(\.target)
  }
}

/// The last status answer a long-lived server made (`get_status` in `ghp mcp`), kept while nothing
/// it was read from has changed: no ref of the repository moved, and no agent became stale since.
/// At 10,000 agents an answer is megabytes and takes a report, a pretty print and an encoding to
/// make, and agents poll it far more often than the state changes. Only the last answer is kept.
public final class StatusAnswers<Answer: Sendable>: @unchecked Sendable {
  private var last: (inputs: StatusInputs, from: Int64, until: Int64, answer: Answer)?
  private let lock = NSLockLike()

  public init() {}

  /// The answer of `action` in `workspace`: the one kept, while it holds; else `make`'s from a fresh
  /// report, kept when no ref moved while it was made.
  public func answer(
    _ action: StatusAction, in workspace: Workspace, make: (StatusReport) throws(GHPError) -> Answer
  ) throws(GHPError) -> Answer {
    let repository = workspace.repository
    let inputs = StatusInputs(action, in: repository)
    let now = workspace.clock.now
    if let kept = lock.withLock({ last }), kept.inputs == inputs, kept.from <= now, now < kept.until {
      return kept.answer
    }
    let report = try action.run(in: workspace)
    let answer = try make(report)
    if report.settled, StatusInputs(action, in: repository) == inputs {
      lock.withLock { last = (inputs, report.now, report.marksHoldUntil, answer) }
    }
    return answer
  }
}
