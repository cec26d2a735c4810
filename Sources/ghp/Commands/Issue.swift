import ArgumentParser
import GHPKit

extension GHP {
  struct IssueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "issue",
      abstract: "Create and inspect issues (the work queue).",
      subcommands: [Add.self])
  }
}

extension GHP.IssueCommand {
  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Add an issue (orchestrators only); prints its id.",
      discussion: "Example: ghp issue add \"Create User model\"")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The issue's title.")
    var title: String

    func run() throws {
      let workspace = try global.workspace()
      let landed = try workspace.run(AddIssueOperation(title: title))
      if global.json {
        Output.json(landed.result.json)
      } else {
        Output.line(landed.result.id)
      }
    }
  }
}
