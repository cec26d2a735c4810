import Glibc

extension StateSnapshot {
  /// The remote state changes go through (`[remote] name` in the config), or nil for local mode.
  public var remoteName: String? {
    guard exists else { return nil }
    return (try? config())?.remote
  }
}

/// What `ghp sync` did with one local operation.
public struct SyncFate: Sendable {
  /// What became of the operation; the raw value is what `ghp sync` prints.
  public enum Outcome: String, Sendable {
    /// Re-applied onto the remote tip as a new commit (`landedAs`).
    case landed
    /// Nothing to do: an earlier sync brought it there, or re-applied it changes nothing.
    case alreadyThere = "already-there"
    /// `lost`: a claim the remote refused (someone claimed first; the agent is told); `conflict`:
    /// any other refusal or an unreadable record, for a person to redo.
    case lost, conflict
  }
  /// The local commit that held the operation.
  public var commit: ObjectID
  /// That commit's subject line.
  public var subject: String
  /// What became of it.
  public var outcome: Outcome
  /// Why it was lost, refused or left out, as a sentence; nil when there is nothing to add.
  public var detail: String?
  /// The new commit on top of the remote tip, nil unless it landed.
  public var landedAs: ObjectID?

  /// The fate as one entry of `ghp sync --json`'s `operations`.
  public var json: JSON {
    .object([
      "commit": .string(commit.hex), "subject": .string(subject), "outcome": .string(outcome.rawValue),
      "detail": detail.map { .string($0) } ?? .null, "landedAs": landedAs.map { .string($0.hex) } ?? .null,
    ])
  }
}

/// The result of `ghp sync`: where local and remote stood, and every local operation's fate.
public struct SyncReport: Sendable {
  /// What the sync did as a whole; the raw value is what `ghp sync` prints.
  public enum Kind: String, Sendable {
    /// Local and remote were at the same commit.
    case upToDate = "up-to-date"
    /// Local was behind (or had no state) and moved to the remote's tip.
    case fastForwarded = "fast-forwarded"
    /// `pushed`: the remote was behind and took the local tip; `published`: the remote had no state
    /// yet; `reapplied`: both moved, the local operations were re-applied onto the remote's tip.
    case pushed, published, reapplied
  }
  /// What the sync did.
  public var kind: Kind
  /// The git remote synced with.
  public var remote: String
  /// The commit `ghp/state` stands at after the sync.
  public var tip: ObjectID?
  /// Each local operation re-applied, oldest first; empty unless the kind is `reapplied`.
  public var fates: [SyncFate] = []
  /// Ids made offline that were taken on the remote, and what they became.
  public var renames = IDRenames()
}

extension Ledger {
  /// How long a change keeps trying against a server that keeps moving: bounded by time, not by a
  /// count, so that a low backoff ceiling (fairness) does not make a busy clone give up early.
  static let remoteRetrySeconds: Double = 60

  /// Refuses remotes that libgit2 reaches through its local transport, which force-writes the
  /// ref with no old-value check: that would make the remote a last-writer-wins store.
  public static func checkRemoteURL(_ url: String, name: String) throws(GHPError) {
    let local =
      url.hasPrefix("/") || url.hasPrefix("./") || url.hasPrefix("../") || url.hasPrefix("file:") || url.hasPrefix("~")
      || (!url.contains("://") && !url.contains(":"))
    if local {
      throw .invalidValue(
        "remote \(name)",
        "\(url) is a local path; libgit2 pushes to a path without checking the old value, so it cannot arbitrate claims. Serve it through a git server (ssh://, https://, git://; for one machine: git daemon --enable=receive-pack)"
      )
    }
  }

  /// What a failed ssh connection adds to its error: ghp speaks ssh through libssh2, which uses
  /// the ssh-agent's keys and ~/.ssh/known_hosts but not ~/.ssh/config or an ssh command; the
  /// sentence names what the user may have counted on and the fix. Empty for other URLs.
  static func sshHint(_ url: String) -> String {
    let ssh = url.hasPrefix("ssh://") || url.hasPrefix("git+ssh://") || url.hasPrefix("ssh+git://")
    let scpLike = !url.contains("://") && url.contains(":") && !url.hasPrefix("/")
    guard ssh || scpLike else { return "" }
    var ignored = ["~/.ssh/config"]
    if getenv("GIT_SSH_COMMAND") != nil { ignored.append("GIT_SSH_COMMAND") }
    if getenv("GIT_SSH") != nil { ignored.append("GIT_SSH") }
    return " (ghp's own ssh uses only the keys in your ssh-agent and hosts in ~/.ssh/known_hosts; it ignores "
      + ignored.joined(separator: ", ")
      + " and core.sshCommand: write the URL in full as ssh://user@host:port/path, `ssh-add` the key, "
      + "`ssh-keyscan -p PORT HOST >> ~/.ssh/known_hosts`)"
  }

  func remoteTrackingRef(_ remote: String) -> String { "refs/remotes/\(remote)/ghp/state" }

