import Glibc

/// What an operation wants written: documents to put (bytes) or remove (nil), and the commit message.
public struct Change: Sendable {
  /// Documents by path in the state tree: the bytes to put, or nil to remove the file.
  public var writes: [String: [UInt8]?]
  /// Documents put as blobs already in the object database (a gate log the lander wrote), named by
  /// id so that the operation can record the id rather than carry the bytes.
  public var links: [String: ObjectID] = [:]
  /// The message of the commit, record included.
  public var message: CommitMessage

  /// A change that writes `writes` (and links nothing) under `message`.
  public init(writes: [String: [UInt8]?] = [:], message: CommitMessage) {
    self.writes = writes
    self.message = message
  }

  /// Puts a JSON document in its canonical form.
  public mutating func put(_ path: String, json: JSON) { writes[path] = json.canonical() }
  /// Puts `.ghp/agent-status.json` as `state` holds it with each of `updates` (an agent's record,
  /// new or replaced): the other entries' bytes copied as they are where the document is indexed
  /// (`AgentEntries`), else the whole document rewritten. Both write the same bytes.
  public mutating func putAgents(_ updates: [String: AgentRecord], onto state: StateSnapshot) throws(GHPError) {
    if let entries = try state.agentEntries(), let spliced = entries.replacing(updates) {
      writes[StatePaths.agentStatus] = spliced
      return
    }
    var agents = try state.agents()
    for (name, record) in updates { agents.agents[name] = record }
    put(StatePaths.agentStatus, json: agents.json)
  }

  /// Puts a text document, with a trailing newline.
  public mutating func put(_ path: String, text: String) {
    writes[path] = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
  }
}

/// The result of a transaction: the operation's own answer and the commit that landed (nil when
/// the operation had nothing to change).
public struct Landed<Result> {
  /// The operation's own answer, from the attempt that landed.
  public var result: Result
  /// The commit that landed on `ghp/state`, nil when the operation changed nothing.
  public var commit: ObjectID?
}

/// The one way state changes: take the writer lock, read the tip, apply a pure operation, write one
/// commit, move `refs/heads/ghp/state` by compare-and-swap; on a lost race, start again from the
/// new tip.
public final class Ledger {
  /// The repository whose `ghp/state` this ledger reads and writes.
  public let repository: Repository
  let lock: WriterLock
  /// Since when the server has refused this process's pushes because its ref's lock file exists
  /// (`Ledger.serverLockProblem`), or nil.
  var serverLockSince: Double?
  /// The remotes whose server showed, at this process's last fetch, that it lands operations
  /// (`Sequencer.markRef`).
  var sequencingRemotes: Set<String> = []
  /// Whether the server refused this process's last operation because it lands none.
  var serverDeclines = false

  /// How long a ref `.lock` that ghp cannot prove stale is waited for: git holds one for
  /// microseconds; one held longer belongs to a live git process (an `update-ref --stdin`
  /// transaction) or to a crashed one that ghp cannot tell from it, and is never removed.
  static let refLockWait: Double = 2.0

  /// Asked once the writer lock is held and again just before the ref moves: false means the
  /// caller no longer wants the change (an MCP call its client cancelled), and nothing is written
  /// (`GHPError.interrupted`).
  public var stillWanted: (@Sendable () -> Bool)?

  /// The ledger of `repository`; `lockTimeout` is the seconds a writer waits for the writer lock.
  public init(repository: Repository, lockTimeout: Double = 30) throws(GHPError) {
    self.repository = repository
    lock = WriterLock(commonDirectory: repository.commonDirectory, timeout: lockTimeout)
  }

  /// The tip of `ghp/state` as it is now (no lock taken: reads never wait for writers).
  public func snapshot() throws(GHPError) -> StateSnapshot {
    let kind: (target: ObjectID?, symbolic: String?, isCommit: Bool)?
    do { kind = try repository.referenceKind(StatePaths.branch) } catch { throw .git(error) }
    guard let kind else { return try StateSnapshot(repository: repository, commit: nil) }
    if let symbolic = kind.symbolic {
      throw .corruptRef(
        StatePaths.branch,
        "it is a symbolic ref to \(symbolic), not a commit; nothing was read or written (point it back at the last good commit: git update-ref --no-deref \(StatePaths.branch) <commit>)"
      )
    }
    guard let tip = kind.target, kind.isCommit else {
      throw .corruptRef(
        StatePaths.branch,
        "it points at \(kind.target?.short ?? "nothing"), which is not a commit; nothing was read or written (git update-ref \(StatePaths.branch) <commit>)"
      )
    }
    return try StateSnapshot(repository: repository, commit: tip)
  }

