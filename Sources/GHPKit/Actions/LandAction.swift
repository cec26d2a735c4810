import Glibc

/// `ghp land`: holds the landing lease of the base and lands submitted work in queue order — what is
/// queued now (`once`), or as it is submitted until interrupted (SIGINT, SIGTERM).
public struct LandAction {
  /// Land only what is queued when it starts, then stop.
  public var once: Bool
  /// Without `once`: seconds between looks at the queue.
  public var interval: Int
  /// Told each step as it happens (a landing, a bounce, a gate run).
  public var progress: (String) -> Void
  /// Whether to stop now; by default, whether SIGINT or SIGTERM arrived (`LandingSignals`).
  public var interrupted: () -> Bool

  /// A landing pass, or a loop of them.
  public init(
    once: Bool, interval: Int = 2, progress: @escaping (String) -> Void = { _ in },
    interrupted: @escaping () -> Bool = { LandingSignals.interrupted }
  ) {
    self.once = once
    self.interval = interval
    self.progress = progress
    self.interrupted = interrupted
  }

  /// What every pass landed, bounced and left queued.
  public struct Answer: ActionAnswer {
    /// The passes' reports, added up.
    public var report: Lander.Report
    /// Whether the loop ended because it was interrupted.
    public var wasInterrupted: Bool

    /// The answer as `--json` prints it and the MCP tool returns it.
    public var json: JSON { report.json }

    /// The answer for a person, one sentence a line.
    public var lines: [String] {
      var out = report.waiting.map { "Left #\($0.id) queued: \($0.reason)" }
      if report.landed.isEmpty && report.bounced.isEmpty && report.waiting.isEmpty { out.append("Nothing to land.") }
      return out
    }
  }

  /// Takes the lease, lands, gives the lease back.
  public func run(in workspace: Workspace) throws(GHPError) -> Answer {
    let lander = try Lander(workspace)
    lander.progress = progress
    try lander.acquire()
    defer { lander.release() }
    var total = Lander.Report()
    var only: Set<String>?
    if once {
      let state = try workspace.snapshot()
      only = Set(
        try LandingQueue.gather(state, policy: lander.policy, now: workspace.clock.now).entries.map(\.issue.id))
    }
    repeat {
      let report = try lander.run(only: only)
      total.landed += report.landed
      total.bounced += report.bounced
      total.recovered += report.recovered
      total.gateRuns += report.gateRuns
      for item in report.waiting where !total.waiting.contains(where: { $0.id == item.id }) {
        total.waiting.append(item)
      }
      if once || interrupted() { break }
      try lander.keepAlive()
      var slept = 0
      while slept < interval * 10 && !interrupted() {
        usleep(100_000)
        slept += 1
      }
    } while !interrupted()
    return Answer(report: total, wasInterrupted: interrupted())
  }
}
