import ArgumentParser
import GHPKit

extension GHP {
  struct Done: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "done", abstract: "Mark an issue you hold done, with its result; dependants become ready.",
      discussion: """
        With [landing] in the policy, done submits your branch agent/<you> for landing instead. It \
        refuses a branch with no commits that change anything, or uncommitted work in your \
        worktree (naming the files), and records the branch tip. The issue is `landing` until `ghp \
        land` merged it onto the base with the gate passing (then done, and its dependants ready) \
        or sent it back to you. `ghp claim <id>` takes it back.

        Examples:
          ghp done 2 --result "Endpoint and tests in place"
          ghp done 2 --result-file out.md
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The issue id.", completion: Completions.issues([.claimed]))
    var id: String

    @Option(help: "What was done; - reads standard input.")
    var result: String?

    @Option(help: "A file holding the result.")
    var resultFile: String?

    func validate() throws {
      if (result == nil) == (resultFile == nil) { throw ValidationError("give one of --result or --result-file") }
    }

    func run() throws {
      let text =
        try resultFile.map { String(decoding: try Arguments.fileBytes($0), as: UTF8.self) }
        ?? Arguments.text(result ?? "")
      let action = try DoneAction(issue: id, result: text)
      Output.answer(try action.run(in: try global.workspace()), json: global.json)
    }
  }
}