  /// Fetches the remote's `ghp/state`; returns its tip (nil when the remote has none yet).
  func fetchState(_ remote: String) throws(GHPError) -> ObjectID? {
    // No local ref is written to fetch (writers on one machine fetch at once, and every ref
    // write is an fsync): the server's own advertisement names the tip. The tracking ref follows
    // for people (`git log origin/ghp/state`), best effort and only when it moved.
    let (tip, beats) = try fetchRefs(StatePaths.branch, named: "ghp/state", also: AliveRefs.glob, remote: remote)
    keepBeats(beats)
    if beats.contains(where: { $0.name == Sequencer.markRef }) {
      sequencingRemotes.insert(remote)
    } else {
      sequencingRemotes.remove(remote)
    }
    let tracking = try? repository.referenceTarget(remoteTrackingRef(remote))
    if tracking != tip {
      try? repository.setReference(remoteTrackingRef(remote), to: tip, logMessage: "ghp: fetched state")
    }
    // Nothing is built on what the server holds before it proves itself.
    if let tip { try requireVerified(tip, source: "\(remote)'s ghp/state") }
    return tip
  }

  /// Pushes `commit` as the remote's `ghp/state`, without force.
  /// A push that landed, or lost a race (the remote moved: fetch and try again).
  public enum PushResult: Sendable { case accepted, rejected }

  /// Pushes `commit` as the remote's `ghp/state`, without force. A server that refuses it for any
  /// other reason than a lost race (a hook, a permission) is reported at once with its own words.
  func pushState(_ commit: ObjectID, remote: String) throws(GHPError) -> PushResult {
    let result = try pushRef(
      commit, to: StatePaths.branch, named: "ghp/state", remote: remote,
      advice: "; run `ghp sync` once the server is reachable")
    if result == .accepted {
      // Forward only: writers of this host accept in any order, and the tip last seen is the newest.
      let seen = try? repository.referenceTarget(remoteTrackingRef(remote))
      if seen.map({ (try? isOnLine($0, of: commit)) == true }) ?? true {
        try? repository.setReference(remoteTrackingRef(remote), to: commit, logMessage: "ghp: pushed state")
      }
    }
    return result
  }

  /// One push of `commit` through a scratch ref of this process's own: writers on one machine push
  /// concurrently (the writer lock is not held across the network), and a shared name would let one
  /// push another's commit.
  /// `replacing`: the remote ref is not the line `commit` continues (an ops ref, which the server
  /// moves itself), so libgit2 must not refuse for want of a fast-forward.
  func pushObject(_ commit: ObjectID, remote: String, to ref: String = StatePaths.branch, replacing: Bool = false)
    throws(GitError) -> Repository.PushOutcome
  {
    pruneOutgoingRefs()
    let outgoing = "refs/ghp/outgoing/\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try repository.setReference(outgoing, to: commit, logMessage: "ghp: outgoing state")
    defer { try? repository.setReference(outgoing, to: nil, logMessage: "ghp: pushed") }
    return try Self.retryingVanishedScratchRefs { () throws(GitError) in
      try repository.push(remote: remote, refspec: "\(replacing ? "+" : "")\(outgoing):\(ref)")
    }
  }

  /// Pushes `commit` as the remote's branch `ref` (a full ref name), without force: the server takes
  /// it only as a fast-forward of the tip it holds (a lost race is `.rejected`); any other refusal
  /// (its hook, a permission) is thrown in the server's words.
  public func pushBranch(_ commit: ObjectID, to ref: String, remote: String) throws(GHPError) -> PushResult {
    try pushRef(commit, to: ref, named: ref, remote: remote, advice: "")
  }

  /// One push of `commit` as the remote's `ref`, without force: a lost race is `.rejected`; a
  /// transport failure or the server's refusal is one line naming `name`.
  func pushRef(_ commit: ObjectID, to ref: String, named name: String, remote: String, advice: String)
    throws(GHPError) -> PushResult
  {
    let outcome: Repository.PushOutcome
    do { outcome = try pushObject(commit, remote: remote, to: ref) } catch {
      let hint = repository.remoteURL(remote).map { Self.sshHint($0) } ?? ""
      throw .io("\(GHPError.cannotPush)\(name) to \(remote): \(error.message)\(hint)\(advice)")
    }
    switch outcome {
    case .accepted:
      serverLockSince = nil
      return .accepted
    case .rejected(let why):
      if let problem = serverLockProblem(why) {
        throw .io("\(GHPError.cannotPush)\(name) to \(remote): \(problem); nothing was written here")
      }
      return .rejected
    case .refused(let why): throw .refused("\(remote) refused the push of \(name): \(why); nothing was changed here")
    }
  }

  /// How long the server may refuse a ref for its lock file before the lock is taken for one left
  /// behind: two pushes at once lock it for a moment, a server process killed mid-push forever.
  static let serverLockSeconds = 10.0

  /// What to say when the server has refused this process's pushes for `serverLockSeconds` because
  /// its ref's lock file exists (git's `Unable to create '….lock': File exists`); nil while it may
  /// still be another push's moment, or when `why` is another lost race.
  func serverLockProblem(_ why: String) -> String? {
    guard why.contains(".lock"), why.contains("File exists") else {
      serverLockSince = nil
      return nil
    }
    let now = ProcessIdentity.monotonic()
    guard let since = serverLockSince else {
      serverLockSince = now
      return nil
    }
    guard now - since >= Self.serverLockSeconds else { return nil }
    var path = "its ref's .lock file"
    if let start = why.firstRange(of: "Unable to create '"), let end = why[start.upperBound...].firstIndex(of: "'") {
      path = String(why[start.upperBound..<end])
    }
    return
      "the server has refused it for \(Int(now - since)) s because \(path) exists (left by a git process killed mid-push there); whoever runs the server removes that file, then try again"
  }

