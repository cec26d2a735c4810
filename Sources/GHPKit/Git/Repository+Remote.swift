import CLibGit2
import Glibc

/// Fetching and pushing `ghp/state` through a remote's URL.
extension Repository {
  /// The URL configured for a remote (`remote.<name>.url`), or nil when there is no such remote.
  /// Read from the config rather than with `git_remote_lookup`, which leaks in libgit2 1.5.
  public func remoteURL(_ name: String) -> String? {
    configString("remote.\(name).url").flatMap { $0.isEmpty ? nil : $0 }
  }

  /// Fetches the objects of `ref` from the remote's URL without writing any local ref, within
  /// `seconds`; returns the id the server has for it, or nil when it has none.
  public func fetchTip(remote: String, ref: String, seconds: Double = NetworkDeadline.seconds) throws(GitError)
    -> ObjectID?
  {
    try fetchTip(remote: remote, ref: ref, also: nil, seconds: seconds).tip
  }

  /// `also`: a glob (`refs/ghp/alive/*`) fetched in the same connection, no local ref written;
  /// its refs on the server come back with the tip.
  public func fetchTip(
    remote: String, ref: String, also: String?, seconds: Double = NetworkDeadline.seconds
  ) throws(GitError) -> (tip: ObjectID?, also: [(name: String, target: ObjectID)]) {
    guard let url = remoteURL(remote) else {
      throw GitError(code: GIT_ENOTFOUND.rawValue, errorClass: 0, message: "there is no git remote named \(remote)")
    }
    return try fetchTip(
      url: url, ref: ref, also: also,
      what: "fetching \(ref.hasPrefix("refs/heads/") ? String(ref.dropFirst(11)) : ref) from \(remote) (\(url))",
      seconds: seconds)
  }

  /// Fetches the objects of `ref` from `url` (a server, or another repository's folder on this
  /// machine) without writing any local ref, within `seconds`; returns its id there, or nil.
  public func fetchTip(url: String, ref: String, what: String, seconds: Double = NetworkDeadline.seconds)
    throws(GitError) -> ObjectID?
  {
    try fetchTip(url: url, ref: ref, also: nil, what: what, seconds: seconds).tip
  }

  /// `fetchTip(url:ref:what:seconds:)`, with the glob `also` fetched in the same connection.
  public func fetchTip(
    url: String, ref: String, also: String?, what: String, seconds: Double = NetworkDeadline.seconds
  ) throws(GitError) -> (tip: ObjectID?, also: [(name: String, target: ObjectID)]) {
    try Self.retryingDroppedConnections { () throws(GitError) in
      try fetchTipOnce(url: url, ref: ref, also: also, what: what, seconds: seconds)
    }
  }

  /// How many times a connection the server dropped before answering is tried in all.
  static let connectionAttempts = 3

  /// Runs `body` again, after a short random pause, when the server dropped the connection before
  /// answering: a busy server does that (`git daemon` past its `--max-connections`, 32 by default;
  /// sshd past `MaxStartups`, which starts dropping at 10 connections being set up), and a team of
  /// agents opens that many at once. A fetch writes no ref and a push of the same commit again
  /// is taken as it was (or is already there), so trying again changes nothing else. A timeout, a
  /// refusal or any other error is not tried again.
  static func retryingDroppedConnections<T>(_ body: () throws(GitError) -> T) throws(GitError) -> T {
    var attempt = 1
    while true {
      do { return try body() } catch {
        guard attempt < connectionAttempts, error.isDroppedConnection else { throw error }
        usleep(UInt32.random(in: 50_000...150_000) * UInt32(attempt))
        attempt += 1
      }
    }
  }

