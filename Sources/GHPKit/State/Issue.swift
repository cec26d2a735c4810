/// One issue: `.ghp/issues/<id>.json`.
public struct Issue: Equatable, Sendable {
  /// Where the issue is in its life: open, held, finished, given up after too many failures, or queued to land.
  public enum Status: String, Sendable, CaseIterable {
    /// `landing`: its holder said done and `ghp land` has it queued (with `[landing]` configured).
    case open, claimed, done, dead, landing
  }

  /// What the issue is: a piece of work; an epic whose sub-issues are the work and whose holder
  /// (a manager) coordinates them; or a piece of work attempted independently by several workers
  /// (`--attempts N`), whose attempts are the work and the best of which lands (`best-of`).
  public enum Kind: String, Sendable, CaseIterable, Codable {
    case task, epic
    case bestOf = "best-of"
  }

  /// One failed attempt, kept with the issue.
  public struct Failure: Equatable, Sendable {
    /// The agent whose attempt failed.
    public var agent: String
    /// When it failed, in seconds since 1970.
    public var at: Int64
    /// Why it failed: the agent's `ghp fail --reason`, or the gate's failure when it was landed.
    public var reason: String
  }

  /// The issue's number or name, as `ghp issue show` takes it; its last two characters name its shard.
  public var id: String
  /// The one-line title shown in lists and commit subjects.
  public var title: String
  /// The free-text description of the work, empty when none was given.
  public var body: String = ""
  /// Lower comes first.
  public var priority: Int = 2
  /// The ids of the issues that must be done before this one is ready.
  public var dependencies: [String] = []
  /// Globs of the files this issue's holder has authority over; an epic's bound what its manager
  /// may approve.
  public var scope: [String] = []
  /// A task or an epic; written only for an epic (`"kind": "epic"`).
  public var kind: Kind = .task
  /// The epic this issue is a sub-issue of, nil when none.
  public var epic: String?
  /// What an agent must be able to do to take it (`--needs swift`), sorted; written only when any.
  public var needs: [String] = []
  /// How many independent attempts a best-of issue has (`--attempts N`): `<id>.1` to `<id>.N`.
  public var bestOf: Int?
  /// The best-of issue this one is an attempt of, nil when none.
  public var attemptOf: String?
  /// An attempt's gated merge and score, once the lander gated it: what the vote chooses between.
  public var trial: Trial?
  /// A best-of issue's vote: the ballots cast, and the winner once chosen.
  public var vote: Vote?
  /// Its own review before landing (`--review`), over `[landing] review`; nil follows the policy.
  public var reviewMode: ReviewMode?
  /// The review its landing waits for, or has: the merge result shown, and the approval.
  public var reviewing: ReviewRequest?
  /// Where the issue is in its life; a new issue is open.
  public var status: Status = .open
  /// The agent holding the issue, nil when nobody does.
  public var assignee: String?
  /// Grows each time the issue changes hands; work from an older epoch is fenced off.
  public var epoch: Int = 0
  /// Failed attempts since it was created or last retried; at `maxAttempts` the issue is dead.
  public var attempts: Int = 0
  /// Every failed attempt, oldest first.
  public var failures: [Failure] = []
  /// When the issue was created, in seconds since 1970.
  public var createdAt: Int64
  /// The agent or person who created it, empty in a document that names nobody.
  public var createdBy: String
  /// When its current holder claimed it, in seconds since 1970; nil when nobody holds it.
  public var claimedAt: Int64?
  /// When the issue last changed, in seconds since 1970.
  public var updatedAt: Int64
  /// The last time the claim was taken from its holder by someone else (`ghp reap`, `ghp release`
  /// by an orchestrator, `ghp assign`), so that the former holder can be told when and by whom.
  public var lastRelease: LostClaim?
  /// The agent it was taken from.
  public var lastReleasedFrom: String?
  /// Every claim ever taken from its holder, oldest first: fencing reads this, so that a claim
  /// taken once stays fenced however many times the issue changes hands afterwards.
  public var taken: [TakenClaim] = []
  /// The one-line result summary (the full text is `.ghp/results/<id>.md`).
  public var result: String?
  /// What `ghp done` submitted for landing (with `[landing]`): the branch tip and the base it was
  /// made against.
  public var submission: Submission?
  /// A landing whose gate passed and whose base move is under way (`ghp land` records it before
  /// moving the base, so that a lander killed in between is finished, not repeated, by the next).
  public var pending: LandingEvidence?
  /// The evidence of the landing: base before and after, branch tip, merge, each gate command.
  public var landing: LandingEvidence?
  /// Why the last landing attempt sent the issue back (a conflict or a failed gate).
  public var bounced: Bounce?
  /// The document's keys ghp does not read, kept so that writing it back loses nothing.
  public var extra: [String: JSON] = [:]

