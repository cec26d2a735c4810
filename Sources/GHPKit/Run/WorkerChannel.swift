import CProcess
import Glibc

/// The socket between a contained worker and its supervisor (`WorkerSandbox`): one request and one
/// answer per connection, each a JSON object sent as a 4-byte big-endian length and that many bytes.
///
/// A request is `{"kind": "command", "argv": [...], "stdin": "...", "files": {"<argument>": "..."}}`
/// (a `ghp` command line, with standard input when an argument is `-`, and the content of every
/// argument that names a file the worker can read: the supervisor reads no path the worker names),
/// or `{"kind": "tool" | "prompt" | "resource", ...}` for `ghp-mcp`. The answer to a command is
/// `{"stdout": "...", "stderr": "...", "code": n}`; to the others `{"result": ...}` or `{"error": "..."}`.
public enum WorkerChannel {
  /// The largest request or answer (a plan or an issue file, an issue list).
  public static let limit = 16 << 20

  /// Listens on `path` (replacing what is there); the socket only its owner may use.
  public static func listen(_ path: String) throws(GHPError) -> Int32 {
    unlink(path)
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw .io("socket: \(String(cString: strerror(errno)))") }
    // A path longer than a socket address holds is bound through its folder's descriptor.
    var folder: Int32 = -1
    defer { if folder >= 0 { close(folder) } }
    var short = path
    if path.utf8.count >= 100, let slash = path.lastIndex(of: "/") {
      folder = open(String(path[..<slash]), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
      if folder >= 0 { short = "/proc/self/fd/\(folder)/" + path[path.index(after: slash)...] }
    }
    var address = try address(short)
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0, chmod(path, 0o600) == 0, Glibc.listen(fd, 16) == 0 else {
      let reason = String(cString: strerror(errno))
      close(fd)
      throw .io("cannot listen on \(path): \(reason)")
    }
    return fd
  }

  static func address(_ path: String) throws(GHPError) -> sockaddr_un {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard bytes.count < capacity else {
      throw .io("the socket path \(path) is longer than \(capacity - 1) bytes; move the repository to a shorter path")
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in bytes.enumerated() { raw[index] = byte }
    }
    return address
  }

