import CProcess
import Glibc

/// What the installed `claude` or `codex` accepts, asked once per run before any issue is touched
/// (`--version`, and `--help` or `exec --help`), so that a preset's command line follows the tool
/// people run today rather than the one ghp was written against.
public struct AgentProbe: Sendable {
  /// What `--version` printed (its first line), or "unknown version".
  public var version: String
  /// Every `--flag` the help names.
  public var flags: Set<String>

  /// Runs `program arguments` with `environment`, stdin empty, for at most `seconds`; its output
  /// (standard output and error together), nil when it could not start or did not end in time.
  static func output(_ program: String, _ arguments: [String], environment: [String: String], seconds: Double)
    -> String?
  {
    var pipe: [Int32] = [-1, -1]
    guard pipeClosingOnExec(&pipe) else { return nil }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, pipe[1], 2)
    var argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
    var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for pointer in argv + envp { free(pointer) }
    }
    var child: pid_t = 0
    let spawned = posix_spawn(&child, program, &actions, nil, &argv, &envp)
    close(pipe[1])
    defer { close(pipe[0]) }
    guard spawned == 0 else { return nil }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    let deadline = ProcessIdentity.monotonic() + seconds
    var finished = false
    while ProcessIdentity.monotonic() < deadline, bytes.count < 1 << 20 {
      var ready = pollfd(fd: pipe[0], events: Int16(POLLIN), revents: 0)
      guard poll(&ready, 1, 100) >= 0 || errno == EINTR else { break }
      if ready.revents != 0 {
        let n = read(pipe[0], &buffer, buffer.count)
        if n > 0 {
          bytes += buffer[0..<n]
          continue
        }
        if n == 0 {
          finished = true
          break
        }
      }
    }
    var status: Int32 = 0
    if !finished { kill(child, SIGKILL) }
    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    return finished ? String(decoding: bytes, as: UTF8.self) : nil
  }

  /// Asks `program` (the resolved preset program) its version and its help.
  public static func ask(_ program: String, help: [String], environment: [String: String]) -> AgentProbe? {
    guard let text = output(program, help, environment: environment, seconds: 15) else { return nil }
    let version =
      output(program, ["--version"], environment: environment, seconds: 15)?.split(separator: "\n").first.map {
        String($0).trimmingSpaces
      } ?? "unknown version"
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

/// `pipe2(O_CLOEXEC)` through the C shim, as a Bool.
func pipeClosingOnExec(_ fds: inout [Int32]) -> Bool { ghp_pipe_cloexec(&fds) == 0 }

extension AgentCommand {
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
            "--sandbox", "workspace-write", "-c", "sandbox_workspace_write.writable_roots=[\"\(commonDirectory)\"]",
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
        adapted.words += ["--max-budget-usd", Money.format(micros).replacingOccurrences(of: "$", with: "")]
      }
    default: break
    }
    return adapted
  }
}