  /// A new open issue with no body, dependencies or scope, created at `createdAt` by `createdBy`.
  public init(id: String, title: String, createdAt: Int64, createdBy: String) {
    self.id = id
    self.title = title
    self.createdAt = createdAt
    self.createdBy = createdBy
    self.updatedAt = createdAt
  }

  /// Back to open with epoch + 1. When someone other than the holder does it (`by` set), the
  /// issue remembers who took it from whom, when and why, so the former holder can be told.
  mutating func reopen(at time: Int64, takenBy taker: String? = nil, reason: String = "") {
    if let taker, let holder = assignee { recordTaking(from: holder, by: taker, at: time, reason: reason) }
    status = .open
    assignee = nil
    claimedAt = nil
    epoch += 1
    updatedAt = time
  }

  /// Remembers that the claim at the current epoch was taken from `holder` by someone else.
  mutating func recordTaking(from holder: String, by taker: String, at time: Int64, reason: String) {
    lastRelease = LostClaim(issue: id, epoch: epoch, by: taker, at: time, reason: reason)
    lastReleasedFrom = holder
    taken.append(TakenClaim(agent: holder, epoch: epoch, by: taker, at: time, reason: reason))
  }

  /// The taking that fences work `agent` did under `epoch`, if its claim at that epoch was taken.
  public func taking(of agent: String, epoch: Int) -> TakenClaim? {
    taken.last { $0.agent == agent && $0.epoch >= epoch }
  }

  /// The largest epoch or attempt count a document may hold, so that counting on never overflows.
  static let maximumCount = 1 << 53

  static let known: Set<String> = [
    "id", "title", "body", "priority", "dependencies", "scope", "status", "assignee", "epoch", "attempts",
    "failures", "createdAt", "createdBy", "claimedAt", "updatedAt", "result", "lastRelease", "taken",
    "submission", "pending", "landing", "bounced", "kind", "epic", "needs", "review", "reviewing", "bestOf",
    "attemptOf", "trial", "vote",
  ]

