import ArgumentParser
import GHPKit
import Glibc

struct GHP: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ghp",
    abstract: "Coordinate a team of coding agents through git: claims, status, escalations and handoffs on ghp/state.",
    discussion: """
      Start here: ghp status shows everything on one screen.

      A lead begins with:
        ghp init --goal "A goal"
        ghp issue add "A task"
        ghp agent add w1

      An agent works with:
        ghp claim --next
        ghp agent-heartbeat --action "What I did"
        ghp done 1

      State lives on the branch ghp/state; each change is one commit (git log ghp/state).

      Exit codes: 0 done, 1 failure, 2 usage, 3 refused, 4 nothing ready.
      """,
    version: GHPVersion.current,
    subcommands: [WorkerSandboxCommand.self],
    groupedSubcommands: [
      CommandGroup(
        name: "Lead",
        subcommands: [
          Init.self, IssueCommand.self, EpicCommand.self, Plan.self, Agent.self, Assign.self, Approve.self, Revoke.self,
          Resolve.self, Reap.self, Land.self, Review.self, VoteCommand.self, Queue.self, Run.self, ConfigCommand.self,
          Remote.self,
          Hooks.self,
        ]),
      CommandGroup(
        name: "Agent",
        subcommands: [
          Ready.self, Claim.self, Release.self, AgentHeartbeat.self, Done.self, Fail.self, AgentEscalate.self,
          Escalations.self, AgentHandoff.self, Handoff.self, Discover.self, Discoveries.self, ClaimCheck.self,
          Prompt.self, MCP.self, Sync.self,
        ]),
      CommandGroup(
        name: "Read-only",
        subcommands: [
          Status.self, AgentStatus.self, Log.self, Watch.self, Verify.self, Conflicts.self, Approvals.self,
          Serve.self, Report.self,
        ]),
      CommandGroup(name: "Setup", subcommands: [Setup.self, DoctorCommand.self, Manual.self, Hook.self]),
    ]
  )
}

extension GHP {
  /// For a first word that names no command: one line saying so, with the closest commands
  /// (`heartbeat` → `agent-heartbeat`, `isue` → `issue`). Nil for a known command or an option.
  static func unknownSubcommand(_ word: String) -> String? {
    guard word != "help" else { return nil }
    return unknownWord(word, among: GHP.self, path: "ghp")
  }

  /// For any level: the first word that names no subcommand of a command group (`ghp issue lst`),
  /// or `ghp help WORD` for a WORD that names no command. Nil when every word is known, or where a
  /// group takes a default subcommand (its arguments may follow).
  static func unknownCommand(in words: [String]) -> String? {
    var words = words.prefix(while: { $0 != "--" }).map { $0 }
    if words.first == "help" {
      words.removeFirst()
      guard !words.isEmpty else { return nil }
    }
    var command: any ParsableCommand.Type = GHP.self
    var path = "ghp"
    for word in words {
      guard !word.hasPrefix("-") else { return nil }
      let subcommands = command.configuration.subcommands
      guard !subcommands.isEmpty else { return nil }
      if let next = subcommands.first(where: {
        ($0.configuration.commandName ?? $0._commandName) == word || $0.configuration.aliases.contains(word)
      }) {
        command = next
        path += " " + word
        continue
      }
      guard command.configuration.defaultSubcommand == nil else { return nil }
      return unknownWord(word, among: command, path: path)
    }
    return nil
  }

  /// One line for `word`, which names no subcommand of `command` (reached as `path`), with the
  /// closest names.
  static func unknownWord(_ word: String, among command: any ParsableCommand.Type, path: String) -> String? {
    guard !word.hasPrefix("-") else { return nil }
    let names = command.configuration.subcommands.flatMap {
      [$0.configuration.commandName ?? $0._commandName] + $0.configuration.aliases
    }
    guard !names.contains(word) else { return nil }
    let lower = word.lowercased()
    var close = names.filter { $0.hasSuffix("-" + lower) || $0.hasPrefix(lower + "-") }
    if close.isEmpty { close = names.filter { EditDistance.between($0, lower) <= (lower.count <= 4 ? 1 : 2) } }
    if close.isEmpty { close = names.filter { lower.count >= 4 && ($0.contains(lower) || lower.contains($0)) } }
    let hint =
      close.isEmpty ? "" : " Did you mean " + close.prefix(3).map { "`\(path) \($0)`" }.joined(separator: " or ") + "?"
    let what = path == "ghp" ? "a ghp command" : "a subcommand of `\(path)`"
    return "'\(Terminal.safe(word, keepNewlines: false))' is not \(what).\(hint) See `\(path) --help` for the list."
  }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
  @Option(name: .customShort("C"), help: ArgumentHelp("Run as if ghp was started in <path>.", valueName: "path"))
  var directory: String?

