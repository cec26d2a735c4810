/// The operations of a best-of issue's vote: the lander's trial of each submitted attempt, and a
/// voter's ballot. Both record every input, so `ghp verify`, sync and `pre-receive` re-execute
/// the decision they lead to.

/// `land-trial`: the gate ran on an attempt's merge (and the score command, when the vote is by
/// score); the attempt waits for the vote. When it is the last attempt in and the vote is by
/// score, the same commit records the winner.
public struct TrialOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "land-trial"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case base, token, tip, tree, baseTip, gate, score, passed
    case issueID = "issue"
  }

  /// The branch it lands on (`[landing] base`).
  public var base: String
  /// The lander's lease token; refused unless it still holds the lease of `base`.
  public var token: String
  /// The attempt gated.
  public var issueID: String
  /// The attempt's tip as submitted; it must still wait to land exactly this commit.
  public var tip: ObjectID
  /// The tree of the merge the gate ran on.
  public var tree: ObjectID
  /// The base tip it was merged with.
  public var baseTip: ObjectID
  /// Each gate command's outcome (the score command's last, when it ran).
  @Defaulted<NoGateResults> public var gate: [GateCommandResult]
  /// The score the score command printed; nil when it did not run or failed.
  public var score: Double?
  /// Whether the attempt is a candidate: its gate passed (and its score command printed a number).
  public var passed: Bool

  /// The trial of `issueID` at `tip`, merged onto `baseTip` as `tree`.
  public init(
    base: String, token: String, issueID: String, tip: ObjectID, tree: ObjectID, baseTip: ObjectID,
    gate: [GateCommandResult], score: Double?, passed: Bool
  ) {
    self.passed = passed
    self.base = base
    self.token = token
    self.issueID = issueID
    self.tip = tip
    self.tree = tree
    self.baseTip = baseTip
    self.gate = gate
    self.score = score
  }

  /// The same trial with the attempt's id renamed as the offline batch was.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.issueID = renames.issue(issueID)
    return renamed
  }

  /// Records the trial on the attempt, and the winner on its best-of issue when this decides the
  /// vote; refused for an issue that is no attempt, a vote decided already, a score missing from a
  /// passed trial of a vote by score, or one the gate's outcome does not support.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    try requireLandingLease(state, base: base, token: token, actor: actor)
    var issue = try requireSubmitted(state, issueID, tip: tip)
    var parent = try state.bestOfParent(of: issue)
    let siblings = try state.attempts(of: parent)
    guard var vote = parent.vote else { throw .refused("#\(parent.id) has no vote") }
    if let winner = BestOf.winner(of: vote, attempts: siblings) {
      throw .refused("#\(parent.id)'s vote is decided already (#\(winner) won)")
    }
    if passed && !gate.allSatisfy(\.passed) { throw .refused("a gate command failed: the trial did not pass") }
    if let score, !score.isFinite { throw .invalidValue("score", "it is not a finite number") }
    if passed && vote.method == .score && score == nil {
      throw .refused("#\(issue.id)'s vote is by score, and its trial has none")
    }
    if !passed && score != nil { throw .refused("a failed trial has no score") }
    issue.trial = Trial(
      tip: tip, tree: tree, base: base, baseTip: baseTip, passed: passed, score: passed ? score : nil, gate: gate,
      gatedAt: RFC3339.format(clock.now), gatedBy: actor)
    issue.updatedAt = clock.now
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): attempt #\(issue.id) \(issue.title) "
          + (passed
            ? "passed the gate" + (score.map { " with score \(Trial.format($0))" } ?? "") + "; it waits for the vote"
            : "failed the gate (\(issue.trial?.failure ?? "")); it is out of the vote"),
        operation: record, agent: actor, issue: issue.id, epoch: issue.epoch))
    change.put(StatePaths.issue(issue.id), json: issue.json)
    let attempts = siblings.map { $0.id == issue.id ? issue : $0 }
    if let decided = vote.settle(attempts: attempts, voters: try state.voters(), at: clock.now) {
      parent.vote = vote
      parent.updatedAt = clock.now
      change.put(StatePaths.issue(parent.id), json: parent.json)
      change.message.subject += "; #\(decided.winner) wins the vote of #\(parent.id) (\(decided.reason))"
    }
    return (change, issue)
  }
}

extension TrialOperation {
  /// The issue its record names.
  public var recordedIssue: String? { issueID }
}

