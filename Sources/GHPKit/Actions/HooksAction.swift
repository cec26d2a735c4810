/// `ghp hooks install` and `ghp hooks uninstall`: the hooks of a repository are everyone's (a
/// worktree shares `.git/hooks` with every other), so once the state names its orchestrators only
/// an orchestrator installs or removes them. Before `ghp init` (a new server's bare repository)
/// anyone who can write the repository may.
public struct HooksAction {
  /// Install (true) or remove (false).
  public var install: Bool
  /// With `install`: the server's hook (`pre-receive`) rather than the client's.
  public var server: Bool
  /// The ghp the hooks call.
  public var ghpBinary: String

  /// An install (of the server's hook when `server`) or a removal, of hooks that call `ghpBinary`.
  public init(install: Bool, server: Bool = false, ghpBinary: String) {
    self.install = install
    self.server = server
    self.ghpBinary = ghpBinary
  }

  /// What was installed, kept or put back, and where.
  public struct Answer: ActionAnswer {
    /// The installer's report.
    public var report: HookInstaller.Report
    /// Whether it was an install.
    public var install: Bool

    /// The answer as `--json` prints it.
    public var json: JSON {
      install
        ? .object([
          "directory": .string(report.directory), "installed": .array(report.installed.map { .string($0) }),
          "chained": .array(report.chained.map { .string($0) }),
        ])
        : .object([
          "removed": .array(report.removed.map { .string($0) }),
          "restored": .array(report.restored.map { .string($0) }),
        ])
    }

    /// The answer for a person, one sentence a line.
    public var lines: [String] {
      if install {
        return ["Installed \(report.installed.joined(separator: ", ")) in \(report.directory)."]
          + report.chained.map { "Kept the existing \($0) as \($0).ghp-chained; it runs first." }
          + (report.landsNoOperations.map { ["Note: \($0)."] } ?? [])
      }
      return [
        "Removed \(report.removed.isEmpty ? "nothing" : report.removed.joined(separator: ", ")) from \(report.directory)."
      ] + report.restored.map { "Restored \($0)." }
    }
  }

  /// Installs or removes the hooks; refused for anyone but an orchestrator once the state exists.
  public func run(in workspace: Workspace) throws(GHPError) -> Answer {
    let state = try workspace.snapshot()
    if state.exists {
      try state.requireOrchestrator(
        try workspace.actor(),
        toDo: "\(install ? "install" : "remove") the hooks (every worktree of this repository shares them)")
    }
    let report =
      install
      ? try HookInstaller.install(workspace.repository, server: server, ghpBinary: ghpBinary)
      : try HookInstaller.uninstall(workspace.repository)
    return Answer(report: report, install: install)
  }
}
