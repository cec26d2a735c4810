import ArgumentParser
import GHPKit

extension GHP {
  struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "status",
      abstract: "One screen: the goal, issues by status, who works, who is stale, what needs a human.",
      discussion: """
        The goal, issue counts and how many are ready, who is working on what, idle and stale \
        agents, open escalations, conflicts between branches, what waits to land, the run if one \
        is live, dead issues. Each line names the command that goes deeper.

        Examples:
          ghp status
          ghp status --json
        """)

    @OptionGroup var global: ReadOptions

    func run() throws {
      let overview = try Overview(try global.workspace())
      if global.json { Output.json(overview.json) } else { Output.marked(overview.text()) }
    }
  }
}
