/// `ghp claim --next`: claims the first issue of the ready queue, atomically. Given paths in
/// conflict between active branches (`ghp conflicts`), it prefers the first ready issue whose scope
/// touches none of them, so that new work does not pile onto a conflict.
public struct ClaimNextOperation: StateOperation {
  /// Paths in conflict between active branches: a ready issue whose scope matches none of them
  /// is preferred. Empty takes the first ready issue.
  public var avoiding: [String]

  /// Claims the next ready issue, steering clear of `avoiding`.
  public init(avoiding: [String] = []) { self.avoiding = avoiding }

  /// How far down the ready queue a clear issue is looked for.
  static let lookahead = 50

  /// Claims the first ready issue (the first clear one within the lookahead when `avoiding` is
  /// given); `nothingReady` when the queue is empty.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError)
    -> (Change?, ClaimOperation.Output)
  {
    let ready = try ReadyQueue.ready(state, limit: avoiding.isEmpty ? 1 : Self.lookahead, for: actor)
    guard let first = ready.first else { throw try ReadyQueue.nothingFor(actor, in: state) }
    var chosen = try state.requireIssue(first.id)
    if !avoiding.isEmpty {
      for candidate in ready {
        let issue = try state.requireIssue(candidate.id)
        let globs = issue.scope.map { Glob($0) }
        if !avoiding.contains(where: { path in globs.contains { $0.matches(path) } }) {
          chosen = issue
          break
        }
      }
    }
    var change = try claimChange(&chosen, state: state, actor: actor, clock: clock)
    // Without paths to avoid, the claim is of whatever is next where it lands (see
    // `ClaimOperation.orNext`); with them, of this issue only, as the record cannot carry them.
    if avoiding.isEmpty { change.message.operation = ClaimOperation(issueID: chosen.id, orNext: true).record }
    return (change, ClaimOperation.Output(issue: chosen, alreadyHeld: false))
  }
}