  /// Fetches the remote's branch `ref` (a full ref name): its objects come into this repository and
  /// its tip there is returned (nil when the remote has no such branch).
  public func fetchBranch(_ ref: String, remote: String) throws(GHPError) -> ObjectID? {
    try fetchRef(ref, named: ref, remote: remote)
  }

  /// One fetch of `ref` from a server remote (never a path: see `checkRemoteURL`), no local ref
  /// written; its tip there, nil when the server has no such ref. A transport failure is one
  /// line naming `name`, the remote and what ssh ignores.
  func fetchRef(_ ref: String, named name: String, remote: String) throws(GHPError) -> ObjectID? {
    try fetchRefs(ref, named: name, also: nil, remote: remote).tip
  }

  /// `fetchRef`, with the refs matching the glob `also` fetched in the same connection (their
  /// objects come in; their names and ids are returned, no local ref written).
  private func fetchRefs(_ ref: String, named name: String, also: String?, remote: String) throws(GHPError) -> (
    tip: ObjectID?, also: [(name: String, target: ObjectID)]
  ) {
    guard let url = repository.remoteURL(remote) else {
      throw .invalidValue("remote", "there is no git remote named \(remote) (see `git remote -v`)")
    }
    try Self.checkRemoteURL(url, name: remote)
    do {
      return try Self.retryingVanishedScratchRefs { () throws(GitError) in
        try repository.fetchTip(remote: remote, ref: ref, also: also)
      }
    } catch {
      // A remote without the ref yet is fine; anything else is a transport failure.
      if error.message.contains("couldn't find remote ref") { return (nil, []) }
      throw .io(
        "\(GHPError.cannotFetch)\(name) from \(remote) (\(url)): \(error.message)\(Self.sshHint(url)); nothing was changed"
      )
    }
  }

  /// Keeps the agents' heartbeat refs as the server holds them, best effort: a ref only moves
  /// forward (another process of this machine may have written a newer one meanwhile), and a
  /// write that loses to another process's is left to it.
  func keepBeats(_ heads: [(name: String, target: ObjectID)]) {
    for (name, target) in heads where name.hasPrefix(AliveRefs.prefix) {
      let local = try? repository.referenceTarget(name)
      guard local != target else { continue }
      if let local, (try? repository.isAncestor(target, of: local)) == true { continue }
      try? repository.setReference(name, to: target, logMessage: "ghp: fetched heartbeat")
    }
  }

  /// Deletes the scratch refs of pushes whose process is gone (killed mid-push: its `defer`
  /// never ran), so that they do not pile up nor show in every later negotiation. A live
  /// process's ref is left alone.
  func pruneOutgoingRefs() {
    for (name, _) in repository.references(glob: "refs/ghp/outgoing/*") {
      let id = name.dropFirst("refs/ghp/outgoing/".count).prefix { $0 != "-" }
      guard let pid = Int32(id), pid > 0, kill(pid, 0) != 0, errno == ESRCH else { continue }
      try? repository.setReference(name, to: nil, logMessage: "ghp: a dead push's scratch ref")
    }
  }

  /// Runs a fetch or push again when it failed only because libgit2, listing every local ref to
  /// negotiate and then looking each up, met a ref another process deleted in between
  /// (`reference '…' not found`: a writer's scratch ref, most often): a lost race, not a failure.
  /// At most twenty tries.
  static func retryingVanishedScratchRefs<T>(_ body: () throws(GitError) -> T) throws(GitError) -> T {
    var attempt = 0
    while true {
      do {
        return try body()
      } catch  where attempt < 20 && error.kind == .notFound && error.message.hasPrefix("reference '") {
        attempt += 1
        usleep(UInt32.random(in: 1_000...20_000))
      }
    }
  }

  /// Moves local `ghp/state` from `expected` to `target` (both may be nil/new), under the writer
  /// lock (the only part of a remote change that holds it). When another local writer moved it
  /// meanwhile along the same line (to an ancestor of `target`, or past it), that is no conflict.
  func moveLocal(from expected: ObjectID?, to target: ObjectID, message: String) throws(GHPError) {
    try lock.lock()
    defer { lock.unlock() }
    try removeDeadWritersRefLock()
    var waited: Double?
    var current = expected
    while true {
      do {
        try moveStateRef(to: target, expected: current, message: message)
        return
      } catch {
        switch error.kind {
        case .locked:
          try recoverRefLock(waitStarted: &waited)
        case .modified, .exists:
          let now = try snapshot().commit
          guard let now, now != current else { throw .git(error) }
          do {
            if try repository.isAncestor(target, of: now) { return }
            guard try repository.isAncestor(now, of: target) else { throw GHPError.contention(1) }
          } catch let failure as GitError {
            throw .git(failure)
          } catch {
            throw .io("local ghp/state moved to \(now.short), which is not on \(target.short)'s line; run `ghp sync`")
          }
          current = now
        default:
          throw .git(error)
        }
      }
    }
  }

