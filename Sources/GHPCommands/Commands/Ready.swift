import ArgumentParser
import GHPKit

extension GHP {
  struct Ready: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "ready",
      abstract: "Issues ready to claim: open, unclaimed, every dependency done; by priority, then age.",
      discussion: """
        An issue that needs capabilities no registered agent has is marked (nobody can do it); \
        --for shows only what that agent can do.

        Examples:
          ghp ready --json
          ghp ready --for w1
        """)

    @OptionGroup var global: ReadOptions

    @Option(name: .short, help: "At most this many (0: all).")
    var n: Int = 0

    @Option(name: .customLong("for"), help: ArgumentHelp("Only what this agent can do.", valueName: "agent"))
    var agent: String?

    func run() throws {
      let workspace = try global.workspace()
      let state = try workspace.snapshot()
      if let agent, try state.agentRecord(try AgentName.validate(agent)) == nil {
        throw GHPError.invalidValue("--for", "no agent is registered as \(agent) (see `ghp agent list`)")
      }
      let ready = try ReadyQueue.ready(state, limit: n > 0 ? n : nil, for: agent)
      let nobody = try ReadyQueue.nobodyCan(ready, in: state)
      if global.json {
        Output.json(try ReadyQueue.json(ready, in: state))
      } else {
        Output.text(ready.isEmpty ? "Nothing is ready.\n" : IssueSummary.table(ready))
        for summary in ready where nobody.contains(summary.id) {
          Output.line(
            "#\(summary.id) needs \(summary.needs.joined(separator: ", ")): no registered agent can do it"
              + " (`ghp agent add NAME --can \(summary.needs.joined(separator: ","))`).")
        }
      }
    }
  }
}
