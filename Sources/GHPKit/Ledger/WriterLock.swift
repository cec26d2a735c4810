#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The machine-local writer lock: `flock` on `<common git dir>/ghp/writer.lock`.
///
/// It turns contention between ghp processes on one machine into a queue instead of a storm of
/// compare-and-swap retries. The kernel drops an flock when its process dies, so a killed writer
/// never leaves this lock held.
final class WriterLock {
  private let descriptor: Int32
  let path: String

  init(commonDirectory: String) throws(GHPError) {
    let folder = commonDirectory.hasSuffix("/") ? "\(commonDirectory)ghp" : "\(commonDirectory)/ghp"
    mkdir(folder, 0o755)
    path = "\(folder)/writer.lock"
    descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw .io("cannot open the writer lock \(path): \(String(cString: strerror(errno)))")
    }
  }

  deinit { close(descriptor) }

  /// Blocks until this process holds the lock.
  func lock() throws(GHPError) {
    while flock(descriptor, LOCK_EX) != 0 {
      if errno == EINTR { continue }
      throw .io("cannot take the writer lock \(path): \(String(cString: strerror(errno)))")
    }
  }

  func unlock() { flock(descriptor, LOCK_UN) }
}
