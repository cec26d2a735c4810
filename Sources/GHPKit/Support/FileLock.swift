import Glibc

/// A best-effort lock between processes of one machine: `flock` on a file (its folder made when
/// missing), let go with its process. For work that stays correct without it and only goes better
/// with it (one push or one repack at a time); the writer lock, which guards state, is `WriterLock`.
final class FileLock {
  private var descriptor: Int32
  private(set) var held = false

  init(path: String) {
    mkdir(String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]), 0o755)
    descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
  }

  /// Takes the lock, waiting at most `seconds` (0: only when free now); whether it is held.
  @discardableResult
  func take(within seconds: Double) -> Bool {
    guard descriptor >= 0 else { return false }
    let deadline = ProcessIdentity.monotonic() + seconds
    var pause: UInt32 = 200
    while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
      if errno == EINTR { continue }
      guard errno == EWOULDBLOCK, ProcessIdentity.monotonic() < deadline else { return false }
      usleep(pause)
      pause = min(pause * 2, 5_000)
    }
    held = true
    return true
  }

  func release() {
    guard descriptor >= 0 else { return }
    if held { flock(descriptor, LOCK_UN) }
    close(descriptor)
    descriptor = -1
    held = false
  }

  deinit { release() }
}
