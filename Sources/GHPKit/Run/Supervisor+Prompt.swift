import Glibc

// What a worker is told when it starts on an issue.

extension Supervisor {
  /// The prompt of a worker on one issue: the worker prompt and what this attempt is.
  func prompt(agent: String, issue: Issue, state: StateSnapshot) throws(GHPError) -> String {
    // The worker prompt depends only on the agent, the goal and the policy: rendered once each.
    var text: String
    if let cached = workerPrompts[agent] {
      text = cached
    } else {
      text = try PromptRenderer.render("worker-prompt.md", state: state, agent: agent, goal: run.goal)
      workerPrompts[agent] = text
    }
    let limits =
      ["a timeout of \(Duration.exact(policy.taskTimeout))"]
      + [
        policy.budget.micros.map { "a budget of \(Money.format($0))" },
        policy.budget.tokens.map { "a budget of \($0) tokens" },
      ].compactMap { $0 }
    text += """

      ## Your issue now

      `ghp run` (\(run.id)) started you on #\(issue.id): \(issue.title)
      (attempt \(issue.attempts + 1) of \(config.maxAttempts), epoch \(issue.epoch)). It is already claimed
      for you; do not claim another. Read it with `ghp issue show \(issue.id)`.
      \(issue.scope.isEmpty ? "" : "Its scope: \(issue.scope.joined(separator: ", ")).\n")
      Work in this worktree on agent/\(agent) and commit. Then run
      `ghp done \(issue.id) --result "what you did and how you checked it"` (or
      `ghp fail \(issue.id) --reason "..."`) and exit. The supervisor sends your heartbeats while
      you show progress, and stops you at \(limits.joined(separator: " and ")).

      """
    if let landing = config.landing {
      text +=
        "\nWork lands on \(landing.base) through `ghp land` and its gate. Start from the current base\n(`git merge \(landing.base)`), so that what your issue depends on is in your worktree.\n"
    }
    if !issue.body.isEmpty { text += "\n## The issue\n\n\(issue.body)\n" }
    if let last = issue.failures.last { text += "\nThe last attempt failed: \(last.reason)\n" }
    return text
  }
}
