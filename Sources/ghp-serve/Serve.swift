import ArgumentParser
import GHPKit
import Glibc
import Hummingbird
import Logging
import NIOCore

/// `ghp serve`: the page a human looks at, live. A separate program so that SwiftNIO and the
/// rest of the web server stay out of every other command's start-up; `ghp serve` runs it.
@main
struct Serve: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ghp serve",
    abstract: "Serve the page a human looks at: the state of the agents, live, on http://127.0.0.1:7070.",
    discussion: """
      One screen: the goal and plan, every agent (issue, status, last action, heartbeat age with the stale \
      ones marked, its branch ahead/behind the base and whether it conflicts), the issue board by status with \
      priorities and dependencies, the escalation inbox most severe first, the landing queue with gate \
      results, the timeline of operations with filters and commit ids, and per-agent totals for the last day. \
      The page updates itself within a second when ghp/state moves, whoever moved it: one watcher of the ref \
      tells every open page (server-sent events).

      Answering: the page can answer an escalation and approve a requested shared-file edit, as the \
      orchestrator this server runs as (--agent, else as the CLI: GHP_AGENT, `git config ghp.agent`). Writes \
      need the token in the address printed at start (or the one GHP_SERVE_TOKEN gives); \
      without it the page is read-only. Each write is the same operation as `ghp resolve` and `ghp approve`, \
      under the same authority rules, in one commit.

      Binds 127.0.0.1 unless --listen names another address. Routes: GET / (the page), /fragment, /api/view, \
      /api/timeline, /api/server, /events; POST /api/escalations/ID/answer {"answer"}, POST /api/approvals \
      {"agent", "globs", "once", "note"} with `Authorization: Bearer TOKEN`.
      Examples: ghp serve   ghp serve --port 0 --open   ghp serve --listen 0.0.0.0 --port 8080 --read-only
      """)

  @Option(name: .customShort("C"), help: ArgumentHelp("Run as if started in <path>.", valueName: "path"))
  var directory: String?

  @Option(help: "Answer as this orchestrator (default: GHP_AGENT, `git config ghp.agent`).")
  var agent: String?

  @Option(help: "The port (0: any free one; the address printed says which).")
  var port: Int = 7070

  @Option(
    help: ArgumentHelp(
      "Listen on this address instead of 127.0.0.1 (reachable from the network).", valueName: "address"))
  var listen: String?

  @Flag(help: "Open the page in the default browser (xdg-open).")
  var open = false

  @Flag(help: "Take no writes, whatever the token.")
  var readOnly = false

  @Option(help: ArgumentHelp("Milliseconds between two looks at ghp/state.", valueName: "ms"))
  var watchInterval: Int = 100

  func validate() throws {
    if port < 0 || port > 65535 { throw ValidationError("--port takes a number from 0 to 65535") }
    if let agent {
      do { try AgentName.validate(agent) } catch { throw ValidationError(error.description) }
    }
    if watchInterval < 10 || watchInterval > 10_000 {
      throw ValidationError("--watch-interval takes milliseconds from 10 to 10000")
    }
    if let listen, listen.isEmpty || listen.contains(where: { $0 == " " || $0 == "/" }) {
      throw ValidationError("--listen takes an address to bind, such as 0.0.0.0 or 192.168.1.5")
    }
  }

  /// Parses like every ghp command: a usage mistake is one line and exit 2, `--help` the help.
  static func main() async {
    do {
      var command = try parseAsRoot()
      if var command = command as? any AsyncParsableCommand {
        try await command.run()
      } else {
        try command.run()
      }
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        Server.say(fullMessage(for: error))
        Glibc.exit(0)
      }
      Server.warn("ghp: " + message(for: error) + " (see `ghp serve --help`)")
      Glibc.exit(code == .validationFailure ? 2 : code.rawValue)
    }
  }

  func run() async throws {
    let environment = Server.environment
    let backend: Backend
    do {
      backend = try Backend(directory: directory, agent: agent, environment: environment, writable: !readOnly)
    } catch {
      Server.fail(error.description, code: error.exitCode)
    }
    let token = Server.token(environment: environment)
    let writer = backend.actor
    let host = listen ?? "127.0.0.1"
    let hub = EventHub()
    await hub.startWatching(directory: directory, environment: environment, interval: watchInterval)
    let settings = Server.Settings(token: token, loopbackOnly: listen == nil, writer: writer)
    let router = Server.router(backend: backend, hub: hub, settings: settings)
    var logger = Logger(label: "ghp-serve")
    logger.logLevel = .error
    let readOnlyReason = backend.readOnlyReason ?? ""
    let open = self.open
    let app = Application(
      router: router,
      configuration: .init(address: .hostname(host, port: port), serverName: nil),
      onServerRunning: { channel in
        let bound = channel.localAddress?.port ?? 0
        let shown = host.contains(":") ? "[\(host)]" : host
        let address = "http://\(shown):\(bound)/"
        if let writer {
          Server.say(
            "ghp serve: \(address)?token=\(token)  (open this address to answer as \(writer); without the token the page is read-only; Ctrl-C stops)"
          )
        } else {
          Server.say("ghp serve: \(address)  (read-only: \(readOnlyReason); Ctrl-C stops)")
        }
        if listen != nil { Server.warn("ghp serve: listening on \(host): anyone who can reach it can read the state") }
        if open { Server.open(writer != nil ? "\(address)?token=\(token)" : address) }
      },
      logger: logger)
    Server.stopOnSignals()
    do {
      try await app.runService(gracefulShutdownSignals: [])
    } catch {
      Server.fail(
        "cannot listen on \(host):\(port): \(error) (pick another with --port, or --port 0 for any free one)", code: 1)
    }
  }
}
