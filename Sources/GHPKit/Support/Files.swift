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
    return readAll(fd, limit: Int.max)
  }

  /// What is left to read from `fd`; nil on an error or past `limit` bytes.
  static func readAll(_ fd: Int32, limit: Int) -> [UInt8]? {
    // A regular file is read into one buffer of its size (and a byte more, to see its end):
    // no chunk copied twice, no array grown and moved on the way.
    var info = stat()
    if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0, Int(info.st_size) <= limit {
      var failed = false
      var ended = false
      let whole = [UInt8](unsafeUninitializedCapacity: Int(info.st_size) + 1) { buffer, count in
        count = 0
        while count < buffer.count {
          let read = Glibc.read(fd, buffer.baseAddress! + count, buffer.count - count)
          if read < 0 && errno == EINTR { continue }
          if read < 0 {
            failed = true
            return
          }
          if read == 0 {
            ended = true
            return
          }
          count += read
        }
      }
      if failed { return nil }
      if ended { return whole.count <= limit ? whole : nil }
      // It grew while read: the rest as below.
      return readRest(fd, after: whole, limit: limit)
    }
    return readRest(fd, after: [], limit: limit)
  }

  private static func readRest(_ fd: Int32, after start: [UInt8], limit: Int) -> [UInt8]? {
    var bytes = start
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = Glibc.read(fd, &buffer, buffer.count)
      if count < 0 && errno == EINTR { continue }
      if count < 0 || bytes.count > limit - max(count, 0) { return nil }
      if count == 0 { return bytes }
      bytes.append(contentsOf: buffer[0..<count])
    }
  }

  /// Replaces a file: written aside (under a name unique to this process) and renamed into place,
  /// so a reader sees the old file or the whole new one, never part of it.
  ///
  /// Safe in a folder someone else may write (a contained worker's repository): the file aside is
  /// made new (a link planted under its name is removed, never followed) and its mode set through
  /// the open descriptor.
  public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) throws(GHPError) {
    let temporary = "\(path).\(getpid()).ghp-tmp"
    unlink(temporary)
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
    guard fd >= 0 else { throw .io("cannot write \(path): \(String(cString: strerror(errno)))") }
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
      if written < 0 && errno == EINTR { continue }
      if written <= 0 { break }
      offset += written
    }
    let failure = errno
    // open's mode is filtered by the umask; an executable hook must end up executable.
    let moded = fchmod(fd, mode) == 0
    close(fd)
    guard offset == bytes.count, moded, rename(temporary, path) == 0 else {
      let reason = offset == bytes.count ? errno : failure
      unlink(temporary)
      throw .io("cannot write \(path): \(String(cString: strerror(reason)))")
    }
  }

  /// The content of a regular file that is not a link, or nil (for what someone else may have
  /// planted a link to a secret under a name ghp reads).
  public static func readRegular(_ path: String, limit: Int = 64 << 20) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) <= limit else { return nil }
    return readAll(fd, limit: limit)
  }

  /// The names in a folder, `.` and `..` left out; nil when it cannot be read.
  public static func names(in path: String) -> [String]? {
    guard let folder = opendir(path) else { return nil }
    defer { closedir(folder) }
    var names: [String] = []
    while let entry = readdir(folder) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  /// `rm -rf`: removes `path` and everything under it without following a link (a link is removed,
  /// not what it names). True when nothing is left.
  @discardableResult
  public static func removeTree(_ path: String) -> Bool {
    var info = stat()
    guard lstat(path, &info) == 0 else { return errno == ENOENT }
    // A folder someone made unreadable or unwritable is opened up first (it is being removed).
    if (info.st_mode & S_IFMT) == S_IFDIR { chmod(path, 0o700) }
    if (info.st_mode & S_IFMT) == S_IFDIR, let names = names(in: path) {
      for name in names { removeTree(path + "/" + name) }
      return rmdir(path) == 0
    }
    return unlink(path) == 0
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
