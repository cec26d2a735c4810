import Glibc

/// Bounds on the processes and memory of one gate command, through the kernel's cgroups (v2, or
/// v1's `pids` and `memory` hierarchies): a folder per command run whose limits every process it
/// starts shares, joined by the command's first process before it execs (so nothing it forks
/// escapes them). Where this process cannot make cgroups (not root, none mounted), there are none,
/// and the gate log says so: the gate's timeout still bounds it.
struct GateLimits {
  /// The cgroup folders made for the run, each with its limit written.
  var folders: [String]

  static let root = "/sys/fs/cgroup"

  /// Makes the folders for `name`, at most `processes` processes and `memory` bytes; nil when it
  /// cannot (anything made is removed).
  static func make(name: String, processes: Int, memory: Int64) -> GateLimits? {
    var made: [String] = []
    func fail() -> GateLimits? {
      for folder in made.reversed() { rmdir(folder) }
      return nil
    }
    func folder(_ path: String, _ limits: [(String, String)]) -> Bool {
      guard mkdir(path, 0o755) == 0 || errno == EEXIST else { return false }
      made.append(path)
      return limits.allSatisfy { file, value in write(value, to: path + "/" + file) }
    }
    if access(root + "/cgroup.controllers", F_OK) == 0 {
      guard folder(root + "/" + name, [("pids.max", "\(processes)"), ("memory.max", "\(memory)")]) else {
        return fail()
      }
    } else {
      guard access(root + "/pids/cgroup.procs", W_OK) == 0, access(root + "/memory/cgroup.procs", W_OK) == 0,
        folder(root + "/pids/" + name, [("pids.max", "\(processes)")]),
        folder(root + "/memory/" + name, [("memory.limit_in_bytes", "\(memory)")])
      else { return fail() }
    }
    return GateLimits(folders: made)
  }

  /// Writes a cgroup file in place (the file system takes no temporary file and rename).
  static func write(_ text: String, to path: String) -> Bool {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return text.withCString { Glibc.write(fd, $0, strlen($0)) } == text.utf8.count
  }

  /// `argv` started by a shell that first moves itself into every folder, then execs it.
  func wrap(_ argv: [String]) -> [String] {
    let join =
      "n=$1; shift; while [ \"$n\" -gt 0 ]; do echo $$ > \"$1/cgroup.procs\" || exit 126; shift; n=$((n-1)); done; exec \"$@\""
    return ["/bin/sh", "-c", join, "ghp-gate-limits", "\(folders.count)"] + folders + argv
  }

  /// Removes the folders a killed lander left (`ghp-gate-<its pid>-…`, that lander gone, no process
  /// left in them); returns how many.
  @discardableResult
  static func removeLeftovers() -> Int {
    var removed = 0
    for parent in [root, root + "/pids", root + "/memory"] {
      for name in Files.names(in: parent) ?? [] where name.hasPrefix("ghp-gate-") {
        let fields = name.split(separator: "-")
        guard fields.count >= 4, let pid = Int32(fields[2]), pid != getpid() else { continue }
        if kill(pid, 0) == 0 || errno == EPERM { continue }
        let procs = Files.read(parent + "/" + name + "/cgroup.procs") ?? [0]
        if procs.isEmpty, rmdir(parent + "/" + name) == 0 { removed += 1 }
      }
    }
    return removed
  }

  /// Removes the folders (their processes are gone once the gate's group was reaped).
  func remove() {
    for folder in folders.reversed() {
      for _ in 0..<500 where rmdir(folder) != 0 && errno == EBUSY { usleep(1_000) }
    }
  }
}
