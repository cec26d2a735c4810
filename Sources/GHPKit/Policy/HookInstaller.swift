import Glibc

/// Installs ghp's hooks from the copies embedded in the binary. A hook the repository already had
/// is kept as `<name>.ghp-chained` and run first; installing twice changes nothing; uninstalling
/// puts back what was there.
public enum HookInstaller {
  public static let clientHooks = GitHook.client.map(\.rawValue)
  public static let serverHooks = GitHook.server.map(\.rawValue)
  static let marker = "# ghp-hook "
  static let chainedSuffix = ".ghp-chained"

  /// Where git runs hooks: `core.hooksPath` (relative to the top of the worktree) or the common
  /// git folder's `hooks/`.
  public static func hooksDirectory(_ repository: Repository) -> String {
    if let configured = repository.configString("core.hooksPath"), !configured.isEmpty {
      if configured.hasPrefix("/") { return configured }
      return LocalPaths.join(repository.workingDirectory ?? repository.commonDirectory, configured)
    }
    return repository.localPaths.hooks
  }

  public struct Report: Sendable {
    public var directory: String
    public var installed: [String] = []
    public var chained: [String] = []
    public var restored: [String] = []
    public var removed: [String] = []
  }

  /// `ghpBinary`: the absolute path the hooks call when `ghp` is not on PATH.
  public static func install(_ repository: Repository, server: Bool, ghpBinary: String) throws(GHPError) -> Report {
    let directory = hooksDirectory(repository)
    var report = Report(directory: directory)
    guard Files.makeDirectories(directory) else {
      throw .io("cannot create \(directory): \(String(cString: strerror(errno)))")
    }
    for name in server ? serverHooks : clientHooks {
      guard let script = Embedded.hooks[name] else { continue }
      let path = "\(directory)/\(name)"
      if let existing = read(path), !existing.contains(marker) {
        guard !exists(path + chainedSuffix) else {
          throw .io(
            "both \(path) and \(path + chainedSuffix) exist and neither is ghp's: move one away, then install again")
        }
        guard rename(path, path + chainedSuffix) == 0 else {
          throw .io("cannot keep \(path): \(String(cString: strerror(errno)))")
        }
        report.chained.append(name)
      }
      let text = script.replacing("${GHP_BIN:-ghp}", with: "${GHP_BIN:-\(ghpBinary)}")
      try Files.replace(path, with: Array(text.utf8), mode: 0o755)
      report.installed.append(name)
    }
    return report
  }

  public static func uninstall(_ repository: Repository) throws(GHPError) -> Report {
    let directory = hooksDirectory(repository)
    var report = Report(directory: directory)
    for name in clientHooks + serverHooks {
      let path = "\(directory)/\(name)"
      if let existing = read(path), existing.contains(marker) {
        unlink(path)
        report.removed.append(name)
      }
      if exists(path + chainedSuffix), !exists(path) {
        guard rename(path + chainedSuffix, path) == 0 else {
          throw .io("cannot restore \(path): \(String(cString: strerror(errno)))")
        }
        report.restored.append(name)
      }
    }
    return report
  }

  static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

  static func read(_ path: String) -> String? { Files.read(path).map { String(decoding: $0, as: UTF8.self) } }
}
