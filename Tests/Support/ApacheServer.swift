import Foundation

/// A real smart-HTTP git server as people deploy one: Debian's Apache running `git http-backend`
/// behind basic authentication (an htpasswd file), serving the bare repositories under its own
/// folder. Apache names the logged-in user in `REMOTE_USER`, which the server hook reads. It runs
/// as www-data (Apache will not serve as root), so the folder and its repositories are made
/// readable and writable by that user. Stopped when released.
public final class ApacheServer {
  /// The folder holding the configuration, the password file, the logs and `repositories/`.
  public let root: String
  public let port: Int
  private let process: ProcessRunner.Running

  /// Whether this machine has Apache (the `apache2` Debian package).
  public static var installed: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/apache2") }

  /// Starts Apache on a free port of 127.0.0.1 with `users` (name → password) allowed in, and
  /// waits until it answers.
  public init(users: [String: String]) throws {
    root = "/tmp/ghp-apache-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: root + "/repositories", withIntermediateDirectories: true)
    var created = false
    for (user, password) in users.sorted(by: { $0.key < $1.key }) {
      let made = try ProcessRunner.run(
        "/usr/bin/htpasswd", (created ? ["-b"] : ["-bc"]) + [root + "/htpasswd", user, password], in: root)
      guard made.status == 0 else { throw ScratchError("htpasswd: \(made.stderr)") }
      created = true
    }
    let modules = "/usr/lib/apache2/modules"
    var lastError = ""
    for _ in 0..<10 {
      let port = Int.random(in: 20000..<60000)
      let config = """
        ServerRoot "\(root)"
        ServerName localhost
        Listen 127.0.0.1:\(port)
        PidFile "\(root)/httpd.pid"
        ErrorLog "\(root)/error.log"
        LogLevel warn
        User www-data
        Group www-data
        LoadModule mpm_prefork_module \(modules)/mod_mpm_prefork.so
        LoadModule authz_core_module \(modules)/mod_authz_core.so
        LoadModule authz_user_module \(modules)/mod_authz_user.so
        LoadModule authn_core_module \(modules)/mod_authn_core.so
        LoadModule authn_file_module \(modules)/mod_authn_file.so
        LoadModule auth_basic_module \(modules)/mod_auth_basic.so
        LoadModule alias_module \(modules)/mod_alias.so
        LoadModule cgi_module \(modules)/mod_cgi.so
        LoadModule env_module \(modules)/mod_env.so
        SetEnv GIT_PROJECT_ROOT "\(root)/repositories"
        SetEnv GIT_HTTP_EXPORT_ALL 1
        ScriptAlias /git/ /usr/lib/git-core/git-http-backend/
        <Location "/git/">
          AuthType Basic
          AuthName "git"
          AuthUserFile "\(root)/htpasswd"
          Require valid-user
        </Location>
        """
      try config.write(toFile: root + "/httpd.conf", atomically: true, encoding: .utf8)
      try Self.giveToServer(root)
      let started = try ProcessRunner.start(
        "/usr/sbin/apache2", ["-f", root + "/httpd.conf", "-DFOREGROUND"], in: root,
        environment: ["APACHE_RUN_DIR": root, "APACHE_LOG_DIR": root])
      for _ in 0..<100 {
        let probe = try ProcessRunner.run(
          "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/git/"], in: root)
        if probe.stdout == "401" {
          self.port = port
          process = started
          return
        }
        var status: Int32 = 0
        if waitpid(started.pid, &status, WNOHANG) == started.pid { break }
        usleep(50_000)
      }
      kill(started.pid, SIGKILL)
      lastError = started.wait().stderr + ((try? String(contentsOfFile: root + "/error.log", encoding: .utf8)) ?? "")
    }
    throw ScratchError("apache2 did not start: \(lastError)")
  }

  /// The address of a repository under `repositories/`, with a user's credentials in it.
  public func url(_ repository: String, user: String, password: String) -> String {
    "http://\(user):\(password)@127.0.0.1:\(port)/git/\(repository)"
  }

  /// Makes a bare repository under `repositories/` that takes pushes over HTTP and refuses
  /// non-fast-forward ones. Returns its path; `handOver()` gives it to the server's user once its
  /// hooks are installed.
  @discardableResult
  public func makeRepository(_ name: String) throws -> String {
    let path = root + "/repositories/" + name
    _ = try ProcessRunner.run("/usr/bin/git", ["init", "-q", "--bare", path], in: root)
    _ = try ProcessRunner.run("/usr/bin/git", ["config", "http.receivepack", "true"], in: path)
    _ = try ProcessRunner.run("/usr/bin/git", ["config", "receive.denyNonFastForwards", "true"], in: path)
    return path
  }

  /// Hands the folder to www-data, as an administrator would after installing the hooks as root.
  public func handOver() throws { try Self.giveToServer(root) }

  private static func giveToServer(_ path: String) throws {
    let changed = try ProcessRunner.run("/bin/chown", ["-R", "www-data:www-data", path], in: "/")
    guard changed.status == 0 else { throw ScratchError("chown: \(changed.stderr)") }
  }

  /// git run in a repository of the server's (owned by www-data, so git is told it is safe).
  public func git(_ arguments: [String], in repository: String) throws -> ProcessRunner.Result {
    try ProcessRunner.run("/usr/bin/git", ["-c", "safe.directory=*"] + arguments, in: repository)
  }

  /// What Apache logged (for a failing test's message).
  public var errorLog: String { (try? String(contentsOfFile: root + "/error.log", encoding: .utf8)) ?? "" }

  deinit {
    // SIGKILL, to Apache and its children alike: it inherits the test runner's signal mask, in
    // which SIGTERM is blocked.
    _ = try? ProcessRunner.run("/usr/bin/pkill", ["-KILL", "-f", root + "/httpd.conf"], in: "/")
    _ = process.wait()
    try? FileManager.default.removeItem(atPath: root)
  }
}
