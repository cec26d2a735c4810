import ArgumentParser
import GHPKit
import Glibc

extension GHP {
  struct Land: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "land",
      abstract: "Land submitted work on the base: merge, run the gate, move the base by compare-and-swap.",
      discussion: """
        Orchestrators. Takes issues in `ghp queue` order and merges each agent branch tip onto the \
        current base in memory. A conflict sends the issue back to its agent (claimed, same epoch) \
        with the conflicting paths.

        Otherwise the result is checked out in a scratch worktree \
        (<git dir>/ghp/land/<base>) and the [landing] gate commands run there with the timeout. \
        When all pass, the evidence is recorded on ghp/state, the base moves by compare-and-swap \
        from the tip it merged onto (merged again if someone moved it meanwhile; never forced), \
        and the issue is done. A failed gate is a failed attempt (dead after maxAttempts) with the \
        command and its output's tail. With batch > 1, issues are gated together and bisected on \
        failure.

        One lander per base holds a lease; a second is told who holds it. Without --once, \
        keeps landing as work is submitted until Ctrl-C or SIGTERM.

        With --once, exit 1 when anything bounced.

        Examples:
          ghp land --once
          ghp land
          ghp land --once --json
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Land only what is queued now, then stop.")
    var once = false

    @Option(help: ArgumentHelp("Without --once: seconds between looks at the queue.", valueName: "seconds"))
    var interval: Int = 2

    func validate() throws {
      if !(1...3600).contains(interval) { throw ValidationError("--interval must be 1 to 3600 seconds") }
    }

    func run() throws {
      LandingSignals.install()
      let json = global.json
      let action = LandAction(once: once, interval: interval, progress: { line in if !json { Output.line(line) } })
      let answer = try action.run(in: try global.workspace())
      Output.answer(answer, json: json)
      // With --json the report is the whole answer, interrupted or not (the loop ends no other way).
      if answer.wasInterrupted && !json { throw GHPError.interrupted }
      // A pass that sent work back is not a clean one: a script running `land --once` sees it.
      if once && !answer.report.bounced.isEmpty { throw ExitCode(1) }
    }
  }

}