/// `ghp vote for ATTEMPT`: a ballot for one attempt of a best-of issue. By the lead (its vote is
/// `lead`: an orchestrator, or the epic's manager), it decides; by a reviewer (`review`), it
/// counts, and once every attempt is in and `[landing] voters` ballots are cast the most voted
/// wins. Nobody votes on an issue it attempted, or twice.
public struct VoteOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "vote"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case note
    case attemptID = "attempt"
  }

  /// The attempt voted for.
  public var attemptID: String
  /// What the voter says; nil for nothing.
  public var note: String?

  /// A ballot for `attemptID`.
  public init(attemptID: String, note: String? = nil) {
    self.attemptID = attemptID
    self.note = note
  }

  /// The same ballot with the attempt's id renamed as the offline batch was.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.attemptID = renames.issue(attemptID)
    return renamed
  }

  /// Casts the ballot, and records the winner when it decides the vote.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    let note = note?.trimmingSpaces
    try TextLimit.check(note, "the ballot's note", TextLimit.action)
    let attempt = try state.requireIssue(attemptID)
    if attempt.kind == .bestOf {
      throw .refused(
        "#\(attempt.id) is the issue attempted; vote for one of its attempts (\(attempt.attemptList)): `ghp vote show \(attempt.id)`"
      )
    }
    guard attempt.attemptOf != nil else {
      throw .refused(
        "#\(attempt.id) is no attempt of a best-of issue; `ghp vote list` shows the votes open and their attempts")
    }
    var parent = try state.bestOfParent(of: attempt)
    guard var vote = parent.vote else { throw .refused("#\(parent.id) has no vote") }
    let attempts = try state.attempts(of: parent)
    if let winner = BestOf.winner(of: vote, attempts: attempts) {
      throw .refused("#\(parent.id)'s vote is decided already: #\(winner) won")
    }
    // Its own work first: an author hears that, whatever role it has.
    if BestOf.authors(of: attempts).contains(actor) && vote.method != .score {
      throw .refused(
        "\(actor) cannot vote on #\(parent.id): it makes one of its attempts (a voter judges others' work)")
    }
    switch vote.method {
    case .score:
      throw .refused(
        "#\(parent.id)'s vote is by score: the score command decides it once every attempt is gated (`ghp vote show \(parent.id)`)"
      )
    case .lead:
      try state.requireAuthority(actor, inEpic: parent.epic, toDo: "choose the attempt of #\(parent.id) that lands")
    case .review:
      let role = try state.role(of: actor)
      guard role == .reviewer || role == .orchestrator else {
        throw .refused(
          "\(actor) may not vote on #\(parent.id): only an agent with the reviewer role (`ghp agent add NAME --role reviewer`) or an orchestrator may"
        )
      }
      if BestOf.standingBallots(vote, attempts: attempts).contains(where: { $0.by == actor }) {
        throw .refused(
          "\(actor) voted on #\(parent.id) already; a voter casts one ballot (again only once the attempt it chose changes)"
        )
      }
    }
    guard attempt.isCandidate else {
      throw .refused(
        "#\(attempt.id) is no candidate: it \(BestOf.describe(attempt)); only an attempt whose merge passed the gate can win (`ghp vote show \(parent.id)`)"
      )
    }
    vote.forgetLapsedChoice(attempts: attempts)
    vote.ballots.append(
      Ballot(by: actor, choice: attempt.id, tip: attempt.trial?.tip, at: RFC3339.format(clock.now), note: note))
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): vote for #\(attempt.id) of #\(parent.id) \(parent.title)", operation: record,
        agent: actor, issue: parent.id))
    if let note, !note.isEmpty { change.message.body = note }
    if let decided = vote.settle(attempts: attempts, voters: try state.voters(), at: clock.now) {
      change.message.subject += "; #\(decided.winner) wins (\(decided.reason))"
    }
    parent.vote = vote
    parent.updatedAt = clock.now
    change.put(StatePaths.issue(parent.id), json: parent.json)
    return (change, parent)
  }
}

extension VoteOperation {
  /// The issue its record names: the attempt voted for.
  public var recordedIssue: String? { attemptID }
}

extension StateSnapshot {
  /// How many reviewers' ballots decide a vote by review (`[landing] voters`).
  func voters() throws(GHPError) -> Int { try config().landing?.voters ?? 1 }
}

/// `land-vote`: the lander records a vote's decision that no trial or ballot made — an attempt
/// given up (dead) was the last one out, or the winner's choice lapsed (it left the landing queue
/// at the tip the vote chose) and the attempts in decide again.
public struct DecideOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "land-vote"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case base, token
    case issueID = "issue"
  }

  /// The branch it lands on (`[landing] base`).
  public var base: String
  /// The lander's lease token; refused unless it still holds the lease of `base`.
  public var token: String
  /// The best-of issue whose vote is decided.
  public var issueID: String

  /// The decision of `issueID`'s vote, by the lander holding `base`'s lease with `token`.
  public init(base: String, token: String, issueID: String) {
    self.base = base
    self.token = token
    self.issueID = issueID
  }

  /// The same decision with the issue's id renamed as the offline batch was.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.issueID = renames.issue(issueID)
    return renamed
  }

  /// Records the winner; refused when the vote does not decide (yet), or stands decided.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    try requireLandingLease(state, base: base, token: token, actor: actor)
    var parent = try state.requireIssue(issueID)
    guard parent.kind == .bestOf, var vote = parent.vote else {
      throw .refused("#\(parent.id) is not attempted independently; it has no vote")
    }
    let attempts = try state.attempts(of: parent)
    guard let decided = vote.settle(attempts: attempts, voters: try state.voters(), at: clock.now) else {
      throw .refused(
        "#\(parent.id)'s vote "
          + (BestOf.winner(of: vote, attempts: attempts).map { "is decided already (#\($0) won)" }
            ?? "does not decide yet"))
    }
    parent.vote = vote
    parent.updatedAt = clock.now
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): #\(decided.winner) wins the vote of #\(parent.id) \(parent.title) (\(decided.reason))",
        operation: record, agent: actor, issue: parent.id))
    change.put(StatePaths.issue(parent.id), json: parent.json)
    return (change, parent)
  }
}

extension DecideOperation {
  /// The issue its record names.
  public var recordedIssue: String? { issueID }
}
