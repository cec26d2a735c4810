import Foundation
import Glibc

/// Several machines on one: a network namespace for a git server and one per host, each host
/// joined to the server by its own veth pair (addresses only inside those namespaces), and a
/// delay on each host's link — a relay in the host's namespace that delays every chunk each way,
/// since the kernel here has no netem. The server runs `git daemon`; each host reaches it as
/// `git://127.0.0.1:9418/<repository>` through its relay. Needs root. Torn down when released.
public final class NetworkLab {
  public let folder: String
  public let hosts: [String]
  private let server: String
  private var processes: [ProcessRunner.Running] = []

  /// Whether namespaces can be made here (root, iproute2).
  public static var available: Bool {
    getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
  }

  /// `hosts` hosts, each `delay` milliseconds from the server one way; the relay is run with
  /// `python`.
  public init(hosts count: Int, delay: Int, python: String, relay: String) throws {
    let stamp = String(UInt32.random(in: 0x1000...0xffff), radix: 16)
    folder = NSTemporaryDirectory() + "ghp-lab-\(stamp)"
    try FileManager.default.createDirectory(atPath: folder + "/srv", withIntermediateDirectories: true)
    server = "ghp\(stamp)s"
    hosts = (1...count).map { "ghp\(stamp)h\($0)" }
    try Self.ip(["netns", "add", server])
    try Self.ip(["netns", "exec", server, "ip", "link", "set", "lo", "up"])
    for (index, host) in hosts.enumerated() {
      let net = "10.77.\(index + 1)"
      try Self.ip(["netns", "add", host])
      try Self.ip(["netns", "exec", host, "ip", "link", "set", "lo", "up"])
      try Self.ip([
        "link", "add", "g\(stamp)a\(index)", "netns", server, "type", "veth", "peer", "name", "g\(stamp)b\(index)",
        "netns", host,
      ])
      try Self.ip(["netns", "exec", server, "ip", "addr", "add", "\(net).1/24", "dev", "g\(stamp)a\(index)"])
      try Self.ip(["netns", "exec", server, "ip", "link", "set", "g\(stamp)a\(index)", "up"])
      try Self.ip(["netns", "exec", host, "ip", "addr", "add", "\(net).2/24", "dev", "g\(stamp)b\(index)"])
      try Self.ip(["netns", "exec", host, "ip", "link", "set", "g\(stamp)b\(index)", "up"])
    }
    processes.append(
      try ProcessRunner.start(
        "/usr/sbin/ip",
        [
          "netns", "exec", server, "git", "daemon", "--base-path=\(folder)/srv", "--export-all",
          "--enable=receive-pack", "--listen=0.0.0.0", "--port=9418", "--reuseaddr",
        ], in: folder))
    for (index, host) in hosts.enumerated() {
      let relay = try ProcessRunner.start(
        "/usr/sbin/ip",
        ["netns", "exec", host, python, relay, "127.0.0.1", "9418", "10.77.\(index + 1).1", "9418", "\(delay)"],
        in: folder)
      processes.append(relay)
      guard relay.firstLine() == "ready" else { throw ScratchError("the relay of \(host) did not start") }
    }
    // The daemon answers from every host.
    try makeRepository("probe.git")
    for host in hosts {
      var answered = false
      for _ in 0..<50 where !answered {
        answered = try run(host, "/usr/bin/git", ["ls-remote", url("probe.git")], in: folder).status == 0
        if !answered { usleep(100_000) }
      }
      guard answered else { throw ScratchError("git daemon does not answer from \(host)") }
    }
  }

  /// The address every host reaches a repository of the server at (through its own relay).
  public func url(_ repository: String) -> String { "git://127.0.0.1:9418/\(repository)" }

  /// A bare repository on the server that refuses non-fast-forward pushes; returns its path.
  @discardableResult
  public func makeRepository(_ name: String) throws -> String {
    let path = folder + "/srv/" + name
    _ = try ProcessRunner.run("/usr/bin/git", ["init", "-q", "--bare", path], in: folder)
    _ = try ProcessRunner.run("/usr/bin/git", ["config", "receive.denyNonFastForwards", "true"], in: path)
    return path
  }

  /// Runs a program on `host` (in its namespace).
  public func run(
    _ host: String, _ program: String, _ arguments: [String], in directory: String, environment: [String: String] = [:]
  ) throws -> ProcessRunner.Result {
    try ProcessRunner.run("/usr/sbin/ip", Self.on(host, program, arguments), in: directory, environment: environment)
  }

  /// Starts a program on `host`, to wait for later.
  public func start(
    _ host: String, _ program: String, _ arguments: [String], in directory: String, environment: [String: String] = [:]
  ) throws -> ProcessRunner.Running {
    try ProcessRunner.start("/usr/sbin/ip", Self.on(host, program, arguments), in: directory, environment: environment)
  }

  /// `ip`'s arguments that run a program on `host`: in its network namespace, and in a UTS
  /// namespace of its own that names the machine `host`, as a host of its own would be named
  /// (every step execs: the pid is the program's).
  static func on(_ host: String, _ program: String, _ arguments: [String]) -> [String] {
    [
      "netns", "exec", host, "/usr/bin/unshare", "--uts", "/bin/sh", "-c", "hostname \"$0\" && exec \"$@\"", host,
      program,
    ]
      + arguments
  }

  /// Every process on `host` (in its network namespace; the server's too) killed at once, as a
  /// machine dies.
  public func crash(_ host: String) throws {
    let pids = try Self.ip(["netns", "pids", host]).stdout.split(separator: "\n").compactMap { Int32($0) }
    for pid in pids { kill(pid, SIGKILL) }
  }

  /// Cuts `host` off from the server (its link down), or joins it again.
  public func partition(_ host: String, cut: Bool) throws {
    let index = hosts.firstIndex(of: host)!
    let device = "g\(server.dropFirst(3).dropLast())b\(index)"
    try Self.ip(["netns", "exec", host, "ip", "link", "set", device, cut ? "down" : "up"])
  }

  @discardableResult
  static func ip(_ arguments: [String]) throws -> ProcessRunner.Result {
    let result = try ProcessRunner.run("/usr/sbin/ip", arguments, in: "/")
    guard result.status == 0 else { throw ScratchError("ip \(arguments.joined(separator: " ")): \(result.stderr)") }
    return result
  }

  deinit {
    for process in processes {
      kill(process.pid, SIGKILL)
      _ = process.wait()
    }
    // Whatever still runs in a namespace dies with it: a test that failed midway, and the server's
    // `git-daemon`, which `git daemon` runs as a child (killing the pid started leaves it).
    for namespace in [server] + hosts { try? crash(namespace) }
    for namespace in [server] + hosts { _ = try? Self.ip(["netns", "del", namespace]) }
    try? FileManager.default.removeItem(atPath: folder)
  }
}
