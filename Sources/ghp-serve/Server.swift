import Foundation
import GHPKit
import HTTPTypes
import Hummingbird
import NIOCore

/// The routes of `ghp serve` and what they answer. Reads need nothing; writes need the token, a
/// JSON body of the exact shape, and go through the same operations as the CLI. Every refusal is a
/// 4xx with `{"error", "code", "kind"}`, and touches nothing.
enum Server {
  struct Settings: Sendable {
    var token: String
    /// Requests must name a loopback host (`Host: 127.0.0.1:7070`), so that a web page elsewhere
    /// cannot reach the server through a name it controls (DNS rebinding).
    var loopbackOnly: Bool
    var writer: String?
  }

  /// Write bodies larger than this are refused (413).
  static let maxBody = 64 * 1024

  static var environment: [String: String] { ProcessInfo.processInfo.environment }

  static func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
  }

  static func warn(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }

  static func fail(_ line: String, code: Int32) -> Never {
    warn("ghp: " + line)
    exit(code)
  }

  /// The write token: GHP_SERVE_TOKEN, else a fresh random one. (Not a git config value: every
  /// agent's worktree reads the repository's config, and the token carries an orchestrator's
  /// authority.)
  static func token(environment: [String: String]) -> String {
    if let given = environment["GHP_SERVE_TOKEN"], !given.isEmpty { return given }
    return RandomHex.make(bytes: 24)
  }

  static func open(_ address: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["xdg-open", address]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    if (try? process.run()) == nil { warn("ghp serve: could not run xdg-open; open \(address) yourself") }
  }

  /// SIGINT and SIGTERM end the server at once: it holds no state of its own (every write is a
  /// whole commit on ghp/state), and open event streams would hold a graceful stop forever.
  static func stopOnSignals() {
    for signal in [SIGINT, SIGTERM] {
      Glibc.signal(signal, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signal, queue: .main)
      source.setEventHandler { exit(0) }
      source.resume()
      sources.append(source)
    }
  }
  nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []

  // MARK: - Responses

  static func json(_ value: JSON, status: HTTPResponse.Status = .ok) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json; charset=utf-8"
    headers[.cacheControl] = "no-store"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.pretty())))
  }

  static func html(_ text: String, nonce: String?) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "text/html; charset=utf-8"
    headers[.cacheControl] = "no-store"
    if let nonce {
      headers[.contentSecurityPolicy] =
        "default-src 'none'; style-src 'nonce-\(nonce)'; script-src 'nonce-\(nonce)'; connect-src 'self'; img-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    }
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
  }

  /// A refusal: `{"error", "code", "kind"}` with the HTTP status as the code.
  static func error(_ status: HTTPResponse.Status, _ message: String, kind: String) -> Response {
    json(GHPError.json(error: message, code: Int32(status.code), kind: kind), status: status)
  }

  /// The HTTP status of a ghp error: the caller's mistake (400, 404 for a missing thing), the
  /// coordination rules' refusal (409), or the server's own failure (500, 503 uninitialised).
  static func error(_ error: GHPError) -> Response {
    let status: HTTPResponse.Status
    switch error {
    case .invalidValue(let what, _) where what == "escalation": status = .notFound
    case .invalidValue(let what, _) where what == "request body": status = .contentTooLarge
    case .notInitialised, .notARepository: status = .serviceUnavailable
    case .writerBusy, .refLocked, .contention: status = .serviceUnavailable
    default: status = error.isRefusal ? .conflict : error.isUsage ? .badRequest : .internalServerError
    }
    return Server.error(status, error.description, kind: error.kind)
  }

  static func run(_ body: () async throws(GHPError) -> Response) async -> Response {
    do { return try await body() } catch { return Server.error(error) }
  }

  /// For the page itself: a refusal a person can read in the browser (the message, escaped), with
  /// the same status as the JSON one.
  static func page(_ body: () async throws(GHPError) -> Response) async -> Response {
    do { return try await body() } catch {
      let json = Server.error(error)
      let message = error.description.replacing("&", with: "&amp;").replacing("<", with: "&lt;")
        .replacing(">", with: "&gt;").replacing("\"", with: "&quot;")
      var response = html(
        "<!doctype html><meta charset=\"utf-8\"><title>ghp serve</title><h1>ghp serve</h1><p>\(message)</p>",
        nonce: "")
      response.status = json.status
      return response
    }
  }

  // MARK: - Requests

  /// The query parameters, each given at most once and none unknown; a 400 names the first that is not.
  static func query(_ request: Request, allowed: Set<String>) throws(GHPError) -> [String: String] {
    var out: [String: String] = [:]
    for (key, value) in request.uri.queryParameters {
      let name = String(key)
      guard allowed.contains(name) else {
        throw .invalidValue(
          "query", "unknown parameter \(name) (this route takes \(allowed.sorted().joined(separator: ", ")))")
      }
      guard out[name] == nil else { throw .invalidValue("query", "\(name) is given twice") }
      out[name] = String(value)
    }
    return out
  }

  static func limit(_ text: String?, default value: Int?) throws(GHPError) -> Int? {
    guard let text else { return value }
    guard let number = Int(text), number >= 0, number <= 1_000_000 else {
      throw .invalidValue("limit", "limit takes a number from 0 (all) to 1000000")
    }
    return number == 0 ? nil : number
  }

  /// The view a request asks for (`since`, `until`, `limit`: the newest 500 operations by default).
  static func view(_ request: Request, allowed: Set<String>, backend: Backend) async throws(GHPError) -> Dashboard {
    let query = try query(request, allowed: allowed)
    return try await backend.view(
      since: query["since"], until: query["until"], limit: try limit(query["limit"], default: 500))
  }

  /// Whether the request may write: the token, compared in constant time.
  static func authorise(_ request: Request, settings: Settings) -> Response? {
    guard settings.writer != nil else {
      return error(
        .forbidden, "this server is read-only: it takes no writes (see the line ghp serve printed at start)",
        kind: "refused")
    }
    guard let header = request.headers[.authorization] else {
      return error(
        .unauthorized, "writes need the token ghp serve printed at start: Authorization: Bearer TOKEN", kind: "refused")
    }
    let given = Array((header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : header).utf8)
    let expected = Array(settings.token.utf8)
    var difference = UInt8(given.count == expected.count ? 0 : 1)
    for index in 0..<expected.count { difference |= expected[index] ^ (index < given.count ? given[index] : 0) }
    guard difference == 0 else { return error(.forbidden, "the token is not this server's", kind: "refused") }
    return nil
  }

  /// The body of a write: a JSON object with no keys but `allowed`, at most `maxBody` bytes.
  static func body(_ request: inout Request, allowed: Set<String>) async throws(GHPError) -> [String: JSON] {
    guard let type = request.headers[.contentType], type.lowercased().hasPrefix("application/json") else {
      throw .invalidValue("request", "send the body as JSON (Content-Type: application/json)")
    }
    let buffer: ByteBuffer
    do { buffer = try await request.collectBody(upTo: maxBody) } catch {
      throw .invalidValue("request body", "it is larger than \(maxBody / 1024) KiB")
    }
    let bytes = Array(buffer.readableBytesView)
    let parsed: JSON
    do { parsed = try JSON.parse(bytes) } catch { throw .invalidValue("request", "the body is not JSON: \(error)") }
    guard let fields = parsed.objectValue else { throw .invalidValue("request", "the body must be a JSON object") }
    for key in fields.keys where !allowed.contains(key) {
      throw .invalidValue(
        "request", "unknown field \"\(key)\" (this route takes \(allowed.sorted().joined(separator: ", ")))")
    }
    return fields
  }

  static func string(_ fields: [String: JSON], _ key: String, required: Bool) throws(GHPError) -> String? {
    guard let value = fields[key], value != .null else {
      if required { throw .invalidValue("request", "\"\(key)\" is missing") }
      return nil
    }
    guard let text = value.stringValue else { throw .invalidValue("request", "\"\(key)\" must be a string") }
    guard !text.utf8.contains(0) else { throw .invalidValue("request", "\"\(key)\" holds a NUL byte") }
    return text
  }

  // MARK: - Routes

  /// Every path the server answers, spelled here only.
  enum Route {
    /// The page.
    static let page = "/"
    /// The page's changing part, fetched when ghp/state moved.
    static let fragment = "/fragment"
    /// The view as JSON.
    static let view = "/api/view"
    /// The timeline as JSON, filtered.
    static let timeline = "/api/timeline"
    /// The server's own facts: watchers, clients, tip.
    static let server = "/api/server"
    /// Server-sent events, one each time ghp/state moves.
    static let events = "/events"
    /// Answers an escalation (`POST`, with `:id`).
    static let answer = "/api/escalations/:id/answer"
    /// Approves shared-file edits (`POST`).
    static let approvals = "/api/approvals"
    /// A verdict on a landing's merge (`ghp review approve|changes`), as the server's orchestrator.
    static let review = "/api/reviews/:id"
    /// A ballot for one attempt of a best-of issue (`ghp vote for`), as the server's orchestrator.
    static let vote = "/api/votes/:id"
    /// Asks the run to stop (`POST`).
    static let runStop = "/api/run/stop"
  }

  static let routes: [String: [HTTPRequest.Method]] = [
    Route.page: [.get, .head], Route.fragment: [.get, .head], Route.view: [.get, .head],
    Route.timeline: [.get, .head], Route.server: [.get, .head], Route.events: [.get], Route.approvals: [.post],
    Route.runStop: [.post],
  ]

  static func router(backend: Backend, hub: EventHub, settings: Settings) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: Guard(settings: settings))
    /// A read: GET, and HEAD for its headers.
    func read(
      _ path: RouterPath, _ handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response
    ) {
      router.get(path, use: handler)
      router.head(path, use: handler)
    }
    let viewQuery: Set<String> = ["since", "until", "limit", "agent", "issue", "op", "from", "to", "token"]

    read(RouterPath(stringLiteral: Route.page)) { request, _ -> Response in
      await page { () throws(GHPError) in
        let view = try await view(request, allowed: viewQuery, backend: backend)
        let nonce = DashboardPage.nonce()
        let page = DashboardPage.page(
          view,
          options: .init(
            live: true, actor: settings.writer, writable: settings.writer != nil,
            title: "ghp · \(view.goal ?? "state")"), nonce: nonce)
        return html(page, nonce: nonce)
      }
    }
    read(RouterPath(stringLiteral: Route.fragment)) { request, _ -> Response in
      await run { () throws(GHPError) in
        let view = try await view(request, allowed: viewQuery, backend: backend)
        return html(
          DashboardPage.fragment(
            view, options: .init(live: true, writable: settings.writer != nil, title: "")),
          nonce: nil)
      }
    }
    read(RouterPath(stringLiteral: Route.view)) { request, _ -> Response in
      await run { () throws(GHPError) in
        let view = try await view(request, allowed: ["since", "until", "limit"], backend: backend)
        return json(view.json)
      }
    }
    read(RouterPath(stringLiteral: Route.timeline)) { request, _ -> Response in
      await run { () throws(GHPError) in
        let query = try query(request, allowed: ["agent", "issue", "op", "since", "until", "heartbeats", "limit"])
        let agent = try query["agent"].map { (name) throws(GHPError) in try AgentName.validate(name) }
        let issue = try query["issue"].map { (id) throws(GHPError) in try IssueID.validate(id) }
        let ops = Set((query["op"] ?? "").split(separator: ",").map(String.init))
        for op in ops {
          if let problem = OperationCatalog.unknown(op) { throw .invalidValue("op", "\(op): \(problem)") }
        }
        var heartbeats = true
        if let text = query["heartbeats"] {
          guard let value = Bool(text) else { throw .invalidValue("heartbeats", "heartbeats takes true or false") }
          heartbeats = value
        }
        return json(
          .array(
            try await backend.timeline(
              agent: agent, issue: issue, ops: ops, since: query["since"], until: query["until"],
              heartbeats: heartbeats, limit: try limit(query["limit"], default: 100))))
      }
    }
    read(RouterPath(stringLiteral: Route.server)) { request, _ -> Response in
      await run { () throws(GHPError) in
        _ = try query(request, allowed: [])
        return json(
          .object([
            "watchers": .int(await hub.watchers), "clients": .int(await hub.clientCount),
            "events": .int(await hub.published), "tip": .string(await backend.tip),
            "writable": .bool(settings.writer != nil), "actor": settings.writer.map { .string($0) } ?? .null,
            "loopbackOnly": .bool(settings.loopbackOnly),
          ]))
      }
    }
    router.get(RouterPath(stringLiteral: Route.events)) { request, _ -> Response in
      do throws(GHPError) { _ = try query(request, allowed: []) } catch { return Server.error(error) }
      let (id, events) = await hub.subscribe()
      var headers = HTTPFields()
      headers[.contentType] = "text/event-stream"
      headers[.cacheControl] = "no-store"
      return Response(
        status: .ok, headers: headers,
        body: ResponseBody { writer in
          do {
            try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
            for await frame in events { try await writer.write(ByteBuffer(string: frame)) }
          } catch {}
          await hub.unsubscribe(id)
          try? await writer.finish(nil)
        })
    }
    router.post(RouterPath(stringLiteral: Route.answer)) { request, context -> Response in
      if let refused = authorise(request, settings: settings) { return refused }
      var request = request
      return await run { () throws(GHPError) in
        let id = try IssueID.validate(context.parameters.get("id") ?? "")
        let fields = try await body(&request, allowed: ["answer"])
        let answer = try string(fields, "answer", required: true)!
        return json(try await backend.answer(escalation: id, text: answer))
      }
    }
    router.post(RouterPath(stringLiteral: Route.approvals)) { request, _ -> Response in
      if let refused = authorise(request, settings: settings) { return refused }
      var request = request
      return await run { () throws(GHPError) in
        let fields = try await body(&request, allowed: ["agent", "globs", "once", "note"])
        let agent = try AgentName.validate(try string(fields, "agent", required: true)!)
        guard let list = fields["globs"]?.arrayValue else {
          throw .invalidValue("request", "\"globs\" must be an array of strings")
        }
        var globs: [String] = []
        for item in list {
          guard let glob = item.stringValue, !glob.utf8.contains(0) else {
            throw .invalidValue("request", "\"globs\" must be an array of strings")
          }
          globs.append(glob)
        }
        var once = false
        if let value = fields["once"], value != .null {
          guard let flag = value.boolValue else { throw .invalidValue("request", "\"once\" must be true or false") }
          once = flag
        }
        let note = try string(fields, "note", required: false)
        return json(try await backend.approve(agent: agent, globs: globs, once: once, note: note))
      }
    }
    router.post(RouterPath(stringLiteral: Route.review)) { request, context -> Response in
      if let refused = authorise(request, settings: settings) { return refused }
      var request = request
      let id = context.parameters.get("id") ?? ""
      return await run { () throws(GHPError) in
        let fields = try await body(&request, allowed: ["tree", "verdict", "text"])
        guard let tree = try string(fields, "tree", required: true).flatMap(ObjectID.init(hex:)) else {
          throw .invalidValue("request", "\"tree\" must be the tree id the review is about")
        }
        guard let verdict = try string(fields, "verdict", required: true).flatMap(ReviewOperation.Verdict.init) else {
          throw .invalidValue("request", "\"verdict\" must be \"approve\" or \"changes\"")
        }
        let text = try string(fields, "text", required: false)
        return json(try await backend.review(issue: try IssueID.validate(id), tree: tree, verdict: verdict, text: text))
      }
    }
    router.post(RouterPath(stringLiteral: Route.vote)) { request, context -> Response in
      if let refused = authorise(request, settings: settings) { return refused }
      var request = request
      let id = context.parameters.get("id") ?? ""
      return await run { () throws(GHPError) in
        let fields = try await body(&request, allowed: ["note"])
        let note = try string(fields, "note", required: false)
        return json(try await backend.vote(attempt: try IssueID.validate(id), note: note))
      }
    }
    router.post(RouterPath(stringLiteral: Route.runStop)) { request, _ -> Response in
      if let refused = authorise(request, settings: settings) { return refused }
      var request = request
      return await run { () throws(GHPError) in
        _ = try await body(&request, allowed: [])
        return json(try await backend.stopRun())
      }
    }
    return router
  }

  /// Refuses what no route should see: a Host that is not loopback (when bound to loopback), a
  /// method a route does not take (405); and adds the headers every answer carries.
  struct Guard: RouterMiddleware {
    typealias Context = BasicRequestContext
    let settings: Settings

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
      -> Response
    {
      var response: Response
      if settings.loopbackOnly, let host = request.head.authority, !Self.isLoopback(host) {
        response = Server.error(
          .misdirectedRequest,
          "this server answers only to 127.0.0.1, localhost or [::1] (start it with --listen to serve others)",
          kind: "refused")
      } else if let allowed = Self.allowed(request.uri.path), !allowed.contains(request.method) {
        response = Server.error(
          .methodNotAllowed, "\(request.uri.path) takes \(allowed.map(\.rawValue).joined(separator: ", "))",
          kind: "usage")
        response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
      } else {
        do {
          response = try await next(request, context)
          // HEAD is GET without the body (the reads are registered for both).
          if request.method == .head { response.body = ResponseBody() }
        } catch let error as HTTPError where error.status == .notFound {
          response = Server.error(
            .notFound,
            "there is no \(request.uri.path) here (GET \([Route.page, Route.fragment, Route.view, Route.timeline, Route.server, Route.events].joined(separator: ", ")); POST \(Route.answer.replacing(":id", with: "ID")), \(Route.approvals), \(Route.review.replacing(":id", with: "ID")), \(Route.vote.replacing(":id", with: "ID")), \(Route.runStop))",
            kind: "usage")
        } catch let error as HTTPError {
          response = Server.error(error.status, error.body ?? error.status.reasonPhrase, kind: "failure")
        }
      }
      response.headers[.xContentTypeOptions] = "nosniff"
      response.headers[.referrerPolicy] = "no-referrer"
      response.headers[.xFrameOptions] = "DENY"
      return response
    }

    static func allowed(_ path: String) -> [HTTPRequest.Method]? {
      if let methods = Server.routes[path] { return methods }
      if path.hasPrefix("/api/escalations/"), path.hasSuffix("/answer") { return [.post] }  // Route.answer
      if path.hasPrefix("/api/reviews/"), path.dropFirst("/api/reviews/".count).allSatisfy({ $0 != "/" }) {
        return [.post]  // Route.review
      }
      if path.hasPrefix("/api/votes/"), path.dropFirst("/api/votes/".count).allSatisfy({ $0 != "/" }) {
        return [.post]  // Route.vote
      }
      return nil
    }

    static func isLoopback(_ authority: String) -> Bool {
      var host = authority
      if host.hasPrefix("[") {
        host = String(host.dropFirst().prefix { $0 != "]" })
      } else if let colon = host.lastIndex(of: ":") {
        host = String(host[..<colon])
      }
      return host == "127.0.0.1" || host == "localhost" || host == "::1"
    }
  }
}

extension HTTPField.Name {
  static let xContentTypeOptions = Self("X-Content-Type-Options")!
  static let xFrameOptions = Self("X-Frame-Options")!
  static let referrerPolicy = Self("Referrer-Policy")!
}