  /// Debug and test builds only: the record of a change decodes (`OperationCatalog`) to an
  /// operation that, applied again to the same snapshot by the same actor at the same time, makes the
  /// same documents and the same message. Every test that writes state so proves that record and
  /// decoder agree — what `ghp verify`, `ghp sync` and `pre-receive` rely on.
  static func requireRecordAgrees(
    _ change: Change, on state: StateSnapshot, actor: String, clock: Clock
  ) throws(GHPError) {
    let record = change.message.operation
    let again: Change?
    do {
      again = try OperationCatalog.decode(record).change(on: state, actor: actor, clock: clock)
    } catch {
      throw .invalidValue("the record \(record.encoded)", "it does not re-apply: \(error.description)")
    }
    guard let again, again.writes == change.writes, again.links == change.links,
      again.message.text == change.message.text
    else {
      throw .invalidValue("the record \(record.encoded)", "re-applied, it makes another change than the one written")
    }
  }

  /// Runs `operation` against the tip and lands its change as one commit authored by `actor`; in
  /// remote mode it lands only once pushed.
  ///
  /// `operation` must be a pure function of the snapshot: it may run more than once when another
  /// writer (another machine's fetch, a person with the git CLI) moves the ref between read and write.
  public func transact<Result>(
    actor: String, clock: Clock, _ operation: (StateSnapshot, Clock) throws(GHPError) -> (Change?, Result)
  ) throws(GHPError) -> Landed<Result> {
    try lock.lock()
    var locked = true
    defer { if locked { lock.unlock() } }
    if let stillWanted, !stillWanted() { throw .interrupted }
    try removeDeadWritersRefLock()
    // In remote mode the shared server is the arbiter: the change lands only once it is pushed.
    // The lock is not held across network I/O: a hung server must not stop this machine's writers.
    var first: StateSnapshot? = try snapshot()
    if let remote = first?.remoteName {
      lock.unlock()
      locked = false
      return try transactRemote(remote: remote, actor: actor, clock: clock, operation)
    }
    var attempts = 0
    var lockWaitStarted: Double?
    // Objects written for a change that did not land (refused, interrupted, lost its race) are put
    // on disk before this returns all the same (`flushLeftObjects`).
    defer { flushLeftObjects() }
    while true {
      attempts += 1
      // The first attempt reuses the snapshot read above; a retry reads the new tip.
      let state: StateSnapshot
      if let read = first { state = read } else { state = try snapshot() }
      first = nil
      let at = clock.notBefore(state.commitTime, within: state.clockSkew)
      let (change, result) = try operation(state, at)
      guard let change else { return Landed(result: result, commit: nil) }
      // Its objects go to disk with the ref's lock file, in one fsync (`moveStateRef`).
      let commit = try write(change, onto: state, actor: actor, clock: at, flushed: false)
      #if DEBUG
        try Self.requireRecordAgrees(change, on: state, actor: actor, clock: at)
      #endif
      if let stillWanted, !stillWanted() { throw .interrupted }
      do {
        try moveStateRef(to: commit, expected: state.commit, message: "ghp: \(change.message.subject)")
        return Landed(result: result, commit: commit)
      } catch let error {
        switch error.kind {
        case .modified, .exists:
          guard attempts < 1000 else { throw .contention(attempts) }
          usleep(UInt32.random(in: 100...2000))
        case .locked:
          try recoverRefLock(waitStarted: &lockWaitStarted)
        default:
          throw .git(error)
        }
      }
    }
  }

  /// Above this many documents a change is written as one pack rather than loose objects.
  static let packThreshold = 64

