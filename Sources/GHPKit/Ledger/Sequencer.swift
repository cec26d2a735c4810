import Glibc

/// Operations a server lands in its own order, so that writers on many hosts stop racing for one
/// compare-and-swap.
///
/// An agent builds its operation as a commit on the tip it knows (signed, as any state commit)
/// and pushes it to `refs/ghp/ops/<agent>`. The server's `proc-receive` hook does not store what is
/// pushed there (the ref shows the last merge it landed for the agent, so that the next push sends
/// only what is newer): it lands the operation on its own `ghp/state` as a merge whose first parent is the tip it held
/// and whose second is the agent's commit, with the operation's record re-executed on that tip as
/// its tree, and answers the push with `ok` or with the refusal. The merge needs no signature: its
/// author, time, message and tree follow from its two parents, and every clone checks them as the
/// server made them (`Verifier`). An operation lands at most once: its commit is then on the line.
public enum Sequencer {
  /// Where an agent pushes an operation for the server to land: `refs/ghp/ops/<agent>`.
  public static let prefix = "refs/ghp/ops/"
  /// The ref a server that lands operations shows (`ghp hooks install --server` writes it), so that
  /// a client knows before it pushes one.
  public static let markRef = "refs/ghp/sequencer"
  /// What the server answers when the operation changes nothing on its tip.
  static let nothingToChange = "ghp: the operation changes nothing on the server's tip"
  /// What the server answers when the operation is on its line already (a push tried again after
  /// its answer was lost): the writer looks for it there.
  static let landedAlready = "has landed already"
  /// How long before the tip it lands on an operation may have been made (its writer tries for
  /// `Ledger.remoteRetrySeconds`), and how far behind that tip it may be built, in commits.
  static let landingWindow: Int64 = 120
  static let maximumBehind = 10_000

  /// The operations a server lands: each names in its record everything it does (no id it mints,
  /// no choice made from the state), so re-executed on a newer tip it does the same or is refused.
  static let kinds: Set<String> = [
    ClaimOperation.name, ReleaseOperation.name, DoneOperation.name, FailOperation.name, StatusUpdateOperation.name,
    StatusUpdateOperation.statusName,
  ]

  /// What an operation commit makes on a tip: the change (nil when it changes nothing), the agent
  /// it is by, and the time the merge carries.
  struct Landing {
    var change: Change?
    var author: String
    var time: Int64
  }

  /// What landing the operation commit `operation` on `tip` makes, or why it may not: by the rules
  /// the server lands it with and every clone checks the merge by. `repository` holds both.
  static func landing(_ operation: Commit, on tip: StateSnapshot, in repository: Repository) throws(GHPError)
    -> Swift.Result<Landing, Refusal>
  {
    guard operation.parentCount == 1 else {
      return .failure(.init("\(operation.id.short) is not one operation on one parent"))
    }
    if operation.containsNUL { return .failure(.init("\(operation.id.short)'s message holds a NUL byte")) }
    let message: CommitMessage
    switch CommitMessage.read(operation.message) {
    case .failure(let error): return .failure(.init("\(operation.id.short) records no operation: \(error.description)"))
    case .success(let read): message = read
    }
    let decoded: any RecordedOperation
    do { decoded = try OperationCatalog.decode(message.operation) } catch {
      return .failure(.init("\(operation.id.short)'s operation cannot be read: \(error.description)"))
    }
    if let refusal = notLanded(message.op) { return .failure(.init(refusal)) }
    let author = operation.authorName
    guard author == message.agent, (try? AgentName.validate(author)) != nil, operation.authorEmail == "\(author)@ghp"
    else {
      return .failure(.init("\(operation.id.short) is not by a ghp agent identity that matches its Ghp-Agent"))
    }
    guard let tipID = tip.commit else { return .failure(.init("the server has no ghp/state yet")) }
    do {
      if let refusal = try notBuiltOn(operation.id, tip: tipID, in: repository) { return .failure(.init(refusal)) }
      let known = try repository.parent(of: operation.id)
      if try repository.isAncestor(operation.id, of: tipID) {
        return .failure(.init("\(operation.id.short) \(landedAlready)"))
      }
      // A signed operation left behind (a first try that lost its race, one the server refused)
      // must not be landed later by whoever finds its object: only one made moments before the
      // tip, by an author who has written nothing on the line since the tip it was built on.
      if let tipTime = tip.commitTime, operation.authorTime < tipTime - landingWindow {
        return .failure(
          .init(
            "\(operation.id.short) was made more than \(landingWindow) s before this server's tip; build it again on the tip"
          ))
      }
      var steps = 0
      var cursor: ObjectID? = tipID
      while let at = cursor, at != known {
        steps += 1
        let commit = try repository.commit(at)
        if commit.authorName == author {
          return .failure(
            .init(
              "\(author) has written \(at.short) since the tip \(operation.id.short) was built on; fetch and build it again"
            ))
        }
        guard steps < maximumBehind else {
          return .failure(.init("\(operation.id.short) is built on a tip too far behind this server's; fetch it"))
        }
        cursor = try repository.parent(of: at)
      }
    } catch {
      throw .git(error)
    }
    if let problem = try Verifier.signatureProblem(operation, author: author, before: tip, in: repository) {
      return .failure(.init(problem))
    }
    let time = max(operation.authorTime, tip.commitTime ?? operation.authorTime)
    do {
      let change = try decoded.change(on: tip, actor: author, clock: Clock(now: time))
      return .success(Landing(change: change, author: author, time: time))
    } catch {
      if error.isRefusal { return .failure(.init(error.description)) }
      throw error
    }
  }

