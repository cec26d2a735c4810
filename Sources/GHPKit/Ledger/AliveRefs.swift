/// Heartbeats off the contended path. In remote mode an agent's heartbeat that names no issue, sets
/// no status the state acts on (`stateWords`) and has nothing to be told goes to a ref of its own
/// on the server, `refs/ghp/alive/<agent>`: a line of commits (fast-forward only) by that agent,
/// signed with its key like its state commits, each holding one document, `alive.json` — who,
/// when (its commit's time), what it just did — and, in its message, what it is doing (a
/// `Ghp-Status:` trailer: an older ghp reads the document alone and still sees the beat). No
/// other writer ever pushes that ref, so a heartbeat never loses a race and never costs anyone
/// else a retry, however many hosts write. The server's hook takes it only from the agent itself
/// (`judgeAlive`).
///
/// `.ghp/agent-status.json` keeps the seed's shape on `ghp/state`, updated by the agent's next
/// state write; the readers (`agent-status`, `ghp status`, the page, `ghp reap`) take for each
/// agent the newer of its entry there and its own ref, which every fetch of the state brings in
/// the same connection. `ghp reap` records the beats it judged by (`ReapOperation.alive`), so its
/// record still replays from the tree alone.
public enum AliveRefs {
  /// Where an agent's heartbeats live, on the server and in every clone.
  public static func ref(_ agent: String) -> String { prefix + agent }
  static let prefix = "refs/ghp/alive/"
  /// Fetched beside `ghp/state`, in the same connection.
  static let glob = "refs/ghp/alive/*"
  /// The one document of each commit.
  static let document = "alive.json"

  /// Status words the state's operations set and act on (a claim, an escalation, a reap, a
  /// handoff): said only through `ghp/state`, never on an agent's own ref. An agent's own words
  /// for its work (implementing, testing, blocked, …) may go either way.
  public static let stateWords: Set<String> = [
    StatusWord.idle, StatusWord.planning, StatusWord.claimed, StatusWord.assigned, StatusWord.escalated,
    StatusWord.stale, StatusWord.handoff, StatusWord.handedOff,
  ]

  /// One heartbeat.
  public struct Beat: Equatable, Sendable {
    /// The agent.
    public var agent: String
    /// When, in seconds since 1970 (its commit's author time).
    public var at: Int64
    /// What it just did, when it said.
    public var action: String?
    /// What it is doing (a status word not in `stateWords`), when it said: the commit's
    /// `Ghp-Status:` trailer.
    public var status: String? = nil

    /// The document, canonical.
    var json: JSON {
      var fields: [String: JSON] = ["agent": .string(agent), "heartbeatAt": .string(RFC3339.format(at))]
      if let action { fields["action"] = .string(action) }
      return .object(fields)
    }
  }

  /// The trailer a beat's status is said in.
  static let statusTrailer = "Ghp-Status: "

  /// The status a beat's message says, nil when none; an error when it says one wrongly.
  static func status(in message: String) -> (String?, String?) {
    let lines = message.split(separator: "\n").filter { $0.hasPrefix(statusTrailer) }
    guard let line = lines.first else { return (nil, nil) }
    let status = String(line.dropFirst(statusTrailer.count))
    guard lines.count == 1, (try? StatusUpdateOperation.validateStatus(status)) != nil else {
      return (nil, "its status must be one lowercase word, said once")
    }
    if stateWords.contains(status) {
      return (nil, "its status '\(status)' is one the state sets: it is said only through ghp/state")
    }
    return (status, nil)
  }

  /// The beat `commit` holds, checked as a server checks it: one document naming `agent`, dated
  /// as its commit, by `agent`, with nothing else in the tree; nil with why otherwise.
  static func beat(in commit: Commit, of agent: String, repository: Repository) -> (Beat?, String?) {
    guard commit.authorName == agent else { return (nil, "it is by \(commit.authorName), not \(agent)") }
    do {
      let tree = try repository.tree(commit.treeID)
      let entries = tree.entries()
      guard entries.count == 1, entries[0].name == document else {
        return (nil, "its tree must hold \(document) alone")
      }
      let bytes = try repository.blobBytes(entries[0].id)
      let value = try JSON.parse(bytes)
      guard let fields = value.objectValue, Set(fields.keys).isSubset(of: ["agent", "heartbeatAt", "action"]),
        fields["agent"]?.stringValue == agent,
        let at = fields["heartbeatAt"]?.stringValue.flatMap(RFC3339.parse), at == commit.authorTime
      else {
        return (nil, "its \(document) must name \(agent) and the commit's time, and nothing but an action")
      }
      let action = fields["action"]?.stringValue
      if fields["action"] != nil, action == nil { return (nil, "its action must be text") }
      if let action, action.utf8.count > TextLimit.action { return (nil, "its action is too long") }
      let (status, wrong) = Self.status(in: commit.message)
      if let wrong { return (nil, wrong) }
      guard value.canonical() == bytes else {
        return (nil, "its \(document) is not in canonical form")
      }
      return (Beat(agent: agent, at: at, action: action, status: status), nil)
    } catch {
      return (nil, "it cannot be read (\(error))")
    }
  }

