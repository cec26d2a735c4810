import ArgumentParser
import GHPKit
import Glibc

extension GHP {
  struct Setup: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "setup",
      abstract: "Make Claude Code or Codex use ghp by itself: its MCP server, hooks, instructions.",
      discussion: """
        ghp setup claude writes .mcp.json (the ghp MCP server, pinned to this worktree's agent), \
        .claude/settings.local.json (hooks: on session start a heartbeat and the agent's context; \
        after each tool use, failed or not, a heartbeat that commits at most once per \
        heartbeatMinimum; on stop a final status; the server approved; the git folder writable in \
        Claude Code's sandbox) and CLAUDE.local.md (importing AGENTS.md, when there is one).

        ghp setup codex writes .codex/config.toml (ghp's instructions, the git folder writable \
        in Codex's sandbox, the ghp MCP server pinned to the agent with its tools approved) and \
        .codex/hooks.json (the same hooks as Claude Code's). Codex reads them once it trusts the \
        folder.

        Run it in the agent's worktree. Every file it writes is kept out of git \
        (.git/info/exclude): `ghp done` never counts it as work. It merges with what the files \
        hold and never drops another entry; ghp's own entries carry the mark "# ghp setup" and are \
        replaced in place, so running it again changes nothing. --dry-run prints the diff and \
        writes nothing; --check says whether setup is current (exit 1 when not); --remove takes \
        out what setup wrote.

        Examples:
          ghp setup claude --dry-run
          ghp setup codex --check
          ghp setup claude --remove
        """,
      subcommands: [Claude.self, Codex.self])

    func run() throws {
      Output.text(GHP.Setup.helpMessage())
    }

    struct Claude: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "claude",
        abstract:
          "Write .mcp.json, .claude/settings.local.json and CLAUDE.local.md for Claude Code, kept out of git.",
        discussion: """
          Examples:
            ghp setup claude --dry-run
            ghp setup claude --check
          """)

      @OptionGroup var options: SetupOptions

      func run() throws {
        try options.apply(try AgentSetup.claude(options.place(), remove: options.remove), tool: "claude")
      }
    }

    struct Codex: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "codex", abstract: "Write .codex/config.toml and .codex/hooks.json for Codex, kept out of git.",
        discussion: """
          Examples:
            ghp setup codex --dry-run
            ghp setup codex --check
          """)

      @OptionGroup var options: SetupOptions

      @Option(
        help: ArgumentHelp(
          "Codex's own folder, for its trust of this project (default: $CODEX_HOME, else ~/.codex).",
          valueName: "path"))
      var codexHome: String?

      func run() throws {
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
        let place = try options.place(quoted: false)
        let workspace = try options.workspace()
        let instructions = try PromptRenderer.render(
          "AGENTS.md", state: workspace.snapshot(), agent: place.agent ?? "")
        let files = try AgentSetup.codex(
          place, codexHome: home.path, displayHome: home.display, instructions: instructions, remove: options.remove)
        let trusted = AgentSetup.codexTrusts(
          place.root, codexConfig: Files.read(home.path + "/config.toml").map { String(decoding: $0, as: UTF8.self) })
        var trust: AgentSetup.Finding?
        if !options.remove {
          trust = AgentSetup.Finding(
            display: "Codex's trust of \(place.root)", current: trusted,
            advice: trusted
              ? "ok"
              : "Codex reads .codex/ only in a trusted project: answer its trust prompt when it starts here (or add [projects.\(TOML.quote(place.root))] trust_level = \"trusted\" to \(home.display)/config.toml), then review ghp's hooks once with /hooks"
          )
        }
        try options.apply(files, tool: "codex", extra: trust)
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

  @Flag(help: "Say whether setup is current here; exit 1 when it is not. Writes nothing.")
  var check = false

  @Flag(help: "Take out what setup wrote (ghp's entries and files), leaving everything else.")
  var remove = false

  func validate() throws {
    if check && dryRun { throw ValidationError("--check already writes nothing: give one of --check and --dry-run") }
  }

  @Option(
    help: ArgumentHelp(
      "The command the files run for ghp (default: ghp when it is this one on PATH, else its path).",
      valueName: "command"))
  var command: String?

  @Flag(help: "Print one JSON document instead of text.")
  var json = false

  func workspace() throws -> Workspace { try Workspace(path: directory, environment: Output.environment) }

  /// Where setup writes: this worktree, its repository's git folder, its agent.
  func place(quoted: Bool = true) throws -> AgentSetup.Place {
    guard let place = AgentSetup.Place(try workspace(), ghp: ghpCommand(quoted: quoted)) else {
      throw GHPError.io("this repository has no working tree (a bare one?): run ghp setup in the agent's worktree")
    }
    return place
  }

  /// `ghp` when the first ghp on PATH is this executable, else this executable's path (shell-quoted
  /// for the hook commands, which a shell runs).
  func ghpCommand(quoted: Bool = true) -> String { Self.ghpCommand(given: command, quoted: quoted) }

  static func ghpCommand(given command: String?, quoted: Bool) -> String {
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

  func apply(_ files: [AgentSetup.PlannedFile], tool: String, extra: AgentSetup.Finding? = nil) throws {
    if check {
      let findings = AgentSetup.check(files, tool: tool) + (extra.map { [$0] } ?? [])
      let current = findings.allSatisfy(\.current)
      if json {
        Output.json(
          .object([
            "current": .bool(current),
            "checks": .array(
              findings.map {
                .object(["file": .string($0.display), "ok": .bool($0.current), "advice": .string($0.advice)])
              }),
          ]))
      } else {
        for finding in findings {
          Output.line("\(finding.current ? "ok  " : "todo") \(finding.display): \(finding.advice)")
        }
      }
      if !current { throw ExitCode(1) }
      return
    }
    if !dryRun { try AgentSetup.write(files) }
    if json {
      return Output.json(
        .object([
          "dryRun": .bool(dryRun),
          "files": .array(
            files.map {
              .object([
                "path": .string($0.path), "changed": .bool($0.changed), "created": .bool($0.before == nil),
                "removed": .bool($0.after == nil), "diff": .string($0.diff),
              ])
            }),
          "next": extra.flatMap { $0.current ? nil : .string($0.advice) } ?? .null,
        ]))
    }
    for file in files {
      if dryRun {
        Output.text(file.changed ? file.diff : "\(file.display): unchanged\n")
      } else {
        let what =
          !file.changed ? "unchanged" : file.after == nil ? "removed" : file.before == nil ? "created" : "updated"
        Output.line("\(file.display): \(what) (\(file.path))")
      }
    }
    if dryRun { Output.line("Dry run: nothing was written.") }
    if let extra, !extra.current { Output.line("Next: \(extra.advice)") }
  }
}
