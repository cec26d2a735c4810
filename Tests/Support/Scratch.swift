import Foundation

/// A real temporary git repository for one test, removed afterwards.
public final class ScratchRepository {
  public let root: URL
  public var path: String { root.path }

  /// Makes `<tmp>/ghp-test-XXXX/repo` with one commit on `main`.
  public convenience init(initialCommit: Bool = true) throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("ghp-test-\(UUID().uuidString.prefix(8))")
    try self.init(at: base.appendingPathComponent("repo").path, initialCommit: initialCommit)
  }

  /// Makes the repository at `path` (a folder on a file system of the test's own, say); its
  /// parent folder is removed with it.
  public init(at path: String, initialCommit: Bool = true) throws {
    root = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    try git("init", "-q", "-b", "main")
    try git("config", "user.name", "Test Human")
    try git("config", "user.email", "human@example.com")
    if initialCommit {
      try write("README.md", "# scratch\n")
      try git("add", "README.md")
      try git("commit", "-q", "-m", "initial")
    }
  }

  deinit { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }

  /// Where `ghp agent add NAME` puts an agent's worktree by default: `../<repository>.worktrees/NAME`.
  public func worktree(_ agent: String) -> String {
    root.deletingLastPathComponent().appendingPathComponent("\(root.lastPathComponent).worktrees/\(agent)").path
  }

  /// Writes a file in the working tree.
  public func write(_ relative: String, _ text: String) throws {
    let url = root.appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: true, encoding: .utf8)
  }

  /// Runs the git CLI here; throws when it fails. Returns its standard output, trimmed.
  @discardableResult
  public func git(_ arguments: String...) throws -> String { try git(arguments) }

  @discardableResult
  public func git(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
    let result = try ProcessRunner.run("/usr/bin/git", arguments, in: path, environment: environment)
    guard result.status == 0 else {
      throw ScratchError("git \(arguments.joined(separator: " ")) failed: \(result.stderr)")
    }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }
}

public struct ScratchError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// Runs programs and captures what they print.
///
/// Children are started with posix_spawn, their output goes to files, and they are reaped with
/// waitpid: no pipes and no threads. (Foundation's Process with pipe-reading threads deadlocked
/// when dozens of racing children and parallel suites exhausted the shared thread pool.)
public enum ProcessRunner {
  public struct Result: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
      self.status = status
      self.stdout = stdout
      self.stderr = stderr
    }
  }

  /// The environment a child gets: a clean one, with a home of its own and a fixed git identity,
  /// plus `environment`.
  public static func environment(in directory: String, _ environment: [String: String]) -> [String: String] {
    var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": directory, "LANG": "C"]
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_AUTHOR_NAME"] = "Test Human"
    env["GIT_AUTHOR_EMAIL"] = "human@example.com"
    env["GIT_COMMITTER_NAME"] = "Test Human"
    env["GIT_COMMITTER_EMAIL"] = "human@example.com"
    for (key, value) in environment { env[key] = value }
    return env
  }

  /// Starts a process with a clean environment (plus `environment`), waits, and captures its output.
  public static func run(
    _ executable: String, _ arguments: [String], in directory: String, environment: [String: String] = [:],
    input: String? = nil
  ) throws -> Result {
    try start(executable, arguments, in: directory, environment: environment, input: input).wait()
  }

  /// A started process; `wait()` reaps it and reads what it printed.
  public final class Running: @unchecked Sendable {
    public let pid: Int32
    let folder: String
    /// Where the running process's standard output goes, to read while it runs.
    public var stdoutPath: String { folder + "/out" }

    /// The first line the process printed (a server's port, say), waiting up to five seconds; "" if none.
    public func firstLine() -> String {
      for _ in 0..<100 {
        let text = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        if let end = text.firstIndex(of: "\n") { return String(text[..<end]).trimmingCharacters(in: .whitespaces) }
        usleep(50_000)
      }
      return ""
    }

    init(pid: Int32, folder: String) {
      self.pid = pid
      self.folder = folder
    }

    /// Waits up to `seconds`, then kills it (SIGKILL) and says so in its standard error: a test
    /// whose process would hang fails instead.
    public func wait(within seconds: Double) -> Result {
      let deadline = Date().addingTimeInterval(seconds)
      var status: Int32 = 0
      while Date() < deadline {
        if waitpid(pid, &status, WNOHANG) == pid { return result(status) }
        usleep(50_000)
      }
      kill(pid, SIGKILL)
      var late = wait()
      late.stderr += "\n(killed: still running after \(Int(seconds)) s)"
      return late
    }

    public func wait() -> Result {
      var status: Int32 = 0
      while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
      return result(status)
    }

    private func result(_ status: Int32) -> Result {
      let out = (try? String(contentsOfFile: folder + "/out", encoding: .utf8)) ?? ""
      let err = (try? String(contentsOfFile: folder + "/err", encoding: .utf8)) ?? ""
      try? FileManager.default.removeItem(atPath: folder)
      let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
      return Result(status: code, stdout: out, stderr: err)
    }
  }

  typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
  nonisolated(unsafe) static let addCloseFrom: AddCloseFrom? = dlsym(
    UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np"
  ).map { unsafeBitCast($0, to: AddCloseFrom.self) }

  public static func start(
    _ executable: String, _ arguments: [String], in directory: String, environment: [String: String] = [:],
    input: String? = nil
  ) throws -> Running {
    let env = Self.environment(in: directory, environment)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ghp-run-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: folder + "/in", contents: Data((input ?? "").utf8))
    guard FileManager.default.fileExists(atPath: directory) else {
      throw ScratchError("cannot run \(executable): the folder \(directory) does not exist")
    }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, folder + "/in", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, folder + "/out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, folder + "/err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    // Nothing else of this process reaches the child: a script another test is writing at this
    // moment would otherwise stay open for writing in the child, and running that script fails
    // with "Text file busy" for as long as the child lives.
    // (glibc 2.34's posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc module does not
    // declare, so it is looked up.)
    if let closeFrom = ProcessRunner.addCloseFrom { _ = closeFrom(&actions, 3) }
    // env -C sets the child's folder (posix_spawn has no portable chdir) and then execs it, so the
    // pid is the program's own.
    let argv = (["/usr/bin/env", "-C", directory, executable] + arguments).map { strdup($0) } + [nil]
    let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in envp { free(pointer) }
    }
    var pid: pid_t = 0
    let code = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, envp)
    guard code == 0 else { throw ScratchError("cannot start \(executable): \(String(cString: strerror(code)))") }
    return Running(pid: pid, folder: folder)
  }
}
