import Foundation
import GHPKit
import GHPTestSupport
import Testing

@Suite(.serialized) struct MCPTests {
  /// A real MCP client no one here wrote: the `mcp` package from PyPI (installed by .ci/run) drives
  /// `ghp mcp` over stdio — a whole session, a two-client claim race, and a subscription notified by
  /// a CLI command. The script checks each step and ends with "N passed, N failed".
  @Test func theOfficialPythonClientDrivesAWholeSession() throws {
    let probe = try ProcessRunner.run("/usr/bin/env", [TestPython.path, "-c", "import mcp"], in: "/")
    try #require(
      probe.status == 0, "the Python `mcp` package is missing: run the tests with scripts/test, which installs it")
    let repo = try ScratchRepository()
    let script = TemplateTests.root.appendingPathComponent("Tests/mcp/session.py").path
    let result = try ProcessRunner.run(
      "/usr/bin/env", [TestPython.path, script, GHPBinary.path, repo.path], in: repo.path)
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("60 passed, 0 failed"), "\(result.stdout)")
    // The session's work is in the state, for the CLI to see.
    let log = try repo.ghp(["log", "--json", "-n", "0"]).json()["events"]?.arrayValue ?? []
    #expect(log.filter { $0["op"] == .string("claim") }.count == 4)
  }

  /// Raw JSON-RPC, as no client library would send it: wrong argument types and names, calls
  /// before initialize, malformed lines, calls stuck on the writer lock, stdin closed mid-call.
  @Test func theProtocolHoldsForACarelessClient() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    let script = TemplateTests.root.appendingPathComponent("Tests/mcp/protocol.py").path
    let result = try ProcessRunner.run(
      "/usr/bin/env", [TestPython.path, script, GHPBinary.path, repo.path], in: repo.path)
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("34 passed, 0 failed"), "\(result.stdout)")
  }

  /// A second client, written apart from the official one's session: FastMCP 4, which probes with
  /// `server/discover` and speaks the 2026-07-28 revision, stateless.
  @Test func fastMCPSpeaksTheStatelessRevision() throws {
    let probe = try ProcessRunner.run("/usr/bin/env", [TestPython.path, "-c", "import fastmcp"], in: "/")
    try #require(
      probe.status == 0, "the Python `fastmcp` package is missing: run the tests with scripts/test, which installs it")
    let repo = try ScratchRepository()
    let script = TemplateTests.root.appendingPathComponent("Tests/mcp/fastmcp_session.py").path
    let result = try ProcessRunner.run(
      "/usr/bin/env", [TestPython.path, script, GHPBinary.path, repo.path], in: repo.path)
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("11 passed, 0 failed"), "\(result.stdout)")
  }

  @Test func aServerOutsideARepositoryFailsWithOneLine() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ghp-mcp-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let result = try ProcessRunner.run(GHPBinary.path, ["mcp"], in: folder.path)
    #expect(result.status == 1)
    #expect(result.stderr.contains("not a git repository"))
    #expect(result.stdout.isEmpty)
  }
}

@Suite(.serialized) struct WatchTests {
  @Test func watchSeesEveryEventOfConcurrentWritersInOrder() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    let watcher = try ProcessRunner.start(
      GHPBinary.path, ["watch", "--json", "--count", "100", "--interval", "0.5"], in: repo.path)
    usleep(700_000)
    let writers = try (0..<10).map { agent in
      try ProcessRunner.start(
        "/bin/sh",
        [
          "-c",
          "for i in $(seq 10); do '\(GHPBinary.path)' agent-heartbeat --action \"w\(agent) beat $i\" || exit 1; done",
        ],
        in: repo.path, environment: ["GHP_AGENT": "w\(agent)"])
    }
    #expect(writers.map { $0.wait() }.allSatisfy { $0.status == 0 })
    let seen = watcher.wait()
    #expect(seen.status == 0, "\(seen.stderr)")
    let events = try seen.stdout.split(separator: "\n").map { try JSON.parse(String($0)) }
    #expect(events.count == 100)
    let landed = try repo.git("log", "--reverse", "--format=%H", "-n", "100", "ghp/state").split(separator: "\n").map(
      String.init)
    #expect(events.compactMap { $0["commit"]?.stringValue } == landed)
    #expect(events.allSatisfy { $0["op"] == .string("heartbeat") && $0["age"]?.intValue != nil })
  }

  @Test func watchFiltersByAgentAndIssue() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 2)
    let watcher = try ProcessRunner.start(GHPBinary.path, ["watch", "--issue", "2", "--count", "2"], in: repo.path)
    usleep(500_000)
    try repo.ghp("claim", "1", agent: "w1")
    try repo.ghp("claim", "2", agent: "w2")
    try repo.ghp("agent-heartbeat", agent: "w1")
    try repo.ghp(["done", "2", "--result", "ok"], agent: "w2")
    let out = watcher.wait().stdout.split(separator: "\n")
    #expect(out.count == 2)
    #expect(out.first?.contains("w2: claim #2 Issue 2") == true)
    #expect(out.last?.contains("w2: done #2 Issue 2") == true)
  }
}
