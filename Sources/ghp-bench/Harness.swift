import Foundation

/// Timing, processes and scratch repositories for the benchmark.
enum Harness {
  static func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }

  static func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1
      ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
  }

  /// The folder of this executable, where `ghp` was built too.
  static var binFolder: URL {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: exe).deletingLastPathComponent()
  }

  /// The repository's `relative` file (a test fixture): found above the binaries' folder, or else
  /// above the working directory, so that binaries copied aside still find it when the bench runs
  /// from the repository.
  static func fixture(_ relative: String) -> String {
    for start in [binFolder, URL(fileURLWithPath: FileManager.default.currentDirectoryPath)] {
      var folder = start
      while true {
        let candidate = folder.appendingPathComponent(relative).path
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
        if folder.path == "/" { break }
        folder = folder.deletingLastPathComponent()
      }
    }
    return relative
  }

  struct Run {
    var status: Int32
    var seconds: Double
    /// Peak resident memory of the child, in KiB.
    var maxRSS: Int
    var output: String
  }

  /// Runs a program to completion with output captured; measures wall time and peak memory.
  @discardableResult
  static func run(
    _ executable: String, _ arguments: [String], in directory: String, environment: [String: String] = [:],
    stdin: Data? = nil, check: Bool = true
  ) -> Run {
    let outPath = NSTemporaryDirectory() + "ghp-bench-out-\(getpid())"
    let inPath = NSTemporaryDirectory() + "ghp-bench-in-\(getpid())"
    FileManager.default.createFile(atPath: outPath, contents: nil)
    FileManager.default.createFile(atPath: inPath, contents: stdin ?? Data())
    defer {
      unlink(outPath)
      unlink(inPath)
    }
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in envp { free(pointer) }
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, outPath, O_WRONLY, 0)
    // The benchmark is single-threaded: the child inherits the folder set here.
    let previous = FileManager.default.currentDirectoryPath
    chdir(directory)
    defer { chdir(previous) }
    var pid: pid_t = 0
    let start = now()
    guard posix_spawn(&pid, executable, &actions, nil, argv, envp) == 0 else {
      fatalError("cannot start \(executable)")
    }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let seconds = now() - start
    let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    if check && code != 0 {
      fatalError("\(executable) \(arguments.joined(separator: " ")) failed (\(code)): \(output)")
    }
    return Run(status: code, seconds: seconds, maxRSS: usage.ru_maxrss, output: output)
  }

  /// Starts processes together and waits for all; returns the wall time from first start to last exit.
  static func together(
    _ commands: [(String, [String])], in directory: String, environment: [[String: String]],
    directories: [String]? = nil
  ) -> Double {
    let previous = FileManager.default.currentDirectoryPath
    chdir(directory)
    defer { chdir(previous) }
    let start = now()
    var pids: [pid_t] = []
    for (index, (executable, arguments)) in commands.enumerated() {
      if let directories { chdir(directories[index]) }
      var env = ProcessInfo.processInfo.environment
      for (k, v) in environment[index] { env[k] = v }
      let argv = ([executable] + arguments).map { strdup($0) } + [nil]
      let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
      var actions = posix_spawn_file_actions_t()
      posix_spawn_file_actions_init(&actions)
      var pid: pid_t = 0
      guard posix_spawn(&pid, executable, &actions, nil, argv, envp) == 0 else { fatalError("cannot start") }
      posix_spawn_file_actions_destroy(&actions)
      for pointer in argv { free(pointer) }
      for pointer in envp { free(pointer) }
      pids.append(pid)
    }
    for pid in pids {
      var status: Int32 = 0
      while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
      if status != 0 { fatalError("a writer process failed (\(status))") }
    }
    return now() - start
  }

  /// A new scratch repository with one commit on main; removed at exit.
  static func scratchRepository(_ name: String) -> String {
    let base = NSTemporaryDirectory() + "ghp-bench-\(getpid())"
    let path = base + "/" + name
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    git(["init", "-q", "-b", "main"], in: path)
    git(
      [
        "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "--allow-empty", "-m", "initial",
      ], in: path)
    scratchRoots.insert(base)
    return path
  }

  nonisolated(unsafe) static var scratchRoots: Set<String> = []

  static func cleanUp() {
    for root in scratchRoots { try? FileManager.default.removeItem(atPath: root) }
  }

  @discardableResult
  static func git(_ arguments: [String], in directory: String, stdin: Data? = nil) -> String {
    run("/usr/bin/git", arguments, in: directory, stdin: stdin).output
  }
}

/// Prints the figures as an aligned report.
struct Report {
  private var lines: [(String, String)] = []

  mutating func add(_ label: String, _ value: String) {
    lines.append((label, value))
    print("  \(label.padding(toLength: 62, withPad: " ", startingAt: 0)) \(value)")
    fflush(stdout)
  }

  static func section(_ title: String) {
    print("\n\(title)")
    fflush(stdout)
  }
}

func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }
