import ArgumentParser
import GHPCommands
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
    abstract: ServeOptions.abstract,
    discussion: ServeOptions.discussion)

  @OptionGroup var options: ServeOptions

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
    let (directory, agent, port, listen, readOnly) = (
      options.directory, options.agent, options.port, options.listen, options.readOnly
    )
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
    await hub.startWatching(directory: directory, environment: environment, interval: options.watchInterval)
    let settings = Server.Settings(token: token, loopbackOnly: listen == nil, writer: writer)
    let router = Server.router(backend: backend, hub: hub, settings: settings)
    var logger = Logger(label: "ghp-serve")
    logger.logLevel = .error
    let readOnlyReason = backend.readOnlyReason ?? ""
    let open = options.open
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
