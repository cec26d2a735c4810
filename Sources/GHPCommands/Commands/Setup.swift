import ArgumentParser
import GHPKit
import Glibc

extension GHP {
  struct Setup: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "setup",
      abstract: "Make Claude Code or Codex use ghp by itself: its MCP server, hooks, instructions.",
      discussion: """
        ghp setup claude  writes .mcp.json (the ghp MCP server) and hooks in .claude/settings.json:
                          on session start a heartbeat and the agent's context (its issue, its
                          prompt, answers to its questions); after each tool use a heartbeat that
                          commits at most once per heartbeatMinimum; on stop a final status.
        ghp setup codex   writes [mcp_servers.ghp] in Codex's config.toml ($CODEX_HOME, default
                          ~/.codex) and the coordination section of AGENTS.md.

        Run it in the agent's worktree. It merges with what the files hold and never drops another
        entry; ghp's own entries carry the mark "# ghp setup" and are replaced in place, so running it
        again changes nothing. --dry-run prints the diff and writes nothing.
        Examples: ghp setup claude --dry-run
                  cd ../repo-worker-1 && ghp setup claude
                  ghp setup codex
        """,
      subcommands: [Claude.self, Codex.self])

    func run() throws {
      Output.text(GHP.Setup.helpMessage())
    }

    struct Claude: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "claude",
        abstract:
          "Write .mcp.json and the hooks in .claude/settings.local.json for Claude Code, both kept out of git.",
        discussion: "Example: ghp setup claude --dry-run")

      @OptionGroup var options: SetupOptions

      func run() throws {
        let root = try options.root()
        let exclude = (try? Repository(discovering: root))?.localPaths.infoExclude
        try options.apply(try AgentSetup.claude(root: root, ghp: options.ghpCommand(), exclude: exclude))
      }
    }

    struct Codex: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "codex", abstract: "Write Codex's [mcp_servers.ghp] and the ghp section of AGENTS.md.",
        discussion: "Example: CODEX_HOME=~/.codex ghp setup codex --dry-run")

      @OptionGroup var options: SetupOptions

      @Option(
        help: ArgumentHelp("Codex's configuration folder (default: $CODEX_HOME, else ~/.codex).", valueName: "path"))
      var codexHome: String?

      func run() throws {
        let root = try options.root()
        let environment = Output.environment
        let home: (path: String, display: String)
        if let codexHome {
          home = (try Output.path(codexHome), codexHome)
        } else if let given = environment["CODEX_HOME"], !given.isEmpty {
          home = (given, given)
        } else if let user = environment["HOME"], !user.isEmpty {
          home = (user + "/.codex", "~/.codex")
        } else {
          throw GHPError.io("where is Codex's configuration? HOME is not set: pass --codex-home PATH or set CODEX_HOME")
        }
        let workspace = try options.workspace()
        let state = try workspace.snapshot()
        // AGENTS.md is shared by every agent of the repository: it names none of them.
        let section = try PromptRenderer.render("AGENTS.md", state: state, agent: "")
        try options.apply(
          try AgentSetup.codex(
            root: root, codexHome: home.path, displayHome: home.display, ghp: options.ghpCommand(quoted: false),
            agentsSection: section))
      }
    }
  }
}

/// What both setups take.
struct SetupOptions: ParsableArguments {
  @Option(name: .customShort("C"), help: ArgumentHelp("Run as if ghp was started in <path>.", valueName: "path"))
  var directory: String?

  @Flag(help: "Print the diff of each file; write nothing.")
  var dryRun = false

  @Option(
    help: ArgumentHelp(
      "The command the files run for ghp (default: ghp when it is this one on PATH, else its path).",
      valueName: "command"))
  var command: String?

  @Flag(help: "Print one JSON document instead of text.")
  var json = false

  func workspace() throws -> Workspace { try Workspace(path: directory, environment: Output.environment) }

  /// The top folder of this worktree: where the agent runs.
  func root() throws -> String {
    let workspace = try workspace()
    guard let top = workspace.repository.workingDirectory else {
      throw GHPError.io("this repository has no working tree (a bare one?): run ghp setup in the agent's worktree")
    }
    return top.hasSuffix("/") ? String(top.dropLast()) : top
  }

  /// `ghp` when the first ghp on PATH is this executable, else this executable's path (shell-quoted
  /// for the hook commands, which a shell runs).
  func ghpCommand(quoted: Bool = true) -> String {
    if let command { return command }
    let me = Output.executablePath
    let real = HandoffFile.realPath(me) ?? me
    if let first = ProgramSearch.find("ghp", in: ProgramSearch.folders(Output.environment["PATH"])),
      (HandoffFile.realPath(first) ?? first) == real
    {
      return "ghp"
    }
    guard quoted, me.contains(where: { !($0.isLetter || $0.isNumber || "/._-+".contains($0)) }) else { return me }
    return "'" + me.replacing("'", with: "'\\''") + "'"
  }

  func apply(_ files: [AgentSetup.PlannedFile]) throws {
    if !dryRun { try AgentSetup.write(files) }
    if json {
      return Output.json(
        .object([
          "dryRun": .bool(dryRun),
          "files": .array(
            files.map {
              .object([
                "path": .string($0.path), "changed": .bool($0.changed), "created": .bool($0.before == nil),
                "diff": .string($0.diff),
              ])
            }),
        ]))
    }
    for file in files {
      if dryRun {
        Output.text(file.changed ? file.diff : "\(file.display): unchanged\n")
      } else {
        Output.line(
          "\(file.display): " + (!file.changed ? "unchanged" : file.before == nil ? "created" : "updated")
            + " (\(file.path))")
      }
    }
    if dryRun { Output.line("Dry run: nothing was written.") }
  }
}
