import ArgumentParser
import GHPKit

extension GHP {
  struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "plan", abstract: "The master plan (.ghp/plan.md).",
      subcommands: [Show.self, Set.self],
      defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print the plan.",
        discussion: """
          Example:
            ghp plan show
          """)

      @OptionGroup var global: ReadOptions

      func run() throws {
        let state = try global.workspace().snapshot()
        try state.requireInitialised()
        let text = try state.text(StatePaths.plan) ?? ""
        if global.json { Output.json(.object(["plan": .string(text)])) } else { Output.text(text) }
      }
    }

    struct Set: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Replace the plan with a file's text, keeping the goal unless it has a Goal: line (orchestrators).",
        discussion: """
          With --epic, the text replaces only that epic's section of the plan (its heading \
          "## Epic #ID: title" up to the next heading of level 1 or 2), which the epic's manager \
          may write too.

          Examples:
            ghp plan set plan.md
            cat plan.md | ghp plan set -
            ghp plan set accounts.md --epic 12
          """)

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The file; - reads standard input.")
      var file: String

      @Option(help: ArgumentHelp("Replace only this epic's section.", valueName: "id"))
      var epic: String?

      func run() throws {
        let text = String(decoding: try Arguments.fileBytes(file), as: UTF8.self)
        let landed = try global.workspace().run(SetPlanOperation(text: text, epic: try epic.map(Arguments.issueID)))
        if global.json {
          Output.json(.object(["commit": .string(landed.commit?.hex ?? "")]))
        } else {
          Output.line("Plan set in \(landed.commit?.short ?? "?").")
        }
      }
    }
  }
}
