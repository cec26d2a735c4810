/// Review before landing: after the gate passes and before the base moves, a reviewer approves the
/// exact merge result (its tree) or sends the issue back with what to change.

/// Who must approve a landing (`[landing] review`, or an issue's own `--review`): nobody, an agent
/// with the reviewer role (or an orchestrator), or a person (an orchestrator: people act as one).
public enum ReviewMode: String, Sendable, CaseIterable, Codable, RecordedWord {
  case none, agent, human
}

/// The review an issue's landing waits for: the merge result a reviewer is shown, and its verdict
/// once approved (changes asked for send the issue back and clear it).
public struct ReviewRequest: Equatable, Sendable, Codable, KeepsUnknownFields {
  /// Who may give the verdict.
  public var mode: ReviewMode
  /// The tree of the merge the gate passed: the exact result a verdict is about.
  public var tree: ObjectID
  /// The agent branch's tip that was merged.
  public var tip: ObjectID
  /// The branch it lands on.
  public var base: String
  /// The base's tip it was merged with.
  public var baseTip: ObjectID
  /// When the lander asked, RFC 3339.
  public var requestedAt: String
  /// The lander that asked.
  public var requestedBy: String
  /// Who approved it, nil while it waits.
  public var approvedBy: String?
  /// When it was approved, RFC 3339.
  public var approvedAt: String?
  /// What the reviewer said with the approval.
  public var note: String?
  /// Fields this ghp does not know, kept so that writing the document back loses nothing.
  public var extra: [String: JSON] = [:]

  /// A request for a review of `tree`, not yet approved.
  public init(
    mode: ReviewMode, tree: ObjectID, tip: ObjectID, base: String, baseTip: ObjectID, requestedAt: String,
    requestedBy: String
  ) {
    self.mode = mode
    self.tree = tree
    self.tip = tip
    self.base = base
    self.baseTip = baseTip
    self.requestedAt = requestedAt
    self.requestedBy = requestedBy
  }

  /// The document's keys, each named once.
  enum CodingKeys: String, CodingKey {
    case mode, tree, tip, base, baseTip, requestedAt, requestedBy, approvedBy, approvedAt, note
  }

  /// Writes the request; the approval's fields only once there is one.
  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: CodingKeys.self)
    try fields.encode(mode, forKey: .mode)
    try fields.encode(tree, forKey: .tree)
    try fields.encode(tip, forKey: .tip)
    try fields.encode(base, forKey: .base)
    try fields.encode(baseTip, forKey: .baseTip)
    try fields.encode(requestedAt, forKey: .requestedAt)
    try fields.encode(requestedBy, forKey: .requestedBy)
    if let approvedBy { try fields.encode(approvedBy, forKey: .approvedBy) }
    if let approvedAt { try fields.encode(approvedAt, forKey: .approvedAt) }
    if let note { try fields.encode(note, forKey: .note) }
  }

  /// Whether `key` is one of the request's own fields.
  public static func knows(_ key: String) -> Bool { CodingKeys(stringValue: key) != nil }

  /// Whether it approves exactly `tree`.
  public func approves(_ tree: ObjectID) -> Bool { approvedBy != nil && self.tree == tree }
}

extension Issue {
  /// Who made the work: its holder, and who submitted it.
  var authors: Set<String> { Set([assignee, submission?.by].compactMap { $0 }) }
}

extension StateSnapshot {
  /// The review `issue`'s landing needs: its own `--review`, else `[landing] review`.
  public func reviewMode(of issue: Issue) throws(GHPError) -> ReviewMode {
    if let own = issue.reviewMode { return own }
    return try config().landing?.review ?? ReviewMode.none
  }

  /// Refuses a verdict on `issue` by `actor`: a person's review by anyone but an orchestrator, an
  /// agent's by anyone but a reviewer or an orchestrator, and anyone's on its own work.
  public func requireReviewer(_ actor: String, of issue: Issue, mode: ReviewMode) throws(GHPError) {
    guard !issue.authors.contains(actor) else {
      throw .refused("\(actor) cannot review #\(issue.id): it is its own work (a reviewer reviews others' work)")
    }
    let role = try role(of: actor)
    switch mode {
    case .human where role != .orchestrator:
      throw .refused(
        "#\(issue.id) waits for a person's review: only an orchestrator (a person) may give it, and \(actor) is \(role == .orchestrator ? "an" : "a") \(role.rawValue)"
      )
    case .agent where role != .reviewer && role != .orchestrator:
      throw .refused(
        "\(actor) may not review #\(issue.id): only an agent with the reviewer role (`ghp agent add NAME --role reviewer`) or an orchestrator may"
      )
    default: break
    }
  }
}

