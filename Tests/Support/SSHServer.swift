import Foundation
import Glibc

/// A real OpenSSH server on loopback, as a shared git server runs it: each agent has its own key,
/// and `authorized_keys` names the pusher (`GHP_PUSHER`) for each key before it runs `git-shell`.
/// Stopped when released.
public final class SSHServer {
  public let base: URL
  public let port: Int
  public let user: String
  private let process: ProcessRunner.Running

  /// Starts sshd on a free port of 127.0.0.1 with one key per name in `pushers`.
  public init(base: URL, pushers: [String]) throws {
    self.base = base
    try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    user = try ProcessRunner.run("/usr/bin/id", ["-un"], in: base.path).stdout.trimmingCharacters(
      in: .whitespacesAndNewlines)
    func keygen(_ name: String) throws {
      let path = base.appendingPathComponent(name).path
      if !FileManager.default.fileExists(atPath: path) {
        let made = try ProcessRunner.run(
          "/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path], in: base.path)
        guard made.status == 0 else { throw ScratchError("ssh-keygen failed: \(made.stderr)") }
      }
    }
    try keygen("host-key")
    var authorized = ""
    for pusher in pushers {
      try keygen("key-\(pusher)")
      let key = try String(contentsOf: base.appendingPathComponent("key-\(pusher).pub"), encoding: .utf8)
      authorized +=
        #"command="GHP_PUSHER=\#(pusher) exec git-shell -c \"$SSH_ORIGINAL_COMMAND\"",no-port-forwarding,no-pty "#
        + key.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
    }
    try authorized.write(to: base.appendingPathComponent("authorized_keys"), atomically: true, encoding: .utf8)
    chmod(base.appendingPathComponent("authorized_keys").path, 0o600)
    let probeKey = base.appendingPathComponent("key-\(pushers[0])").path
    let user = self.user
    (port, process) = try Self.start(
      folder: base.path, hostKey: base.appendingPathComponent("host-key").path,
      authorizedKeys: base.appendingPathComponent("authorized_keys").path
    ) { port in
      // It answers a real git request.
      let probe = try ProcessRunner.run(
        "/usr/bin/git", ["ls-remote", "ssh://\(user)@127.0.0.1:\(port)\(base.path)/probe.git"], in: base.path,
        environment: ["GIT_SSH_COMMAND": Self.sshCommand(key: probeKey, port: port)])
      return (probe.stderr.contains("does not appear to be a git repository") || probe.status == 0, probe.stderr)
    }
  }

  /// Starts sshd on a free port of 127.0.0.1 with its files in `folder` (public keys only, no
  /// password, no PAM) and waits until `answers` says it answers (returning what went wrong when
  /// not). Returns the port and the process.
  static func start(
    folder: String, hostKey: String, authorizedKeys: String, answers: (Int) throws -> (Bool, String)
  ) throws -> (Int, ProcessRunner.Running) {
    _ = try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
    var lastError = ""
    for _ in 0..<10 {
      let port = Int.random(in: 20000..<60000)
      let config = """
        Port \(port)
        ListenAddress 127.0.0.1
        HostKey \(hostKey)
        AuthorizedKeysFile \(authorizedKeys)
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PubkeyAuthentication yes
        PermitRootLogin prohibit-password
        StrictModes no
        UsePAM no
        PidFile \(folder)/sshd.pid

        """
      let configPath = folder + "/sshd_config"
      try config.write(toFile: configPath, atomically: true, encoding: .utf8)
      let started = try ProcessRunner.start("/usr/sbin/sshd", ["-D", "-e", "-f", configPath], in: folder)
      for _ in 0..<50 {
        usleep(100_000)
        if kill(started.pid, 0) != 0 { break }
        let (up, said) = try answers(port)
        if up { return (port, started) }
        lastError = said
      }
      kill(started.pid, SIGKILL)
      lastError += started.wait().stderr
    }
    throw ScratchError("sshd did not start: \(lastError)")
  }

  deinit {
    kill(process.pid, SIGTERM)
    _ = process.wait()
  }

  static func sshCommand(key: String, port: Int) -> String {
    "ssh -i \(key) -p \(port) -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
  }

  /// The environment that makes git push as `pusher` (its own key).
  public func environment(as pusher: String) -> [String: String] {
    ["GIT_SSH_COMMAND": Self.sshCommand(key: base.appendingPathComponent("key-\(pusher)").path, port: port)]
  }

  /// The ssh URL of a repository on this machine.
  public func url(_ path: String) -> String { "ssh://\(user)@127.0.0.1:\(port)\(path)" }
}