  /// Exponential backoff with full jitter (up to 1.6 s), so that many machines racing for the
  /// same ref spread out instead of colliding in step.
  static func backoff(_ attempt: Int) {
    // A low ceiling (half a second) keeps it fair: a clone that lost many times in a row waits
    // little longer than a newcomer may, so no clone is starved for seconds while others land.
    let ceiling = min(500_000, 25_000 << min(attempt, 5))
    usleep(UInt32.random(in: 2_000...UInt32(ceiling)))
  }

  /// The remote's tip as this clone last saw it (its last fetch or accepted push), when local
  /// `ghp/state` is exactly there: nothing made offline waits, and the tip was verified when it
  /// was seen. Nil otherwise (a fetch decides).
  func lastSeenTip(_ remote: String) -> ObjectID? {
    guard let seen = try? repository.referenceTarget(remoteTrackingRef(remote)),
      let local = try? snapshot().commit, local == seen
    else { return nil }
    return seen
  }

  /// One change in remote mode: apply to the remote tip, commit, push without force; on
  /// rejection, fetch and apply again. Reported landed only when the server accepted it.
  ///
  /// The first try builds on the tip this clone last saw and pushes at once: the push is itself
  /// the compare-and-swap (the server takes it only as a fast-forward of its tip, and libgit2
  /// refuses before sending when the server's tip is one it does not have), so an uncontended
  /// write is one connection, not a fetch and a push. A change that would write nothing is never
  /// answered from the last-seen tip: it fetches first, as every retry does.
  func transactRemote<Result>(
    remote: String, actor: String, clock: Clock,
    _ operation: (StateSnapshot, Clock) throws(GHPError) -> (Change?, Result)
  ) throws(GHPError) -> Landed<Result> {
    let giveUp = ProcessIdentity.monotonic() + Self.remoteRetrySeconds
    var attempt = 0
    var optimistic = lastSeenTip(remote)
    // A clone whose writes the server landed a moment ago (others write too: a first try built
    // on the tip it last saw would lose again) hands this one to the server at once.
    var handOver = optimistic != nil && recentlyLandedByServer(remote)
    if handOver { sequencingRemotes.insert(remote) }
    // Commits of this change pushed and refused: one may have reached the server anyway, carried
    // by another writer's chain built on it.
    var refused: [(commit: ObjectID, result: Result, subject: String)] = []
    // Every commit of this change put on the pending chain: taken off again when it fails.
    var ours: [ObjectID] = []
    // A lock the server refused an earlier change for is timed afresh.
    serverLockSince = nil
    // Times a server that lands operations refused this one (each time on a tip this clone then
    // fetches and judges the change on again): past ten, the change is pushed to ghp/state itself,
    // whose refusal names its reason.
    var serverRefusals = 0
    do throws(GHPError) {
      while attempt == 0 || ProcessIdentity.monotonic() < giveUp {
        attempt += 1
        let guessed = optimistic
        optimistic = nil
        let remoteTip: ObjectID?
        if let guessed { remoteTip = guessed } else { remoteTip = try fetchState(remote) }
        let local = try snapshot()
        var carried: (commit: ObjectID, result: Result, subject: String)?
        if let remoteTip {
          for earlier in refused where try isOnLine(earlier.commit, of: remoteTip) { carried = earlier }
        }
        if let remoteTip, let carried {
          try moveLocal(from: local.commit, to: remoteTip, message: "ghp: \(carried.subject)")
          return Landed(result: carried.result, commit: carried.commit)
        }
        // Local operations not yet on the remote (made offline) go first, in their order.
        if let localTip = local.commit, localTip != remoteTip {
          var behind = false
          if let remoteTip {
            do { behind = try repository.isAncestor(localTip, of: remoteTip) } catch { throw .git(error) }
          }
          if !behind {
            _ = try syncWithRemote(remote: remote, actor: actor, clock: clock)
            continue
          }
        }
        // A server that lands operations takes this one in its own order: no race to lose.
        let handing = handOver
        handOver = false
        if guessed == nil || handing, let remoteTip, sequencingRemotes.contains(remote), serverRefusals < 10,
          try handsOffPending(&ours, remote: remote)
        {
          let base = try StateSnapshot(repository: repository, commit: remoteTip)
          let at = clock.notBefore(base.commitTime, within: base.clockSkew)
          let made = try operation(base, at)
          guard let change = made.0 else {
            // Never answered from the tip last seen: a fetch decides.
            if handing { continue }
            if remoteTip != local.commit {
              try moveLocal(from: local.commit, to: remoteTip, message: "ghp: fast-forward to \(remote)")
            }
            return Landed(result: made.1, commit: nil)
          }
          if Sequencer.kinds.contains(change.message.op), Sequencer.answers(change.message.operation, as: Result.self) {
            if let landed = try landThroughServer(
              change, on: base, actor: actor, clock: at, remote: remote, local: local.commit, as: Result.self)
            {
              return landed
            }
            // Refused on the server's tip as it is now: fetched and judged again. A server whose
            // git does not hand it the ops refs any more is written to as one that lands nothing.
            serverRefusals += serverDeclines ? 10 : 1
            continue
          }
        }
        // The change goes on top of what this host's other writers are pushing now (the chain they
        // left in the pending ref over the same tip), built under the writer lock so that the chain
        // stays one line; the server takes a chain only as a fast-forward of its tip, as one commit.
        let tipNow = remoteTip ?? local.commit
        // Refused while the server did not move (its ref's lock was taken by another push, or left
        // by a killed one): the commit made for this change still stands on the same tip and goes
        // out again as it is. A new one would put the change twice on this host's chain.
        var standing: (commit: ObjectID, result: Result, subject: String)?
        if let tipNow {
          for earlier in refused where try isOnLine(tipNow, of: earlier.commit) { standing = earlier }
        }
        let step: (commit: ObjectID, result: Result, subject: String)
        if let standing {
          step = standing
        } else {
          let made = try withWriterLock { () throws(GHPError) -> (Change?, Result, ObjectID?) in
            var chain = tipNow.flatMap { pendingChain(remote, over: $0) }
            var base = try StateSnapshot(repository: repository, commit: chain ?? tipNow)
            var at = clock.notBefore(base.commitTime, within: base.clockSkew)
            var made: (Change?, Result)
            do throws(GHPError) {
              made = try operation(base, at)
            } catch  where chain != nil && error.isRefusal {
              // Refused by what this host's other writers have pending, which may never land: judged
              // against the server's tip alone, and pushed beside their chain for the server to
              // decide between (a refusal that holds there is the answer, naming what landed).
              chain = nil
              base = try StateSnapshot(repository: repository, commit: tipNow)
              at = clock.notBefore(base.commitTime, within: base.clockSkew)
              made = try operation(base, at)
            }
            guard let change = made.0 else { return (nil, made.1, nil) }
            let commit = try write(change, onto: base, actor: actor, clock: at)
            if chain != nil || pendingChain(remote, over: tipNow ?? commit) == nil {
              extendPendingChain(remote, from: chain, to: commit)
            }
            ours.append(commit)
            return (change, made.1, commit)
          }
          guard let change = made.0, let commit = made.2 else {
            // Answered from the server's tip as fetched (with this host's pending chain over it),
            // never from a guess.
            if guessed != nil { continue }
            if let remoteTip, remoteTip != local.commit {
              try moveLocal(from: local.commit, to: remoteTip, message: "ghp: fast-forward to \(remote)")
            }
            return Landed(result: made.1, commit: nil)
          }
          step = (commit, made.1, change.message.subject)
        }
        let (commit, result, subject) = step
        // One push at a time from this host: whoever waited finds its commit carried by the push it
        // waited for, or pushes the whole chain pending now (its commit and what others added).
        // Past the wait it pushes anyway, as the server judges every push alone.
        let lock = FileLock(path: repository.localPaths.common + "/ghp/push-\(remote).lock")
        defer { lock.release() }
        lock.take(within: NetworkDeadline.seconds)
        if let seen = try? repository.referenceTarget(remoteTrackingRef(remote)), try isOnLine(commit, of: seen) {
          lock.release()
          try moveLocal(from: local.commit, to: seen, message: "ghp: \(subject)")
          return Landed(result: result, commit: commit)
        }
        // The exact commit read here goes out (through a scratch ref of this process): the pending
        // ref may be reset to another line by the time a push would read it.
        var pushing = commit
        if let pending = try? repository.referenceTarget(pendingRef(remote)), try isOnLine(commit, of: pending) {
          pushing = pending
        }
        switch try pushState(pushing, remote: remote) {
        case .accepted:
          lock.release()
          try moveLocal(from: local.commit, to: pushing, message: "ghp: \(subject)")
          // Once the change is landed, not before: the packs the fetches left, past git's limit.
          repository.consolidatePacks()
          return Landed(result: result, commit: commit)
        case .rejected:
          if standing == nil { refused.append((commit, result, subject)) }
          // A guess that lost costs no wait: the fetch that follows is the first real try.
          if guessed == nil { Self.backoff(attempt) }
        }
      }
    } catch {
      // Whatever failed, no later push from this machine lands this change's commits.
      _ = try? takeOff(ours, remote: remote)
      throw error
    }
    // Given up: this change's commits leave the pending chain, so that no later push from this
    // machine lands what this writer is told was not written. (One another writer built on
    // meanwhile goes out with that writer's push; the error says so.)
    if try takeOff(ours, remote: remote) {
      throw .io(
        "ghp/state kept moving under this change (\(attempt) attempts); it was not pushed, but another writer on this machine built on it and may still push it: check `ghp log` before trying again"
      )
    }
    throw .contention(attempt)
  }

