import Foundation
import Glibc

/// A real gitolite3 server as people set one up: a user of its own (`ghpgl`) whose home holds
/// gitolite, OpenSSH on loopback letting each key in as that user through `gitolite-shell`, one
/// key per person (an admin, and the names given), and a repository `project` every one of them
/// may write. gitolite names the pusher in `GL_USER`, which the server hook reads. Needs root (it
/// makes the user). Stopped when released.
public final class GitoliteServer {
  public static let user = "ghpgl"
  /// The gitolite user's home: `repositories/`, `.gitolite/`, `.ssh/authorized_keys`.
  public let home: String
  /// The folder holding the keys (`key-<name>`), sshd's host key and configuration.
  public let keys: String
  public let port: Int
  private let process: ProcessRunner.Running

  /// Whether this machine has gitolite3 and can make its user.
  public static var installed: Bool {
    FileManager.default.isExecutableFile(atPath: "/usr/bin/gitolite") && getuid() == 0
  }

  public init(people: [String]) throws {
    let stamp = UUID().uuidString.prefix(8)
    let home = "/tmp/ghp-gitolite-\(stamp)"
    let keys = "/tmp/ghp-gitolite-keys-\(stamp)"
    self.home = home
    self.keys = keys
    try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
    func run(_ program: String, _ arguments: [String]) throws -> ProcessRunner.Result {
      let result = try ProcessRunner.run(program, arguments, in: keys)
      guard result.status == 0 else {
        throw ScratchError("\(program) \(arguments.joined(separator: " ")): \(result.stdout)\(result.stderr)")
      }
      return result
    }
    if try ProcessRunner.run("/usr/bin/id", [Self.user], in: keys).status != 0 {
      _ = try run("/usr/sbin/useradd", ["-M", "-s", "/bin/sh", Self.user])
    }
    // Not locked (sshd refuses a locked account), and at home in this server's folder.
    _ = try run("/usr/sbin/usermod", ["-p", "*", "-d", home, Self.user])
    try FileManager.default.createDirectory(atPath: home + "/keys", withIntermediateDirectories: true)
    for name in ["admin"] + people {
      _ = try run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", "\(keys)/key-\(name)"])
      try FileManager.default.copyItem(atPath: "\(keys)/key-\(name).pub", toPath: "\(home)/keys/\(name).pub")
    }
    _ = try run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", "\(keys)/host-key"])
    _ = try run("/bin/chown", ["-R", "\(Self.user):\(Self.user)", home])
    let names = (["admin"] + people).joined(separator: " ")
    let setup = """
      set -e
      cd ~
      gitolite setup -pk ~/keys/admin.pub >/dev/null 2>&1
      cp ~/keys/*.pub ~/.gitolite/keydir/
      printf 'repo gitolite-admin\\n    RW+ = admin\\n\\nrepo project\\n    RW+ = \(names)\\n' > ~/.gitolite/conf/gitolite.conf
      gitolite compile
      gitolite trigger POST_COMPILE >/dev/null
      """
    _ = try run("/bin/su", ["-s", "/bin/sh", Self.user, "-c", "HOME=\(home); export HOME; \(setup)"])

    (port, process) = try SSHServer.start(
      folder: keys, hostKey: "\(keys)/host-key", authorizedKeys: ".ssh/authorized_keys"
    ) { port in
      // gitolite lets the admin in and lists the project.
      let probe = try ProcessRunner.run(
        "/usr/bin/ssh", Self.sshOptions(key: "\(keys)/key-admin", port: port) + ["\(Self.user)@127.0.0.1", "info"],
        in: keys)
      return (probe.stdout.contains("project"), probe.stderr)
    }
  }

  static func sshOptions(key: String, port: Int) -> [String] {
    [
      "-i", key, "-p", "\(port)", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
      "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
    ]
  }

  /// The path of the repository gitolite keeps for `project`.
  public var repository: String { home + "/repositories/project.git" }

  /// The ssh URL of `project`.
  public var url: String { "ssh://\(Self.user)@127.0.0.1:\(port)/project" }

  /// The environment that makes plain git push as `name` (its own key).
  public func environment(as name: String) -> [String: String] {
    ["GIT_SSH_COMMAND": "ssh " + Self.sshOptions(key: "\(keys)/key-\(name)", port: port).joined(separator: " ")]
  }

  /// Runs `command` as the gitolite user, in its home (installing the hook, reading a ref).
  public func asServer(_ command: String) throws -> ProcessRunner.Result {
    try ProcessRunner.run(
      "/bin/su", ["-s", "/bin/sh", Self.user, "-c", "HOME=\(home); export HOME; \(command)"], in: "/")
  }

  deinit {
    kill(process.pid, SIGKILL)
    _ = process.wait()
    try? FileManager.default.removeItem(atPath: home)
    try? FileManager.default.removeItem(atPath: keys)
  }
}
