import Foundation
import GHPKit

/// One MCP tool call as a client makes it: a fresh `ghp mcp --agent AGENT` server on stdio, raw
/// JSON-RPC lines (initialize, initialized, tools/call), the input closed after the call (the server
/// answers every call under way before it exits).
public enum MCPClient {
  public struct Answer {
    /// The tool's result was an error (`isError`).
    public var isError: Bool
    /// The text the tool answered.
    public var text: String

    /// The text as JSON (a tool's answer is the CLI's `--json` output).
    public func json() throws -> JSON { try JSON.parse(text) }
  }

  public static func call(
    _ tool: String, _ arguments: JSON = .object([:]), agent: String, in directory: String,
    environment: [String: String] = [:]
  ) throws -> Answer {
    let initialize = JSON.object([
      "jsonrpc": .string("2.0"), "id": .int(1), "method": .string("initialize"),
      "params": .object([
        "protocolVersion": .string("2025-03-26"), "capabilities": .object([:]),
        "clientInfo": .object(["name": .string("ghp-tests"), "version": .string("1")]),
      ]),
    ])
    let initialized = JSON.object(["jsonrpc": .string("2.0"), "method": .string("notifications/initialized")])
    let call = JSON.object([
      "jsonrpc": .string("2.0"), "id": .int(2), "method": .string("tools/call"),
      "params": .object(["name": .string(tool), "arguments": arguments]),
    ])
    let input = [initialize, initialized, call].map { $0.compact() }.joined(separator: "\n") + "\n"
    let result = try ProcessRunner.run(
      GHPBinary.path, ["mcp", "--agent", agent], in: directory, environment: environment, input: input)
    for line in result.stdout.split(separator: "\n") {
      guard let message = try? JSON.parse(String(line)), message["id"] == .int(2) else { continue }
      guard let answer = message["result"] else {
        throw ScratchError("\(tool) was answered with a JSON-RPC error: \(line)")
      }
      let text = (answer["content"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined()
      return Answer(isError: answer["isError"] == .bool(true), text: text)
    }
    throw ScratchError("ghp mcp gave no answer to \(tool) (exit \(result.status)): \(result.stdout)\(result.stderr)")
  }

  /// One long-lived `ghp mcp --agent AGENT` server, asked again and again, as an agent's client
  /// keeps it.
  public final class Session {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    var buffer: [UInt8] = []
    var nextID = 1

    public init(agent: String, in directory: String) throws {
      process.executableURL = URL(fileURLWithPath: GHPBinary.path)
      process.arguments = ["mcp", "--agent", agent]
      process.currentDirectoryURL = URL(fileURLWithPath: directory)
      process.standardInput = input
      process.standardOutput = output
      process.standardError = FileHandle.nullDevice
      try process.run()
      _ = try request(
        "initialize",
        .object([
          "protocolVersion": .string("2025-03-26"), "capabilities": .object([:]),
          "clientInfo": .object(["name": .string("ghp-tests"), "version": .string("1")]),
        ]))
      send(.object(["jsonrpc": .string("2.0"), "method": .string("notifications/initialized")]))
    }

    deinit {
      try? input.fileHandleForWriting.close()
      process.waitUntilExit()
    }

    func send(_ message: JSON) { input.fileHandleForWriting.write(Data((message.compact() + "\n").utf8)) }

    func request(_ method: String, _ params: JSON) throws -> JSON {
      let id = nextID
      nextID += 1
      send(.object(["jsonrpc": .string("2.0"), "id": .int(id), "method": .string(method), "params": params]))
      while true {
        if let newline = buffer.firstIndex(of: 0x0A) {
          let line = Array(buffer[..<newline])
          buffer.removeSubrange(...newline)
          if let message = try? JSON.parse(line), message["id"] == .int(id) { return message }
          continue
        }
        let chunk = output.fileHandleForReading.availableData
        if chunk.isEmpty { throw ScratchError("ghp mcp closed its output") }
        buffer += chunk
      }
    }

    /// Calls `tool`: its text, and its structured content.
    public func call(_ tool: String, _ arguments: JSON = .object([:])) throws -> (answer: Answer, structured: JSON?) {
      let message = try request("tools/call", .object(["name": .string(tool), "arguments": arguments]))
      guard let result = message["result"] else { throw ScratchError("\(tool): \(message.compact())") }
      let text = (result["content"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined()
      return (Answer(isError: result["isError"] == .bool(true), text: text), result["structuredContent"])
    }
  }
}