  /// Every agent's newest beat this clone holds (as last fetched, or pushed from here) whose
  /// commit proves itself against `state`: a ref name, author and document that agree, and the
  /// signature of the agent's registered key when it has one (or none, where the policy allows
  /// it). A ref written by hand that proves nothing is left out.
  public static func latest(in state: StateSnapshot) -> [String: Beat] {
    guard state.remoteName != nil, let agents = try? state.agents().agents else { return [:] }
    var beats: [String: Beat] = [:]
    for (name, target) in state.repository.references(glob: prefix + "*") {
      let agent = String(name.dropFirst(prefix.count))
      guard agents[agent] != nil, let beat = proven(target, of: agent, in: state) else { continue }
      beats[agent] = beat
    }
    return beats
  }

  /// `agent`'s newest beat this clone holds, when it proves itself (as `latest`).
  static func latest(of agent: String, in state: StateSnapshot) -> Beat? {
    guard state.remoteName != nil, let target = try? state.repository.referenceTarget(ref(agent)) else { return nil }
    return proven(target, of: agent, in: state)
  }

  /// The beat of the commit `target` on `agent`'s ref, when it proves itself against `state`.
  private static func proven(_ target: ObjectID, of agent: String, in state: StateSnapshot) -> Beat? {
    let repository = state.repository
    guard let commit = try? repository.commit(target) else { return nil }
    let (beat, problem) = Self.beat(in: commit, of: agent, repository: repository)
    guard let beat, problem == nil,
      (try? Verifier.signatureProblem(commit, author: agent, before: state, in: repository)) == .some(nil)
    else { return nil }
    return beat
  }
}

extension AgentRecord {
  /// Status words that others set on an agent's entry without moving its time (a reap, an
  /// assignment, a handoff): a beat older than that act cannot be told from a newer one by time,
  /// so they stand until the agent's next state write.
  static let setByOthers: Set<String> = [StatusWord.stale, StatusWord.assigned, StatusWord.handoff]

  /// Whether a newer beat's status shows over this entry's: not over a status others set, nor
  /// while the agent has something to be told (work sent back, a lost claim, a handoff).
  var takesStatusFromBeats: Bool {
    !Self.setByOthers.contains(status) && status != StatusWord.escalated && lostClaims.isEmpty && returned.isEmpty
      && handoffWaiting == nil
  }

  /// What `beat` says over this entry when it is the newer: its action, and its status where the
  /// entry takes one from beats; nil when the entry is as new or newer.
  func said(by beat: AliveRefs.Beat) -> (action: String?, status: String?)? {
    guard beat.at > timestamp else { return nil }
    return (beat.action, takesStatusFromBeats ? beat.status : nil)
  }

  /// The entry as readers show it beside `beat`: its time, action and status where the beat is
  /// newer and says them.
  func overlaid(by beat: AliveRefs.Beat) -> AgentRecord {
    guard let said = said(by: beat) else { return self }
    var record = self
    record.timestamp = beat.at
    if let action = said.action { record.lastAction = action }
    if let status = said.status { record.status = status }
    return record
  }
}

extension AgentStatusDocument {
  /// The document with each agent's heartbeat, last action and status word taken from its own ref
  /// where that is newer than its entry: what `agent-status` shows and staleness is judged by.
  public func withBeats(_ beats: [String: AliveRefs.Beat]) -> AgentStatusDocument {
    guard !beats.isEmpty else { return self }
    var merged = self
    for (agent, beat) in beats {
      guard let record = merged.agents[agent] else { continue }
      merged.agents[agent] = record.overlaid(by: beat)
    }
    return merged
  }
}

extension Ledger {
  /// What a heartbeat on the agent's own ref did.
  public enum BeatOutcome {
    /// Pushed: the agent's record as readers now see it, and the commit on its ref.
    case beat(AgentRecord, ObjectID)
    /// Nothing written: its last heartbeat (at the time given) is within `heartbeatMinimum`.
    case skipped(AgentRecord, Int64)
  }

