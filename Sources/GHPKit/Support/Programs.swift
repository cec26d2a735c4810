import Glibc

/// Finding a program the way a shell does: the folders of `PATH` in order, the first regular file
/// by that name that may be executed.
public enum ProgramSearch {
  /// The folders of a `PATH` value, in order, without empty entries.
  public static func folders(_ path: String?) -> [String] {
    (path ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty }
  }

  /// Whether `candidate` is a file (not a folder) this process may execute.
  public static func isExecutable(_ candidate: String) -> Bool {
    var info = stat()
    guard stat(candidate, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR else { return false }
    return access(candidate, X_OK) == 0
  }

  /// The first executable `program` in `folders` (for example `folders(environment["PATH"])`).
  public static func find(_ program: String, in folders: [String]) -> String? {
    folders.lazy.map { LocalPaths.join($0, program) }.first(where: isExecutable)
  }
}

/// ghp's version, as `ghp --version` and the MCP server's `initialize` answer give it.
public enum GHPVersion {
  /// The version of this build.
  public static let current = "0.1.0"
}
