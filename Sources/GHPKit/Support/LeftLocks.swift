import Glibc

/// Lock files git and libgit2 take beside what they change (`refs/heads/main.lock`, a worktree's
/// `HEAD.lock` and `index.lock`, `packed-refs.lock`), and leave behind when they are killed. Such a
/// lock records no owner, so ghp proves its creator gone the way it can: no process has the file
/// open (git and libgit2 hold a lock open while they write it) and nothing has written it for a
/// moment. Then it is removed and the step redone; otherwise the lock is named, with who holds it
/// and the command that clears it.
public enum LeftLocks {
  /// Seconds a lock must have gone unwritten, with no process holding it, to count as left.
  public static let quiet: Double = 2

  /// The processes that have `path` open: pid and command name.
  static func holders(of path: String) -> [(pid: Int32, name: String)] {
    var target = stat()
    guard stat(path, &target) == 0 else { return [] }
    var found: [(pid: Int32, name: String)] = []
    for name in Files.names(in: "/proc") ?? [] {
      guard let pid = Int32(name), let descriptors = Files.names(in: "/proc/\(pid)/fd") else { continue }
      for number in descriptors {
        var info = stat()
        guard Int(number) != nil, stat("/proc/\(pid)/fd/\(number)", &info) == 0 else { continue }
        if info.st_dev == target.st_dev && info.st_ino == target.st_ino {
          let command = Files.read("/proc/\(pid)/comm").map { String(decoding: $0, as: UTF8.self).trimmingSpaces }
          found.append((pid, command ?? "?"))
          break
        }
      }
    }
    return found
  }

  /// Removes the lock at `path` when its creator is gone (waiting out `quiet` if it was written
  /// just now). Nil when there is no lock any more; else why it stays: its path, who holds it, and
  /// the command that clears it.
  @discardableResult
  public static func clear(_ path: String) -> String? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    let holders = holders(of: path)
    guard holders.isEmpty else {
      let named = holders.map { "\($0.name) (pid \($0.pid))" }.joined(separator: ", ")
      return
        "\(path) is held by \(named); let it finish, or stop it and remove the file (rm '\(path)')"
    }
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let age = Double(now.tv_sec - info.st_mtim.tv_sec) + Double(now.tv_nsec - info.st_mtim.tv_nsec) / 1e9
    if age < quiet {
      usleep(UInt32((quiet - max(age, 0)) * 1_000_000))
      // Written again meanwhile, or opened: someone is alive (and says so next time).
      var again = stat()
      guard lstat(path, &again) == 0 else { return nil }
      if again.st_mtim.tv_sec != info.st_mtim.tv_sec || again.st_mtim.tv_nsec != info.st_mtim.tv_nsec
        || !Self.holders(of: path).isEmpty
      {
        return clear(path)
      }
    }
    return remove(path)
  }

  private static func remove(_ path: String) -> String? {
    guard unlink(path) == 0 || errno == ENOENT else {
      return "cannot remove the lock \(path) a killed process left: \(String(cString: strerror(errno)))"
    }
    return nil
  }

  /// The locks git keeps for a worktree's checkout, in its administrative folder `admin`.
  public static func worktree(_ admin: String) -> [String] { [admin + "/HEAD.lock", admin + "/index.lock"] }
}
