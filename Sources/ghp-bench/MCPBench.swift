import Foundation
import GHPKit

/// Issue 7's figure: tool calls per second through one `ghp mcp` stdio server, for `get_status`
/// and for `heartbeat`, with a minimal JSON-RPC client written here.
enum MCPBench {
  final class Client {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    var buffer = Data()
    var nextID = 1

    init(ghp: String, repo: String, agent: String) throws {
      process.executableURL = URL(fileURLWithPath: ghp)
      process.arguments = ["mcp", "--agent", agent]
      process.currentDirectoryURL = URL(fileURLWithPath: repo)
      process.standardInput = input
      process.standardOutput = output
      process.standardError = FileHandle.nullDevice
      try process.run()
      _ = try request(
        "initialize",
        #"{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"ghp-bench","version":"1"}}"#)
      send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
    }

    func send(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }

    /// Sends a request and reads lines until its response arrives.
    func request(_ method: String, _ params: String) throws -> JSON {
      let id = nextID
      nextID += 1
      send(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#)
      while true {
        if let newline = buffer.firstIndex(of: 0x0A) {
          let line = buffer[buffer.startIndex..<newline]
          buffer = Data(buffer[(newline + 1)...])
          let message = try JSON.parse(Array(line))
          if message["id"]?.intValue == id { return message }
          continue
        }
        let chunk = output.fileHandleForReading.availableData
        if chunk.isEmpty { throw GHPError.io("ghp mcp closed its output") }
        buffer.append(chunk)
      }
    }

    func close() {
      try? input.fileHandleForWriting.close()
      process.waitUntilExit()
    }
  }

  static func run(quick: Bool, report: inout Report) throws {
    Report.section("12. ghp mcp: tool calls per second through one stdio server")
    let ghp = Harness.binFolder.appendingPathComponent("ghp").path
    let repo = Harness.scratchRepository("mcp")
    LedgerBench.initialise(repo)
    let client = try Client(ghp: ghp, repo: repo, agent: "mcp-agent")
    defer { client.close() }
    let calls = quick ? 100 : 400
    for (tool, arguments) in [("get_status", "{}"), ("heartbeat", #"{"action":"benchmark"}"#)] {
      let start = Harness.now()
      for _ in 0..<calls {
        let answer = try client.request("tools/call", #"{"name":"\#(tool)","arguments":\#(arguments)}"#)
        precondition(answer["result"]?["isError"] != .bool(true), "\(tool) failed: \(answer.compact())")
      }
      let rate = Double(calls) / (Harness.now() - start)
      report.add("\(tool): calls/s (\(calls) calls)", format(rate))
    }
    let cli = Harness.median(
      (0..<(quick ? 10 : 30)).map { _ in
        Harness.run(ghp, ["agent-heartbeat", "--action", "cli"], in: repo, environment: ["GHP_AGENT": "cli-agent"])
          .seconds
      })
    report.add("for scale: whole-process ghp agent-heartbeat, calls/s", format(1 / cli))
  }
}
