import ArgumentParser
import Foundation
import GHPKit
import MCP

@main
struct MCPServe: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ghp-mcp",
    abstract: ToolBox.abstract, discussion: ToolBox.discussion)

  @Option(name: .customShort("C"), help: ArgumentHelp("Run as if started in <path>.", valueName: "path"))
  var directory: String?

  @Option(help: "Act as this agent (default: GHP_AGENT, `git config ghp.agent`, or the agent/<name> branch).")
  var agent: String?

  func run() async throws {
    do {
      try await serve()
    } catch let error as GHPError {
      // stdout belongs to the protocol: the one line goes to stderr.
      FileHandle.standardError.write(Data("ghp mcp: \(error.description)\n".utf8))
      throw ExitCode(error.exitCode)
    }
  }

  func serve() async throws {
    let path = directory
    let agent = self.agent
    let environment = ProcessInfo.processInfo.environment
    NetworkDeadline.configure(environment)
    // In a contained ghp run worker, the supervisor carries out every call (`WorkerChannel`).
    let socket = environment[WorkerSandbox.socketVariable].flatMap { $0.isEmpty ? nil : $0 }
    // Fail before speaking the protocol when there is no repository (stdout belongs to MCP).
    let repository: Repository
    if socket != nil {
      do { repository = try Repository(discovering: path ?? FileManager.default.currentDirectoryPath) } catch {
        throw GHPError.notARepository(path ?? ".")
      }
    } else {
      repository = try Workspace(path: path, agent: agent, environment: environment).repository
    }
    let watcher = try StateWatcher(repository: repository)
    let workspace: @Sendable () throws -> Workspace = {
      try Workspace(path: path, agent: agent, environment: environment)
    }

    // A call before `initialize` is refused by the transport (see `LineTransport`).
    let server = Server(
      name: "ghp", version: GHPVersion.current, instructions: ToolBox.instructions,
      capabilities: .init(
        prompts: .init(listChanged: false), resources: .init(subscribe: true, listChanged: false),
        tools: .init(listChanged: false)))
    let subscriptions = Subscriptions()
    let calls = BlockingCalls()
    let statusAnswers = StatusAnswers<StatusAnswer>()
    let statusWriter = StatusWriter(forms: [.escaped, .compact], keeps: true)
    let transport = LineTransport(
      discovery: .object([
        "capabilities": .object([
          "tools": .object(["listChanged": .bool(false)]), "prompts": .object(["listChanged": .bool(false)]),
          "resources": .object(["listChanged": .bool(false)]),
        ]),
        "instructions": .string(ToolBox.instructions),
        "_meta": .object([
          "io.modelcontextprotocol/serverInfo": .object([
            "name": .string("ghp"), "version": .string(GHPVersion.current),
          ])
        ]),
      ]))
    let requests = transport.ledger
    let results = transport.results

    await server.withMethodHandler(ListTools.self) { _ in
      .init(
        tools: ToolBox.tools.map {
          Tool(
            name: $0.name, title: $0.title, description: $0.description, inputSchema: Self.value($0.schema),
            annotations: .init(
              title: $0.title, readOnlyHint: $0.readOnly, destructiveHint: $0.destructive,
              idempotentHint: $0.idempotent, openWorldHint: false),
            outputSchema: Self.value($0.outputSchema))
        })
    }
    await server.withMethodHandler(CallTool.self) { params in
      var arguments: [String: JSON] = [:]
      for (key, value) in params.arguments ?? [:] { arguments[key] = Self.json(value) }
      let call = arguments
      // A tool that does not exist is the protocol's error, not the tool's (-32602).
      guard ToolBox.tools.contains(where: { $0.name == params.name }) else {
        throw MCPError.invalidParams("Unknown tool: \(params.name)")
      }
      let request = params._meta?[LineTransport.requestKey]?.stringValue
      let wanted: @Sendable () -> Bool = { request.map { !requests.isCancelled(key: $0) } ?? true }
      let outcome: ToolOutcome? = await calls.run {
        // Cancelled before it started: nothing is done (and the transport sends no answer).
        guard wanted() else { return nil }
        if let socket {
          let answer = WorkerChannel.ask(
            socket, ["kind": .string("tool"), "name": .string(params.name), "arguments": .object(call)])
          return ToolOutcome(
            answer.result, text: answer.error ?? answer.result?.pretty() ?? "", failed: answer.error != nil)
        }
        do {
          let workspace = try workspace()
          workspace.ledger.stillWanted = wanted
          if params.name == "get_status" {
            // Checked as every call's arguments are (`ToolBox.call`).
            try ToolBox.validate(params.name, arguments: call)
            let action = StatusAction(staleOnly: call["stale_only"]?.boolValue == true)
            // Written from the report's rows, each agent's bytes kept while its row is unchanged.
            let answer = try statusAnswers.answer(action, in: workspace) { report in
              StatusAnswer(report: report, encoded: ToolResults.members(statusWriter.write(report)))
            }
            return ToolOutcome(status: answer)
          }
          let result = try ToolBox.call(params.name, arguments: call, workspace: workspace)
          return ToolOutcome(result, text: result.pretty(), failed: false)
        } catch let error as GHPError {
          // The kind first (refused, usage, ...), as the server's instructions tell the agent.
          return ToolOutcome(nil, text: "\(error.kind): \(error.description)", failed: true)
        } catch {
          return ToolOutcome(nil, text: "\(error)", failed: true)
        }
      }
      guard let outcome else { return .init(content: [], isError: true) }
      // A result goes out as ghp writes it, past the SDK's own encoding (`ToolResults`).
      if !outcome.failed, let request, let encoded = outcome.encoded(),
        results.keep(["isError": .bool(false)], encoded: encoded, for: request)
      {
        return .init(content: [], isError: false)
      }
      let result = outcome.result()
      return .init(
        content: [.text(text: outcome.text(), annotations: nil, _meta: nil)],
        structuredContent: outcome.failed ? nil : result.map { Self.value($0) },
        isError: outcome.failed)
    }
    await server.withMethodHandler(ListPrompts.self) { _ in
      .init(prompts: ToolBox.prompts.map { Prompt(name: $0.name, description: $0.description) })
    }
    await server.withMethodHandler(GetPrompt.self) { params in
      if let socket {
        let answer = WorkerChannel.ask(socket, ["kind": .string("prompt"), "name": .string(params.name)])
        guard let text = answer.result?.stringValue else { throw MCPError.invalidParams(answer.error ?? "no prompt") }
        let description = ToolBox.prompts.first { $0.name == params.name }?.description
        return .init(description: description, messages: [.user(.text(text: text))])
      }
      do {
        let text = try ToolBox.prompt(params.name, workspace: workspace())
        let description = ToolBox.prompts.first { $0.name == params.name }?.description
        return .init(description: description, messages: [.user(.text(text: text))])
      } catch let error as GHPError {
        throw MCPError.invalidParams(error.description)
      }
    }
    await server.withMethodHandler(ListResources.self) { _ in
      .init(
        resources: ToolBox.resources.map {
          Resource(name: $0.name, uri: $0.uri, description: $0.description, mimeType: $0.mime)
        },
        nextCursor: nil)
    }
    await server.withMethodHandler(ListResourceTemplates.self) { _ in
      .init(templates: [
        Resource.Template(
          uriTemplate: ToolBox.issueTemplate, name: "issue", description: "One issue: fields, result and history.",
          mimeType: "application/json")
      ])
    }
    await server.withMethodHandler(ReadResource.self) { params in
      if let socket {
        let answer = WorkerChannel.ask(socket, ["kind": .string("resource"), "uri": .string(params.uri)])
        guard let text = answer.result?.stringValue else { throw MCPError.invalidParams(answer.error ?? "no resource") }
        return .init(contents: [Resource.Content.text(text, uri: params.uri, mimeType: "application/json")])
      }
      do {
        let (text, mime) = try ToolBox.read(params.uri, workspace: workspace())
        return .init(contents: [Resource.Content.text(text, uri: params.uri, mimeType: mime)])
      } catch let error as GHPError {
        throw MCPError.invalidParams(error.description)
      }
    }
    await server.withMethodHandler(ResourceSubscribe.self) { params in
      await subscriptions.add(params.uri)
      return .init()
    }
    await server.withMethodHandler(ResourceUnsubscribe.self) { params in
      await subscriptions.remove(params.uri)
      return .init()
    }

    try await server.start(transport: transport)
    // Tell subscribers when ghp/state moves, whoever moved it.
    let notifier = Task {
      let box = WatcherBox(watcher)
      while !Task.isCancelled {
        try? await Task.sleep(nanoseconds: 200_000_000)
        guard let moved = try? box.watcher.poll(), !moved.isEmpty else { continue }
        for uri in await subscriptions.all {
          try? await server.notify(ResourceUpdatedNotification.message(.init(uri: uri)))
        }
      }
    }
    await server.waitUntilCompleted()
    // Input closed: every call already under way still lands and is answered.
    await transport.waitForAnswers(seconds: 120)
    notifier.cancel()
  }

  static func value(_ json: JSON) -> Value {
    switch json {
    case .null: .null
    case .bool(let b): .bool(b)
    case .int(let i): .int(i)
    case .double(let d): .double(d)
    case .string(let s): .string(s)
    case .array(let a): .array(a.map(value))
    case .object(let o): .object(o.mapValues(value))
    }
  }

  static func json(_ value: Value) -> JSON {
    switch value {
    case .null: .null
    case .bool(let b): .bool(b)
    case .int(let i): .int(i)
    case .double(let d): .double(d)
    case .string(let s): .string(s)
    case .data(_, let data): .string(String(decoding: data, as: UTF8.self))
    case .array(let a): .array(a.map(json))
    case .object(let o): .object(o.mapValues(json))
    }
  }
}