  private func fetchTipOnce(
    url: String, ref: String, also: String?, what: String, seconds: Double
  ) throws(GitError) -> (tip: ObjectID?, also: [(name: String, target: ObjectID)]) {
    GitRuntime.ensureCertificates(for: url)
    var state = ghp_network_state()
    let guardian = NetworkDeadline(what: what, seconds: seconds)
    state.deadline = guardian.deadline
    defer { guardian.finish() }
    var oid = git_oid()
    var found: Int32 = 0
    var listing: UnsafeMutablePointer<CChar>?
    defer { free(listing) }
    let code = ghp_fetch_tip(pointer, url, ref, also, &oid, &found, &listing, &state)
    guardian.finish()
    if state.timed_out != 0 || (code != 0 && guardian.timedOut) { throw guardian.timeoutError() }
    try check(code)
    var heads: [(name: String, target: ObjectID)] = []
    if let text = listing.map({ String(cString: $0) }) {
      for line in text.split(separator: "\n") {
        guard let space = line.firstIndex(of: " "), let id = ObjectID(hex: String(line[..<space])) else { continue }
        heads.append((String(line[line.index(after: space)...]), id))
      }
    }
    return (found != 0 ? ObjectID(oid) : nil, heads)
  }

  /// The outcome of a push: accepted; rejected because the remote moved (a lost race: fetch and
  /// try again); or refused by the server (a hook, a permission), with what the server said.
  public enum PushOutcome: Equatable, Sendable {
    case accepted
    case rejected(String)
    case refused(String)
  }

  /// Pushes one refspec without force, within `seconds`. A server's refusal comes back as
  /// `.rejected` or `.refused`; a transport failure throws.
  public func push(remote: String, refspec: String, seconds: Double = NetworkDeadline.seconds) throws(GitError)
    -> PushOutcome
  {
    try Self.retryingDroppedConnections { () throws(GitError) in
      try pushOnce(remote: remote, refspec: refspec, seconds: seconds)
    }
  }

  private func pushOnce(remote: String, refspec: String, seconds: Double) throws(GitError) -> PushOutcome {
    guard let url = remoteURL(remote) else {
      throw GitError(code: GIT_ENOTFOUND.rawValue, errorClass: 0, message: "there is no git remote named \(remote)")
    }
    GitRuntime.ensureCertificates(for: url)
    var state = ghp_network_state()
    let guardian = NetworkDeadline(what: "pushing ghp/state to \(remote) (\(url))", seconds: seconds)
    state.deadline = guardian.deadline
    defer { guardian.finish() }
    let code = ghp_push(pointer, url, refspec, &state)
    guardian.finish()
    if state.timed_out != 0 || (code != 0 && guardian.timedOut) { throw guardian.timeoutError() }
    // libgit2 refuses on its own, before sending, when the remote ref points at a commit we do not
    // have: the remote moved since our fetch. That is a lost race like a server's rejection.
    if code == GIT_ENONFASTFORWARD.rawValue { return .rejected("the remote moved since the last fetch") }
    try check(code)
    guard state.rejected != 0 else { return .accepted }
    let status = withUnsafeBytes(of: state.message) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    let said = withUnsafeBytes(of: state.server_said) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    let race = [
      "non-fast-forward", "fetch first", "stale info", "failed to lock", "cannot lock", "failed to update ref",
    ]
    let lines = said.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { String($0).trimmingSpaces }.filter {
      !$0.isEmpty
    }
    let text = status + (lines.isEmpty ? "" : "; the server said: " + lines.joined(separator: " / "))
    if race.contains(where: { status.contains($0) }) { return .rejected(text) }
    return .refused(text)
  }

  /// Moves (or creates, or deletes with nil) a reference without a compare: for ghp's own
  /// remote-tracking and scratch refs only, never for `ghp/state`.
  public func setReference(_ name: String, to target: ObjectID?, logMessage: String) throws(GitError) {
    guard var raw = target?.raw else {
      var ref: OpaquePointer?
      if git_reference_lookup(&ref, pointer, name) == 0 {
        defer { git_reference_free(ref) }
        try check(git_reference_delete(ref))
      }
      return
    }
    var ref: OpaquePointer?
    try check(git_reference_create(&ref, pointer, name, &raw, 1, logMessage))
    git_reference_free(ref)
  }
}