  /// A heartbeat in remote mode, on the agent's own ref: one fetch (the state and every heartbeat
  /// ref, in one connection) and one push nobody else contends for. Nil when it must go through
  /// `ghp/state` instead: its status is one the state acts on (`AliveRefs.stateWords`), this
  /// clone holds operations the server lacks, the agent has no entry there yet, it has something
  /// to be told (a lost claim, work sent back, a handoff, an answer: told once, by the state), or
  /// signing is required and it has no key here.
  func beatAlive(
    remote: String, actor: String, clock: Clock, action: String?, status: String? = nil, coalesce: Bool
  ) throws(GHPError) -> BeatOutcome? {
    if let action { try TextLimit.check(action, "the action", TextLimit.action) }
    if let status {
      try StatusUpdateOperation.validateStatus(status)
      if AliveRefs.stateWords.contains(status) { return nil }
    }
    // (Checked again below on the entry: a status over one others set goes through the state.)
    guard let tip = try fetchState(remote) else { return nil }
    let local = try snapshot()
    if let localTip = local.commit, localTip != tip {
      let behind: Bool
      do { behind = try repository.isAncestor(localTip, of: tip) } catch { throw .git(error) }
      guard behind else { return nil }
      try moveLocal(from: localTip, to: tip, message: "ghp: fast-forward to \(remote)")
    }
    let state = try StateSnapshot(repository: repository, commit: tip)
    guard state.exists, var record = try state.agents().agents[actor], record.lostClaims.isEmpty,
      record.returned.isEmpty, record.handoffWaiting == nil, record.status != StatusWord.escalated,
      try !state.escalations().contains(where: { $0.agent == actor && $0.status == .resolved && $0.told == nil })
    else { return nil }
    // A status over one that others set (or while something waits) is said through the state,
    // which readers then show.
    if status != nil, !record.takesStatusFromBeats { return nil }
    let config = try state.config()
    let key = try signingKey(for: actor)
    if key == nil, config.signingRequired { return nil }
    // Readers take a beat over the entry only when it is newer, by the second: a status or an
    // action said in the same second as the entry was written goes through the state, which
    // orders them.
    if status != nil || action != nil, clock.now <= record.timestamp { return nil }
    // A beat newer than the entry is what readers show: what this one does not say, it carries on.
    var carried: (action: String?, status: String?)?
    if let beat = AliveRefs.latest(of: actor, in: state) {
      carried = record.said(by: beat)
      record = record.overlaid(by: beat)
    }
    if coalesce, clock.now - record.timestamp < config.heartbeatMinimum, action == nil || action == record.lastAction,
      status == nil || status == record.status
    {
      return .skipped(record, record.timestamp)
    }
    let ref = AliveRefs.ref(actor)
    var parent = try? repository.referenceTarget(ref)
    for _ in 0..<5 {
      // Never dated before the beat it follows (the server refuses that).
      let previous = parent.flatMap { try? repository.commit($0).authorTime } ?? 0
      let beat = AliveRefs.Beat(
        agent: actor, at: max(clock.now, previous), action: action ?? carried?.action,
        status: status ?? carried?.status)
      let commit = try write(beat, parent: parent, key: key)
      switch try pushRef(commit, to: ref, named: "\(actor)'s heartbeat", remote: remote, advice: "") {
      case .accepted:
        try? repository.setReference(ref, to: commit, logMessage: "ghp: heartbeat")
        record.timestamp = beat.at
        if let action = beat.action { record.lastAction = action }
        if let status = beat.status { record.status = status }
        return .beat(record, commit)
      case .rejected:
        // Another process of this agent beat meanwhile: on top of the server's.
        parent = try fetchRef(ref, named: "\(actor)'s heartbeat", remote: remote)
      }
    }
    throw .contention(5)
  }

  /// The commit of one beat on top of `parent`, signed with `key` when there is one.
  private func write(_ beat: AliveRefs.Beat, parent: ObjectID?, key: SigningKey?) throws(GHPError) -> ObjectID {
    try writingBatched { (batched) throws(GHPError) in
      let tree: ObjectID
      do throws(GitError) {
        let blob = try batched.writeBlob(beat.json.canonical())
        tree = try batched.updatedTree(nil, applying: [.init(path: AliveRefs.document, blob: blob)])
      } catch {
        throw .git(error)
      }
      let author = Signature(name: beat.agent, email: "\(beat.agent)@ghp", time: beat.at)
      let said = [beat.status, beat.action.map { TextTable.clip($0, 100) }].compactMap { $0 }.joined(separator: ": ")
      let message =
        "\(beat.agent): alive" + (said.isEmpty ? "" : ": \(said)") + "\n"
        + (beat.status.map { "\n\(AliveRefs.statusTrailer)\($0)\n" } ?? "")
      if let key {
        return try batched.writeSignedCommit(
          tree: tree, parents: parent.map { [$0] } ?? [], author: author, message: message,
          sign: { (bytes) throws(GHPError) in try key.sign(bytes) })
      }
      do throws(GitError) {
        return try batched.writeCommit(
          tree: tree, parents: parent.map { [$0] } ?? [], author: author, message: message)
      } catch {
        throw .git(error)
      }
    }
  }
}
