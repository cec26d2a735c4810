/// The operations `ghp land` records on `ghp/state`: the lease (one lander per base), a passed
/// gate with its evidence (before the base moves), the landing itself, and a bounce back to the
/// agent. Each records every input it was given, so `ghp verify` re-executes it.

/// Who holds the landing lease of a base: `.ghp/landing/<base>.lease.json`.
public struct LandingLease: Equatable, Sendable {
  /// The branch this lease lands on.
  public var base: String
  /// The orchestrator landing on `base`.
  public var holder: String
  /// The random token of the lander's run; each landing operation must carry it.
  public var token: String
  /// The host name of the machine the lander runs on.
  public var host: String
  /// The lander's process id on `host`.
  public var pid: Int
  /// The lander process's start time (clock ticks after boot, `/proc/<pid>/stat`), telling it
  /// from a later process with the same pid.
  public var start: Int
  /// When the lease was taken, in seconds since 1970.
  public var acquiredAt: Int64
  /// When the lease was last renewed, in seconds since 1970; stale after `leaseStaleAfter`.
  public var renewedAt: Int64

  init(json: JSON) throws(DocumentError) {
    guard let f = json.objectValue, let base = f["base"]?.stringValue, let holder = f["holder"]?.stringValue,
      let token = f["token"]?.stringValue, let host = f["host"]?.stringValue, case .int(let pid)? = f["pid"],
      case .int(let start)? = f["start"], let acquired = f["acquiredAt"]?.stringValue.flatMap(RFC3339.parse),
      let renewed = f["renewedAt"]?.stringValue.flatMap(RFC3339.parse)
    else {
      throw DocumentError("a landing lease needs base, holder, token, host, pid, start, acquiredAt and renewedAt")
    }
    self.init(base: base, holder: holder, token: token, host: host, pid: pid, start: start, at: acquired)
    renewedAt = renewed
  }

  init(base: String, holder: String, token: String, host: String, pid: Int, start: Int, at: Int64) {
    self.base = base
    self.holder = holder
    self.token = token
    self.host = host
    self.pid = pid
    self.start = start
    acquiredAt = at
    renewedAt = at
  }

  /// The document as canonical JSON.
  public var json: JSON {
    .object([
      "base": .string(base), "holder": .string(holder), "token": .string(token), "host": .string(host),
      "pid": .int(pid),
      "start": .int(start), "acquiredAt": .string(RFC3339.format(acquiredAt)),
      "renewedAt": .string(RFC3339.format(renewedAt)),
    ])
  }

  /// The holder, its pid and host, and since when, as refusals name it.
  public var description: String { "\(holder) (pid \(pid) on \(host), since \(RFC3339.format(acquiredAt)))" }
}
