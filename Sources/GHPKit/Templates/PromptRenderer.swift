/// Agent instructions rendered from the prompt templates with the state's goal and policy.
public enum PromptRenderer {
  public static func render(_ template: String, state: StateSnapshot, agent: String, goal given: String? = nil) throws(GHPError) -> String {
    let config = state.exists ? try state.config() : Config()
    var goal = given
    if goal == nil { goal = try state.goal() }
    var values: [String: Any] = ["agent": agent, "staleAfter": Duration.exact(config.staleAfter)]
    if let goal { values["goal"] = goal }
    return try Templates.render(template, state: state.exists ? state : nil, values)
  }
}
