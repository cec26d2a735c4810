import Foundation
import GHPKit

/// Issue 14's figures: the page rendered with 100 agents and 20,000 issues (against 5 and 100),
/// server-sent events fanned out to 100 open pages on one state change (against one page), and
/// `ghp report --html` over a day of 10,000 operations (against `ghp log` reading the same day).
enum PageBench {
  static func run(quick: Bool, report: inout Report) throws {
    let ghp = Harness.binFolder.appendingPathComponent("ghp").path
    let runs = quick ? 7 : 21
    Report.section("14. the page: ghp serve and ghp report")

    // 1. Render, in process and over HTTP.
    var renders: [Int: Double] = [:]
    var gets: [Int: Double] = [:]
    var large = ""
    for (issues, agents) in [(100, 5), (20_000, 100)] {
      let repo = Harness.scratchRepository("page-\(issues)")
      LedgerBench.initialise(repo)
      let file = repo + "/tasks.json"
      try QueueBench.tasks(issues).write(to: URL(fileURLWithPath: file))
      Harness.run(ghp, ["issue", "import", file], in: repo, environment: ["GHP_AGENT": "lead"])
      for index in 0..<agents {
        let agent = "a\(index)"
        Harness.run(
          ghp, index % 2 == 0 ? ["claim", "--next"] : ["agent-heartbeat"], in: repo, environment: ["GHP_AGENT": agent])
      }
      let workspace = try Workspace(path: repo, agent: "lead", environment: [:])
      let period = Dashboard.Period(since: workspace.clock.now - 86_400, until: workspace.clock.now)
      var times: [Double] = []
      var bytes = 0
      for _ in 0..<runs {
        let start = Harness.now()
        let view = try Dashboard(workspace, period: period, timelineLimit: 500)
        let page = DashboardPage.page(
          view, options: .init(live: true, actor: "lead", writable: true, title: "bench"),
          nonce: DashboardPage.nonce())
        times.append(Harness.now() - start)
        bytes = page.utf8.count
      }
      renders[issues] = Harness.median(times)
      report.add(
        "render the page, \(agents) agents, \(issues) issues (\(bytes / 1024) KiB): median", ms(renders[issues]!))

      let server = try Serving(repo: repo)
      defer { server.stop() }
      var requestTimes: [Double] = []
      var firstBytes: [Double] = []
      for _ in 0..<runs {
        let start = Harness.now()
        let answer = try server.get("/")
        requestTimes.append(Harness.now() - start)
        firstBytes.append(answer.firstByte - start)
        guard answer.text.hasPrefix("HTTP/1.1 200") else {
          throw BenchError("GET / answered \(answer.text.prefix(80))")
        }
      }
      gets[issues] = Harness.median(requestTimes)
      report.add("GET / from ghp serve, \(issues) issues: first byte, median", ms(Harness.median(firstBytes)))
      report.add("   the whole answer, median", ms(gets[issues]!))
      if issues == 20_000 { large = repo }
    }
    report.add("render on 20000 issues: target < 50 ms", ms(renders[20_000]!))
    report.add("   ratio 20000 / 100 issues", format(renders[20_000]! / renders[100]!, 2))

    // 2. Fan-out: one CLI change, 100 open pages.
    let server = try Serving(repo: large)
    defer { server.stop() }
    var fanout: [Int: (all: Double, fromStart: Double)] = [:]
    for clients in [1, 100] {
      var last: [Double] = []
      var fromStart: [Double] = []
      for round in 0..<(quick ? 3 : 7) {
        let streams = try (0..<clients).map { _ in try server.stream("/events") }
        defer { for fd in streams { Serving.close(fd) } }
        for fd in streams { try Serving.read(fd, until: "event: hello") }
        let before = Harness.now()
        Harness.run(
          ghp, ["agent-heartbeat", "--action", "fan-out \(clients) \(round)"], in: large,
          environment: ["GHP_AGENT": "a1"])
        let moved = Harness.now()
        var arrived = 0
        var pending = Set(streams)
        while !pending.isEmpty {
          var fds = pending.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
          guard poll(&fds, nfds_t(fds.count), 10_000) > 0 else { throw BenchError("no event within 10 s") }
          for entry in fds where entry.revents != 0 {
            if (try? Serving.read(entry.fd, until: "event: state", timeout: 0)) != nil {
              pending.remove(entry.fd)
              arrived += 1
            }
          }
        }
        last.append(Harness.now() - moved)
        fromStart.append(Harness.now() - before)
      }
      fanout[clients] = (Harness.median(last), Harness.median(fromStart))
      report.add(
        "\(clients) open page\(clients == 1 ? "" : "s"): all told, after the CLI returned: median",
        ms(fanout[clients]!.all))
      report.add("   from the start of the CLI command (its own run included)", ms(fanout[clients]!.fromStart))
    }
    report.add("fan-out to 100 pages: target < 200 ms", ms(fanout[100]!.all))
    report.add("   ratio 100 pages / 1 page", format(fanout[100]!.all / max(fanout[1]!.all, 0.0001), 2))
    let watchers = try server.get("/api/server")
    report.add(
      "watchers of the ref while 100 pages were open", watchers.text.contains("\"watchers\": 1") ? "1" : "?")

    // 3. The report over a day of 10,000 operations.
    let day = Harness.scratchRepository("page-day")
    LedgerBench.initialise(day)
    let operations = quick ? 2_000 : 10_000
    let file = day + "/tasks.json"
    try QueueBench.tasks(200).write(to: URL(fileURLWithPath: file))
    Harness.run(ghp, ["issue", "import", file], in: day, environment: ["GHP_AGENT": "lead"])
    var workers: [Workspace] = []
    for index in 0..<20 { workers.append(try Workspace(path: day, agent: "w\(index)", environment: [:])) }
    for index in 0..<operations {
      let worker = workers[index % workers.count]
      if index % 50 == 0, let next = try? worker.run(ClaimNextOperation(avoiding: [])) {
        _ = next
      } else {
        try worker.run(StatusUpdateOperation(status: "implementing", action: "step \(index)", isHeartbeat: true))
      }
    }
    var reportTimes: [Double] = []
    var logTimes: [Double] = []
    var size = 0
    var memory = 0
    for _ in 0..<(quick ? 3 : 7) {
      let made = Harness.run(ghp, ["report", "--html", day + "/day.html", "--since", "24h"], in: day)
      reportTimes.append(made.seconds)
      memory = max(memory, made.maxRSS)
      size = (try? FileManager.default.attributesOfItem(atPath: day + "/day.html")[.size] as? Int) ?? 0
      logTimes.append(Harness.run(ghp, ["log", "-n", "0", "--json", "--since", "24h"], in: day).seconds)
    }
    let reportMedian = Harness.median(reportTimes)
    let logMedian = Harness.median(logTimes)
    report.add("ghp report --html, a day of \(operations) operations: median", ms(reportMedian))
    report.add("   the file, and peak memory", "\(size / 1024) KiB, \(memory / 1024) MiB")
    report.add("ghp log -n 0 --json over the same day (baseline): median", ms(logMedian))
    report.add("report for the day: target < 2 s", format(reportMedian, 2) + " s")
    report.add("   ratio report / log", format(reportMedian / logMedian, 2))
  }
}

