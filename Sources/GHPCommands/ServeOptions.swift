import ArgumentParser
import GHPKit

/// The options of `ghp serve`, parsed by both programs: `ghp serve` (so its help, completions and
/// usage errors are the server's own) and ghp-serve, which it runs with them written back out.
public struct ServeOptions: ParsableArguments {
  public static let abstract =
    "Serve the page a human looks at: the state of the agents, live, on http://127.0.0.1:7070."

  public static let discussion = """
    One screen: the goal and plan, every agent (issue, status, last action, heartbeat age with \
    the stale ones marked, its branch ahead/behind the base and whether it conflicts), the issue \
    board by status with priorities and dependencies, the escalation inbox most severe first, \
    the landing queue with gate results, the timeline of operations with filters and commit ids, \
    and per-agent totals for the last day. The page updates itself within a second when \
    ghp/state moves, whoever moved it: one watcher of the ref tells every open page (server-sent \
    events).

    Answering: the page can answer an escalation and approve a requested shared-file edit, as \
    the orchestrator this server runs as (--agent, else as the CLI: GHP_AGENT, `git config \
    ghp.agent`). Writes need the token in the address printed at start (or the one \
    GHP_SERVE_TOKEN gives); without it the page is read-only. Each write is the same operation \
    as `ghp resolve` and `ghp approve`, under the same authority rules, in one commit.

    Binds 127.0.0.1 unless --listen names another address. Routes: GET / (the page), /fragment, \
    /api/view, /api/timeline, /api/server, /events; POST /api/escalations/ID/answer {"answer"}, \
    POST /api/approvals {"agent", "globs", "once", "note"}, POST /api/reviews/ID {"tree", \
    "verdict", "text"}, POST /api/votes/ATTEMPT {"note"}, POST /api/run/stop, each with \
    `Authorization: Bearer TOKEN`.

    Examples:
      ghp serve
      ghp serve --port 0 --open
      ghp serve --listen 0.0.0.0 --port 8080 --read-only
    """

  public init() {}

  @Option(name: .customShort("C"), help: ArgumentHelp("Run as if started in <path>.", valueName: "path"))
  public var directory: String?

  @Option(help: "Answer as this orchestrator (default: GHP_AGENT, `git config ghp.agent`).")
  public var agent: String?

  @Option(help: "The port (0: any free one; the address printed says which).")
  public var port: Int = 7070

  @Option(
    help: ArgumentHelp(
      "Listen on this address instead of 127.0.0.1 (reachable from the network).", valueName: "address"))
  public var listen: String?

  @Flag(help: "Open the page in the default browser (xdg-open).")
  public var open = false

  @Flag(help: "Take no writes, whatever the token.")
  public var readOnly = false

  @Option(help: ArgumentHelp("Milliseconds between two looks at ghp/state.", valueName: "ms"))
  public var watchInterval: Int = 100

  public func validate() throws {
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

  /// The options as ghp-serve takes them, for `ghp serve` to hand over.
  public var arguments: [String] {
    var out: [String] = []
    if let directory { out += ["-C", directory] }
    if let agent { out += ["--agent", agent] }
    out += ["--port", String(port)]
    if let listen { out += ["--listen", listen] }
    if open { out.append("--open") }
    if readOnly { out.append("--read-only") }
    out += ["--watch-interval", String(watchInterval)]
    return out
  }
}