  /// Sends one message.
  public static func send(_ fd: Int32, _ message: JSON) -> Bool {
    let body = Array(message.compact().utf8)
    let count = UInt32(body.count)
    let frame =
      [UInt8(count >> 24), UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff), UInt8(count & 0xff)] + body
    var offset = 0
    while offset < frame.count {
      let written = frame.withUnsafeBytes {
        Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
      }
      if written < 0 && errno == EINTR { continue }
      if written <= 0 { return false }
      offset += written
    }
    return true
  }

  /// Receives one message within `seconds`; nil when the peer sent none, too much, or no JSON object.
  public static func receive(_ fd: Int32, seconds: Double) -> JSON? {
    let deadline = ProcessIdentity.monotonic() + seconds
    func read(_ count: Int) -> [UInt8]? {
      var bytes = [UInt8](repeating: 0, count: count)
      var got = 0
      while got < count {
        let left = deadline - ProcessIdentity.monotonic()
        guard left > 0 else { return nil }
        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let polled = poll(&ready, 1, Int32(min(left, 3600) * 1000) + 1)
        if polled < 0 && errno == EINTR { continue }
        guard polled > 0 else { return nil }
        let n = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return nil }
        got += n
      }
      return bytes
    }
    guard let header = read(4) else { return nil }
    let count = header.reduce(0) { $0 << 8 | Int($1) }
    guard count <= limit, let body = read(count), let message = try? JSON.parse(body), message.objectValue != nil else {
      return nil
    }
    return message
  }

  /// Sends `request` to the supervisor listening on `path` and waits up to `seconds` for its answer.
  public static func call(_ path: String, _ request: JSON, seconds: Double) throws(GHPError) -> JSON {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw .io("socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var address = try address(path)
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard connected == 0 else {
      throw .io(
        "cannot reach the ghp run supervisor at \(path) (\(String(cString: strerror(errno)))): this worker's ghp commands go through it; is the run still going?"
      )
    }
    guard send(fd, request) else { throw .io("the ghp run supervisor closed \(path) before the request was sent") }
    guard let answer = receive(fd, seconds: seconds) else {
      throw .io("the ghp run supervisor gave no answer on \(path) within \(Int(seconds)) s")
    }
    return answer
  }

  /// Starts `command` (an absolute program and its arguments) with this process's descriptors and
  /// environment.
  public static func start(_ command: [String]) throws(GHPError) -> pid_t {
    var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var child: pid_t = 0
    let spawned = posix_spawn(&child, command[0], nil, nil, &argv, environ)
    guard spawned == 0 else { throw .io("cannot start \(command[0]): \(String(cString: strerror(spawned)))") }
    return child
  }

  /// Starts `command` as `start` does; when it is bubblewrap, with `--json-status-fd` on a pipe whose
  /// reading end is returned (or -1): `setUp(_:)` then tells whether bubblewrap got as far as
  /// starting the sandboxed program.
  public static func startWatched(_ command: [String]) throws(GHPError) -> (child: pid_t, status: Int32) {
    guard command.count > 1, command[0].split(separator: "/").last == "bwrap" else { return (try start(command), -1) }
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else { return (try start(command), -1) }
    _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
    defer { close(ends[1]) }
    do {
      return (try start([command[0], "--json-status-fd", "\(ends[1])"] + command.dropFirst()), ends[0])
    } catch {
      close(ends[0])
      throw error
    }
  }

  /// Whether bubblewrap, watched through `status` (from `startWatched`, after it ended), made the
  /// sandbox and started the program in it; true when it was not watched. Closes `status`.
  /// bubblewrap reports the child's pid as soon as it exists, before the child makes any mount; it
  /// reports an exit code only for a program it started, so that is what is looked for.
  public static func setUp(_ status: Int32) -> Bool {
    guard status >= 0 else { return true }
    defer { close(status) }
    var said: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(status, $0.baseAddress, $0.count) }
      if count <= 0 { break }
      said += buffer[..<count]
    }
    return String(decoding: said, as: UTF8.self).contains("\"exit-code\"")
  }

  /// Answers requests on `listener`, one at a time, until `child` ends; `meanwhile` runs about once
  /// a second. Returns the child's exit code (128 + the signal that ended it).
  public static func serve(listener: Int32, until child: pid_t, answer: (JSON) -> JSON, meanwhile: () -> Void) -> Int32
  {
    var status: Int32 = 0
    var last = ProcessIdentity.monotonic()
    // The child's end wakes the wait at once (SIGCHLD through a pipe), not at the next tick.
    let ended = ghp_child_signal_fd()
    while true {
      let reaped = waitpid(child, &status, WNOHANG)
      if reaped == child { break }
      if reaped < 0 && errno == ECHILD { return 1 }
      var ready = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
      if ended >= 0 { ready.append(pollfd(fd: ended, events: Int16(POLLIN), revents: 0)) }
      let woke = poll(&ready, nfds_t(ready.count), 1000)
      ghp_child_signal_drain()
      if woke > 0, ready[0].revents & Int16(POLLIN) != 0 {
        let connection = accept(listener, nil, nil)
        if connection >= 0 {
          _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
          if let request = receive(connection, seconds: 30) { _ = send(connection, answer(request)) }
          close(connection)
        }
      }
      if ProcessIdentity.monotonic() - last >= 1 {
        last = ProcessIdentity.monotonic()
        meanwhile()
      }
    }
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
  }

  /// For `ghp-mcp` in a contained worker: a tool call, prompt or resource read (`fields`) carried
  /// out by the supervisor. The result, or the text of its error.
  public static func ask(_ path: String, _ fields: [String: JSON]) -> (result: JSON?, error: String?) {
    do {
      let answer = try call(path, .object(fields), seconds: 3600)
      if let error = answer["error"]?.stringValue { return (nil, error) }
      return (answer["result"] ?? .null, nil)
    } catch {
      return (nil, "\(error.kind): \(error.description)")
    }
  }
}
