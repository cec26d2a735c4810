import Foundation

/// Throughput as the team grows across machines: a git server and 1, 4 and 8 hosts, each a
/// network namespace joined to the server's by a veth pair, each link delayed 50 ms each way (the
/// tests' relay: no netem in these kernels), so 100 ms between any host and the server. Four
/// agents per host write in remote mode at once, three times: plain heartbeats and status
/// heartbeats (each on the agent's own ref), and claims with their releases (state writes:
/// `ghp/state`, contended), each agent registered first (untimed); total writes/s that landed,
/// the 95th percentile of one timed write, and the server's moves of ghp/state. Needs root;
/// skipped otherwise.
enum HostsBench {
  static func run(quick: Bool, report: inout Report) throws {
    Report.section("12. across hosts: 4 agents on each of 1, 4 and 8 hosts, 100 ms from the server")
    let relay = Harness.fixture("Tests/Fixtures/delay-relay.py")
    guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip"),
      FileManager.default.fileExists(atPath: relay)
    else {
      report.add("hosts", "skipped: needs root, iproute2 and the repository's Tests/Fixtures/delay-relay.py")
      return
    }
    let ghp = Harness.binFolder.appendingPathComponent("ghp").path
    let writes = quick ? 3 : 6
    // GHP_BENCH_HOSTS_ONLY: measure only the rows whose name contains it (for profiling one).
    let only = ProcessInfo.processInfo.environment["GHP_BENCH_HOSTS_ONLY"]
    // Each agent times each of its writes that landed (nanoseconds, one line each); one that
    // failed is left out, and the count says so. Heartbeats, with and without the agent's own
    // word for its work, go to its own ref; a claim (then its release, untimed) is a state write,
    // on the one ref every host compare-and-swaps.
    let beat = { (flags: String) in
      """
      for i in $(seq \(writes)); do
        s=$(date +%s%N); '\(ghp)' agent-heartbeat \(flags)--action "$GHP_AGENT $i" >/dev/null 2>>"$TIMES.err" || continue
        echo $(( $(date +%s%N) - s )) >> "$TIMES"
      done
      """
    }
    let claims = """
      for i in $(seq \(writes)); do
        s=$(date +%s%N); id=$('\(ghp)' claim --next --json 2>>"$TIMES.err" | sed -n 's/^    "id": "*\\([0-9]*\\).*/\\1/p')
        [ -n "$id" ] || continue
        echo $(( $(date +%s%N) - s )) >> "$TIMES"
        '\(ghp)' release "$id" >/dev/null 2>>"$TIMES.err"
      done
      """
    // The last two rows are the same claims against a server with ghp's hooks, which checks
    // every push and lands the operations agents push to refs/ghp/ops/<agent> in its own order
    // (`Sequencer`), against one without hooks (compare-and-swap on ghp/state alone).
    for (kind, script, perRound, hooked) in [
      ("plain heartbeats", beat(""), 1, false),
      ("status heartbeats (--status working)", beat("--status working "), 1, false),
      ("claims (claim --next, then release: state writes), plain server", claims, 2, false),
      ("claims, server with ghp's hooks (lands operations)", claims, 2, true),
    ] where only.map({ kind.contains($0) }) ?? true {
      try measure(
        kind: kind, script: script, writesPerRound: perRound, writes: writes, quick: quick, ghp: ghp, relay: relay,
        serverHooks: hooked, report: &report)
    }
  }