  /// Reads an issue document, refusing a missing id or title and any field of the wrong type.
  public init(json: JSON) throws(DocumentError) {
    guard let f = json.objectValue else { throw DocumentError("the document is not a JSON object") }
    guard let id = try IssueReference.read(f["id"], what: "\"id\"") else { throw DocumentError("\"id\" is missing") }
    guard let title = f["title"]?.stringValue else { throw DocumentError("\"title\" is missing") }
    func time(_ key: String) throws(DocumentError) -> Int64? {
      guard let value = f[key], !value.isNull else { return nil }
      guard let text = value.stringValue, let seconds = RFC3339.parse(text) else {
        throw DocumentError("\"\(key)\" is not an RFC 3339 time")
      }
      return seconds
    }
    func strings(_ key: String) throws(DocumentError) -> [String] {
      guard let value = f[key], !value.isNull else { return [] }
      guard let items = value.arrayValue else { throw DocumentError("\"\(key)\" is not a list") }
      var out: [String] = []
      for item in items {
        guard let s = try IssueReference.read(item, what: "an entry of \"\(key)\"") else { continue }
        out.append(s)
      }
      return out
    }
    // A field of the wrong type is an error naming it, never a default.
    func text(_ key: String) throws(DocumentError) -> String? {
      guard let value = f[key], !value.isNull else { return nil }
      guard let text = value.stringValue else { throw DocumentError("\"\(key)\" is not a string") }
      return text
    }
    func count(_ key: String, _ range: ClosedRange<Int>) throws(DocumentError) -> Int? {
      guard let value = f[key], !value.isNull else { return nil }
      guard case .int(let number) = value, range.contains(number) else {
        throw DocumentError("\"\(key)\" is not a whole number from \(range.lowerBound) to \(range.upperBound)")
      }
      return number
    }
    let statusText = try text("status") ?? "open"
    guard let status = Status(rawValue: statusText) else { throw DocumentError("unknown status '\(statusText)'") }
    self.id = id
    self.title = title
    self.body = try text("body") ?? ""
    self.priority = try count("priority", -1_000_000...1_000_000) ?? 2
    self.dependencies = try strings("dependencies")
    self.scope = try strings("scope")
    let kindText = try text("kind") ?? Kind.task.rawValue
    guard let kind = Kind(rawValue: kindText) else { throw DocumentError("unknown kind '\(kindText)'") }
    self.kind = kind
    self.epic = try IssueReference.read(f["epic"], what: "\"epic\"")
    if kind == .epic && epic != nil { throw DocumentError("an epic cannot be a sub-issue of another") }
    self.bestOf = try count("bestOf", 2...BestOf.maximumAttempts)
    if (kind == .bestOf) != (bestOf != nil) {
      throw DocumentError("a best-of issue (\"kind\": \"best-of\") and only one has \"bestOf\"")
    }
    self.attemptOf = try IssueReference.read(f["attemptOf"], what: "\"attemptOf\"")
    if let value = f["needs"], !value.isNull {
      guard let words = Capability.read(value) else { throw DocumentError("\"needs\" is not a list of capabilities") }
      self.needs = words
    }
    self.status = status
    self.assignee = try text("assignee")
    if let assignee, (try? AgentName.validate(assignee)) == nil {
      throw DocumentError("\"assignee\" '\(assignee)' is not an agent name")
    }
    self.epoch = try count("epoch", 0...Self.maximumCount) ?? 0
    self.attempts = try count("attempts", 0...Self.maximumCount) ?? 0
    self.createdAt = try time("createdAt") ?? 0
    self.createdBy = try text("createdBy") ?? ""
    self.claimedAt = try time("claimedAt")
    self.updatedAt = try time("updatedAt") ?? self.createdAt
    self.result = try text("result")
    if let value = f["submission"], !value.isNull { submission = try Submission(json: value) }
    func object<Part: KeepsUnknownFields>(_ key: String, _ type: Part.Type) throws(DocumentError) -> Part? {
      guard let value = f[key], !value.isNull else { return nil }
      return try JSONDecoding.document(keeping: type, from: value, field: key)
    }
    if let mode = try text("review") {
      guard let parsed = ReviewMode(rawValue: mode) else { throw DocumentError("unknown review '\(mode)'") }
      reviewMode = parsed
    }
    reviewing = try object("reviewing", ReviewRequest.self)
    trial = try object("trial", Trial.self)
    vote = try object("vote", Vote.self)
    pending = try object("pending", LandingEvidence.self)
    landing = try object("landing", LandingEvidence.self)
    bounced = try object("bounced", Bounce.self)
    if status == .landing && submission == nil { throw DocumentError("it is landing but has no \"submission\"") }
    if let release = f["lastRelease"], let claim = LostClaim(json: release) {
      lastRelease = claim
      lastReleasedFrom = release["from"]?.stringValue
    }
    for item in f["taken"]?.arrayValue ?? [] {
      guard let entry = item.objectValue, let agent = entry["agent"]?.stringValue, let epoch = entry["epoch"]?.intValue,
        let by = entry["by"]?.stringValue, let at = entry["at"]?.stringValue.flatMap(RFC3339.parse)
      else { throw DocumentError("an entry of \"taken\" needs agent, epoch, by and at") }
      taken.append(TakenClaim(agent: agent, epoch: epoch, by: by, at: at, reason: entry["reason"]?.stringValue ?? ""))
    }
    if taken.isEmpty, let from = lastReleasedFrom, let release = lastRelease {
      taken = [TakenClaim(agent: from, epoch: release.epoch, by: release.by, at: release.at, reason: release.reason)]
    }
    for item in f["failures"]?.arrayValue ?? [] {
      guard let entry = item.objectValue else { continue }
      failures.append(
        Failure(
          agent: entry["agent"]?.stringValue ?? "", at: entry["at"]?.stringValue.flatMap(RFC3339.parse) ?? 0,
          reason: entry["reason"]?.stringValue ?? ""))
    }
    self.extra = f.filter { !Self.known.contains($0.key) }
  }

  /// The document as JSON, with the unknown keys it was read with.
  /// The issue as commands and tools answer it (its file keeps its own shape): every time named
  /// for what happened then (`failedAt`, `takenAt`, `submittedAt`, `releasedAt`, `bouncedAt`).
  public var answerJSON: JSON {
    guard case .object(var fields) = json else { return json }
    func named(_ value: JSON?, _ name: String) -> JSON? {
      switch value {
      case .object(var object)?:
        if let at = object.removeValue(forKey: "at") { object[name] = at }
        return .object(object)
      case .array(let items)?: return .array(items.map { named($0, name) ?? $0 })
      default: return value
      }
    }
    for (key, name) in [
      ("failures", "failedAt"), ("taken", "takenAt"), ("submission", "submittedAt"), ("lastRelease", "releasedAt"),
      ("bounced", "bouncedAt"),
    ] where fields[key] != nil {
      fields[key] = named(fields[key], name)
    }
    return .object(fields)
  }

