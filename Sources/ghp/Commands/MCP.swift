import ArgumentParser
import GHPKit

#if canImport(Glibc)
  import Glibc
#endif

extension GHP {
  struct MCP: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "mcp",
      abstract: ToolBox.abstract, discussion: ToolBox.discussion)

    @OptionGroup var global: GlobalOptions

    func run() throws {
      let own = Output.executablePath
      let folder = own.lastIndex(of: "/").map { String(own[..<$0]) } ?? "."
      let candidates =
        ["\(folder)/ghp-mcp"] + (Output.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/ghp-mcp" }
      guard let server = candidates.first(where: { access($0, X_OK) == 0 }) else {
        throw GHPError.io(
          "ghp mcp needs the ghp-mcp program next to ghp or on PATH (swift build makes it; scripts/install installs both)"
        )
      }
      var arguments = [server]
      if let directory = global.directory { arguments += ["-C", directory] }
      if let agent = global.agent { arguments += ["--agent", agent] }
      let argv = arguments.map { strdup($0) } + [nil]
      execv(server, argv)
      throw GHPError.io("cannot start \(server): \(String(cString: strerror(errno)))")
    }
  }
}
