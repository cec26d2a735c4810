import ArgumentParser
import GHPKit

extension GHP {
  struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "serve",
      abstract: "Serve the page a human looks at, live, on http://127.0.0.1:7070 (`ghp serve --help` for all).",
      discussion: """
        Options: --port N (0: any free one), --listen ADDRESS (default 127.0.0.1), --open, --read-only,
        --agent NAME (the orchestrator answers are given as), -C PATH, --watch-interval MS.
        Prints the address with the write token; the page answers escalations and approves edits with it.
        The server is the ghp-serve program, next to ghp (scripts/install puts both there) or on PATH.
        Examples: ghp serve   ghp serve --port 0 --open   ghp serve --read-only --listen 0.0.0.0
        """)

    @Argument(parsing: .captureForPassthrough, help: "Options for the server (see above).")
    var arguments: [String] = []

    func run() throws {
      try Sibling.exec("ghp-serve", arguments, for: "ghp serve")
    }
  }
}
