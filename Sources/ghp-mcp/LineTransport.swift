import Foundation
import GHPKit
import Glibc
import Logging
import MCP

/// MCP over stdio, one JSON-RPC message a line, read by a thread blocked in `read(2)`.
///
/// The SDK's own stdio transport sets its input non-blocking and sleeps 10 ms whenever nothing is
/// there yet, which made every tool call cost ~10 ms whatever the tool did. Here a message is
/// handed on the moment its line ends. A line that is not JSON, or a request whose id the SDK
/// cannot carry, is answered here as JSON-RPC says (parse error or invalid request, id null)
/// instead of with a made-up id.
///
/// It also speaks what the SDK does not:
/// - **Cancellation** (`notifications/cancelled`): the request is marked, its call writes nothing
///   if it has not committed yet (`Ledger.stillWanted`), and no answer is sent for it.
/// - **The 2026-07-28 revision, stateless, beside 2025-11-25**: a request whose `_meta` carries
///   `io.modelcontextprotocol/protocolVersion` needs no `initialize` (the SDK is given one of its own
///   once, whose answer nobody sees); `server/discover` is answered here; each answer to a modern
///   request gains `resultType` and the server's identity in `_meta` (and, for lists, how long it
///   may be cached). An unsupported version is -32022 naming the supported ones.
actor LineTransport: Transport {
  /// The revisions spoken: the stateless one and the handshake one.
  static let modernVersion = "2026-07-28"
  static let supportedVersions = [modernVersion, "2025-11-25"]
  static let versionKey = "io.modelcontextprotocol/protocolVersion"
  static let capabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
  /// The id of the `initialize` the transport sends the SDK for stateless clients.
  static let internalInitialize = "ghp-stateless-initialize"
  /// What `server/discover` says beyond the versions (set by the server before it starts).
  nonisolated let discovery: JSON
  nonisolated let logger = Logger(label: "ghp.mcp.transport")
  private let stream: AsyncThrowingStream<Data, Swift.Error>
  private let continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation
  private let writer = Writer()
  /// Requests handed to the server and answers sent back, so that nothing asked is left unanswered
  /// when the input closes; and which were cancelled.
  nonisolated let ledger = RequestCount()
  /// Tool results that go out as they are, past the SDK (see `ToolResults`).
  nonisolated let results = ToolResults()

  /// `discovery`: the server's capabilities, instructions and identity, for `server/discover`.
  init(discovery: JSON) {
    (stream, continuation) = AsyncThrowingStream.makeStream()
    self.discovery = discovery
  }

  func connect() async throws {
    let continuation = self.continuation
    let writer = self.writer
    let ledger = self.ledger
    let discovery = self.discovery
    let results = self.results
    let thread = Thread {
      var pending: [UInt8] = []
      var buffer = [UInt8](repeating: 0, count: 65_536)
      while true {
        let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        pending.append(contentsOf: buffer[0..<count])
        while let newline = pending.firstIndex(of: 0x0A) {
          let line = Array(pending[..<newline])
          pending.removeSubrange(...newline)
          Self.deliver(
            line, continuation: continuation, writer: writer, ledger: ledger, discovery: discovery, results: results)
        }
      }
      if !pending.isEmpty {
        Self.deliver(
          pending, continuation: continuation, writer: writer, ledger: ledger, discovery: discovery, results: results)
      }
      continuation.finish()
    }
    thread.stackSize = 1 << 20
    thread.start()
  }

  /// Hands a line to the server, or answers it here when the server could only answer it wrongly.
  private static func deliver(
    _ line: [UInt8], continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation, writer: Writer,
    ledger: RequestCount, discovery: JSON, results: ToolResults
  ) {
    var text = line
    while let last = text.last, last == 0x0D || last == 0x20 { text.removeLast() }
    guard !text.isEmpty else { return }
    guard let message = try? JSON.parse(text) else {
      writer.write(errorLine(code: -32700, message: "Parse error: the line is not JSON"))
      return
    }
    guard var fields = message.objectValue, let method = fields["method"]?.stringValue else {
      // A batch, or an answer: the SDK reads them.
      continuation.yield(Data(text))
      return
    }
    if method == "notifications/cancelled" {
      if let id = fields["params"]?["requestId"], id != .null { ledger.cancel(id) }
      return
    }
    guard let id = fields["id"] else {
      continuation.yield(Data(text))
      return
    }
    switch id {
    case .string, .int: break
    default:
      writer.write(errorLine(code: -32600, message: "Invalid Request: an id must be a string or an integer"))
      return
    }
    guard fields["jsonrpc"] == .string("2.0") else {
      writer.write(errorLine(id: id, code: -32600, message: "Invalid Request: \"jsonrpc\" must be \"2.0\""))
      return
    }
    if let params = fields["params"], params.objectValue == nil {
      writer.write(errorLine(id: id, code: -32602, message: "Invalid params: params must be an object"))
      return
    }
    var params = fields["params"]?.objectValue ?? [:]
    let meta = params["_meta"]?.objectValue ?? [:]
    let modern = meta[versionKey] != nil
    if modern || method == "server/discover" {
      guard let version = meta[versionKey]?.stringValue else {
        writer.write(
          errorLine(
            id: id, code: -32602, message: "Invalid params: _meta must carry \(versionKey) and \(capabilitiesKey)"))
        return
      }
      guard version == modernVersion else {
        writer.write(
          errorLine(
            id: id, code: -32022, message: "Unsupported protocol version",
            data: .object([
              "supported": .array(supportedVersions.map { .string($0) }), "requested": .string(version),
            ])))
        return
      }
      guard meta[capabilitiesKey]?.objectValue != nil else {
        writer.write(errorLine(id: id, code: -32602, message: "Invalid params: _meta must carry \(capabilitiesKey)"))
        return
      }
      if method == "server/discover" {
        var result = discovery.objectValue ?? [:]
        result["supportedVersions"] = .array(supportedVersions.map { .string($0) })
        complete(&result, cacheable: true)
        writer.write(resultLine(id: id, result: .object(result)))
        return
      }
      if method == "initialize" {
        writer.write(errorLine(id: id, code: -32600, message: "Invalid Request: \(modernVersion) has no initialize"))
        return
      }
      // The SDK serves calls only after a handshake: it is given one, once, for stateless clients.
      if ledger.beginStateless() {
        let handshake = JSON.object([
          "jsonrpc": .string("2.0"), "id": .string(internalInitialize), "method": .string("initialize"),
          "params": .object([
            "protocolVersion": .string("2025-11-25"), "capabilities": .object([:]),
            "clientInfo": .object(["name": .string("stateless"), "version": .string(modernVersion)]),
          ]),
        ])
        continuation.yield(Data(handshake.compact().utf8))
        continuation.yield(
          Data(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8))
      }
      ledger.markModern(id, method: method)
    } else if method == "initialize" {
      ledger.initialized()
    } else if method != "ping" && !ledger.isInitialized {
      // Before `initialize`, only a ping is answered (the SDK's strict mode drops such a call
      // without any answer).
      writer.write(errorLine(id: id, code: -32600, message: "Server not initialized: send initialize first"))
      return
    }
    if method == "tools/call" {
      guard params["name"]?.stringValue != nil else {
        writer.write(errorLine(id: id, code: -32602, message: "Invalid params: tools/call needs the tool's name"))
        return
      }
      // The call learns its own request id (for cancellation): set here, whatever the client sent.
      var callMeta = meta
      callMeta[requestKey] = .string(id.compact())
      results.expect(id.compact())
      params["_meta"] = .object(callMeta)
      fields["params"] = .object(params)
      text = Array(JSON.object(fields).compact().utf8)
    }
    ledger.asked()
    continuation.yield(Data(text))
  }

  /// What a 2026-07-28 result carries besides its own fields: that it is complete, and for a
  /// cacheable one (a list, the discovery) how long and by whom it may be cached.
  static func complete(_ result: inout [String: JSON], cacheable: Bool) {
    result["resultType"] = .string("complete")
    if cacheable {
      result["ttlMs"] = .int(3_600_000)
      result["cacheScope"] = .string("public")
    }
  }

  /// Where a tool call finds its request id (`_meta`).
  static let requestKey = "ghp/request"

  static func resultLine(id: JSON, result: JSON) -> [UInt8] {
    Array(JSON.object(["jsonrpc": .string("2.0"), "id": id, "result": result]).compact().utf8) + [0x0A]
  }

  static func errorLine(id: JSON = .null, code: Int, message: String, data: JSON? = nil) -> [UInt8] {
    var error: [String: JSON] = ["code": .int(code), "message": .string(message)]
    if let data { error["data"] = data }
    return Array(JSON.object(["jsonrpc": .string("2.0"), "id": id, "error": .object(error)]).compact().utf8) + [0x0A]
  }

  func disconnect() async { continuation.finish() }

  func send(_ data: Data) async throws {
    var bytes = [UInt8](data)
    guard var message = try? JSON.parse(bytes).objectValue, let id = message["id"], message["method"] == nil else {
      if bytes.last != 0x0A { bytes.append(0x0A) }
      writer.write(bytes)
      return
    }
    // The answer to the transport's own handshake, for stateless clients: nobody asked for it.
    if id == .string(Self.internalInitialize) {
      ledger.initialized()
      return
    }
    defer { ledger.answered() }
    let toolResult = results.take(id.compact())
    // A cancelled request is not answered.
    if ledger.isCancelled(id) { return }
    var changed = false
    if let toolResult, var result = message["result"]?.objectValue {
      for (key, value) in toolResult.fields { result[key] = value }
      for key in ToolResults.encodedKeys { result[key] = nil }
      result[ToolResults.placeholder.key] = .string(ToolResults.placeholder.value)
      message["result"] = .object(result)
      changed = true
    }
    if let method = ledger.modernMethod(id), var result = message["result"]?.objectValue {
      var meta = result["_meta"]?.objectValue ?? [:]
      meta["io.modelcontextprotocol/serverInfo"] = discovery["_meta"]?["io.modelcontextprotocol/serverInfo"] ?? .null
      result["_meta"] = .object(meta)
      Self.complete(&result, cacheable: method.hasSuffix("/list"))
      message["result"] = .object(result)
      changed = true
    }
    if changed {
      bytes = Array(JSON.object(message).compact().utf8)
      if let encoded = toolResult?.encoded { bytes = ToolResults.splice(bytes, encoded) }
    }
    if bytes.last != 0x0A { bytes.append(0x0A) }
    writer.write(bytes)
  }

  /// Waits (at most `seconds`) until every request read has been answered.
  func waitForAnswers(seconds: Double) async {
    let deadline = Date().addingTimeInterval(seconds)
    while !ledger.settled && Date() < deadline { try? await Task.sleep(nanoseconds: 2_000_000) }
  }

  nonisolated func receive() -> AsyncThrowingStream<Data, Swift.Error> { stream }

  /// Whole lines to stdout, one writer at a time (the reader thread answers malformed lines too).
  final class Writer: @unchecked Sendable {
    private let lock = NSLock()

    func write(_ bytes: [UInt8]) {
      lock.lock()
      defer { lock.unlock() }
      var offset = 0
      while offset < bytes.count {
        let written = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return }
        offset += written
      }
    }
  }
}

