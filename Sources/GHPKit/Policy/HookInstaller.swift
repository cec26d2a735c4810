import Glibc

/// Installs ghp's hooks from the copies embedded in the binary. A hook the repository already had
/// is kept as `<name>.ghp-chained` and run first; installing twice changes nothing; uninstalling
/// puts back what was there.
public enum HookInstaller {
  /// The names of the hooks a working repository gets (`pre-commit`, ...).
  public static let clientHooks = GitHook.client.map(\.rawValue)
  /// The names of the hooks a server's bare repository gets (`pre-receive`).
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

  /// What an install or uninstall did, by hook name, for `ghp hooks` to print.
  public struct Report: Sendable {
    /// The hooks folder it worked in.
    public var directory: String
    /// The hooks ghp wrote.
    public var installed: [String] = []
    /// The hooks the repository already had, kept as `<name>.ghp-chained` and run first.
    public var chained: [String] = []
    /// The former hooks put back from `<name>.ghp-chained`.
    public var restored: [String] = []
    /// The ghp hooks deleted.
    public var removed: [String] = []
    /// A server install: why the server will not land operations (its git is older than 2.29,
    /// which has no proc-receive), or nil when it will.
    public var landsNoOperations: String?
  }

  /// `ghpBinary`: the absolute path the hooks call, whatever the caller's PATH or environment.
  public static func install(_ repository: Repository, server: Bool, ghpBinary: String) throws(GHPError) -> Report {
    let directory = hooksDirectory(repository)
    var report = Report(directory: directory)
    guard Files.makeDirectories(directory) else {
      throw .io("cannot create \(directory): \(String(cString: strerror(errno)))")
    }
    for name in server ? serverHooks : clientHooks {
      guard let script = Embedded.hooks[name] else { continue }
      let path = "\(directory)/\(name)"
      if name == GitHook.procReceive.rawValue, let existing = read(path), !existing.contains(marker) {
        // git runs one proc-receive, which answers for the refs it is given: two cannot share them.
        throw .io(
          "\(path) exists and is not ghp's: git runs only one proc-receive hook; move it away, then install again")
      }
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
      let quoted = "'" + ghpBinary.replacing("'", with: "'\\''") + "'"
      let text = script.replacing("ghp='ghp'", with: "ghp=\(quoted)")
      try Files.replace(path, with: Array(text.utf8), mode: 0o755)
      report.installed.append(name)
    }
    if server {
      if let old = gitTooOld() {
        report.installed.removeAll { $0 == GitHook.procReceive.rawValue }
        unlink("\(directory)/\(GitHook.procReceive.rawValue)")
        report.landsNoOperations =
          "git here is \(old), older than 2.29 (no proc-receive): this server does not land operations, so writes from many hosts race for ghp/state; install a newer git, then this again"
      } else {
        try markSequencing(repository)
      }
    }
    return report
  }

  /// The version of the `git` on PATH (the one a server's receive-pack is) when it is older than
  /// 2.29, which runs no proc-receive hook; nil when it is newer, or cannot be told.
  static func gitTooOld() -> String? {
    guard let git = ProgramSearch.find("git", in: ProgramSearch.folders(getenv("PATH").map { String(cString: $0) })),
      let said = ProgramRun.capture(git, ["--version"], environment: [:], seconds: 10), said.status == 0,
      let version = said.output.split(whereSeparator: { $0 == " " || $0 == "\n" }).dropFirst(2).first.map(String.init)
    else { return nil }
    let parts = version.split(separator: ".").compactMap { Int($0.prefix { $0.isNumber }) }
    guard parts.count >= 2 else { return nil }
    return (parts[0], parts[1]) < (2, 29) ? version : nil
  }

  /// The config key that hands pushes of `refs/ghp/ops/*` to the proc-receive hook.
  static let procReceiveKey = "receive.procReceiveRefs"

  /// Makes a server land operations (see `Sequencer`): git hands pushes of `refs/ghp/ops/*` to
  /// the proc-receive hook, and `refs/ghp/sequencer` tells clients so before they push one.
  static func markSequencing(_ repository: Repository) throws(GHPError) {
    let config = repository.commonDirectory + "/config"
    let prefix = String(Sequencer.prefix.dropLast())
    if let set = Repository.configString(procReceiveKey, inFile: config), set != prefix {
      throw .io(
        "\(config) sets \(procReceiveKey) = \(set); ghp's proc-receive needs it to be \(prefix): change it, then install again"
      )
    }
    do {
      try Repository.setConfigString(procReceiveKey, prefix, inFile: config)
      let note = try repository.writeBlob(
        Array("This server lands the operations ghp agents push to \(Sequencer.prefix)<agent>.\n".utf8))
      try repository.setReference(Sequencer.markRef, to: note, logMessage: "ghp: hooks install --server")
    } catch {
      throw .git(error)
    }
  }

  /// Removes ghp's hooks from the hooks folder and puts back the ones they had chained.
  public static func uninstall(_ repository: Repository) throws(GHPError) -> Report {
    let directory = hooksDirectory(repository)
    var report = Report(directory: directory)
    if (try? repository.referenceTarget(Sequencer.markRef)) != nil {
      do {
        try repository.setReference(Sequencer.markRef, to: nil, logMessage: "ghp: hooks uninstall")
        try Repository.removeConfigKey(procReceiveKey, inFile: repository.commonDirectory + "/config")
      } catch {
        throw .git(error)
      }
    }
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
