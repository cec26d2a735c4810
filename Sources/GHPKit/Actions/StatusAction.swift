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
    // Best effort: a repository without the base branch has no conflicts to show.
    if let conflicts = try? ConflictReport.gather(workspace) { report.addConflicts(conflicts) }
    if staleOnly { report.rows = report.rows.filter(\.stale) }
    return report
  }
}
