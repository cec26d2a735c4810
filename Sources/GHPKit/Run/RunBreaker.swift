/// The circuit breaker of a run, as a state machine over the recorded `RunRecord.Breaker`: after
/// `threshold` failed attempts in a row within `window` seconds it opens and no new worker starts
/// for `cooldown` seconds; then it lets one trial worker run (half-open), whose success closes it
/// and whose failure opens it again. A command that cannot start at all opens it at once.
public struct RunBreaker: Sendable {
  /// How the breaker moved, for the supervisor to say (and, on `opened`, to escalate).
  public enum Move: Equatable, Sendable {
    /// The cool-down is over: one trial worker may start.
    case halfOpened
    /// Enough failures in a row: no new workers for the cool-down.
    case opened
    /// The trial worker failed.
    case reopened
    /// A worker succeeded after the breaker had opened.
    case closed
  }

  /// The breaker as recorded on `ghp/state`.
  public var record: RunRecord.Breaker
  /// Failures in a row that open it (`agent.breaker`).
  public var threshold: Int
  /// Seconds within which failures count as in a row (`agent.breakerWindow`).
  public var window: Int64
  /// Seconds an open breaker waits before a trial (`agent.breakerCooldown`).
  public var cooldown: Int64

  /// The breaker `record` under `policy`'s limits.
  public init(_ record: RunRecord.Breaker, policy: AgentPolicy) {
    self.init(record, threshold: policy.breaker, window: policy.breakerWindow, cooldown: policy.breakerCooldown)
  }

  /// The breaker `record` under the given limits.
  public init(_ record: RunRecord.Breaker, threshold: Int, window: Int64, cooldown: Int64) {
    self.record = record
    self.threshold = threshold
    self.window = window
    self.cooldown = cooldown
  }

  /// Whether a worker may start at `now` while `running` workers run: always when closed; when
  /// half-open only the one trial; when open not before the cool-down, after which it half-opens.
  public mutating func allows(now: Int64, running: Int) -> (allowed: Bool, move: Move?) {
    switch record.state {
    case .closed: return (true, nil)
    case .halfOpen: return (running == 0, nil)
    case .open:
      guard let opened = record.openedAt, now - opened >= cooldown else { return (false, nil) }
      record.state = .halfOpen
      return (running == 0, .halfOpened)
    }
  }

  /// An attempt failed at `now` because of the agent command: counted; returns `.opened` when this
  /// failure opens the breaker (the supervisor escalates then) and `.reopened` when a trial failed.
  public mutating func failed(at now: Int64, reason: String) -> Move? {
    record.failures = record.failures.filter { now - $0.at <= window }
    record.failures.append((now, reason))
    if record.state == .halfOpen {
      record.state = .open
      record.openedAt = now
      return .reopened
    }
    if record.state == .closed && record.failures.count >= threshold {
      record.state = .open
      record.openedAt = now
      return .opened
    }
    return nil
  }

  /// An attempt succeeded: the failures in a row are forgotten and the breaker closes.
  public mutating func succeeded() -> Move? {
    let wasOpen = record.state != .closed
    record.state = .closed
    record.failures = []
    record.openedAt = nil
    return wasOpen ? .closed : nil
  }

  /// The agent command could not start at all: the breaker opens at once.
  public mutating func cannotStart(at now: Int64, reason: String) {
    record.state = .open
    record.openedAt = now
    record.failures.append((now, reason))
  }
}