/// The URIs clients subscribed to.
actor Subscriptions {
  private var uris: Set<String> = []
  func add(_ uri: String) { uris.insert(uri) }
  func remove(_ uri: String) { uris.remove(uri) }
  var all: [String] { uris.sorted() }
}

/// A `get_status` answer kept between calls (`StatusAnswers`): its report, and its result and text
/// as they go out (`ToolResults.members`).
struct StatusAnswer: Sendable {
  var report: StatusReport
  var encoded: [UInt8]
}

/// What a tool call made: its result and text, or its failure's text. A status answer is kept
/// encoded, and its JSON tree and text are made only if the SDK must send it instead.
struct ToolOutcome: Sendable {
  let failed: Bool
  let result: @Sendable () -> JSON?
  let text: @Sendable () -> String
  let encoded: @Sendable () -> [UInt8]?

  init(_ result: JSON?, text: String, failed: Bool) {
    self.failed = failed
    self.result = { result }
    self.text = { text }
    encoded = { result.map { ToolResults.members(result: $0, text: text) } }
  }

  init(status answer: StatusAnswer) {
    failed = false
    result = { answer.report.json }
    text = { answer.report.json.pretty() }
    encoded = { answer.encoded }
  }
}

/// The watcher is used from one task only; the box carries it there.
final class WatcherBox: @unchecked Sendable {
  let watcher: StateWatcher
  init(_ watcher: StateWatcher) { self.watcher = watcher }
}
