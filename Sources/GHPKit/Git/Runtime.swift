import CLibGit2

/// libgit2 is initialised once per process, on first use, with durable writes switched on:
/// objects and refs are fsynced, so a state change that returned is on disk.
enum GitRuntime {
  private static let initialised: Bool = {
    git_libgit2_init()
    _ = ghp_git_enable_fsync_gitdir(1)
    return true
  }()

  static func ensure() { _ = initialised }
}
