import ArgumentParser
import GHPKit

extension GHP {
  struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "serve", abstract: ServeOptions.abstract, discussion: ServeOptions.discussion)

    @OptionGroup var options: ServeOptions

    func run() throws {
      try Sibling.exec("ghp-serve", options.arguments, for: "ghp serve")
    }
  }
}
