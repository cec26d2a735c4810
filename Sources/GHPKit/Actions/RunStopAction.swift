import Glibc

/// `ghp run stop` (and the older spelling `ghp run --stop`): asks the run of this repository to stop gracefully —
/// recorded on `ghp/state`, where a supervisor on any machine sees it within a second; one on this
/// machine is also sent SIGTERM — then waits, boundedly, for it to end its workers.
public struct RunStopAction {
  /// How long to wait for the supervisor to end, in seconds.
  public var wait: Double

  /// A stop request that waits up to `wait` seconds.
  public init(wait: Double = 120) { self.wait = wait }

  /// The run as it was when the wait ended.
  public struct Answer: ActionAnswer {
    /// The run record, read last.
    public var run: RunRecord

    /// The answer as `--json` prints it and the MCP tool returns it.
    public var json: JSON {
      .object([
        "run": .string(run.id), "state": .string(run.state.rawValue),
        "outcome": run.outcome.map { .string($0) } ?? .null,
      ])
    }

    /// The answer for a person, one sentence a line.
    public var lines: [String] {
      if run.isActive { return ["Asked \(run.id) to stop; it is still \(run.state.rawValue) (ghp run status)."] }
      return [run.outcome ?? "\(run.id) \(run.state.rawValue)."]
    }
  }

  /// Records the request (orchestrators, or the run's own supervisor), signals a local supervisor
  /// and waits for it.
  public func run(in workspace: Workspace) throws(GHPError) -> Answer {
    let landed = try workspace.run(RunOperation(action: .stop, token: ""))
    let run = landed.result
    let host = Host.name
    if run.host == host, !run.isAbandoned(now: workspace.clock.now, host: host) {
      kill(Int32(clamping: run.pid), SIGTERM)
    }
    let deadline = MonotonicClock.now() + wait
    var current = run
    while current.isActive && MonotonicClock.now() < deadline {
      usleep(200_000)
      workspace.refreshClock()
      guard let read = try workspace.snapshot().runRecord() else { break }
      current = read
      if current.isAbandoned(now: workspace.clock.now, host: host) { break }
    }
    return Answer(run: current)
  }
}