/// A tool's result, kept here by request id while the SDK answers the call with an empty one, and
/// put into that answer as it goes out. The SDK turns every result into its `Value` through
/// `JSONEncoder` and `JSONDecoder`, whose decoding of each string compiles a regular expression (is
/// it a data URL?): 1.8 s for `get_status` at 10,000 agents, where ghp's own JSON takes
/// milliseconds.
final class ToolResults: @unchecked Sendable {
  /// The fields of a result, and its content members already encoded (`members`).
  struct Kept {
    var fields: [String: JSON]
    var encoded: [UInt8]
  }
  private let lock = NSLock()
  private var expected: Set<String> = []
  private var kept: [String: Kept] = [:]
  /// The transport gave request `key` (its id, compact JSON) to a call: its answer comes here.
  func expect(_ key: String) { lock.withLock { _ = expected.insert(key) } }
  /// Keeps the fields of the result of request `key`, and its `encoded` content members
  /// (`members`); false for a key the transport did not give (a call inside a batch, which the SDK
  /// answers whole): that result goes the SDK's way.
  func keep(_ fields: [String: JSON], encoded: [UInt8], for key: String) -> Bool {
    lock.withLock {
      guard expected.remove(key) != nil else { return false }
      kept[key] = Kept(fields: fields, encoded: encoded)
      return true
    }
  }