  /// Writes the commit of `change` onto `state`. With `flushed` false its objects are put on disk by
  /// the `moveStateRef` that must follow (see `writingBatched`).
  func write(_ change: Change, onto state: StateSnapshot, actor: String, clock: Clock, flushed: Bool = true)
    throws(GHPError) -> ObjectID
  {
    try change.message.operation.requireNoNUL()
    return try writeObjects(change, onto: state, actor: actor, clock: clock, flushed: flushed)
  }

  private func writeObjects(
    _ change: Change, onto state: StateSnapshot, actor: String, clock: Clock, flushed: Bool
  ) throws(GHPError) -> ObjectID {
    // Signed with the agent's key when this machine holds one (see `SigningKeys`); with
    // `[signing] required`, a commit without one would be refused everywhere: it is not written.
    let key = try signingKey(for: actor)
    if key == nil, state.exists, try state.config().signingRequired {
      throw .refused(
        "[signing] required is set, and \(actor) has no signing key on this machine (\(SigningKeys.path(repository, agent: actor))): nothing was written; put its private key there (mode 0600), or have an orchestrator register a new one with `ghp agent add \(actor) --key FILE`"
      )
    }
    guard change.writes.count < Self.packThreshold else {
      do {
        return try repository.writingOnePack { (packed) throws(GitError) in
          do throws(GHPError) {
            return try Self.write(change, onto: state, actor: actor, clock: clock, key: key, in: packed)
          } catch {
            if case .git(let inner) = error { throw inner }
            throw GitError(code: -1, errorClass: 0, message: error.description)
          }
        }
      } catch {
        throw GHPError.git(error)
      }
    }
    return try writingBatched(flushed: flushed) { (batched) throws(GHPError) in
      try Self.write(change, onto: state, actor: actor, clock: clock, key: key, in: batched)
    }
  }

  private var batched: BatchedObjects?

  /// Runs `body` on a handle whose new objects are flushed together when it returns (one fsync for
  /// them all), so that a ref moved to them afterwards never points at objects not yet on disk.
  ///
  /// With `flushed` false the objects stay unflushed until the next flush: `moveStateRef` makes
  /// it, with the ref's own lock file in the same fsync. Only a write that moves `ghp/state` next
  /// may leave them so, and it calls `flushLeftObjects` on every way out; anything else that names
  /// them must flush first.
  func writingBatched<T>(flushed: Bool = true, _ body: (Repository) throws(GHPError) -> T) throws(GHPError) -> T {
    let handle = try batchedObjects()
    let result: T
    do {
      result = try body(handle.repository)
    } catch {
      try? handle.flush()
      throw error
    }
    if flushed {
      do { try handle.flush() } catch { throw .git(error) }
    }
    return result
  }

  /// Puts on disk what a write left unflushed (`writingBatched(flushed: false)`) and did not land:
  /// a later write making the same object finds it in place, does not write it again, and names
  /// it. With nothing left, no fsync is made.
  func flushLeftObjects() { try? batched?.flush() }

  /// The handle objects are written through, flushed together (opened once per ledger).
  private func batchedObjects() throws(GHPError) -> BatchedObjects {
    if let batched { return batched }
    do {
      let handle = try BatchedObjects(repository)
      batched = handle
      return handle
    } catch {
      throw .git(error)
    }
  }

  private var keys: [String: SigningKey?] = [:]
  private var cachedVerifier: Verifier?

  /// One verifier per ledger: its scratch handle is opened once, not on every fetch.
  func verifier() throws(GHPError) -> Verifier {
    if let cachedVerifier { return cachedVerifier }
    let made = try Verifier(repository: repository)
    cachedVerifier = made
    return made
  }

  /// The agent's private key on this machine (read once per ledger), or nil.
  func signingKey(for agent: String) throws(GHPError) -> SigningKey? {
    if let known = keys[agent] { return known }
    let key = try SigningKeys.load(repository, agent: agent)
    keys[agent] = .some(key)
    return key
  }

