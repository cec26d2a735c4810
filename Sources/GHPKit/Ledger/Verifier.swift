import Glibc

/// One commit that does not prove itself, and why.
public struct VerificationFinding: Sendable, Equatable {
  /// The commit that fails the check.
  public var commit: ObjectID
  /// Its subject line.
  public var subject: String
  /// Its author's name: the agent it is by, or claims to be by.
  public var author: String
  /// Why it does not prove itself, as a sentence.
  public var problem: String

  /// The finding as JSON: `commit`, `subject`, `author`, `problem`.
  public var json: JSON {
    .object([
      "commit": .string(commit.hex), "subject": .string(subject), "author": .string(author),
      "problem": .string(problem),
    ])
  }
}

/// What `ghp verify` found over a range of `ghp/state`.
public struct VerificationReport: Sendable {
  /// The commit the verified range ends at.
  public var tip: ObjectID?
  /// How many commits were checked.
  public var checked = 0
  /// Every commit that does not prove itself, oldest first.
  public var findings: [VerificationFinding] = []
  /// True when every checked commit proved itself.
  public var isClean: Bool { findings.isEmpty }
}

/// The one rule of the ledger, checked: the tree after each commit equals the commit's recorded
/// operation applied to its parent's tree by the commit's author at the commit's time, and the
/// author had the authority for it. `ghp verify`, remote mode, `ghp sync` and the server's
/// `pre-receive` all check through here.
public final class Verifier {
  let repository: Repository
  /// Where re-executed operations write their blobs and trees: memory, dropped after each commit.
  let scratch: ScratchObjects

  /// A verifier of `repository`'s commits, with its own in-memory scratch for re-executed operations.
  public init(repository: Repository) throws(GHPError) {
    self.repository = repository
    do { scratch = try ScratchObjects(repository) } catch { throw .git(error) }
  }

  /// Verifies every commit reachable from `tip` and not from `hiding`, oldest first.
  public func verify(tip: ObjectID, hiding: [ObjectID] = []) throws(GHPError) -> VerificationReport {
    var report = VerificationReport(tip: tip)
    let commits: [Commit]
    do { commits = try repository.newCommits(tip: tip, hiding: hiding, hidingGlobs: []) } catch { throw .git(error) }
    let carried = try carriedOperations(commits, tip: tip)
    for commit in commits {
      report.checked += 1
      // An operation a server landed is checked as what its merge lands (`checkLanded`): its
      // record, author, signature and place on the line. Its own tree is never state: no reader
      // follows a second parent.
      if carried.contains(commit.id) { continue }
      if let problem = try check(commit) {
        report.findings.append(
          VerificationFinding(commit: commit.id, subject: commit.summary, author: commit.authorName, problem: problem))
      }
    }
    return report
  }

  /// The second parents of the merges among `commits` that nothing builds on: the operation
  /// commits a server landed, which are checked through their merges.
  func carriedOperations(_ commits: [Commit], tip: ObjectID) throws(GHPError) -> Set<ObjectID> {
    var seconds: Set<ObjectID> = []
    var built: Set<ObjectID> = [tip]
    do {
      for commit in commits where commit.parentCount > 0 {
        let parents = try repository.parents(of: commit.id)
        built.insert(parents[0])
        if parents.count == 2 { seconds.insert(parents[1]) }
      }
    } catch {
      throw .git(error)
    }
    return seconds.subtracting(built)
  }

  /// Why `commit` does not prove itself, or nil when it does.
  public func check(_ commit: Commit) throws(GHPError) -> String? {
    defer { scratch.reset() }
    if commit.containsNUL {
      return "its message holds a NUL byte, which hides what follows it from git; ghp never writes one"
    }
    if commit.parentCount == 2 { return try checkLanded(commit) }
    guard commit.parentCount <= 1 else {
      return
        "it is a merge of \(commit.parentCount) commits: each commit of ghp/state is one operation on one parent, or one a server landed (two)"
    }
    let message: CommitMessage
    let operation: any RecordedOperation
    switch CommitMessage.read(commit.message) {
    case .failure(let error): return "it records no operation ghp can read (\(error.description)): a hand edit?"
    case .success(let read): message = read
    }
    do { operation = try OperationCatalog.decode(message.operation) } catch {
      return "its operation cannot be read: \(error.description)"
    }
    let author = commit.authorName
    guard author == message.agent else {
      return "it says it is by \(message.agent) (Ghp-Agent), but its author is \(author)"
    }
    guard (try? AgentName.validate(author)) != nil, commit.authorEmail == "\(author)@ghp" else {
      return "its author \(author) <\(commit.authorEmail)> is not a ghp agent identity"
    }
    let parent: ObjectID?
    do { parent = try repository.parent(of: commit.id) } catch { throw .git(error) }
    let state = try StateSnapshot(repository: scratch.repository, commit: parent)
    if let before = state.commitTime, commit.authorTime < before {
      return
        "it is dated \(RFC3339.format(commit.authorTime)), before its parent \(parent?.short ?? "") (\(RFC3339.format(before))): a history does not go back in time (a clock set back, or a date chosen by hand)"
    }
    let change: Change?
    do {
      change = try operation.change(on: state, actor: author, clock: Clock(now: commit.authorTime))
    } catch {
      if error.isRefusal { return "\(author) may not do this: \(error.description)" }
      return "its operation fails when re-executed: \(error.description)"
    }
    if let change, let problem = Self.trailerProblem(message, made: change.message) { return problem }
    if let problem = try Self.signatureProblem(commit, author: author, before: state, in: repository) {
      return problem
    }
    let expected: ObjectID?
    do {
      if let change {
        expected = try Ledger.tree(of: change, onto: state.treeID, in: scratch.repository)
      } else {
        expected = state.treeID
      }
    } catch {
      throw .git(error)
    }
    guard expected == commit.treeID else {
      let paths: [String]
      do {
        let base: ObjectID = try expected ?? repository.emptyTree()
        paths = try scratch.repository.treeDeltas(from: base, to: commit.treeID).map(\.path)
      } catch let error as GitError {
        throw .git(error)
      } catch {
        paths = []
      }
      let named = paths.prefix(3).joined(separator: ", ") + (paths.count > 3 ? ", …" : "")
      return
        "its tree is not what its operation (\(message.op)) makes: \(named.isEmpty ? "the documents" : named) differ"
    }
    return nil
  }
}

