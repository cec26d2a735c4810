import Glibc

/// What the installed `claude` or `codex` accepts, asked once per run before any issue is touched
/// (`--version`, and `--help` or `exec --help`), so that a preset's command line follows the tool
/// people run today rather than the one ghp was written against.
public struct AgentProbe: Sendable {
  /// What `--version` printed (its first line), or "unknown version".
  public var version: String
  /// Every `--flag` the help names.
  public var flags: Set<String>

  /// Asks `program` (the resolved preset program) its version and its help.
  public static func ask(_ program: String, help: [String], environment: [String: String]) -> AgentProbe? {
    guard let text = ProgramRun.capture(program, help, environment: environment, seconds: 15)?.output else {
      return nil
    }
    let version =
      ProgramRun.capture(program, ["--version"], environment: environment, seconds: 15)?.output.split(separator: "\n")
      .first.map { String($0).trimmingSpaces } ?? "unknown version"
    var flags: Set<String> = []
    var word = ""
    for character in text + " " {
      if character.isLetter || character.isNumber || character == "-" {
        word.append(character)
      } else {
        if word.hasPrefix("--"), word.count > 2 { flags.insert(word) }
        word = ""
      }
    }
    return AgentProbe(version: version.isEmpty ? "unknown version" : version, flags: flags)
  }
}

extension AgentCommand {
  /// The preset's program as a worker finds it (on the PATH of the worker's environment: `names` of
  /// `environment`), and what it says it accepts (`--help`, `exec --help` for codex); nil for the
  /// second when it did not answer within 15 s. Throws when the program is not found.
  public func probeInstalled(environment: [String: String], names: [String], directory: String) throws(GHPError)
    -> (program: String, probe: AgentProbe?)
  {
    let worker = WorkerEnvironment.make(from: environment, names: names + WorkerEnvironment.names(of: preset))
    let program = try resolve(path: worker["PATH"] ?? "", directory: directory)
    let help = preset == "codex" ? ["exec", "--help"] : ["--help"]
    return (program, AgentProbe.ask(program, help: help, environment: worker))
  }

  /// The preset's command line for the installed tool (`probe`); a command line of the user's is
  /// as given. `contained`: ghp run contains the worker itself (then codex's own sandbox stays out
  /// of the way, as Codex's documentation asks inside an outer sandbox); `commonDirectory`: what a
  /// codex sandbox must let the worker write otherwise. `budget`: passed to claude when it takes
  /// one. Refuses, naming the version found, a tool that cannot run headless and unattended.
  public func adapted(
    to probe: AgentProbe, contained: Bool, commonDirectory: String, budget: AgentPolicy.Budget
  ) throws(GHPError) -> AgentCommand {
    var adapted = self
    let fix = "update \(words[0]), or set a command line of your own: ghp config set agent.command CMD"
    switch preset {
    case "codex"?:
      guard probe.flags.contains("--json") else {
        throw .refused("\(words[0]) \(probe.version) has no `exec --json`, which ghp run reads; \(fix)")
      }
      if budget.micros != nil {
        throw .refused(
          "codex reports no dollar cost, so a dollar budget could never stop it: give a token budget (--budget-tokens N) instead"
        )
      }
      var arguments = ["exec", "--json"]
      if probe.flags.contains("--sandbox") {
        arguments +=
          contained
          ? ["--sandbox", "danger-full-access"]
          : [
            "--sandbox", "workspace-write", "-c",
            "sandbox_workspace_write.writable_roots=[\(TOML.quote(commonDirectory))]",
          ]
        arguments += ["-c", "approval_policy=\"never\""]
      } else if probe.flags.contains("--full-auto") {
        arguments.append("--full-auto")
      } else {
        throw .refused(
          "\(words[0]) \(probe.version) takes neither --sandbox nor --full-auto in `exec`, so it cannot run unattended; \(fix)"
        )
      }
      adapted.words = [words[0]] + arguments + ["-"]
    case "claude"?:
      let needed = ["--print", "--output-format", "--verbose", "--dangerously-skip-permissions"]
      let missing = needed.filter { !probe.flags.contains($0) }
      guard missing.isEmpty else {
        throw .refused(
          "\(words[0]) \(probe.version) does not take \(missing.joined(separator: ", ")), which ghp run needs to start it headless; \(fix)"
        )
      }
      if let micros = budget.micros, probe.flags.contains("--max-budget-usd") {
        adapted.words += ["--max-budget-usd", Money.format(micros).replacing("$", with: "")]
      }
    default: break
    }
    return adapted
  }
}
