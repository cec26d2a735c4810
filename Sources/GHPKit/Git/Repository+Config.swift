import CLibGit2
import Glibc

/// git configuration: the repository's (all levels) and one file's.
extension Repository {

  /// A string from the repository's configuration (all levels), or nil.
  public func configString(_ key: String) -> String? {
    var config: OpaquePointer?
    guard git_repository_config_snapshot(&config, pointer) == 0 else { return nil }
    defer { git_config_free(config) }
    var buf = git_buf()
    defer { git_buf_dispose(&buf) }
    guard git_config_get_string_buf(&buf, config, key) == 0, let ptr = buf.ptr else { return nil }
    return String(cString: ptr)
  }
  /// A string from one config file (such as a worktree's `config.worktree`), or nil.
  public static func configString(_ key: String, inFile path: String) -> String? {
    GitRuntime.ensure()
    var config: OpaquePointer?
    guard git_config_open_ondisk(&config, path) == 0 else { return nil }
    defer { git_config_free(config) }
    var snapshot: OpaquePointer?
    guard git_config_snapshot(&snapshot, config) == 0 else { return nil }
    defer { git_config_free(snapshot) }
    var buf = git_buf()
    defer { git_buf_dispose(&buf) }
    guard git_config_get_string_buf(&buf, snapshot, key) == 0, let ptr = buf.ptr else { return nil }
    return String(cString: ptr)
  }

  /// Sets a string in one config file, creating the file if needed.
  public static func setConfigString(_ key: String, _ value: String, inFile path: String) throws(GitError) {
    GitRuntime.ensure()
    var config: OpaquePointer?
    try check(git_config_open_ondisk(&config, path))
    defer { git_config_free(config) }
    try check(git_config_set_string(config, key, value))
  }

  /// Removes a key from one config file; no error when it was not there.
  public static func removeConfigKey(_ key: String, inFile path: String) throws(GitError) {
    GitRuntime.ensure()
    var config: OpaquePointer?
    try check(git_config_open_ondisk(&config, path))
    defer { git_config_free(config) }
    let code = git_config_delete_entry(config, key)
    if code != GIT_ENOTFOUND.rawValue { try check(code) }
  }
}
