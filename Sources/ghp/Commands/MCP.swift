import ArgumentParser
import GHPKit

#if canImport(Glibc)
  import Glibc
#endif

extension GHP {
  struct MCP: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "mcp",
      abstract: "Serve the operations as MCP tools over stdio, for agents that prefer tools to a shell.",
      discussion: """
        Tools: init_coordination, create_task, claim_task, complete_task, fail_task, release_task, get_status,
        ready_tasks, add_discovery, heartbeat, escalate, handoff, get_log. Resources: ghp://status, ghp://plan,
        ghp://issues/{id}, with update notifications to subscribers whenever ghp/state moves.
        Identity: --agent, else as the CLI (a server started in an agent's worktree knows who it is).
        The server is the ghp-mcp program, next to ghp (scripts/install puts both there) or on PATH.
        Example .mcp.json: {"mcpServers": {"ghp": {"command": "ghp", "args": ["mcp"]}}}
        """)

    @OptionGroup var global: GlobalOptions

    func run() throws {
      let own = Output.executablePath
      let folder = own.lastIndex(of: "/").map { String(own[..<$0]) } ?? "."
      let candidates = ["\(folder)/ghp-mcp"] + (Output.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/ghp-mcp" }
      guard let server = candidates.first(where: { access($0, X_OK) == 0 }) else {
        throw GHPError.io("ghp mcp needs the ghp-mcp program next to ghp or on PATH (swift build makes it; scripts/install installs both)")
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