extension Verifier {
  /// Why the trailers a commit carries do not say what its record makes, or nil: `Ghp-Issue` and
  /// `Ghp-Epoch` must be those of the message the operation writes when re-executed (`Ghp-Op` and
  /// `Ghp-Agent` are held to the record and the author before), so that `git log` and the history
  /// views cannot be told another story than the record.
  static func trailerProblem(_ given: CommitMessage, made: CommitMessage) -> String? {
    if given.issue != made.issue {
      return
        "its Ghp-Issue says \(given.issue.map { "#" + $0 } ?? "nothing"), but its operation (\(made.op)) is about \(made.issue.map { "#" + $0 } ?? "no issue")"
    }
    if given.epoch != made.epoch {
      return
        "its Ghp-Epoch says \(given.epoch.map(String.init) ?? "nothing"), but its operation (\(made.op)) makes epoch \(made.epoch.map(String.init) ?? "none")"
    }
    return nil
  }

  /// Why `commit`'s signature does not prove its author, or nil: a signature must be by the key
  /// registered for the author (in the state before it; for `init`, the one it registers), and
  /// `[signing] required` makes an unsigned commit a finding. Reads only `repository` (no scratch
  /// objects): heartbeat refs are checked with it too (`AliveRefs`).
  static func signatureProblem(_ commit: Commit, author: String, before: StateSnapshot, in repository: Repository)
    throws(GHPError) -> String?
  {
    let signed: (signature: String, payload: [UInt8])?
    do { signed = try repository.commitSignature(commit.id) } catch { throw .git(error) }
    let rules = before.exists ? before : try StateSnapshot(repository: repository, commit: commit.id)
    let registered = try rules.agents().agents[author]?.signingKey
    guard let signed else {
      return try rules.config().signingRequired
        ? "it is not signed, and the policy requires signed state commits ([signing] required)" : nil
    }
    guard let line = registered, let key = SSHSignature.publicKey(line) else {
      return "it is signed, but \(author) has no registered signing key"
    }
    guard SSHSignature.verify(signed.signature, payload: signed.payload, publicKey: key) else {
      return "its signature is not by \(author)'s registered key"
    }
    return nil
  }
}

// MARK: - Remembering what was verified

/// The tips this clone has verified, in `<common git dir>/ghp/verified`, so that the next
/// verification starts where the last one ended instead of at the root.
enum VerifiedTips {
  static let kept = 32

  static func path(_ repository: Repository) -> String {
    repository.localPaths.verifiedTips
  }

  static func load(_ repository: Repository) -> [ObjectID] {
    guard let bytes = Files.read(path(repository)) else { return [] }
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { ObjectID(hex: String($0)) }
      .filter { repository.contains($0) }
  }

  static func remember(_ tip: ObjectID, in repository: Repository) {
    var tips = load(repository).filter { $0 != tip }
    tips.append(tip)
    let text = tips.suffix(kept).map(\.hex).joined(separator: "\n") + "\n"
    try? Files.replace(path(repository), with: Array(text.utf8))
  }
}

extension Ledger {
  /// Verifies the commits of `tip` that this clone has neither made nor verified before, and
  /// refuses to go on if one is forged; remembers `tip` as verified.
  func requireVerified(_ tip: ObjectID, source: String) throws(GHPError) {
    var known = VerifiedTips.load(repository)
    if known.contains(tip) { return }
    if let local = try snapshot().commit {
      if local == tip { return }
      known.append(local)
    }
    let report = try verifier().verify(tip: tip, hiding: known)
    if let first = report.findings.first {
      throw .forged(commit: first.commit.hex, source: source, problem: first.problem, more: report.findings.count - 1)
    }
    VerifiedTips.remember(tip, in: repository)
  }
}

// MARK: - ghp verify

extension Workspace {
  /// `ghp verify [RANGE]`: `A..B` checks what B has that A has not; a single revision checks its
  /// whole history; nothing checks all of `ghp/state`.
  public func verify(range: String?) throws(GHPError) -> VerificationReport {
    let text = range ?? StatePaths.branchShort
    var hiding: [ObjectID] = []
    var tipText = text
    if let dots = text.firstRange(of: "..") {
      let from = String(text[..<dots.lowerBound])
      tipText = String(text[dots.upperBound...])
      if tipText.isEmpty { tipText = StatePaths.branchShort }
      if !from.isEmpty { hiding.append(try resolve(from)) }
    }
    let tip = try resolve(tipText)
    return try Verifier(repository: repository).verify(tip: tip, hiding: hiding)
  }

  private func resolve(_ revision: String) throws(GHPError) -> ObjectID {
    guard !revision.hasPrefix("-"), let id = repository.resolveCommit(revision) else {
      throw .invalidValue(
        "revision '\(revision)'", "no such commit here (examples: ghp/state, ghp/state~10..ghp/state)")
    }
    return id
  }
}