  /// A tool result's `content` (`text`, one text block) and `structuredContent` (`result`) as they
  /// go out: compact JSON members, without the braces, to be put into the answer's result.
  static func members(result: JSON, text: String) -> [UInt8] {
    let whole = JSON.object([
      "content": .array([.object(["type": .string("text"), "text": .string(text)])]), "structuredContent": result,
    ]).compact()
    return Array(whole.utf8.dropFirst().dropLast())
  }

  /// The members of a status answer, as `members(result: report.json, text: report.json.pretty())`
  /// encodes them, from its written forms (`StatusWriter`: the escaped pretty text and the compact).
  static func members(_ written: StatusWriter.Written) -> [UInt8] {
    var out = Array(#""content":[{"text":""#.utf8)
    out.reserveCapacity(written.escaped.count + written.compact.count + 64)
    out.append(contentsOf: written.escaped)
    out.append(contentsOf: #"","type":"text"}],"structuredContent":"#.utf8)
    out.append(contentsOf: written.compact)
    return out
  }

  /// The members `members` encodes: the SDK's own (empty) ones give way to them.
  static let encodedKeys = ["content", "structuredContent"]

  /// A member put where kept encoded members go (`splice`): its bytes are unique to this process.
  static let placeholder = (key: "ghp-encoded", value: "ghp-\(UInt64.random(in: 1...UInt64.max))")

  /// `message` encoded, the placeholder member in it replaced by `encoded`.
  static func splice(_ message: [UInt8], _ encoded: [UInt8]) -> [UInt8] {
    let member = Array(JSON.object([placeholder.key: .string(placeholder.value)]).compact().utf8.dropFirst().dropLast())
    guard let at = message.firstRange(of: member) else { return message }
    var out = message
    out.replaceSubrange(at, with: encoded)
    return out
  }

  /// The fields kept for request `key`, once (its answer is going out, whatever it holds).
  func take(_ key: String) -> Kept? {
    lock.withLock {
      expected.remove(key)
      return kept.removeValue(forKey: key)
    }
  }
}

/// The requests under way: how many are open, which were cancelled, which are stateless (modern).
final class RequestCount: @unchecked Sendable {
  private let lock = NSLock()
  private var open = 0
  private var started = false
  private var stateless = false
  private var cancelled: Set<String> = []
  private var modern: [String: String] = [:]
  func initialized() { lock.withLock { started = true } }
  var isInitialized: Bool { lock.withLock { started } }
  /// True the first time only: the SDK is to be given its handshake now.
  func beginStateless() -> Bool {
    lock.withLock {
      defer { stateless = true }
      return !stateless && !started
    }
  }
  func asked() { lock.withLock { open += 1 } }
  func answered() { lock.withLock { open -= 1 } }
  var settled: Bool { lock.withLock { open <= 0 } }
  func cancel(_ id: JSON) { lock.withLock { _ = cancelled.insert(id.compact()) } }
  func isCancelled(_ id: JSON) -> Bool { isCancelled(key: id.compact()) }
  /// By the key a tool call carries in `_meta` (its id, compact).
  func isCancelled(key: String) -> Bool { lock.withLock { cancelled.contains(key) } }
  func markModern(_ id: JSON, method: String) { lock.withLock { modern[id.compact()] = method } }
  func modernMethod(_ id: JSON) -> String? { lock.withLock { modern.removeValue(forKey: id.compact()) } }
}

/// Tool calls block (the writer lock, the network): they run on threads of their own, never on the
/// few threads Swift's concurrency pool has (two on a two-core machine), so that one slow call
/// never stalls pings and reads.
final class BlockingCalls: @unchecked Sendable {
  private let queue = DispatchQueue(label: "ghp.mcp.calls", attributes: .concurrent)

  func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
      queue.async { continuation.resume(returning: body()) }
    }
  }
}