  static func measure(
    kind: String, script: String, writesPerRound: Int, writes: Int, quick: Bool, ghp: String, relay: String,
    serverHooks: Bool, report: inout Report
  ) throws {
    var single = 0.0
    for hosts in quick ? [1, 4] : [1, 4, 8] {
      let lab = try Lab(hosts: hosts, delay: 50, relay: relay)
      defer { lab.tearDown() }
      if serverHooks {
        Harness.run(ghp, ["-C", lab.folder + "/srv/project.git", "hooks", "install", "--server"], in: lab.folder)
      }
      let seed = lab.folder + "/host-1"
      Harness.git(["clone", "-q", lab.folder + "/srv/seed.git", seed], in: lab.folder)
      lab.run(0, "/usr/bin/git", ["-C", seed, "remote", "set-url", "origin", "git://127.0.0.1:9418/project.git"])
      lab.run(0, "/usr/bin/git", ["-C", seed, "push", "-q", "origin", "main"])
      lab.run(0, ghp, ["-C", seed, "init", "--unknown-agents", "register"], agent: "lead")
      lab.run(0, ghp, ["-C", seed, "remote", "set", "origin"], agent: "lead")
      // Enough issues that every agent always finds one to claim.
      lab.run(
        0, "/bin/sh",
        ["-c", "for i in $(seq \(hosts * 4 + 8)); do '\(ghp)' -C '\(seed)' issue add \"Part $i\" >/dev/null; done"],
        agent: "lead")
      var clones = [seed]
      for host in 1..<hosts {
        let path = lab.folder + "/host-\(host + 1)"
        lab.run(host, "/usr/bin/git", ["clone", "-q", "git://127.0.0.1:9418/project.git", path])
        lab.run(host, ghp, ["-C", path, "sync"], agent: "lead")
        clones.append(path)
      }
      var commands: [(String, [String])] = []
      var environments: [[String: String]] = []
      var directories: [String] = []
      for host in 0..<hosts {
        for agent in 1...4 {
          commands.append(("/usr/sbin/ip", ["netns", "exec", lab.hosts[host], "/bin/sh", "-c", script]))
          environments.append(["GHP_AGENT": "h\(host + 1)-a\(agent)", "TIMES": lab.folder + "/times"])
          directories.append(clones[host])
        }
      }
      // Each agent registers first (its first write is on ghp/state, whatever it writes), untimed;
      // a registration that gave up is tried again, and counted.
      let register = commands.map { command in
        (
          command.0,
          Array(command.1.dropLast()) + [
            "for t in 1 2 3; do '\(ghp)' agent-heartbeat --status idle >/dev/null 2>>\"$TIMES.register\" && exit 0; done; exit 1"
          ]
        )
      }
      _ = Harness.together(register, in: lab.folder, environment: environments, directories: directories)
      let given = ((try? String(contentsOfFile: lab.folder + "/times.register", encoding: .utf8)) ?? "")
        .split(separator: "\n")
      if let first = given.first {
        report.add("   registrations that gave up and were tried again", "\(given.count), the first:")
        print("       " + first)
      }
      let before = lab.serverMoves()
      let busyBefore = Self.cpu()
      let wall = Harness.together(commands, in: lab.folder, environment: environments, directories: directories)
      let busyAfter = Self.cpu()
      let total = hosts * 4 * writes
      let times = ((try? String(contentsOfFile: lab.folder + "/times", encoding: .utf8)) ?? "")
        .split(separator: "\n").compactMap { Double($0) }.map { $0 / 1e9 }.sorted()
      // Writes that landed: each timed one, and for claims its release.
      let rate = Double(times.count * writesPerRound) / wall
      if hosts == 1 { single = rate }
      let p95 = times.isEmpty ? .nan : times[min(times.count - 1, Int(Double(times.count) * 0.95))]
      report.add(
        "\(kind), \(hosts) host\(hosts == 1 ? "" : "s") × 4 agents: writes/s landed (\(times.count) of \(total) timed ones)",
        format(rate, 2))
      report.add("   95th percentile of one write", format(p95, 2) + " s")
      let failed = ((try? String(contentsOfFile: lab.folder + "/times.err", encoding: .utf8)) ?? "")
        .split(separator: "\n")
      if let first = failed.first {
        report.add("   writes that failed", "\(failed.count), the first:")
        print("       " + first)
      }
      report.add("   moves of the server's ghp/state", String(lab.serverMoves() - before))
      if serverHooks {
        let merges = Harness.run(
          "/usr/bin/git", ["rev-list", "--merges", "--count", "ghp/state"], in: lab.folder + "/srv/project.git",
          check: false
        ).output.trimmingCharacters(in: .whitespacesAndNewlines)
        report.add("   of them operations the server landed (merges)", merges)
      }
      // How busy the machine's cores were meanwhile: near 100% says the cores bound it, not the
      // server's one ref.
      let ticks = Double(busyAfter.total - busyBefore.total)
      if ticks > 0 {
        report.add(
          "   cores busy (of \(ProcessInfo.processInfo.activeProcessorCount))",
          format(100 * Double(busyAfter.busy - busyBefore.busy) / ticks, 0) + "%")
      }
      if hosts > 1 { report.add("   writes/s ÷ 1 host (goal at 8 hosts ≥ 4)", format(rate / single, 2)) }
    }
  }

  /// The machine's CPU time so far, in ticks: busy and in all (`/proc/stat`'s first line; idle and
  /// iowait are not busy).
  static func cpu() -> (busy: Int, total: Int) {
    guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
      let line = stat.split(separator: "\n").first
    else { return (0, 0) }
    let ticks = line.split(separator: " ").dropFirst().compactMap { Int($0) }
    guard ticks.count >= 5 else { return (0, 0) }
    let total = ticks.prefix(8).reduce(0, +)
    return (total - ticks[3] - ticks[4], total)
  }

