import ArgumentParser
import GHPKit
import Glibc

/// `ghp` inside a contained worker (`GHP_WORKER_SOCKET` set): the command is carried to the
/// supervisor, which carries it out as the worker's agent, and its output and exit code come back.
/// `ghp hook` stays here: git runs it on the worker's own repository, which holds what it judges.
public enum WorkerClient {
  /// The exit code of the forwarded command, or nil when this command runs here.
  public static func forwardIfContained(_ arguments: [String], environment: [String: String]) -> Int32? {
    guard let socket = environment[WorkerSandbox.socketVariable], !socket.isEmpty else { return nil }
    if GlobalOptions.hoisted(arguments).first == "hook" { return nil }
    let cwd = Files.currentDirectory()
    var files: [String: JSON] = [:]
    var wantsInput = false
    for argument in arguments {
      let value =
        argument.hasPrefix("--")
        ? argument.split(separator: "=", maxSplits: 1).dropFirst().first.map(String.init) : argument
      guard let value, !value.isEmpty else { continue }
      if value == "-" {
        wantsInput = true
        continue
      }
      if let bytes = Files.readRegular(Files.absolute(value, from: cwd), limit: 8 << 20) {
        files[value] = .string(String(decoding: bytes, as: UTF8.self))
      }
    }
    var request: [String: JSON] = [
      "kind": .string("command"), "argv": .array(arguments.map { .string($0) }), "files": .object(files),
    ]
    if wantsInput { request["stdin"] = .string(String(decoding: Files.read("/dev/stdin") ?? [], as: UTF8.self)) }
    let answer: JSON
    do { answer = try WorkerChannel.call(socket, .object(request), seconds: 3600) } catch {
      Output.error(error.description)
      return 1
    }
    Console.writeAll(1, answer["stdout"]?.stringValue ?? "")
    Console.writeAll(2, answer["stderr"]?.stringValue ?? "")
    return Int32(answer["code"]?.intValue ?? 1)
  }
}

