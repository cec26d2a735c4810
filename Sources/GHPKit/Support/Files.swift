import Glibc

/// Whole-file reads and replacements, for everything ghp keeps outside the state branch: the
/// issue cache, installed hooks, handoffs written with `--write`, commit-message files.
public enum Files {
  /// The process's working directory.
  public static func currentDirectory() -> String {
    guard let cwd = getcwd(nil, 0) else { return "." }
    defer { free(cwd) }
    return String(cString: cwd)
  }

  /// `path` made absolute: as it is when it is, else from `base` (itself from the working
  /// directory when relative), or from the working directory when there is no base.
  public static func absolute(_ path: String, from base: String? = nil) -> String {
    guard !path.hasPrefix("/") else { return path }
    let start = base.map { $0.hasPrefix("/") ? $0 : currentDirectory() + "/" + $0 } ?? currentDirectory()
    return (start.hasSuffix("/") ? start : start + "/") + path
  }

  /// The whole content of a file (or of a pipe), or nil when it cannot be read (errno says why).
  public static func read(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = Glibc.read(fd, &buffer, buffer.count)
      if count < 0 && errno == EINTR { continue }
      if count < 0 { return nil }
      if count == 0 { return bytes }
      bytes.append(contentsOf: buffer[0..<count])
    }
  }

  /// Replaces a file: written aside (under a name unique to this process) and renamed into place,
  /// so a reader sees the old file or the whole new one, never part of it.
  public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) throws(GHPError) {
    let temporary = "\(path).\(getpid()).ghp-tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw .io("cannot write \(path): \(String(cString: strerror(errno)))") }
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
      if written < 0 && errno == EINTR { continue }
      if written <= 0 { break }
      offset += written
    }
    let failure = errno
    close(fd)
    // open's mode is filtered by the umask; an executable hook must end up executable.
    guard offset == bytes.count, chmod(temporary, mode) == 0, rename(temporary, path) == 0 else {
      let reason = offset == bytes.count ? errno : failure
      unlink(temporary)
      throw .io("cannot write \(path): \(String(cString: strerror(reason)))")
    }
  }

  /// `mkdir -p` for an absolute path.
  public static func makeDirectories(_ path: String) -> Bool {
    var prefix = ""
    for component in path.split(separator: "/") {
      prefix += "/" + component
      if mkdir(prefix, 0o755) != 0 && errno != EEXIST { return false }
    }
    return true
  }
}

/// This process.
public enum ThisProcess {
  /// This process's environment, read from `environ`.
  public static var environment: [String: String] {
    var out: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
      let text = String(cString: entry)
      if let eq = text.firstIndex(of: "=") { out[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
      pointer += 1
    }
    return out
  }

  /// The absolute path of the running executable (from `/proc/self/exe`), or nil.
  public static var executablePath: String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { return nil }
    return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