  /// Why an operation named `op` is not one the server lands, or nil.
  static func notLanded(_ op: String) -> String? {
    kinds.contains(op)
      ? nil : "\(op) is not landed by the server (only \(kinds.sorted().joined(separator: ", "))): push it to ghp/state"
  }

  /// Why the operation commit `operation` is not built on the line of `tip` (the server's
  /// `ghp/state`), or nil.
  static func notBuiltOn(_ operation: ObjectID, tip: ObjectID?, in repository: Repository) throws(GitError) -> String? {
    guard let tip, let known = try repository.parent(of: operation), try repository.isAncestor(known, of: tip) else {
      return "\(operation.short) is not built on this server's ghp/state; fetch it and try again"
    }
    return nil
  }

  /// Why an operation may not land, as one sentence.
  struct Refusal: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
  }

  /// Whether the operation `record` answers with the writer's `Result` (see `answer`): one that
  /// answers with another type is never handed to the server (`Ledger.transactRemote`).
  static func answers<Result>(_ record: OperationRecord, as: Result.Type) -> Bool {
    guard let decoded = try? OperationCatalog.decode(record) else { return false }
    return answers(decoded, Result.self)
  }

  private static func answers<Operation: RecordedOperation, Result>(_: Operation, _: Result.Type) -> Bool {
    Operation.Output.self == Result.self
  }

  /// The answer the operation `record` gives on `state` at `clock` by `actor`, as the writer's
  /// `Result`, or nil when that operation answers with another type.
  static func answer<Result>(
    _ record: OperationRecord, on state: StateSnapshot, actor: String, clock: Clock, as: Result.Type
  ) throws(GHPError) -> (Change?, Result)? {
    let decoded = try OperationCatalog.decode(record)
    return try answer(decoded, on: state, actor: actor, clock: clock)
  }

  private static func answer<Operation: RecordedOperation, Result>(
    _ operation: Operation, on state: StateSnapshot, actor: String, clock: Clock
  ) throws(GHPError) -> (Change?, Result)? {
    let (change, output) = try operation.apply(to: state, actor: actor, clock: clock)
    guard let typed = output as? Result else { return nil }
    return (change, typed)
  }
}

/// What the server did with one pushed operation.
public enum SequenceOutcome: Equatable, Sendable {
  /// Landed as this merge on `ghp/state`.
  case landed(ObjectID)
  /// Not landed, and why (the push's answer).
  case refused(String)
}

