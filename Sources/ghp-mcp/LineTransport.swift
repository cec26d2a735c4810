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
actor LineTransport: Transport {
  nonisolated let logger = Logger(label: "ghp.mcp.transport")
  private let stream: AsyncThrowingStream<Data, Swift.Error>
  private let continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation
  private let writer = Writer()
  /// Requests handed to the server and answers sent back, so that nothing asked is left unanswered
  /// when the input closes.
  private let ledger = RequestCount()

  init() {
    (stream, continuation) = AsyncThrowingStream.makeStream()
  }

  func connect() async throws {
    let continuation = self.continuation
    let writer = self.writer
    let ledger = self.ledger
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
          Self.deliver(line, continuation: continuation, writer: writer, ledger: ledger)
        }
      }
      if !pending.isEmpty { Self.deliver(pending, continuation: continuation, writer: writer, ledger: ledger) }
      continuation.finish()
    }
    thread.stackSize = 1 << 20
    thread.start()
  }

  /// Hands a line to the server, or answers it here when the server could only answer it wrongly.
  private static func deliver(
    _ line: [UInt8], continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation, writer: Writer,
    ledger: RequestCount
  ) {
    var text = line
    while let last = text.last, last == 0x0D || last == 0x20 { text.removeLast() }
    guard !text.isEmpty else { return }
    guard let message = try? JSON.parse(text) else {
      writer.write(errorLine(code: -32700, message: "Parse error: the line is not JSON"))
      return
    }
    // A batch or anything else the SDK reads goes through; only ids it cannot represent stop here.
    if let fields = message.objectValue, let method = fields["method"]?.stringValue, let id = fields["id"] {
      switch id {
      case .string, .int: break
      default:
        writer.write(errorLine(code: -32600, message: "Invalid Request: an id must be a string or an integer"))
        return
      }
      // Before `initialize`, only a ping is answered (the SDK's strict mode drops such a call
      // without any answer).
      if method == "initialize" {
        ledger.initialized()
      } else if method != "ping" && !ledger.isInitialized {
        writer.write(errorLine(id: id, code: -32002, message: "Server not initialized: send initialize first"))
        return
      }
      ledger.asked()
    }
    continuation.yield(Data(text))
  }

  static func errorLine(id: JSON = .null, code: Int, message: String) -> [UInt8] {
    Array(
      JSON.object([
        "jsonrpc": .string("2.0"), "id": id, "error": .object(["code": .int(code), "message": .string(message)]),
      ]).compact().utf8) + [0x0A]
  }

  func disconnect() async { continuation.finish() }

  func send(_ data: Data) async throws {
    var bytes = [UInt8](data)
    if bytes.last != 0x0A { bytes.append(0x0A) }
    writer.write(bytes)
    if let message = try? JSON.parse(bytes), message["id"] != nil, message["method"] == nil { ledger.answered() }
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

final class RequestCount: @unchecked Sendable {
  private let lock = NSLock()
  private var open = 0
  private var started = false
  func initialized() { lock.withLock { started = true } }
  var isInitialized: Bool { lock.withLock { started } }
  func asked() { lock.withLock { open += 1 } }
  func answered() { lock.withLock { open -= 1 } }
  var settled: Bool { lock.withLock { open <= 0 } }
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
