import Glibc

/// Names of agents a person types: a typo must not quietly make a new agent.
public enum KnownAgent {
  /// Refuses a name no agent is registered under, naming the closest registered ones, unless the
  /// caller said the name is new (`--new`).
  public static func require(_ name: String, in state: StateSnapshot, toDo action: String, allowNew: Bool)
    throws(GHPError)
  {
    try AgentName.validate(name)
    let agents = try state.agents().agents
    guard agents[name] == nil, !allowNew else { return }
    let hint = closest(to: name, among: agents)
    throw .invalidValue(
      "agent '\(name)'",
      "no agent is registered under that name; \(hint)register it with `ghp agent add \(name)`, or pass --new to \(action) anyway"
    )
  }

  /// Refuses a write by an actor no agent is registered under (nor named an orchestrator in the
  /// policy) when the policy says `unknownAgents = "refuse"`, naming the closest registered ones.
  public static func requireActor(_ name: String, in state: StateSnapshot) throws(GHPError) {
    guard state.exists else { return }
    // A registered actor is found by its own entry, without reading every other.
    guard try state.agentRecord(name) == nil else { return }
    let config = try state.config()
    guard config.unknownAgents == .refuse, !config.orchestrators.contains(name) else { return }
    let hint = closest(to: name, among: try state.agents().agents)
    throw .invalidValue(
      "agent '\(name)'",
      "no agent is registered under that name, so nothing was written; \(hint)check GHP_AGENT (or --agent), "
        + "or register it: `ghp agent add \(name)` (an orchestrator), or --new on this command")
  }

  /// What a filter by an agent no one is registered under says (a note, not a refusal: the
  /// history may hold a name since removed), with the closest registered names; nil when known.
  public static func unregisteredNote(_ name: String, in state: StateSnapshot) -> String? {
    guard state.exists, let agents = try? state.agents().agents, agents[name] == nil else { return nil }
    return "no agent '\(name)' is registered; " + closest(to: name, among: agents) + "(see `ghp agent-status`)"
  }

  /// The "did you mean" of the registered names within two edits of `name`.
  static func closest(to name: String, among agents: [String: AgentRecord]) -> String {
    EditDistance.didYouMean(agents.keys.filter { EditDistance.between($0, name) <= 2 }.sorted())
  }
}