  /// The namespaces, veth pairs, server and relays of one measurement.
  final class Lab {
    let folder: String
    let hosts: [String]
    let server: String
    var pids: [Int32] = []

    init(hosts count: Int, delay: Int, relay: String) throws {
      let stamp = String(UInt32.random(in: 0x1000...0xffff), radix: 16)
      folder = NSTemporaryDirectory() + "ghp-bench-hosts-\(stamp)"
      try FileManager.default.createDirectory(atPath: folder + "/srv", withIntermediateDirectories: true)
      server = "gb\(stamp)s"
      hosts = (1...count).map { "gb\(stamp)h\($0)" }
      ip(["netns", "add", server])
      ip(["netns", "exec", server, "ip", "link", "set", "lo", "up"])
      for (index, host) in hosts.enumerated() {
        ip(["netns", "add", host])
        ip(["netns", "exec", host, "ip", "link", "set", "lo", "up"])
        let (a, b) = ("b\(stamp)a\(index)", "b\(stamp)b\(index)")
        ip(["link", "add", a, "netns", server, "type", "veth", "peer", "name", b, "netns", host])
        ip(["netns", "exec", server, "ip", "addr", "add", "10.78.\(index + 1).1/24", "dev", a])
        ip(["netns", "exec", server, "ip", "link", "set", a, "up"])
        ip(["netns", "exec", host, "ip", "addr", "add", "10.78.\(index + 1).2/24", "dev", b])
        ip(["netns", "exec", host, "ip", "link", "set", b, "up"])
      }
      Harness.git(["init", "-q", "--bare", folder + "/srv/project.git"], in: folder)
      Harness.git(["config", "receive.denyNonFastForwards", "true"], in: folder + "/srv/project.git")
      Harness.git(["config", "core.logAllRefUpdates", "always"], in: folder + "/srv/project.git")
      // A seed to clone from (main with one commit).
      let seed = Harness.scratchRepository("hosts-seed-\(stamp)")
      Harness.git(["clone", "-q", "--bare", seed, folder + "/srv/seed.git"], in: folder)
      pids.append(
        spawn([
          "/usr/sbin/ip", "netns", "exec", server, "git", "daemon", "--base-path=\(folder)/srv", "--export-all",
          "--enable=receive-pack", "--listen=0.0.0.0", "--port=9418", "--reuseaddr",
        ]))
      for (index, host) in hosts.enumerated() {
        pids.append(
          spawn([
            "/usr/sbin/ip", "netns", "exec", host, "/usr/bin/python3", relay, "127.0.0.1", "9418",
            "10.78.\(index + 1).1", "9418", "\(delay)",
          ]))
      }
      // Every host reaches the server through its relay.
      for index in hosts.indices {
        var up = false
        for _ in 0..<100 where !up {
          up =
            Harness.run(
              "/usr/sbin/ip", ["netns", "exec", hosts[index], "git", "ls-remote", "git://127.0.0.1:9418/project.git"],
              in: folder, check: false
            ).status == 0
          if !up { usleep(100_000) }
        }
        guard up else { throw CocoaError(.fileReadUnknown) }
      }
    }

    func ip(_ arguments: [String]) {
      Harness.run("/usr/sbin/ip", arguments, in: "/")
    }

    func spawn(_ argv: [String]) -> Int32 {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: argv[0])
      process.arguments = Array(argv.dropFirst())
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try? process.run()
      return process.processIdentifier
    }

    /// Runs a program on host `index`, as `agent` when given.
    @discardableResult
    func run(_ index: Int, _ program: String, _ arguments: [String], agent: String? = nil) -> Harness.Run {
      Harness.run(
        "/usr/sbin/ip", ["netns", "exec", hosts[index], program] + arguments, in: folder,
        environment: agent.map { ["GHP_AGENT": $0] } ?? [:])
    }

    /// How many times the server's ghp/state moved (its reflog).
    func serverMoves() -> Int {
      Harness.run(
        "/usr/bin/git", ["reflog", "show", "--format=%H", "ghp/state"], in: folder + "/srv/project.git", check: false
      ).output.split(separator: "\n").count
    }

    func tearDown() {
      for pid in pids { kill(pid, SIGKILL) }
      for namespace in [server] + hosts {
        // What the pids started left behind (`git daemon` runs `git-daemon` as a child).
        let left = Harness.run("/usr/sbin/ip", ["netns", "pids", namespace], in: "/", check: false).output
        for pid in left.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        Harness.run("/usr/sbin/ip", ["netns", "del", namespace], in: "/", check: false)
      }
      try? FileManager.default.removeItem(atPath: folder)
    }
  }
}
