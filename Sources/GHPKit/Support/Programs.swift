import CProcess
import Glibc

/// Finding a program the way a shell does: the folders of `PATH` in order, the first regular file
/// by that name that may be executed.
public enum ProgramSearch {
  /// The folders of a `PATH` value, in order, without empty entries.
  public static func folders(_ path: String?) -> [String] {
    (path ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty }
  }

  /// Whether `candidate` is a file (not a folder) this process may execute.
  public static func isExecutable(_ candidate: String) -> Bool {
    var info = stat()
    guard stat(candidate, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR else { return false }
    return access(candidate, X_OK) == 0
  }

  /// The first executable `program` in `folders` (for example `folders(environment["PATH"])`).
  public static func find(_ program: String, in folders: [String]) -> String? {
    folders.lazy.map { LocalPaths.join($0, program) }.first(where: isExecutable)
  }
}

/// ghp's version, as `ghp --version` and the MCP server's `initialize` answer give it.
public enum GHPVersion {
  /// The version of this build.
  public static let current = "0.1.0"
}

/// Running a program to read what it says.
public enum ProgramRun {
  /// Runs `program arguments` with `environment`, stdin empty, for at most `seconds`: its exit
  /// status (128 + a signal) and its output (standard output and error together); nil when it could
  /// not start or did not end in time.
  public static func capture(_ program: String, _ arguments: [String], environment: [String: String], seconds: Double)
    -> (status: Int32, output: String)?
  {
    var pipe: [Int32] = [-1, -1]
    guard ghp_pipe_cloexec(&pipe) == 0 else { return nil }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, pipe[1], 2)
    var argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
    var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for pointer in argv + envp { free(pointer) }
    }
    var child: pid_t = 0
    let spawned = posix_spawn(&child, program, &actions, nil, &argv, &envp)
    close(pipe[1])
    defer { close(pipe[0]) }
    guard spawned == 0 else { return nil }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    let deadline = ProcessIdentity.monotonic() + seconds
    var finished = false
    while ProcessIdentity.monotonic() < deadline, bytes.count < 1 << 20 {
      var ready = pollfd(fd: pipe[0], events: Int16(POLLIN), revents: 0)
      guard poll(&ready, 1, 100) >= 0 || errno == EINTR else { break }
      if ready.revents != 0 {
        let n = read(pipe[0], &buffer, buffer.count)
        if n > 0 {
          bytes += buffer[0..<n]
          continue
        }
        if n == 0 {
          finished = true
          break
        }
      }
    }
    var status: Int32 = 0
    if !finished { kill(child, SIGKILL) }
    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    let signal = status & 0x7f
    return finished ? (signal == 0 ? (status >> 8) & 0xff : 128 + signal, String(decoding: bytes, as: UTF8.self)) : nil
  }
}