/// Keeping a clone that fetches all day fast: libgit2 keeps every fetch as a pack of its own, and
/// each pack is one more index to search on every object read.
extension Repository {
  /// Past this many packs, the small ones are merged (`consolidatePacks`). Lower than git's
  /// `gc.autoPackLimit` (50): with 50 packs standing, `agent-status` took half as long again as
  /// with one; merging only the small packs keeps the cost of doing it more often small.
  public static let packLimit = 8

  /// The index files of the packs in the object folder (a pack kept with a `.keep` file, as git
  /// keeps it, is left out).
  public func packIndexes() -> [String] {
    let folder = commonDirectory + "objects/pack/"
    guard let directory = opendir(folder) else { return [] }
    defer { closedir(directory) }
    var out: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      guard name.hasPrefix("pack-"), name.hasSuffix(".idx") else { continue }
      let stem = folder + name.dropLast(4)
      if access(stem + ".keep", F_OK) == 0 { continue }
      out.append(folder + name)
    }
    return out.sorted()
  }

  /// Merges packs when there are more than `limit`, as `git repack --geometric=2` would: from the
  /// smallest up, each pack less than twice the size of the ones below it joins them, and those are
  /// written into one new pack (fsynced), then removed; a large pack (a clone's first) is left as it
  /// is, so each object is rewritten a few times in all, not at every merge. One process at a time
  /// (a lock file beside the writer lock; a busy one skips, the next fetch tries again). Returns the
  /// pack counts before and after, or nil when nothing was done. A reader that listed an old pack
  /// finds its objects in the new one (libgit2 looks again when an object is not where it was).
  @discardableResult
  public func consolidatePacks(limit: Int = Repository.packLimit) -> (before: Int, after: Int)? {
    guard packIndexes().count > limit else { return nil }
    let lock = FileLock(path: commonDirectory + "ghp/repack.lock")
    defer { lock.release() }
    guard lock.take(within: 0) else { return nil }
    let all = packIndexes()
    guard all.count > limit else { return nil }
    let old = Self.geometricTail(
      all.map { index -> (String, Int) in
        var info = stat()
        let size = stat(String(index.dropLast(4)) + ".pack", &info) == 0 ? Int(info.st_size) : 0
        return (index, size)
      })
    var pointers = old.map { UnsafePointer<CChar>(strdup($0)) }
    defer { for pointer in pointers { free(UnsafeMutablePointer(mutating: pointer)) } }
    var name = [CChar](repeating: 0, count: 64)
    let code = pointers.withUnsafeMutableBufferPointer { buffer in
      ghp_consolidate_packs(pointer, buffer.baseAddress, old.count, &name, name.count)
    }
    guard code == 0 else { return nil }
    let made = commonDirectory + "objects/pack/pack-" + String(cString: name) + ".idx"
    for index in old where index != made {
      let stem = String(index.dropLast(4))
      // The index first: a reader listing the folder no longer finds the pack it would open.
      unlink(index)
      unlink(stem + ".pack")
      unlink(stem + ".rev")
    }
    return (all.count, packIndexes().count)
  }

  /// The packs to merge (index paths), given each with its size: the smallest, then each next one
  /// while it is less than twice the sum of those before it; at least the two smallest.
  static func geometricTail(_ packs: [(index: String, size: Int)]) -> [String] {
    let ascending = packs.sorted { $0.size < $1.size || ($0.size == $1.size && $0.index < $1.index) }
    var chosen: [String] = []
    var sum = 0
    for pack in ascending {
      if chosen.count >= 2 && pack.size >= 2 * sum { break }
      chosen.append(pack.index)
      sum += pack.size
    }
    return chosen
  }
}