extension GHP {
  /// `ghp worker-sandbox`: what `ghp run` starts for a contained worker. It listens on the worker's
  /// socket, starts the sandbox (the command after `--`, bubblewrap), and carries out each command
  /// the worker sends as that worker's agent, in its worktree, after taking its branch
  /// (`WorkerSandbox.take`). It ends when the sandbox ends, with its exit code.
  struct WorkerSandboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "worker-sandbox", abstract: "Serve a contained ghp run worker (started by ghp run).",
      shouldDisplay: false)

    @Option(help: "The worker's agent.")
    var agent: String

    @Option(help: "The worker's worktree.")
    var worktree: String

    @Argument(parsing: .postTerminator, help: "The sandbox command.")
    var command: [String] = []

    /// What a contained worker may not ask for: what serves or supervises (it would outlive the
    /// request), what writes outside `ghp/state` (hooks, agents' config, worktrees), what syncs.
    static let refused: Set<String> = [
      "agent", "run", "serve", "watch", "mcp", "land", "setup", "hooks", "hook", "sync", "remote", "init",
      "worker-sandbox",
    ]
    /// The commands that hand over the worker's branch: refused while its commits cannot be taken.
    static let handsOver: Set<String> = ["done", "agent-handoff"]
    /// The MCP tools that do the same.
    static let handingOverTools: Set<String> = ["complete_task", "handoff"]

    func run() throws {
      guard !command.isEmpty else { throw ValidationError("give the sandbox command after --") }
      let workspace = try Workspace(path: worktree, environment: Output.environment)
      let sandbox = WorkerSandbox(repository: workspace.repository, agent: agent, worktree: worktree)
      let listener = try WorkerChannel.listen(sandbox.socket)
      try sandbox.markServing()
      defer {
        close(listener)
        unlink(sandbox.socket)
        sandbox.clearServing()
      }
      var lastState = try? workspace.repository.referenceTarget(StatePaths.branch)
      // bubblewrap that could not make the sandbox (a mount under `/` went away while it copied
      // them) started nothing: it is tried again, as a gate is.
      var tries = 0
      while true {
        tries += 1
        let (child, status) = try WorkerChannel.startWatched(command)
        let code = WorkerChannel.serve(
          listener: listener, until: child, answer: { answer($0, sandbox: sandbox) },
          meanwhile: {
            // The worker's copy of ghp/state follows the real one, for its hooks.
            let now = try? workspace.repository.referenceTarget(StatePaths.branch)
            if now != lastState {
              lastState = now
              try? sandbox.refreshRefs(workspace.repository)
            }
          })
        // bubblewrap's own failure exits 1.
        let madeIt = WorkerChannel.setUp(status)
        if code == 1, !madeIt, tries < WorkerSandbox.setupTries {
          Output.error("ghp worker-sandbox: bubblewrap could not make \(agent)'s sandbox; trying again")
          usleep(UInt32(50_000 * tries))
          continue
        }
        throw ExitCode(code)
      }
    }

    /// The environment a worker's command is carried out with: this process's (the worker's
    /// allowlist), as the worker's agent.
    var environment: [String: String] {
      var environment = Output.environment
      environment[WorkerSandbox.socketVariable] = nil
      environment["GHP_AGENT"] = agent
      return environment
    }

    func answer(_ request: JSON, sandbox: WorkerSandbox) -> JSON {
      func failure(_ text: String, code: Int = 3) -> JSON {
        .object([
          "stdout": .string(""), "stderr": .string("ghp: \(text)\n"), "code": .int(code), "error": .string(text),
        ])
      }
      let workspace: Workspace
      do { workspace = try Workspace(path: worktree, environment: environment) } catch {
        return failure(error.description, code: 1)
      }
      // The branch first, so that what the command sees (done, a handoff) is the worker's work.
      var notes = ""
      var refusals: [String] = []
      do {
        if case .refused(let why) = try sandbox.take(workspace.repository, state: workspace.snapshot()) {
          refusals = why
          notes = "ghp: agent/\(agent) was not taken from the worktree: " + why.joined(separator: "; ") + "\n"
        }
      } catch {
        notes = "ghp: agent/\(agent) was not taken from the worktree: \(error.description)\n"
      }
      switch request["kind"]?.stringValue {
      case "command"?:
        guard let argv = request["argv"]?.arrayValue?.compactMap(\.stringValue) else {
          return failure("a command request needs argv", code: 2)
        }
        let words = GlobalOptions.hoisted(argv)
        // The policy is the orchestrator's to change from outside: a worker (the leader too) that
        // could set it would loosen its own sandbox for the next run.
        if words.first == "config", words.dropFirst().contains("set") {
          return failure(
            "`ghp config set` is not available to a contained worker: the policy, its sandbox included, changes from outside it"
          )
        }
        if let first = words.first, Self.refused.contains(first) {
          return failure(
            "`ghp \(first)` is not available to a contained worker (ghp run carries out its state changes; run it outside the sandbox)"
          )
        }
        if GHPMain.console(Console.process, for: argv).directory != nil {
          return failure("a contained worker acts in its own worktree: -C is not available to it", code: 2)
        }
        if let first = words.first, Self.handsOver.contains(first), !refusals.isEmpty || !notes.isEmpty {
          return failure(
            "agent/\(agent) was not taken from your worktree, so it cannot be handed over: "
              + (refusals.isEmpty ? notes : refusals.joined(separator: "; ")) + "; fix the commits and run it again")
        }
        var (console, recording) = Console.recording(
          environment: environment, input: request["stdin"]?.stringValue ?? "")
        var files: [String: [UInt8]] = [:]
        for (name, content) in request["files"]?.objectValue ?? [:] {
          if let text = content.stringValue { files[name] = Array(text.utf8) }
        }
        console.forwarded = files
        let code = GHPMain.run(["-C", worktree] + argv, console: console)
        try? sandbox.refreshRefs(workspace.repository)
        return .object([
          "stdout": .string(recording.stdout), "stderr": .string(notes + recording.stderr),
          "code": .int(Int(code)),
        ])
      case "tool"?:
        guard let name = request["name"]?.stringValue else { return failure("a tool request needs a name", code: 2) }
        if Self.handingOverTools.contains(name), !notes.isEmpty {
          return .object([
            "error": .string(
              "refused: agent/\(agent) was not taken from your worktree, so it cannot be handed over: "
                + (refusals.isEmpty ? notes : refusals.joined(separator: "; ")) + "; fix the commits and call it again")
          ])
        }
        do {
          let result = try ToolBox.call(name, arguments: request["arguments"]?.objectValue ?? [:], workspace: workspace)
          try? sandbox.refreshRefs(workspace.repository)
          return .object(["result": result])
        } catch {
          return .object(["error": .string("\(error.kind): \(error.description)")])
        }
      case "prompt"?:
        do {
          return .object([
            "result": .string(try ToolBox.prompt(request["name"]?.stringValue ?? "", workspace: workspace))
          ])
        } catch {
          return .object(["error": .string(error.description)])
        }
      case "resource"?:
        do {
          let (text, mime) = try ToolBox.read(request["uri"]?.stringValue ?? "", workspace: workspace)
          return .object(["result": .string(text), "mime": .string(mime)])
        } catch {
          return .object(["error": .string(error.description)])
        }
      default:
        return failure("unknown request", code: 2)
      }
    }
  }
}
