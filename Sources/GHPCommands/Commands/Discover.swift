import ArgumentParser
import GHPKit

extension GHP {
  struct Discover: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "discover", abstract: "Share a finding with every agent (appended to .ghp/discoveries.md).",
      discussion: """
        Example:
          ghp discover "The API uses zod-style validation in Sources/Validation"
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The finding; - reads standard input.")
    var text: String

    func run() throws {
      let landed = try global.workspace().run(DiscoverOperation(text: Arguments.text(text)))
      if global.json {
        Output.json(landed.result.json)
      } else {
        Output.line("Shared at \(RFC3339.format(landed.result.at)).")
      }
    }
  }
}
