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
          Examples:
            ghp plan set plan.md
            cat plan.md | ghp plan set -
          """)

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The file; - reads standard input.")
      var file: String

      func run() throws {
        let text = String(decoding: try Arguments.fileBytes(file), as: UTF8.self)
        let landed = try global.workspace().run(SetPlanOperation(text: text))
        if global.json {
          Output.json(.object(["commit": .string(landed.commit?.hex ?? "")]))
        } else {
          Output.line("Plan set in \(landed.commit?.short ?? "?").")
        }
      }
    }
  }
}