extension Ledger {
  /// On a server: lands the operation commit `operation` on `ghp/state` as a merge (see
  /// `Sequencer`), under the writer lock and by compare-and-swap (a push to `ghp/state` itself may
  /// move it meanwhile: the operation is then landed on that tip).
  public func sequence(_ operation: ObjectID) throws(GHPError) -> SequenceOutcome {
    try lock.lock()
    defer { lock.unlock() }
    try removeDeadWritersRefLock()
    let commit: Commit
    do { commit = try repository.commit(operation) } catch {
      return .refused("\(operation.short) is not a commit this server has")
    }
    var lockWaitStarted: Double?
    defer { flushLeftObjects() }
    for _ in 0..<1000 {
      let tip = try snapshot()
      let landing: Sequencer.Landing
      switch try Sequencer.landing(commit, on: tip, in: repository) {
      case .failure(let refusal): return .refused(refusal.reason)
      case .success(let made): landing = made
      }
      guard let change = landing.change, let tipID = tip.commit else { return .refused(Sequencer.nothingToChange) }
      try change.message.operation.requireNoNUL()
      // Its objects go to disk with the ref's lock file, in one fsync (`moveStateRef`).
      let merge = try writingBatched(flushed: false) { (batched) throws(GHPError) -> ObjectID in
        do throws(GitError) {
          let tree = try Self.tree(of: change, onto: tip.treeID, in: batched)
          let signature = Signature(name: landing.author, email: "\(landing.author)@ghp", time: landing.time)
          return try batched.writeCommit(
            tree: tree, parents: [tipID, operation], author: signature, message: change.message.text)
        } catch {
          throw .git(error)
        }
      }
      do throws(GitError) {
        try moveStateRef(to: merge, expected: tipID, message: "ghp: \(change.message.subject)")
        return .landed(merge)
      } catch {
        switch error.kind {
        case .modified, .exists: continue
        case .locked: try recoverRefLock(waitStarted: &lockWaitStarted)
        default: throw .git(error)
        }
      }
    }
    throw .contention(1000)
  }
}

extension Verifier {
  /// Why a merge on `ghp/state` does not prove itself, or nil: it must be exactly what a server
  /// makes of its second parent (an agent's operation commit) on its first (see `Sequencer`) — the
  /// operation's record re-executed on the first parent by its author, at the later of the two
  /// times, its message the one that makes, and the operation signed as any state commit must be.
  func checkLanded(_ merge: Commit) throws(GHPError) -> String? {
    let parents: [ObjectID]
    let operation: Commit
    do {
      parents = try repository.parents(of: merge.id)
      operation = try repository.commit(parents[1])
    } catch {
      throw .git(error)
    }
    let tip = try StateSnapshot(repository: scratch.repository, commit: parents[0])
    let landing: Sequencer.Landing
    switch try Sequencer.landing(operation, on: tip, in: scratch.repository) {
    case .failure(let refusal):
      return "it is a merge, but not one a server lands an operation with: \(refusal.reason)"
    case .success(let made): landing = made
    }
    guard let change = landing.change else {
      return "it lands \(operation.id.short), whose operation changes nothing on \(parents[0].short)"
    }
    guard merge.authorName == landing.author, merge.authorEmail == "\(landing.author)@ghp",
      merge.authorTime == landing.time
    else {
      return
        "it lands \(operation.id.short) by \(landing.author), but says it is by \(merge.authorName) at \(RFC3339.format(merge.authorTime)) (a landed operation keeps its author, at the later of its own time and its first parent's)"
    }
    guard merge.message == change.message.text else {
      return
        "its message is not the one \(operation.id.short)'s operation (\(change.message.op)) writes on its first parent"
    }
    let expected: ObjectID
    do { expected = try Ledger.tree(of: change, onto: tip.treeID, in: scratch.repository) } catch { throw .git(error) }
    guard expected == merge.treeID else {
      return "its tree is not what \(operation.id.short)'s operation (\(change.message.op)) makes of its first parent"
    }
    return nil
  }
}
