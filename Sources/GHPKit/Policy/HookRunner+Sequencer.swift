import Glibc

/// The server's side of `Sequencer`: `pre-receive` judges a pushed operation as its pusher's, and
/// `proc-receive` lands it.
extension HookRunner {
  /// What `pre-receive` says of an operation pushed to a server whose git does not hand it to ghp.
  static let landsNoOperations = "this server does not land operations"

  /// A push of `refs/ghp/ops/<agent>`, judged by `pre-receive`: by that agent (when the server names
  /// its pushers); one commit by it, built on this server's `ghp/state`, not dated ahead of this
  /// server's clock, of an operation the server lands. What the operation makes, its signature
  /// and whether it landed already are `proc-receive`'s to judge, on the tip it lands on.
  /// What is pushed is not stored under the ref: `proc-receive` lands the operation, or this
  /// server refuses the push when it has no proc-receive to do so.
  static func judgeOperation(
    new: ObjectID, ref: String, by pusher: Pusher, state: StateSnapshot, repository: Repository, now: Int64
  ) throws(GHPError) -> [String] {
    let agent = String(ref.dropFirst(Sequencer.prefix.count))
    guard repository.configString(HookInstaller.procReceiveKey) == String(Sequencer.prefix.dropLast()) else {
      return [
        "\(ref): \(landsNoOperations) (receive.procReceiveRefs is not \(Sequencer.prefix.dropLast())); whoever runs it: `ghp hooks install --server`"
      ]
    }
    if new == .zero { return ["\(ref) holds nothing to delete: the server lands what is pushed there"] }
    guard (try? AgentName.validate(agent)) != nil, state.exists else {
      return ["\(ref): '\(agent)' is not an agent's name; operations go to refs/ghp/ops/<agent>"]
    }
    if pusher.name != nil, !pusher.agents.contains(agent) {
      return ["\(pusher.who) may not push \(agent)'s operations: refs/ghp/ops/\(agent) is \(agent)'s own"]
    }
    let commit: Commit
    do { commit = try repository.commit(new) } catch { return ["\(ref): \(new.short) is not a commit"] }
    guard commit.authorName == agent else {
      return ["\(ref): commit \(new.short) is by \(commit.authorName); refs/ghp/ops/\(agent) takes only \(agent)'s"]
    }
    if commit.authorTime > now + (try state.config().clockSkew) {
      return [
        "\(ref): commit \(new.short) is dated \(RFC3339.format(commit.authorTime)), ahead of this server's clock (\(RFC3339.format(now))); set the clock of the machine that made it right"
      ]
    }
    // What the operation makes is proc-receive's to judge, on the tip it lands on (`Sequencer`).
    if let op = CommitMessage.trailers(commit.message)[CommitMessage.Trailer.op], let refusal = Sequencer.notLanded(op)
    {
      return ["\(ref): \(refusal)"]
    }
    do {
      if let refusal = try Sequencer.notBuiltOn(new, tip: state.commit, in: repository) {
        return ["\(ref): \(refusal)"]
      }
    } catch {
      throw .git(error)
    }
    return []
  }

  /// `proc-receive` on a shared server (git 2.29 and later, for the refs `receive.procReceiveRefs`
  /// names): reads git's commands in pkt-lines from `input`, lands each operation pushed to
  /// `refs/ghp/ops/<agent>` (`Ledger.sequence`) and answers each on `output`: `ok`, or `ng` with
  /// the refusal, which the pusher reads as the server's reason.
  public static func procReceive(workspace: Workspace, input: Int32 = 0, output: Int32 = 1) throws(GHPError) {
    var reader = PacketLines(fd: input)
    // Version negotiation: git's line (and its capabilities), then ours; no capability is asked for.
    guard try reader.next() != nil else { throw .io("proc-receive: git sent no version") }
    while try reader.next() != nil {}
    try PacketLines.write(["version=1\0"], to: output)
    var commands: [(new: ObjectID, ref: String)] = []
    while let line = try reader.next() {
      let fields = String(decoding: line, as: UTF8.self).split(separator: " ").map(String.init)
      guard fields.count == 3, let new = ObjectID(hex: fields[1]) else { continue }
      commands.append((new, fields[2].trimmingSpaces))
    }
    var answers: [String] = []
    for (new, ref) in commands {
      guard ref.hasPrefix(Sequencer.prefix), new != .zero else {
        answers.append("ng \(ref) ghp lands only operations pushed to \(Sequencer.prefix)<agent>")
        continue
      }
      let outcome: SequenceOutcome
      do { outcome = try workspace.ledger.sequence(new) } catch { outcome = .refused(error.description) }
      switch outcome {
      case .landed(let merge):
        // The agent's ops ref shows the last merge landed for it: a commit every recent clone has,
        // so a client's next push sends only what is newer (libgit2 packs all that no ref the
        // server shows hides). Best effort: the answer stands either way.
        try? workspace.repository.setReference(ref, to: merge, logMessage: "ghp: landed \(new.short)")
        answers.append("ok \(ref)")
      case .refused(let why):
        let line = why.split(whereSeparator: \.isNewline).joined(separator: " / ")
        answers.append("ng \(ref) \(line.prefix(4000))")
      }
    }
    try PacketLines.write(answers, to: output)
  }
}

/// git's pkt-line framing, as its hooks speak it: four hex digits of length (its own four
/// included), then the payload; `0000` ends a section.
struct PacketLines {
  let fd: Int32
  private var buffer: [UInt8] = []

  init(fd: Int32) { self.fd = fd }

  /// The next line's payload without its newline, or nil at a flush; end of input is an error.
  mutating func next() throws(GHPError) -> [UInt8]? {
    let head = try take(4)
    guard let length = Int(String(decoding: head, as: UTF8.self), radix: 16) else {
      throw .io("proc-receive: git sent a malformed pkt-line")
    }
    if length == 0 || length == 1 { return nil }
    guard length >= 4 else { throw .io("proc-receive: git sent a malformed pkt-line") }
    var payload = try take(length - 4)
    if payload.last == UInt8(ascii: "\n") { payload.removeLast() }
    return payload
  }

  private mutating func take(_ count: Int) throws(GHPError) -> [UInt8] {
    while buffer.count < count {
      var chunk = [UInt8](repeating: 0, count: 65536)
      let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if got < 0 && errno == EINTR { continue }
      guard got > 0 else { throw .io("proc-receive: git's input ended mid-protocol") }
      buffer += chunk[0..<got]
    }
    let out = Array(buffer[0..<count])
    buffer.removeFirst(count)
    return out
  }

  /// Writes each line (a newline added unless it ends in NUL) and then a flush.
  static func write(_ lines: [String], to fd: Int32) throws(GHPError) {
    var bytes: [UInt8] = []
    for line in lines {
      var payload = Array(line.utf8)
      if payload.last != 0 { payload.append(UInt8(ascii: "\n")) }
      let hex = String(payload.count + 4, radix: 16)
      bytes += Array((String(repeating: "0", count: 4 - hex.count) + hex).utf8) + payload
    }
    bytes += Array("0000".utf8)
    var offset = 0
    while offset < bytes.count {
      let wrote = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      if wrote < 0 && errno == EINTR { continue }
      guard wrote > 0 else { throw .io("proc-receive: cannot answer git: \(String(cString: strerror(errno)))") }
      offset += wrote
    }
  }
}
