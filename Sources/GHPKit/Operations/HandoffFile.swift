import Glibc

/// Where `--write` may put a handoff: inside the repository's working tree, not inside `.git`, and
/// not over a tracked file unless forced.
public enum HandoffFile {
  /// The absolute, resolved path to write `path` to (a relative one from `base`, else the working
  /// directory); refused outside the working tree, inside `.git`, or over a tracked file unless `force`.
  public static func validate(
    _ path: String, workspace: Workspace, force: Bool, from base: String? = nil
  ) throws(GHPError) -> String {
    guard let workdir = workspace.repository.workingDirectory.flatMap(realPath) else {
      throw .invalidValue("--write", "this repository has no working tree to write into")
    }
    let absolute = Files.absolute(path, from: base)
    let parent = String(absolute[..<absolute.lastIndex(of: "/")!])
    let name = String(absolute[absolute.index(after: absolute.lastIndex(of: "/")!)...])
    guard !name.isEmpty, name != ".", name != "..", let folder = realPath(parent.isEmpty ? "/" : parent) else {
      throw .invalidValue("--write", "\(path) is not a file path in an existing folder")
    }
    let resolved = folder + "/" + name
    let root = workdir.hasSuffix("/") ? workdir : workdir + "/"
    guard resolved.hasPrefix(root) else {
      throw .invalidValue("--write", "\(path) is outside the repository (\(workdir)); write handoffs inside it")
    }
    let relative = String(resolved.dropFirst(root.count))
    if relative == ".git" || relative.hasPrefix(".git/") {
      throw .invalidValue("--write", "\(path) is inside .git")
    }
    if !force && workspace.repository.isTracked(relative) {
      throw .invalidValue("--write", "\(relative) is a tracked file; pass --force to overwrite it")
    }
    return resolved
  }

  /// `path` with its links and dots resolved (`realpath`), nil when it does not exist.
  public static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  /// Writes the document (aside, then renamed into place).
  public static func write(_ text: String, to path: String) throws(GHPError) {
    try Files.replace(path, with: Array(text.utf8))
  }
}