  /// Before a change is handed to the server: its commits on this host's pending chain (a first
  /// try refused while the server did not move) come off it, so that no later push of the chain
  /// lands the change a second time. False when another writer has built on one of them (its push
  /// may still carry it): the change then stays on the compare-and-swap path.
  func handsOffPending(_ ours: inout [ObjectID], remote: String) throws(GHPError) -> Bool {
    guard !ours.isEmpty else { return true }
    if try takeOff(ours, remote: remote) { return false }
    ours = []
    return true
  }

  /// Lands `change` through a server that lands operations (see `Sequencer`): its commit, built on
  /// `base` (the server's tip as last fetched), goes to `refs/ghp/ops/<actor>`; once the server
  /// answers that it landed it, the state is fetched and the answer is the operation's on the tip
  /// the server landed it on, which may be newer than `base`. Nil when the server refused it.
  func landThroughServer<Result>(
    _ change: Change, on base: StateSnapshot, actor: String, clock: Clock, remote: String, local: ObjectID?,
    as: Result.Type
  ) throws(GHPError) -> Landed<Result>? {
    let commit = try write(change, onto: base, actor: actor, clock: clock)
    // The server keeps each agent's ops ref at the last merge it landed for it, which this clone
    // mostly has: libgit2 sends only what is newer than one of those, not the whole history.
    var outcome: Repository.PushOutcome?
    var failure: GitError?
    do { outcome = try pushObject(commit, remote: remote, to: Sequencer.prefix + actor, replacing: true) } catch {
      failure = error
    }
    serverDeclines = false
    var answeredLanded = outcome == .accepted
    if case .refused(let why)? = outcome {
      serverDeclines = why.contains(HookRunner.landsNoOperations)
      // Tried again after the first answer was lost (`Repository.push` does, when the connection
      // dropped): the server had landed it.
      answeredLanded = why.contains(Sequencer.landedAlready)
    }
    // The server's line says whether it landed, whatever the answer: one that was lost (the
    // connection failed, or the server died after landing it and git reported the hook failed)
    // is found there before the change is judged again.
    let tip: ObjectID?
    if answeredLanded {
      tip = try fetchState(remote)
    } else {
      tip = serverDeclines ? nil : try? fetchState(remote)
    }
    guard let tip, let merge = try landedMerge(of: commit, under: tip, above: base.commit) else {
      if answeredLanded {
        throw .io(
          "\(remote) answered that it landed \(commit.short) (\(change.message.subject)), but its ghp/state does not show it; run `ghp sync`, then `ghp log`"
        )
      }
      if let failure {
        let hint = repository.remoteURL(remote).map { Self.sshHint($0) } ?? ""
        throw .io(
          "\(GHPError.cannotPush)\(change.message.subject) to \(remote): \(failure.message)\(hint); run `ghp log` once the server is reachable to see whether it landed"
        )
      }
      return nil
    }
    let landed: Commit
    let first: ObjectID?
    do {
      landed = try repository.commit(merge)
      first = try repository.parent(of: merge)
    } catch {
      throw .git(error)
    }
    let before = try StateSnapshot(repository: repository, commit: first)
    guard
      let answer = try Sequencer.answer(
        try CommitMessage.read(landed.message).get().operation, on: before, actor: actor,
        clock: Clock(now: landed.authorTime), as: Result.self)
    else {
      throw .io(
        "\(merge.short) landed \(change.message.subject), but its answer cannot be read again here; see `ghp log`")
    }
    try moveLocal(from: local, to: tip, message: "ghp: \(change.message.subject)")
    // A hint, touched without a flush: lost in a crash, the next write tries its own way first.
    let hint = open(landedByServerPath(remote), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
    if hint >= 0 {
      futimens(hint, nil)
      close(hint)
    }
    return Landed(result: answer.1, commit: merge)
  }

  /// How long after the server landed one of this clone's writes the next goes to it at once.
  static let handOverSeconds: Double = 30

  /// Touched each time the server lands one of this clone's writes (`landThroughServer`).
  func landedByServerPath(_ remote: String) -> String {
    repository.localPaths.common + "/ghp/landed-by-server-\(remote)"
  }

  /// Whether the server landed one of this clone's writes within `handOverSeconds`.
  func recentlyLandedByServer(_ remote: String) -> Bool {
    var info = stat()
    guard stat(landedByServerPath(remote), &info) == 0 else { return false }
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Double(now.tv_sec - info.st_mtim.tv_sec) < Self.handOverSeconds
  }

  /// The merge on `tip`'s first-parent line that landed `operation`, looked for down to `floor`
  /// (the tip it was built on), or nil.
  func landedMerge(of operation: ObjectID, under tip: ObjectID, above floor: ObjectID?) throws(GHPError) -> ObjectID? {
    var found: ObjectID?
    do {
      try repository.walk(from: tip) { (commit) throws(GitError) -> Bool in
        if commit.id == floor { return false }
        if commit.parentCount == 2, try repository.parents(of: commit.id)[1] == operation {
          found = commit.id
          return false
        }
        return true
      }
    } catch {
      throw .git(error)
    }
    return found
  }

  /// Runs `body` holding the machine's writer lock (no network inside).
  func withWriterLock<T>(_ body: () throws(GHPError) -> T) throws(GHPError) -> T {
    try lock.lock()
    defer { lock.unlock() }
    return try body()
  }

  /// Takes a failed writer's `commits` off the top of the pending chain (the newest first, as far
  /// down as they are the top); whether another writer's commit still stands on one of them.
  func takeOff(_ commits: [ObjectID], remote: String) throws(GHPError) -> Bool {
    guard !commits.isEmpty else { return false }
    return try withWriterLock { () throws(GHPError) -> Bool in
      var pending = try? repository.referenceTarget(pendingRef(remote))
      var moved = false
      while let top = pending, commits.contains(top) {
        pending = try? repository.parent(of: top)
        moved = true
      }
      if moved { try? repository.setReference(pendingRef(remote), to: pending, logMessage: "ghp: taken off") }
      guard let pending else { return false }
      return try holdsAny(commits, pending)
    }
  }

  /// Whether any of `commits` is `tip` or one of its ancestors.
  func holdsAny(_ commits: [ObjectID], _ tip: ObjectID) throws(GHPError) -> Bool {
    for commit in commits where try isOnLine(commit, of: tip) { return true }
    return false
  }

  /// Whether `commit` is `tip` or one of its ancestors.
  func isOnLine(_ commit: ObjectID, of tip: ObjectID) throws(GHPError) -> Bool {
    if commit == tip { return true }
    guard repository.contains(commit), repository.contains(tip) else { return false }
    do { return try repository.isAncestor(commit, of: tip) } catch { throw .git(error) }
  }

  /// This host's writers' chain of commits not yet on the server: the pending ref, when it is
  /// past `tip` (the server's last seen tip) on its line; nil otherwise (nothing pending, or a
  /// chain built on a tip that is no longer the server's).
  func pendingChain(_ remote: String, over tip: ObjectID) -> ObjectID? {
    guard let pending = try? repository.referenceTarget(pendingRef(remote)), pending != tip,
      (try? repository.isAncestor(tip, of: pending)) == true
    else { return nil }
    return pending
  }

  /// Makes `commit` the pending chain's tip, if no other writer moved it since `expected` was read
  /// (that writer's commit then goes out in its own push; nothing is lost either way).
  /// A hint, never a guarantee: whatever it says, each push is judged by the server alone.
  func extendPendingChain(_ remote: String, from expected: ObjectID?, to commit: ObjectID) {
    let name = pendingRef(remote)
    if let expected, (try? repository.referenceTarget(name)) != expected { return }
    try? repository.setReference(name, to: commit, logMessage: "ghp: pending state")
  }

  func pendingRef(_ remote: String) -> String { "refs/ghp/pending/\(remote)" }

  /// `ghp sync`: fetch; fast-forward whichever side is behind; when both moved, re-apply the local
  /// operations (from their Ghp-Operation records) onto the remote tip in order, and push.
  /// The writer lock is taken only to move the local ref: never across the network.
  public func sync(remote: String, actor: String, clock: Clock) throws(GHPError) -> SyncReport {
    let report = try syncWithRemote(remote: remote, actor: actor, clock: clock)
    repository.consolidatePacks()
    return report
  }

  func syncWithRemote(remote: String, actor: String, clock: Clock) throws(GHPError) -> SyncReport {
    let giveUp = ProcessIdentity.monotonic() + Self.remoteRetrySeconds
    var attempt = 0
    while attempt == 0 || ProcessIdentity.monotonic() < giveUp {
      attempt += 1
      let remoteTip = try fetchState(remote)
      let localTip = try snapshot().commit
      guard let localTip else {
        guard let remoteTip else { throw .notInitialised }
        try moveLocal(from: nil, to: remoteTip, message: "ghp: state from \(remote)")
        return SyncReport(kind: .fastForwarded, remote: remote, tip: remoteTip)
      }
      guard let remoteTip else {
        switch try pushState(localTip, remote: remote) {
        case .accepted: return SyncReport(kind: .published, remote: remote, tip: localTip)
        case .rejected:
          Self.backoff(attempt)
          continue
        }
      }
      if localTip == remoteTip { return SyncReport(kind: .upToDate, remote: remote, tip: localTip) }
      let localBehind: Bool
      let remoteBehind: Bool
      do {
        localBehind = try repository.isAncestor(localTip, of: remoteTip)
        remoteBehind = try repository.isAncestor(remoteTip, of: localTip)
      } catch {
        throw .git(error)
      }
      if localBehind {
        try moveLocal(from: localTip, to: remoteTip, message: "ghp: fast-forward to \(remote)")
        return SyncReport(kind: .fastForwarded, remote: remote, tip: remoteTip)
      }
      if remoteBehind {
        switch try pushState(localTip, remote: remote) {
        case .accepted: return SyncReport(kind: .pushed, remote: remote, tip: localTip)
        case .rejected:
          Self.backoff(attempt)
          continue
        }
      }
      var report = try reapply(localTip: localTip, onto: remoteTip, remote: remote, actor: actor, clock: clock)
      guard let tip = report.tip else { continue }
      switch try pushState(tip, remote: remote) {
      case .accepted:
        try moveLocal(from: localTip, to: tip, message: "ghp: sync with \(remote)")
        report.kind = .reapplied
        return report
      case .rejected:
        Self.backoff(attempt)
      }
    }
    throw .contention(attempt)
  }

  /// Re-applies the local operations since the merge base onto the remote tip, one commit each,
  /// keeping each operation's agent and time. Returns the new tip and every operation's fate.
  func reapply(localTip: ObjectID, onto remoteTip: ObjectID, remote: String, actor: String, clock: Clock)
    throws(GHPError) -> SyncReport
  {
    let base: ObjectID?
    let localCommits: [Commit]
    let remoteCommits: [Commit]
    do {
      base = try repository.mergeBase(localTip, remoteTip)
      localCommits = try repository.newCommits(tip: localTip, hiding: base.map { [$0] } ?? [], hidingGlobs: [])
      remoteCommits = try repository.newCommits(tip: remoteTip, hiding: base.map { [$0] } ?? [], hidingGlobs: [])
    } catch {
      throw .git(error)
    }
    // What the remote already has: commits re-applied by an earlier sync that lost its connection.
    var present = Set(remoteCommits.compactMap { CommitMessage.trailers($0.message)[CommitMessage.Trailer.replayOf] })
    present.formUnion(remoteCommits.map(\.id.hex))

    var report = SyncReport(kind: .reapplied, remote: remote, tip: remoteTip)
    var tip = remoteTip
    var lost: [NoticeLostClaimsOperation.Notice] = []
    // Ids this batch made that the remote had taken meanwhile: later operations follow them.
    var renames = IDRenames()
    for commit in localCommits {
      let subject = commit.summary
      let original = CommitMessage.trailers(commit.message)[CommitMessage.Trailer.replayOf] ?? commit.id.hex
      if present.contains(original) {
        report.fates.append(SyncFate(commit: commit.id, subject: subject, outcome: .alreadyThere, detail: nil))
        continue
      }
      let message: CommitMessage
      let operation: any RecordedOperation
      do {
        message = try CommitMessage.read(commit.message).get()
        operation = try OperationCatalog.decode(message.operation)
      } catch {
        report.fates.append(
          SyncFate(
            commit: commit.id, subject: subject, outcome: .conflict,
            detail: "not an operation ghp can re-apply (\(error.description)); re-do it on the new state"))
        continue
      }
      let state = try StateSnapshot(repository: repository, commit: tip)
      // Re-applied at its own time, or the new parent's when that is later: never back in time; one
      // dated beyond the skew ahead of this machine's clock (a clock that was wrong) at this clock's.
      let own = commit.authorTime > clock.now + state.clockSkew ? clock.now : commit.authorTime
      let when = Clock(now: max(own, state.commitTime ?? own))
      var change: Change?
      do {
        var replayed: any RecordedOperation = operation.renaming(renames).remintingIDs()
        // An offline `claim --next` was work on the issue it picked: re-applied, it claims that one
        // or is lost (and its agent told), never another issue the agent knows nothing of.
        if var claim = replayed as? ClaimOperation, claim.orNext {
          claim.orNext = false
          replayed = claim
        }
        change = try replayed.change(on: state, actor: message.agent, clock: when)
      } catch {
        guard error.isRefusal else { throw error }
        // A claim that lost is the normal fate of a race; anything else refused is a conflict a
        // person must look at.
        let isClaim = message.op == ClaimOperation.name
        report.fates.append(
          SyncFate(commit: commit.id, subject: subject, outcome: isClaim ? .lost : .conflict, detail: error.description)
        )
        if isClaim, let issue = message.issue {
          lost.append(
            .init(
              agent: message.agent, issue: renames.issue(issue),
              reason: "claimed offline, but on \(remote): \(error.description)"))
        }
        continue
      }
      guard var change else {
        report.fates.append(
          SyncFate(commit: commit.id, subject: subject, outcome: .alreadyThere, detail: "nothing left to change"))
        continue
      }
      Replay.renames(from: message.operation, to: change.message.operation, into: &renames)
      change.message.replayOf = original
      tip = try write(change, onto: state, actor: message.agent, clock: when)
      report.fates.append(SyncFate(commit: commit.id, subject: subject, outcome: .landed, detail: nil, landedAs: tip))
    }
    report.renames = renames
    // Agents whose offline claims lost are told on their next report, as reaped agents are.
    if !lost.isEmpty {
      let state = try StateSnapshot(repository: repository, commit: tip)
      let notice = NoticeLostClaimsOperation(notices: lost)
      let at = clock.notBefore(state.commitTime, within: state.clockSkew)
      if let change = try notice.apply(to: state, actor: actor, clock: at).0 {
        tip = try write(change, onto: state, actor: actor, clock: at)
      }
    }
    report.tip = tip
    return report
  }

  /// `ghp remote status`: how far local `ghp/state` is from the remote's (after a fetch).
  public func remoteStatus(remote: String) throws(GHPError) -> (
    local: ObjectID?, remote: ObjectID?, ahead: Int, behind: Int
  ) {
    let remoteTip = try fetchState(remote)
    let localTip = try snapshot().commit
    guard let localTip, let remoteTip else {
      return (localTip, remoteTip, localTip == nil ? 0 : 1, remoteTip == nil ? 0 : 1)
    }
    do {
      let counts = try repository.aheadBehind(localTip, remoteTip)
      return (localTip, remoteTip, counts.ahead, counts.behind)
    } catch {
      throw .git(error)
    }
  }
}
