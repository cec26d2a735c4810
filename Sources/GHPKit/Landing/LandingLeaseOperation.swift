/// The operations `ghp land` records on `ghp/state`: the lease (one lander per base), a passed
/// gate with its evidence (before the base moves), the landing itself, and a bounce back to the
/// agent. Each records every input it was given, so `ghp verify` re-executes it.

/// `land-lease`: take, renew or give back the landing lease of a base (orchestrators).
public struct LandingLeaseOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "land-lease"

  /// Take the lease (or take it over), renew it, or give it back.
  public enum Action: String, Sendable, CaseIterable, RecordedWord { case acquire, renew, release }

  /// The branch whose landing lease this is.
  public var base: String
  /// Whether it takes, renews or gives back the lease.
  public var action: Action
  /// The lander's random token (1 to 64 characters); renew and release need the one held.
  public var token: String
  /// The host name of the lander's machine, recorded in the lease.
  public var host: String
  /// The lander's process id, recorded in the lease.
  public var pid: Int
  /// The lander process's start time (clock ticks after boot), recorded in the lease.
  public var start: Int
  /// On `acquire`: the token of a lease the caller found abandoned (its process is gone).
  public var replaces: String?

  /// The lease operation of the lander with `token` running as `pid` on `host`.
  public init(base: String, action: Action, token: String, host: String, pid: Int, start: Int, replaces: String? = nil)
  {
    self.base = base
    self.action = action
    self.token = token
    self.host = host
    self.pid = pid
    self.start = start
    self.replaces = replaces
  }

  /// Applies the action: takes a free, stale or abandoned lease, renews or deletes the caller's;
  /// returns the lease as it is now (nil once given back).
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, LandingLease?) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "land work")
    try BranchName.validate(base)
    guard !token.isEmpty, token.utf8.count <= 64 else {
      throw .invalidValue("lease token", "it must be 1 to 64 characters")
    }
    try TextLimit.check(host, "the host name", TextLimit.title)
    let policy = try state.config().landing
    let current = try state.landingLease(base)
    let path = StatePaths.landingLease(base)
    var lease: LandingLease
    var subject: String
    switch action {
    case .acquire:
      guard policy != nil else {
        throw .refused(
          "[landing] is not configured in .ghp/config.toml; set it first (ghp config set landing.gate '[\"swift test\"]')"
        )
      }
      if let current, current.token != token {
        let stale = clock.now - current.renewedAt > (policy?.leaseStaleAfter ?? 0)
        guard stale || replaces == current.token else {
          throw .refused(
            "the landing lease of \(base) is held by \(current.description), renewed \(RFC3339.format(current.renewedAt)); it is taken over once stale (\(Duration.exact(policy?.leaseStaleAfter ?? 0)) without renewal) or when that process is gone"
          )
        }
        subject =
          "\(actor): take over the landing lease of \(base) from \(current.holder) (pid \(current.pid) on \(current.host)"
          + (stale ? ", stale)" : ", gone)")
      } else if current?.token == token {
        return (nil, current)
      } else {
        subject = "\(actor): take the landing lease of \(base)"
      }
      lease = LandingLease(base: base, holder: actor, token: token, host: host, pid: pid, start: start, at: clock.now)
    case .renew:
      guard var held = current, held.token == token else {
        throw .refused(
          "this lander lost the landing lease of \(base)" + (current.map { " to \($0.description)" } ?? ""))
      }
      held.renewedAt = clock.now
      lease = held
      subject = "\(actor): renew the landing lease of \(base)"
    case .release:
      guard let held = current, held.token == token else { return (nil, nil) }
      var change = Change(
        message: CommitMessage(
          subject: "\(actor): give back the landing lease of \(base)", operation: record, agent: actor))
      change.writes[path] = .some(nil)
      return (change, nil)
    }
    var change = Change(message: CommitMessage(subject: subject, operation: record, agent: actor))
    change.put(path, json: lease.json)
    return (change, lease)
  }
}
