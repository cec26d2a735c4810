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

    /// Sends a request and reads lines until its response arrives. With `parsing` false the answer
    /// is not parsed (a client's own cost, which the CLI's figure does not include either): only
    /// whether it is this request's and an error is looked for in its bytes.
    func request(_ method: String, _ params: String, parsing: Bool = true) throws -> JSON {
      let id = nextID
      nextID += 1
      send(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#)
      // Only what arrived since the last look is searched for the end of a line (an answer of
      // megabytes comes in many pieces).
      // Searched with memchr and memmem, as a client in C would: Data's own searches cost tens of
      // milliseconds on an answer of megabytes, which is the client's cost, not the server's.
      var searched = 0
      while true {
        let found = buffer.withUnsafeBytes { bytes -> Int? in
          guard let base = bytes.baseAddress, searched < bytes.count,
            let hit = memchr(base + searched, 0x0A, bytes.count - searched)
          else { return nil }
          return base.distance(to: UnsafeRawPointer(hit))
        }
        if let offset = found {
          let newline = buffer.startIndex + offset
          let line = buffer[buffer.startIndex..<newline]
          if !parsing {
            // ghp writes its answers with sorted keys: the id comes first.
            let head = String(decoding: line.prefix(40), as: UTF8.self)
            let mine = head.hasPrefix("{\"id\":\(id),") || head.hasPrefix("{\"id\":\(id)}")
            let needle = Array("\"isError\":true".utf8)
            let failed = line.withUnsafeBytes { Self.contains($0, needle) }
            buffer = Data(buffer[(newline + 1)...])
            searched = 0
            if mine { return .object(["id": .int(id), "result": .object(["isError": .bool(failed)])]) }
            continue
          }
          let message = try JSON.parse(Array(line))
          buffer = Data(buffer[(newline + 1)...])
          searched = 0
          if message["id"]?.intValue == id { return message }
          continue
        }
        searched = buffer.count
        let chunk = output.fileHandleForReading.availableData
        if chunk.isEmpty { throw GHPError.io("ghp mcp closed its output") }
        buffer.append(chunk)
      }
    }

    /// Whether `bytes` hold `needle` (memchr for its first byte, then memcmp).
    static func contains(_ bytes: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
      guard let base = bytes.baseAddress, let first = needle.first else { return false }
      var at = 0
      while at + needle.count <= bytes.count, let hit = memchr(base + at, Int32(first), bytes.count - at) {
        let offset = base.distance(to: UnsafeRawPointer(hit))
        guard offset + needle.count <= bytes.count else { return false }
        if memcmp(base + offset, needle, needle.count) == 0 { return true }
        at = offset + 1
      }
      return false
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
    try statusOfMany(quick: quick, ghp: ghp, report: &report)
    try againstAgentMail(quick: quick, ghp: ghp, report: &report)
  }

  /// Issue 27's row: one claim through ghp's MCP server (`claim_task`) against one through
  /// mcp_agent_mail's (`file_reservation_paths`: an exclusive lease on a path, its claim), each
  /// over stdio through the same client (`Tests/Fixtures/mcp-claim-driver.py`), medians. mcp_agent_mail is a Python
  /// package with many dependencies, so it is measured only when `GHP_BENCH_AGENT_MAIL_PYTHON`
  /// names a Python that has it (`python3 -m venv /tmp/mail && /tmp/mail/bin/pip install
  /// mcp_agent_mail`).
  static func againstAgentMail(quick: Bool, ghp: String, report: inout Report) throws {
    guard let python = ProcessInfo.processInfo.environment["GHP_BENCH_AGENT_MAIL_PYTHON"] else {
      report.add("claim against mcp_agent_mail's", "skipped: set GHP_BENCH_AGENT_MAIL_PYTHON")
      return
    }
    let rounds = quick ? 10 : 30
    let repo = Harness.scratchRepository("mcp-claims")
    LedgerBench.initialise(repo)
    for index in 0...rounds {
      Harness.run(ghp, ["issue", "add", "Part \(index)"], in: repo, environment: ["GHP_AGENT": "lead"])
    }
    let driver = Harness.fixture("Tests/Fixtures/mcp-claim-driver.py")
    guard FileManager.default.fileExists(atPath: driver) else {
      report.add("claim against mcp_agent_mail's", "skipped: needs the repository's Tests/Fixtures/mcp-claim-driver.py")
      return
    }
    let run = Harness.run(python, [driver, ghp, repo, "\(rounds)", python], in: repo, check: false)
    guard run.status == 0, let answer = try? JSON.parse(Array(run.output.utf8)),
      let ours = answer["ghp"]?.intValue.map({ Double($0) / 1e6 }),
      let theirs = answer["mail"]?.intValue.map({ Double($0) / 1e6 })
    else {
      report.add("claim against mcp_agent_mail's", "failed: \(run.output.suffix(300))")
      return
    }
    report.add("claim_task through ghp mcp: ms", format(ours * 1000, 2))
    report.add("file_reservation_paths through mcp_agent_mail: ms", format(theirs * 1000, 2))
    report.add("   ratio ghp / mcp_agent_mail (goal <= 0.1)", format(ours / theirs, 3))
  }

  /// Issue 27's row: `get_status` through one MCP server on a state of 10,000 agents, against
  /// `ghp agent-status --json` as a whole process on the same state.
  static func statusOfMany(quick: Bool, ghp: String, report: inout Report) throws {
    let repo = try AgentsBench.state(agents: 10_000)
    let client = try Client(ghp: ghp, repo: repo, agent: "w5")
    defer { client.close() }
    let rounds = quick ? 7 : 21
    var mcp: [Double] = []
    var changed: [Double] = []
    var cli: [Double] = []
    func status() throws -> Double {
      let start = Harness.now()
      let answer = try client.request("tools/call", #"{"name":"get_status","arguments":{}}"#, parsing: false)
      precondition(answer["result"]?["isError"] != .bool(true), "get_status failed")
      return Harness.now() - start
    }
    for round in 0...rounds {
      // An agent polling with nothing changed since its last look, then one asking right after a
      // heartbeat moved the state (the answer is made anew).
      let call = try status()
      let beat = try client.request("tools/call", #"{"name":"heartbeat","arguments":{"action":"bench"}}"#)
      precondition(beat["result"]?["isError"] != .bool(true), "heartbeat failed")
      let afresh = try status()
      let whole = Harness.run(ghp, ["agent-status", "--json"], in: repo, environment: ["GHP_AGENT": "w5"]).seconds
      // The first of each warms the caches.
      guard round > 0 else { continue }
      mcp.append(call)
      changed.append(afresh)
      cli.append(whole)
    }
    let (m, a, c) = (Harness.median(mcp), Harness.median(changed), Harness.median(cli))
    report.add(
      "get_status, 10,000 agents, MCP, state unchanged: ms", format(m * 1000, 1))
    report.add("get_status, 10,000 agents, MCP, after a heartbeat: ms", format(a * 1000, 1))
    report.add("agent-status --json, 10,000 agents, whole process: ms", format(c * 1000, 1))
    report.add("   ratio MCP / CLI, nothing changed (goal <= 0.5)", format(m / c, 2))
    report.add("   ratio MCP / CLI, after a heartbeat (goal <= 0.5)", format(a / c, 2))
  }
}
