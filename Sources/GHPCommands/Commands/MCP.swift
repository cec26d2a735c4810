import ArgumentParser
import GHPKit
import Glibc

extension GHP {
  struct MCP: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "mcp",
      abstract: ToolBox.abstract, discussion: ToolBox.discussion)

    @OptionGroup var global: GlobalOptions

    func run() throws {
      var arguments: [String] = []
      if let directory = global.directory { arguments += ["-C", directory] }
      if let agent = global.agent { arguments += ["--agent", agent] }
      try Sibling.exec("ghp-mcp", arguments, for: "ghp mcp")
    }
  }
}

/// The programs that live beside ghp (`ghp-mcp`, `ghp-serve`): each keeps its heavy libraries out
/// of every other command's start-up, and ghp hands over to it with exec.
enum Sibling {
  static func exec(_ program: String, _ arguments: [String], for command: String) throws -> Never {
    let own = Output.executablePath
    let folder = own.lastIndex(of: "/").map { String(own[..<$0]) } ?? "."
    guard let path = ProgramSearch.find(program, in: [folder] + ProgramSearch.folders(Output.environment["PATH"]))
    else {
      throw GHPError.io(
        "\(command) needs the \(program) program next to ghp or on PATH (swift build makes it; scripts/install installs both)"
      )
    }
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    execv(path, argv)
    throw GHPError.io("cannot start \(path): \(String(cString: strerror(errno)))")
  }
}
