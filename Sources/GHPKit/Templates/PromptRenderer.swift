/// Agent instructions rendered from the prompt templates with the state's goal and policy.
public enum PromptRenderer {
  public static func render(_ template: String, state: StateSnapshot, agent: String, goal given: String? = nil) throws(GHPError) -> String {
    let config = state.exists ? try state.config() : Config()
    let plan = try state.text(StatePaths.plan) ?? ""
    let goal = given ?? plan.split(separator: "\n").first { $0.hasPrefix("Goal: ") }.map { String($0.dropFirst(6)) }
    var values: [String: Any] = ["agent": agent, "staleAfter": Duration.exact(config.staleAfter)]
    if let goal { values["goal"] = goal }
    return try Templates.render(template, state: state.exists ? state : nil, values)
  }
}
