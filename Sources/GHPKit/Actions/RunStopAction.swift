import Glibc

/// `ghp run stop` (and the older spelling `ghp run --stop`): asks the run of this repository to stop gracefully —
/// recorded on `ghp/state`, where a supervisor on any machine sees it within a second; one on this
/// machine is also sent SIGTERM — then waits, boundedly, for it to end its workers.
public struct RunStopAction {
  /// How long to wait for the supervisor to end, in seconds.
  public var wait: Double

  /// A stop request that waits up to `wait` seconds.
  public init(wait: Double = 120) { self.wait = wait }

  /// The runs as they were when the wait ended.
  public struct Answer: ActionAnswer {
    /// The runs asked to stop (every active run, on any host), each read last; the first is the
    /// one started last.
    public var runs: [RunRecord]

    /// The answer as `--json` prints it and the MCP tool returns it: the run started last, and
    /// every run asked.
    public var json: JSON {
      func object(_ run: RunRecord) -> JSON {
        .object([
          "run": .string(run.id), "state": .string(run.state.rawValue),
          "outcome": run.outcome.map { .string($0) } ?? .null,
        ])
      }
      var answer = runs.first.map(object)?.objectValue ?? [:]
      answer["runs"] = .array(runs.map(object))
      return .object(answer)
    }

    /// The answer for a person, one sentence a line.
    public var lines: [String] {
      runs.map { run in
        run.isActive
          ? "Asked \(run.id) (on \(run.host)) to stop; it is still \(run.state.rawValue) (ghp run status)."
          : run.outcome ?? "\(run.id) \(run.state.rawValue)."
      }
    }
  }

  /// Records the request (orchestrators, or the run's own supervisor) for every active run,
  /// signals the supervisors on this machine and waits for them all.
  public func run(in workspace: Workspace) throws(GHPError) -> Answer {
    let landed = try workspace.run(RunOperation(action: .stop, token: ""))
    let state = try workspace.snapshot()
    let lease = try state.config().agent.lease
    let recorded = try state.runRecords()
    var ids = recorded.active.reversed().map(\.id)
    if ids.isEmpty { ids = [landed.result.id] }
    let host = Host.name
    for id in ids {
      if let run = recorded.first(where: { $0.id == id }), run.host == host,
        !run.isAbandoned(now: workspace.clock.now, host: host, lease: lease)
      {
        kill(Int32(clamping: run.pid), SIGTERM)
      }
    }
    let deadline = MonotonicClock.now() + wait
    var runs: [RunRecord] = []
    while true {
      workspace.refreshClock()
      let read = try workspace.snapshot()
      let current = try read.runRecords()
      runs = ids.compactMap { id in current.first { $0.id == id } }
      let waiting = runs.contains { $0.isActive && !$0.isAbandoned(now: workspace.clock.now, host: host, lease: lease) }
      guard waiting, MonotonicClock.now() < deadline else { break }
      usleep(200_000)
    }
    return Answer(runs: runs)
  }
}
