import ArgumentParser
import GHPKit
import Glibc

extension GHP {
  struct Approve: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "approve",
      abstract:
        "Let an agent edit shared files matching globs (orchestrators; an epic's manager, --once inside its scope).",
      discussion: """
        Example:
          ghp approve worker-1 README.md 'Sources/Core/**' --once --note "for #4"
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The agent.")
    var agent: String

    @Argument(help: "Files or globs.")
    var globs: [String]

    @Flag(help: "Used up by the first commit that needs it.")
    var once = false

    @Option(help: "Why, for the record.")
    var note: String?

    func run() throws {
      let action = ApproveAction(agent: agent, globs: globs, once: once, note: note, allowNew: global.new)
      Output.answer(try action.run(in: try global.workspace()), json: global.json)
    }
  }
}
