/// Agent instructions rendered from the prompt templates with the state's goal and policy.
public enum PromptRenderer {
  /// How often the prompts tell an agent to heartbeat at the least: a third of `staleAfter`, so two
  /// missed beats still leave it fresh, and never more often than `--auto` would commit; whole
  /// minutes from two minutes on, so that people and models read "3m", not "3m20s".
  public static func heartbeatEvery(_ config: Config) -> Int64 {
    let every = max(config.heartbeatMinimum, max(60, config.staleAfter / 3))
    return every >= 120 ? every / 60 * 60 : every
  }

  /// How many `claim --next` answers of "nothing ready" in a row an agent waits through before it stops.
  public static let idleTries = 3

  /// The values every prompt template can use: `agent`, `goal`, `staleAfter`, `heartbeatEvery`,
  /// `idleWait` and `idleTries`.
  public static func values(state: StateSnapshot, agent: String, goal given: String? = nil) throws(GHPError) -> [String:
    Any]
  {
    let config = state.exists ? try state.config() : Config()
    var goal = given
    if goal == nil { goal = try state.goal() }
    let every = Duration.exact(heartbeatEvery(config))
    var values: [String: Any] = [
      "agent": agent, "staleAfter": Duration.exact(config.staleAfter), "heartbeatEvery": every, "idleWait": every,
      "idleTries": String(idleTries),
    ]
    if let goal { values["goal"] = goal }
    return values
  }

  /// The template named `template` (`worker-prompt.md`, ...) rendered for `agent` with `values`;
  /// `goal` overrides the state's goal.
  public static func render(_ template: String, state: StateSnapshot, agent: String, goal given: String? = nil)
    throws(GHPError) -> String
  {
    try Templates.render(template, state: state.exists ? state : nil, values(state: state, agent: agent, goal: given))
  }
}
