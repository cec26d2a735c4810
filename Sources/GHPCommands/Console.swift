import GHPKit
import Glibc

/// Where a command reads and writes: standard output and error, standard input, whether each is a
/// terminal, and the environment. A command finds it in `Console.current`: the process's own, or
/// one a test runs the command against in process (`Console.recording`), so that what a command
/// prints and the code it exits with are tested without spawning the binary.
public struct Console: Sendable {
  /// Writes text to descriptor 1 (standard output) or 2 (standard error).
  public var write: @Sendable (Int32, String) -> Void
  /// All of standard input.
  public var readInput: @Sendable () -> [UInt8]
  /// Whether the descriptor (0, 1 or 2) is a terminal.
  public var isTerminal: @Sendable (Int32) -> Bool
  /// The environment commands read (`GHP_AGENT`, `GHP_NOW`, `NO_COLOR`, …).
  public var environment: [String: String]
  /// The folder a relative path given to a command is read from: the process's working directory
  /// when nil. `-C PATH` sets it (`GHPMain.run`), so `ghp -C repo plan set plan.md` reads
  /// `repo/plan.md`, as `git -C repo` would. (Given twice, the last `-C` counts, as for every option.)
  public var directory: String?
  /// Set when the command is carried out for a contained `ghp run` worker (`ghp worker-sandbox`):
  /// the files its command line named, as the worker read them. The command reads no other path
  /// the worker gave and writes none (the worker's paths are not this process's to trust).
  public var forwarded: [String: [UInt8]]?

  /// A console of the given parts.
  public init(
    write: @escaping @Sendable (Int32, String) -> Void, readInput: @escaping @Sendable () -> [UInt8],
    isTerminal: @escaping @Sendable (Int32) -> Bool, environment: [String: String], directory: String? = nil
  ) {
    self.write = write
    self.readInput = readInput
    self.isTerminal = isTerminal
    self.environment = environment
    self.directory = directory
  }

  /// `path` as a command reads it: `-` and absolute paths as they are, a relative one from
  /// `directory` (itself relative to the process's working directory when it is relative).
  public func resolve(_ path: String) -> String {
    guard path != "-", let directory, !directory.isEmpty else { return path }
    return Files.absolute(path, from: directory)
  }

  /// The console of this process: its descriptors, unbuffered (nothing is lost when it exits), and
  /// its environment.
  public static var process: Console {
    Console(
      write: { descriptor, text in Self.writeAll(descriptor, text) },
      readInput: { Files.read("/dev/stdin") ?? [] }, isTerminal: { isatty($0) == 1 },
      environment: ThisProcess.environment)
  }

  /// The console commands use now: the process's unless a caller runs them with another
  /// (`Console.$current.withValue(console) { … }`).
  @TaskLocal public static var current: Console = .process

  /// What a command run against `Console.recording` printed.
  public final class Recording: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var out = ""
    private var err = ""

    init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }

    func append(_ descriptor: Int32, _ text: String) {
      pthread_mutex_lock(&lock)
      if descriptor == 2 { err += text } else { out += text }
      pthread_mutex_unlock(&lock)
    }

    /// Everything written to standard output.
    public var stdout: String {
      pthread_mutex_lock(&lock)
      defer { pthread_mutex_unlock(&lock) }
      return out
    }

    /// Everything written to standard error.
    public var stderr: String {
      pthread_mutex_lock(&lock)
      defer { pthread_mutex_unlock(&lock) }
      return err
    }
  }

  /// A console that keeps what is written, reads `input` as standard input, is no terminal
  /// (unless `terminal`), and has exactly `environment`.
  public static func recording(environment: [String: String], input: String = "", terminal: Bool = false) -> (
    Console, Recording
  ) {
    let recording = Recording()
    let bytes = Array(input.utf8)
    let console = Console(
      write: { recording.append($0, $1) }, readInput: { bytes }, isTerminal: { _ in terminal },
      environment: environment)
    return (console, recording)
  }

  /// Writes all of `text` to a file descriptor, retrying after a signal.
  static func writeAll(_ descriptor: Int32, _ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeMutableBytes {
        Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset)
      }
      if written < 0 && errno == EINTR { continue }
      if written <= 0 { return }
      offset += written
    }
  }
}