/// `land-review-request`: the gate passed on an issue's merge, which waits for a review of exactly
/// that result before the base moves; a request for another tree (the base moved) replaces it.
public struct ReviewRequestOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "land-review-request"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case base, token, tip, tree, baseTip
    case issueID = "issue"
  }

  /// The branch it lands on (`[landing] base`).
  public var base: String
  /// The lander's lease token; refused unless it still holds the lease of `base`.
  public var token: String
  /// The issue whose landing waits.
  public var issueID: String
  /// The agent branch's tip as submitted; the issue must still wait to land exactly this commit.
  public var tip: ObjectID
  /// The tree of the merge the gate passed: what the reviewer is shown and approves.
  public var tree: ObjectID
  /// The base tip it was merged with.
  public var baseTip: ObjectID

  /// A request to review `tree`, the merge of `issueID` at `tip` onto `base` at `baseTip`.
  public init(base: String, token: String, issueID: String, tip: ObjectID, tree: ObjectID, baseTip: ObjectID) {
    self.base = base
    self.token = token
    self.issueID = issueID
    self.tip = tip
    self.tree = tree
    self.baseTip = baseTip
  }

  /// The same request with the issue's id renamed as the offline batch was.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.issueID = renames.issue(issueID)
    return renamed
  }

  /// Records the request on the issue (refused when it needs no review, or has this one).
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    try requireLandingLease(state, base: base, token: token, actor: actor)
    var issue = try requireSubmitted(state, issueID, tip: tip)
    let mode = try state.reviewMode(of: issue)
    guard mode != .none else { throw .refused("#\(issue.id) needs no review before it lands") }
    if let asked = issue.reviewing, asked.tree == tree { return (nil, issue) }
    issue.reviewing = ReviewRequest(
      mode: mode, tree: tree, tip: tip, base: base, baseTip: baseTip, requestedAt: RFC3339.format(clock.now),
      requestedBy: actor)
    issue.updatedAt = clock.now
    var change = Change(
      message: CommitMessage(
        subject:
          "\(actor): #\(issue.id) \(issue.title) passed the gate and waits for \(mode == .human ? "a person's" : "a reviewer's") review of its merge (tree \(tree.short))",
        operation: record, agent: actor, issue: issue.id, epoch: issue.epoch))
    change.put(StatePaths.issue(issue.id), json: issue.json)
    return (change, issue)
  }
}

/// `ghp review approve|changes`: a reviewer's verdict on the merge an issue's landing waits on. An
/// approval lets the lander land exactly that tree; a request for changes sends the issue back to
/// its agent with the reviewer's words, as a gate failure does (no attempt is counted).
public struct ReviewOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "review"

  /// Approve the merge, or ask for changes.
  public enum Verdict: String, Sendable, CaseIterable, Codable, RecordedWord { case approve, changes }

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case tree, verdict, text
    case issueID = "issue"
  }

  /// The issue whose landing waits for the review.
  public var issueID: String
  /// The tree the reviewer was shown: the verdict is about it alone.
  public var tree: ObjectID
  /// Approve or ask for changes.
  public var verdict: Verdict
  /// What the reviewer says: a note with an approval, the changes asked for (required) otherwise.
  public var text: String?

  /// A verdict on `issueID`'s merge `tree`.
  public init(issueID: String, tree: ObjectID, verdict: Verdict, text: String?) {
    self.issueID = issueID
    self.tree = tree
    self.verdict = verdict
    self.text = text
  }

  /// The same verdict with the issue's id renamed as the offline batch was.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.issueID = renames.issue(issueID)
    return renamed
  }

  /// Records the verdict; refused for a tree other than the one the landing waits on (the base
  /// moved since), a reviewer who may not review it (its own work; a person's review by an agent),
  /// or a review given already.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    try TextLimit.check(text, "the review", TextLimit.long)
    var issue = try state.requireIssue(issueID)
    guard issue.status == .landing, var request = issue.reviewing else {
      throw .refused(
        "#\(issue.id) waits for no review (it is \(issue.status.rawValue)); `ghp review list` shows what does")
    }
    try state.requireReviewer(actor, of: issue, mode: request.mode)
    guard request.tree == tree else { throw ReviewQueue.otherTree(issue.id, request.tree, String(tree.short)) }
    if let approver = request.approvedBy {
      throw .refused("#\(issue.id)'s merge \(tree.short) was approved already by \(approver)")
    }
    let text = text?.trimmingSpaces ?? ""
    var change = Change(
      message: CommitMessage(subject: "", operation: record, agent: actor, issue: issue.id, epoch: issue.epoch))
    switch verdict {
    case .approve:
      request.approvedBy = actor
      request.approvedAt = RFC3339.format(clock.now)
      request.note = text.isEmpty ? nil : text
      issue.reviewing = request
      change.message.subject = "\(actor): approve the landing of #\(issue.id) \(issue.title) (tree \(tree.short))"
    case .changes:
      guard !text.isEmpty else { throw .emptyText("the changes asked for") }
      try issue.requireNotBeingLanded(toDo: "send it back")
      let agent = issue.assignee ?? issue.submission?.by ?? actor
      let reason =
        "\(actor) reviewed the merge with \(request.base) at \(request.baseTip.short) and asks for changes:\n\(text)\nChange the branch, commit, and `ghp done` again."
      issue.bounced = Bounce(
        kind: .review, at: RFC3339.format(clock.now), by: actor, base: request.base, baseTip: request.baseTip,
        tip: request.tip, reason: reason, paths: [], gate: [], log: nil)
      issue.reviewing = nil
      issue.status = .claimed
      issue.assignee = agent
      var agents = try state.agents(only: [agent])
      agents.tellReturned(
        agent, issue: issue, kind: BounceOperation.Kind.review.rawValue, reason: reason, at: clock.now)
      try change.putAgents(agents.agents, onto: state)
      change.message.subject = "\(actor): review asks for changes to #\(issue.id) \(issue.title); back to \(agent)"
      change.message.body = text
    }
    issue.updatedAt = clock.now
    change.put(StatePaths.issue(issue.id), json: issue.json)
    return (change, issue)
  }
}

extension ReviewOperation {
  /// The issue its record names.
  public var recordedIssue: String? { issueID }
}

extension ReviewRequestOperation {
  /// The issue its record names.
  public var recordedIssue: String? { issueID }
}