  public var json: JSON {
    var f = extra
    f["id"] = IssueReference.write(id)
    f["title"] = .string(title)
    f["body"] = .string(body)
    f["priority"] = .int(priority)
    f["dependencies"] = .array(dependencies.map { IssueReference.write($0) })
    f["scope"] = .array(scope.map { .string($0) })
    if kind != .task { f["kind"] = .string(kind.rawValue) }
    if let epic { f["epic"] = IssueReference.write(epic) }
    if !needs.isEmpty { f["needs"] = .array(needs.map { .string($0) }) }
    if let bestOf { f["bestOf"] = .int(bestOf) }
    if let attemptOf { f["attemptOf"] = IssueReference.write(attemptOf) }
    if let trial { f["trial"] = JSONEncoding.document(trial) }
    if let vote { f["vote"] = JSONEncoding.document(vote) }
    f["status"] = .string(status.rawValue)
    f["assignee"] = assignee.map { .string($0) } ?? .null
    f["epoch"] = .int(epoch)
    f["attempts"] = .int(attempts)
    f["failures"] = .array(
      failures.map {
        .object(["agent": .string($0.agent), "at": .string(RFC3339.format($0.at)), "reason": .string($0.reason)])
      })
    f["createdAt"] = .string(RFC3339.format(createdAt))
    f["createdBy"] = .string(createdBy)
    f["claimedAt"] = claimedAt.map { .string(RFC3339.format($0)) } ?? .null
    f["updatedAt"] = .string(RFC3339.format(updatedAt))
    f["result"] = result.map { .string($0) } ?? .null
    if let submission { f["submission"] = submission.json }
    if let pending { f["pending"] = JSONEncoding.document(pending) }
    if let landing { f["landing"] = JSONEncoding.document(landing) }
    if let bounced { f["bounced"] = JSONEncoding.document(bounced) }
    if let reviewMode { f["review"] = .string(reviewMode.rawValue) }
    if let reviewing { f["reviewing"] = JSONEncoding.document(reviewing) }
    if !taken.isEmpty {
      f["taken"] = .array(
        taken.map {
          .object([
            "agent": .string($0.agent), "epoch": .int($0.epoch), "by": .string($0.by),
            "at": .string(RFC3339.format($0.at)),
            "reason": .string($0.reason),
          ])
        })
    }
    if let lastRelease, case .object(var release) = lastRelease.json {
      release["from"] = lastReleasedFrom.map { .string($0) } ?? .null
      f["lastRelease"] = .object(release)
    }
    return .object(f)
  }
}

/// A claim taken from its holder by someone else: reaped, released or reassigned by an
/// orchestrator, or its agent removed.
public struct TakenClaim: Equatable, Sendable {
  /// The agent the claim was taken from.
  public var agent: String
  /// The epoch of the claim that was taken; work under it or an older one is fenced.
  public var epoch: Int
  /// The agent or person who took it.
  public var by: String
  /// When it was taken, in seconds since 1970.
  public var at: Int64
  /// Why it was taken, as its taker said (empty when nothing was said).
  public var reason: String
}

/// What `ghp done` submits for landing: the agent's branch tip and the base tip it was checked
/// against (both read from the repository by the caller and recorded in the operation).
public struct Submission: Equatable, Sendable {
  /// The branch submitted, `agent/<holder>`.
  public var branch: String
  /// The commit at the branch's tip when it was submitted.
  public var tip: ObjectID
  /// The branch the work lands on (`[landing] base`).
  public var base: String
  /// The commit at the base's tip the work was checked against.
  public var baseTip: ObjectID
  /// When it was submitted, in seconds since 1970.
  public var at: Int64
  /// The agent who ran `ghp done` (the holder, or an orchestrator for it).
  public var by: String

  /// A submission of `branch` at `tip` onto `base` at `baseTip`, made at `at` by `by`.
  public init(branch: String, tip: ObjectID, base: String, baseTip: ObjectID, at: Int64, by: String) {
    self.branch = branch
    self.tip = tip
    self.base = base
    self.baseTip = baseTip
    self.at = at
    self.by = by
  }

  init(json: JSON) throws(DocumentError) {
    guard let f = json.objectValue, let branch = f["branch"]?.stringValue, let base = f["base"]?.stringValue,
      let tip = f["tip"]?.stringValue.flatMap(ObjectID.init(hex:)),
      let baseTip = f["baseTip"]?.stringValue.flatMap(ObjectID.init(hex:)),
      let at = f["at"]?.stringValue.flatMap(RFC3339.parse), let by = f["by"]?.stringValue
    else { throw DocumentError("\"submission\" needs branch, tip, base, baseTip (commit ids), at and by") }
    self.init(branch: branch, tip: tip, base: base, baseTip: baseTip, at: at, by: by)
  }

  /// The submission as the issue document's `submission` object.
  public var json: JSON {
    .object([
      "branch": .string(branch), "tip": .string(tip.hex), "base": .string(base), "baseTip": .string(baseTip.hex),
      "at": .string(RFC3339.format(at)), "by": .string(by),
    ])
  }
}