struct BenchError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// A `ghp-serve` started for the benchmark, and raw HTTP to it.
final class Serving {
  let process: Process
  let port: Int

  init(repo: String) throws {
    process = Process()
    process.executableURL = Harness.binFolder.appendingPathComponent("ghp-serve")
    process.arguments = ["--port", "0", "--read-only"]
    process.currentDirectoryURL = URL(fileURLWithPath: repo)
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    var line = Data()
    while !line.contains(UInt8(ascii: "\n")) {
      let chunk = out.fileHandleForReading.availableData
      if chunk.isEmpty { throw BenchError("ghp-serve printed no address") }
      line.append(chunk)
    }
    let text = String(decoding: line, as: UTF8.self)
    guard let range = text.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression),
      let port = Int(text[range].split(separator: ":")[1])
    else { throw BenchError("ghp-serve printed \(text)") }
    self.port = port
  }

  func stop() {
    process.terminate()
    process.waitUntilExit()
  }

  func connect() throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var on: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { throw BenchError("cannot connect to ghp-serve") }
    return fd
  }

  func send(_ fd: Int32, _ path: String, close: Bool) {
    let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\(close ? "Connection: close\r\n" : "")\r\n"
    _ = request.withCString { Glibc.send(fd, $0, strlen($0), 0) }
  }

  /// The whole answer to a GET, and when its first byte came (the server had made the page by then).
  func get(_ path: String) throws -> (text: String, firstByte: Double) {
    let fd = try connect()
    defer { Glibc.close(fd) }
    send(fd, path, close: true)
    var data = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var firstByte = 0.0
    while true {
      let count = recv(fd, &buffer, buffer.count, 0)
      if count <= 0 { break }
      if data.isEmpty { firstByte = Harness.now() }
      data += buffer[0..<count]
    }
    return (String(decoding: data, as: UTF8.self), firstByte)
  }

  /// An open event stream.
  func stream(_ path: String) throws -> Int32 {
    let fd = try connect()
    send(fd, path, close: false)
    return fd
  }

  /// What each stream read past the last marker.
  nonisolated(unsafe) static var pending: [Int32: String] = [:]

  static func close(_ fd: Int32) {
    pending[fd] = nil
    Glibc.close(fd)
  }

  /// Reads `fd` until `marker` arrived (waiting up to `timeout` seconds for each read; 0: only what is there).
  static func read(_ fd: Int32, until marker: String, timeout: Double = 10) throws {
    var buffer = [UInt8](repeating: 0, count: 1 << 14)
    while !(pending[fd] ?? "").contains(marker) {
      var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      guard poll(&entry, 1, Int32(timeout * 1000)) > 0 else { throw BenchError("nothing more to read") }
      let count = recv(fd, &buffer, buffer.count, 0)
      guard count > 0 else { throw BenchError("the stream closed") }
      pending[fd, default: ""] += String(decoding: buffer[0..<count], as: UTF8.self)
    }
    if let range = pending[fd]!.range(of: marker) { pending[fd] = String(pending[fd]![range.upperBound...]) }
  }
}
