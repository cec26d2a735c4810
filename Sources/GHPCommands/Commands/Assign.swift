import ArgumentParser
import GHPKit

extension GHP {
  struct Assign: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "assign", abstract: "Give an issue to an agent (orchestrators; an epic's manager, its sub-issues).",
      discussion: """
        Example:
          ghp assign 2 worker-3
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The issue id.", completion: Completions.issues([.open, .claimed]))
    var id: String

    @Argument(help: "The agent who gets it.", completion: Completions.agents)
    var to: String

    func run() throws {
      let workspace = try global.workspace()
      let state = try workspace.snapshot()
      // Authority first (once the issue is known: a manager's depends on its epic), whatever agent
      // name was typed.
      let issue = try state.requireIssue(Arguments.issueID(id))
      try state.requireAuthority(try workspace.actor(), over: issue, toDo: "assign #\(issue.id)")
      try KnownAgent.require(to, in: state, toDo: "assign to it", allowNew: global.new)
      let landed = try workspace.run(AssignOperation(issueID: try Arguments.issueID(id), agent: to))
      printIssue(landed.result, verb: "Assigned to \(to):", json: global.json, commit: landed.commit)
    }
  }
}
