/// Where ghp keeps what belongs to this machine and never travels with `ghp/state`: files under the
/// repository's git common directory (shared by its worktrees, never by a clone). Every such path is
/// named here; `StatePaths` names the documents on `ghp/state`.
public struct LocalPaths: Sendable, Equatable {
  /// The git common directory, without a trailing slash.
  public let common: String

  /// The paths of the repository whose git common directory is `commonDirectory`.
  public init(commonDirectory: String) {
    common =
      commonDirectory.count > 1 && commonDirectory.hasSuffix("/") ? String(commonDirectory.dropLast()) : commonDirectory
  }

  /// `<common>/ghp`: ghp's own folder.
  public var ghp: String { common + "/ghp" }
  /// `<common>/ghp/writer.lock`: the machine-local writer lock (`WriterLock`).
  public var writerLock: String { ghp + "/writer.lock" }
  /// `<common>/ghp/cache/issues.idx`: the issue table's cache (`IssueTable`).
  public var issueIndex: String { ghp + "/cache/issues.idx" }
  /// `<common>/ghp/keys`: agents' private signing keys, one file each, mode 0600.
  public var signingKeys: String { ghp + "/keys" }
  /// `<common>/ghp/allowed_signers`: the file `git log --show-signature` checks signers against.
  public var allowedSigners: String { ghp + "/allowed_signers" }
  /// `<common>/ghp/verified`: the tips this clone has verified.
  public var verifiedTips: String { ghp + "/verified" }
  /// `<common>/ghp/land`: the lander's scratch worktrees and gate markers.
  public var land: String { ghp + "/land" }
  /// `<common>/ghp/run/<id>`: a run's prompts and workers' logs.
  public func run(_ id: String) -> String { ghp + "/run/" + id }
  /// `<common>/hooks`: where git runs hooks unless `core.hooksPath` says otherwise.
  public var hooks: String { common + "/hooks" }
  /// `<common>/config`: the repository's git config, shared by its worktrees.
  public var config: String { common + "/config" }
  /// `<common>/info`: git's folder of repository-wide settings files.
  public var info: String { common + "/info" }
  /// `<common>/info/exclude`: untracked files every worktree's `git status` leaves out.
  public var infoExclude: String { info + "/exclude" }
  /// `<common>/refs/heads/ghp/state.lock`: the lock git and libgit2 take while moving `ghp/state`.
  public var stateRefLock: String { common + "/refs/heads/ghp/state.lock" }
  /// `<common>/worktrees/<name>`: git's administrative folder of the linked worktree `name`.
  public func worktreeAdmin(_ name: String) -> String { common + "/worktrees/" + name }

  /// `relative` inside `folder`, with exactly one slash between them.
  public static func join(_ folder: String, _ relative: String) -> String {
    (folder.hasSuffix("/") ? folder : folder + "/") + relative
  }
}

extension Repository {
  /// This repository's machine-local paths.
  public var localPaths: LocalPaths { LocalPaths(commonDirectory: commonDirectory) }
}
