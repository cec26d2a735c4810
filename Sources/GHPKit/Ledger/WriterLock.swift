import Glibc

/// The machine-local writer lock: `flock` on `<common git dir>/ghp/writer.lock`.
///
/// It turns contention between ghp processes on one machine into a queue instead of a storm of
/// compare-and-swap retries. The kernel drops an flock when its process dies, so a killed writer
/// never leaves this lock held. It is awaited with a bound: a writer that is stopped (SIGSTOP) or
/// stuck is named by its pid instead of blocking everyone forever.
///
/// The file also says what its holder is doing (`pid start state`), so that the next holder can
/// tell a ref `.lock` left by a ghp writer killed mid-update (its pid is gone) from one a live
/// git process holds (never removed).
final class WriterLock {
  /// Opened by the first `lock()`: a reader never opens (or creates) the file, so every read works
  /// on a read-only `.git` (inside Codex's or Claude Code's own sandbox).
  private var descriptor: Int32 = -1
  let path: String
  /// What the previous holder last wrote, read when this process took the lock.
  private(set) var previous: Record?

  /// What a holder records: who it is and whether it is moving the ref right now.
  struct Record: Equatable {
    enum State: String { case holding, updating, idle }
    var pid: Int32
    var start: UInt64
    var state: State

    var text: String { "\(pid) \(start) \(state.rawValue)\n" }

    init(pid: Int32, start: UInt64, state: State) {
      self.pid = pid
      self.start = start
      self.state = state
    }

    init?(_ text: String) {
      let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
      guard words.count == 3, let pid = Int32(words[0]), let start = UInt64(words[1]),
        let state = State(rawValue: String(words[2]))
      else { return nil }
      self.init(pid: pid, start: start, state: state)
    }

    /// True when the process that wrote this record is gone (its pid is free, or reused by another).
    var isDead: Bool { ProcessIdentity.startTime(of: pid) != start }
  }

  /// The bound on waiting for the lock: `GHP_LOCK_TIMEOUT` seconds, default 30.
  static func timeout(_ environment: [String: String]) -> Double {
    guard let text = environment["GHP_LOCK_TIMEOUT"], let seconds = Double(text), seconds.isFinite, seconds >= 0 else {
      return 30
    }
    return min(seconds, 86_400)
  }

  let timeout: Double

  init(commonDirectory: String, timeout: Double = 30) {
    path = LocalPaths(commonDirectory: commonDirectory).writerLock
    self.timeout = timeout
  }

  deinit { if descriptor >= 0 { close(descriptor) } }

  private func open() throws(GHPError) {
    guard descriptor < 0 else { return }
    mkdir(String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]), 0o755)
    descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      let reason = String(cString: strerror(errno))
      let readOnly = errno == EROFS || errno == EACCES
      let advice =
        readOnly
        ? " (this command writes state: reads work here, writes need the repository's .git writable; inside an agent's sandbox, `ghp setup` lists it among the writable paths)"
        : ""
      throw .io("cannot open the writer lock \(path): \(reason)\(advice)")
    }
  }

  /// Takes the lock, waiting at most `timeout` seconds; then fails naming the holder.
  func lock() throws(GHPError) {
    try open()
    let started = ProcessIdentity.monotonic()
    var pause: UInt32 = 200
    while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
      if errno == EINTR { continue }
      guard errno == EWOULDBLOCK else {
        throw .io("cannot take the writer lock \(path): \(String(cString: strerror(errno)))")
      }
      if ProcessIdentity.monotonic() - started >= timeout {
        throw .writerBusy(path: path, holder: holderDescription(), seconds: Int(timeout.rounded(.up)))
      }
      usleep(pause)
      pause = min(pause * 2, 20_000)
    }
    previous = readRecord()
    write(.holding)
  }

  /// The previous holder's record has been dealt with.
  func forgetPrevious() { previous = nil }

  func unlock() {
    guard descriptor >= 0 else { return }
    write(.idle)
    flock(descriptor, LOCK_UN)
  }

  /// Records what this holder is doing (call only while holding the lock).
  func write(_ state: Record.State) {
    let text = Array(Record(pid: getpid(), start: ProcessIdentity.ownStartTime, state: state).text.utf8)
    _ = ftruncate(descriptor, 0)
    _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
  }

  private func readRecord() -> Record? {
    var buffer = [UInt8](repeating: 0, count: 128)
    let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
    guard count > 0 else { return nil }
    return Record(String(decoding: buffer[0..<count], as: UTF8.self))
  }

  /// Who holds the lock now: the kernel's own answer (`/proc/locks`), else the file's record.
  private func holderDescription() -> String {
    var info = stat()
    if fstat(descriptor, &info) == 0, let pid = ProcessIdentity.flockHolder(inode: UInt64(info.st_ino)) {
      let name = ProcessIdentity.command(of: pid).map { " (\($0))" } ?? ""
      return "pid \(pid)\(name)"
    }
    return readRecord().map { "pid \($0.pid)" } ?? "an unknown process"
  }
}

/// Facts about processes from `/proc`, for telling a live lock holder from a dead one.
enum ProcessIdentity {
  /// Clock ticks after boot when the process started (field 22 of `/proc/<pid>/stat`), or nil
  /// when there is no such process.
  static func startTime(of pid: Int32) -> UInt64? {
    guard pid > 0, let bytes = Files.read("/proc/\(pid)/stat") else { return nil }
    let text = String(decoding: bytes, as: UTF8.self)
    guard let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    // Fields after the command start at field 3 (state); field 22 is the 20th of them.
    guard fields.count > 19 else { return nil }
    return UInt64(fields[19])
  }

  static let ownStartTime: UInt64 = startTime(of: getpid()) ?? 0

  /// The command name of a process, or nil.
  static func command(of pid: Int32) -> String? {
    guard let bytes = Files.read("/proc/\(pid)/comm") else { return nil }
    let name = String(decoding: bytes, as: UTF8.self).trimmingSpaces
    return name.isEmpty ? nil : name
  }

  /// The pid holding an flock on the file with this inode, from `/proc/locks`.
  static func flockHolder(inode: UInt64) -> Int32? {
    guard let bytes = Files.read("/proc/locks") else { return nil }
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
      let words = line.split(separator: " ")
      // "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF" (a "->" marks a waiter).
      guard words.count >= 6, words[1] == "FLOCK", words[2] != "->" else { continue }
      guard let file = words.dropFirst(4).first(where: { $0.contains(":") }),
        file.split(separator: ":").last.flatMap({ UInt64($0) }) == inode,
        let pid = Int32(words[4])
      else { continue }
      return pid
    }
    return nil
  }

  static func monotonic() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
  }
}
