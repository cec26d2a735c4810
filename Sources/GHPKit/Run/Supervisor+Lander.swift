import Glibc

// The lander child: `ghp land --once`, run by the supervisor when work waits to land.

extension Supervisor {
  /// Starts `ghp land --once` as the run's orchestrator, in the main worktree.
  func startLander() -> WorkerProcess? {
    var environment = workspace.environment
    environment["GHP_AGENT"] = actor
    environment["GHP_RUN"] = run.id
    let top = repository.workingDirectory ?? repository.localPaths.common
    let promptPath = "\(folder)/lander.prompt"
    try? Files.replace(promptPath, with: [])
    return try? WorkerProcess.spawn(
      agent: "lander", issue: "", epoch: 0, program: ghpPath, arguments: ["land", "--once"], directory: top,
      environment: environment, promptPath: promptPath, logPath: "\(folder)/lander.log")
  }
}