  @Option(
    help: "Act as this agent (default: GHP_AGENT, `git config ghp.agent`, or the agent/<name> branch).",
    completion: Completions.agents)
  var agent: String?

  @Flag(help: "Print one JSON document instead of text.")
  var json = false

  @Flag(
    help: "An agent this command names (you, or the one you name) is new: register it instead of refusing the name.")
  var new = false

  func workspace() throws -> Workspace {
    let workspace = try Workspace(path: directory, agent: agent, environment: Output.environment)
    workspace.allowsNewAgent = new
    return workspace
  }

  /// `ghp -C path --agent w1 claim 1` as git users write it: global options given before the
  /// subcommand are moved after it (before any `--`), where the subcommand's parser finds them.
  static func hoisted(_ arguments: [String]) -> [String] {
    let (globals, rest) = leading(arguments)
    guard !globals.isEmpty, !rest.isEmpty else { return arguments }
    var moved = rest
    let end = moved.firstIndex(of: "--") ?? moved.count
    moved.insert(contentsOf: globals, at: end)
    return moved
  }

  /// The global options given before the subcommand, and the words from the subcommand on.
  static func leading(_ arguments: [String]) -> (globals: [String], rest: [String]) {
    var globals: [String] = []
    var index = 0
    while index < arguments.count {
      let word = arguments[index]
      if (word == "-C" || word == "--agent") && index + 1 < arguments.count {
        globals += [word, arguments[index + 1]]
        index += 2
      } else if word == "--json" || word.hasPrefix("--agent=") || (word.hasPrefix("-C") && word.count > 2) {
        globals.append(word)
        index += 1
      } else {
        break
      }
    }
    return (globals, Array(arguments[index...]))
  }
}

/// Options of commands that only read, where `--agent` means something of their own.
struct ReadOptions: ParsableArguments {
  @Option(name: .customShort("C"), help: ArgumentHelp("Run as if ghp was started in <path>.", valueName: "path"))
  var directory: String?

  @Flag(help: "Print one JSON document instead of text.")
  var json = false

  func workspace() throws -> Workspace {
    try Workspace(path: directory, environment: Output.environment)
  }
}

/// Parsing helpers shared by commands.
enum Arguments {
  /// An issue id argument, or a usage error.
  static func issueID(_ text: String) throws -> String {
    do { return try IssueID.validate(text) } catch { throw ValidationError(error.description) }
  }

  /// Ids given as `1,3` or repeated (`--after 1 --after 3`).
  static func issueIDs(_ texts: [String]) throws -> [String] {
    try texts.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: " ") } }.filter { !$0.isEmpty }
      .map(issueID)
  }

  /// `--since`/`--until` as the commands take them: RFC 3339, or a duration ago; a usage error otherwise.
  static func validateTimes(_ options: [(name: String, value: String?)]) throws {
    for (name, value) in options {
      if let value, Dashboard.Period.time(value, now: 0) == nil {
        throw ValidationError("\(name) takes a time (2026-11-22T10:00:00Z) or a duration ago (2h, 30m)")
      }
    }
  }

  /// Text given inline, or `-` for standard input.
  static func text(_ value: String) -> String { value == "-" ? Output.readStandardInput() : value }

  /// The bytes of a file, or of standard input for `-`; one clear line when it cannot be read.
  static func fileBytes(_ path: String) throws -> [UInt8] {
    if path == "-" { return Array(Output.readStandardInput().utf8) }
    if let forwarded = Output.console.forwarded {
      guard let bytes = forwarded[path] else {
        throw GHPError.io("cannot read \(path): it is not a file the worker could read")
      }
      return bytes
    }
    guard let bytes = Files.read(try Output.path(path)) else {
      throw GHPError.io("cannot read \(path): \(String(cString: strerror(errno)))")
    }
    return bytes
  }
}

extension String {
  func trimmingCharacters(in set: String) -> String {
    var s = Substring(self)
    while let c = s.first, set.contains(c) { s.removeFirst() }
    while let c = s.last, set.contains(c) { s.removeLast() }
    return String(s)
  }
}