  private static func write(
    _ change: Change, onto state: StateSnapshot, actor: String, clock: Clock, key: SigningKey?,
    in repository: Repository
  ) throws(GHPError) -> ObjectID {
    let tree: ObjectID
    do { tree = try Self.tree(of: change, onto: state.treeID, in: repository) } catch { throw .git(error) }
    let signature = Signature(name: actor, email: "\(actor)@ghp", time: clock.now)
    let parents = state.commit.map { [$0] } ?? []
    if let key {
      return try repository.writeSignedCommit(
        tree: tree, parents: parents, author: signature, message: change.message.text,
        sign: { (bytes) throws(GHPError) in try key.sign(bytes) })
    }
    do {
      return try repository.writeCommit(tree: tree, parents: parents, author: signature, message: change.message.text)
    } catch {
      throw .git(error)
    }
  }

  /// The tree `change` makes of `baseline` (its blobs and trees written into `repository`).
  static func tree(of change: Change, onto baseline: ObjectID?, in repository: Repository) throws(GitError) -> ObjectID
  {
    var updates: [Repository.TreeUpdate] = []
    for path in change.writes.keys.sorted() {
      var blob: ObjectID?
      if let bytes = change.writes[path]! { blob = try repository.writeBlob(bytes) }
      updates.append(.init(path: path, blob: blob))
    }
    for (path, blob) in change.links.sorted(by: { $0.key < $1.key }) where change.writes[path] == nil {
      guard repository.contains(blob) else {
        throw GitError(code: -3, errorClass: 0, message: "the blob \(blob.short) for \(path) is not in this repository")
      }
      updates.append(.init(path: path, blob: blob))
    }
    return try repository.updatedTree(baseline, applying: updates)
  }

  /// The path of the lock file git and libgit2 create while moving `ghp/state`.
  public var refLockPath: String {
    repository.localPaths.stateRefLock
  }

  /// Moves `ghp/state` by compare-and-swap, with the writer lock's record saying so meanwhile: if
  /// this process dies between creating the ref's `.lock` and renaming it, the next writer knows
  /// whose `.lock` it is.
  func moveStateRef(to commit: ObjectID, expected: ObjectID?, message: String) throws(GitError) {
    lock.write(.updating)
    defer { lock.write(.holding) }
    try moveBranch(StatePaths.branch, to: commit, expected: expected, message: message)
  }

  /// Moves branch `name` (the base, when `ghp land` lands) by compare-and-swap as `ghp/state` moves
  /// (`BatchedObjects.compareAndSwapReference`): its lock file flushed with any object left
  /// unflushed, then its folder, two fsyncs where libgit2 made six with the reflogs of the branch
  /// and of HEAD (both still written, unflushed). Throws as `Repository.compareAndSwapReference`.
  func moveBranch(_ name: String, to commit: ObjectID, expected: ObjectID?, message: String) throws(GitError) {
    let handle: BatchedObjects
    do { handle = try batchedObjects() } catch {
      guard case .git(let inner) = error else { throw GitError(code: -1, errorClass: 0, message: error.description) }
      throw inner
    }
    try handle.compareAndSwapReference(name, to: commit, expected: expected, logMessage: message)
  }

  /// Removes the ref's `.lock` when it is provably a dead ghp writer's: the writer lock's last
  /// holder was moving the ref and that process is gone. Anything else is left alone.
  func removeDeadWritersRefLock() throws(GHPError) {
    guard let previous = lock.previous, previous.state == .updating, previous.isDead else { return }
    let path = refLockPath
    if unlink(path) != 0 && errno != ENOENT { throw .staleRefLock(path) }
    lock.forgetPrevious()
  }

  /// Called when the ref's `.lock` is held. A dead ghp writer's is removed at once; any other is
  /// waited for briefly (git holds one for microseconds), then reported, naming the file, never
  /// removed: ghp cannot tell a live `git update-ref --stdin` from a crashed one.
  func recoverRefLock(waitStarted: inout Double?) throws(GHPError) {
    try removeDeadWritersRefLock()
    let path = refLockPath
    guard access(path, F_OK) == 0 else { return }  // gone already: retry
    let now = ProcessIdentity.monotonic()
    if waitStarted == nil { waitStarted = now }
    if now - waitStarted! > Self.refLockWait { throw .refLocked(path) }
    usleep(10_000)
  }

}
