/// Best-of-N with a vote: one issue attempted independently by several workers, each attempt its
/// own issue (`<id>.1` … `<id>.N`, each its own claim and epoch); the lander gates every submitted
/// attempt and keeps its result (a trial), a vote chooses one — by the score command, reviewers'
/// ballots, or the lead — ties going to the first submitted, and the winner lands: the landing
/// closes the best-of issue and the other attempts with the outcome.
public enum BestOf {
  /// The most attempts one issue may have.
  public static let maximumAttempts = 9

  /// The id of attempt `number` of the best-of issue `id`.
  public static func attemptID(_ id: String, _ number: Int) -> String { "\(id).\(number)" }

  /// The ids of the `count` attempts of the best-of issue `id`, in order (none for a count below 1).
  static func attemptIDs(of id: String, count: Int) -> [String] {
    count < 1 ? [] : (1...count).map { attemptID(id, $0) }
  }

  /// Everyone who makes one of `attempts`: its holder, or who submitted it.
  static func authors(of attempts: [Issue]) -> Set<String> { Set(attempts.flatMap(\.authors)) }

  /// The title of attempt `number` of `count` of an issue titled `title`.
  static func attemptTitle(_ title: String, _ number: Int, of count: Int) -> String {
    "\(title) (attempt \(number) of \(count))"
  }

  /// The best-of issue of the attempt id `id` (`12.3` -> `12`), by its spelling.
  static func parentID(ofAttempt id: String) -> String {
    guard let dot = id.lastIndex(of: ".") else { return id }
    return String(id[..<dot])
  }
}

/// How a best-of issue's vote is decided (`[landing] vote`, or `--vote` on the issue).
public enum VoteMethod: String, Sendable, CaseIterable, Codable, RecordedWord {
  /// The highest score the `[landing] score` command printed wins, once every attempt is in.
  case score
  /// Agents with the reviewer role (or orchestrators) cast ballots; once every attempt is in and
  /// `[landing] voters` ballots are cast, the most voted wins.
  case review
  /// The lead (an orchestrator, or the epic's manager) chooses: its one ballot decides.
  case lead
}

/// What the lander found of one submitted attempt: the merge it gated, whether the gate passed,
/// and its score. The vote chooses between the attempts whose trial passed.
public struct Trial: Equatable, Sendable, Codable, KeepsUnknownFields {
  /// The attempt's branch tip that was merged and gated.
  public var tip: ObjectID
  /// The tree of the merge the gate ran on.
  public var tree: ObjectID
  /// The branch it lands on.
  public var base: String
  /// The base's tip it was merged with.
  public var baseTip: ObjectID
  /// Whether the gate (and the score command, when scoring) passed.
  public var passed: Bool
  /// What the score command printed, when the vote is by score and it passed.
  public var score: Double?
  /// Each gate command's outcome, the score command's last.
  public var gate: [GateCommandResult]
  /// When the lander gated it, RFC 3339.
  public var gatedAt: String
  /// The lander that gated it.
  public var gatedBy: String
  /// Fields this ghp does not know, kept so that writing the document back loses nothing.
  public var extra: [String: JSON] = [:]

  /// The document's keys, each named once.
  enum CodingKeys: String, CodingKey {
    case tip, tree, base, baseTip, passed, score, gate, gatedAt, gatedBy
  }

  /// Whether `key` is one of the trial's own fields.
  public static func knows(_ key: String) -> Bool { CodingKeys(stringValue: key) != nil }

  /// Why it failed, one line: the first failed command's summary.
  public var failure: String? {
    if passed { return nil }
    if let failed = gate.first(where: { !$0.passed }) { return failed.summary }
    let said = gate.last?.tail.split(whereSeparator: \.isNewline).last.map { "\"\($0)\"" } ?? "nothing"
    return "the score command's last line is \(said), not a number"
  }

  /// The score a score command's last line of output says: a decimal number (`41`, `-3.5`,
  /// `2e3`), finite; nil for anything else.
  public static func parse(_ line: String) -> Double? {
    let text = line.trimmingSpaces
    guard !text.isEmpty, text.allSatisfy({ "0123456789+-.eE".contains($0) }), let value = Double(text),
      value.isFinite
    else { return nil }
    return value
  }

  /// The score as people read it: `41`, `3.5`.
  public static func format(_ score: Double) -> String {
    score == score.rounded() && abs(score) < 1e15 ? String(Int64(score)) : String(score)
  }
}

/// One ballot of a best-of issue's vote.
public struct Ballot: Equatable, Sendable, Codable {
  /// Who cast it.
  public var by: String
  /// The attempt it chooses.
  public var choice: String
  /// The attempt's tip it was cast for (its trial's): once the attempt changes, the ballot no
  /// longer counts.
  public var tip: ObjectID?
  /// When, RFC 3339.
  public var at: String
  /// What the voter said, if anything.
  public var note: String?
}

/// A best-of issue's vote: how it is decided, the ballots cast, and the winner once chosen.
public struct Vote: Equatable, Sendable, Codable, KeepsUnknownFields {
  /// How the winner is chosen.
  public var method: VoteMethod
  /// The ballots cast (by reviewers, or the lead's), oldest first.
  public var ballots: [Ballot] = []
  /// The attempt chosen to land, nil until the vote is decided.
  public var winner: String?
  /// The winner's tip the vote chose: it lands only as it was chosen. When the winner leaves the
  /// landing queue at that tip (taken back, sent back, released, given up), the choice lapses and
  /// the vote is open again (`BestOf.winner(of:attempts:)`).
  public var winnerTip: ObjectID?
  /// When it was decided, RFC 3339.
  public var decidedAt: String?
  /// How it was decided, one sentence (the scores, the ballots, or the lead's choice).
  public var reason: String?
  /// Fields this ghp does not know, kept so that writing the document back loses nothing.
  public var extra: [String: JSON] = [:]

  /// A vote by `method`, with no ballot yet.
  public init(method: VoteMethod) { self.method = method }

  /// The document's keys, each named once.
  enum CodingKeys: String, CodingKey {
    case method, ballots, winner, winnerTip, decidedAt, reason
  }

  /// Whether `key` is one of the vote's own fields.
  public static func knows(_ key: String) -> Bool { CodingKeys(stringValue: key) != nil }
}

extension Vote {
  /// Records the winner when `attempts` (as the change writes them) and the ballots decide the
  /// vote (`BestOf.decide`); returns the decision.
  mutating func settle(attempts: [Issue], voters: Int, at time: Int64) -> (winner: String, reason: String)? {
    guard let decided = BestOf.decide(self, attempts: attempts, voters: voters) else { return nil }
    winner = decided.winner
    winnerTip = attempts.first { $0.id == decided.winner }?.trial?.tip
    decidedAt = RFC3339.format(time)
    reason = decided.reason
    return decided
  }
}

extension Vote {
  /// Forgets a choice that lapsed (`BestOf.winner(of:attempts:)` no longer names it), so that the
  /// document says the vote is open.
  mutating func forgetLapsedChoice(attempts: [Issue]) {
    guard winner != nil, BestOf.winner(of: self, attempts: attempts) == nil else { return }
    (winner, winnerTip, decidedAt, reason) = (nil, nil, nil, nil)
  }
}

extension Issue {
  /// A best-of issue's attempts' ids, in order; none for any other issue.
  var attemptIDs: [String] { BestOf.attemptIDs(of: id, count: bestOf ?? 0) }

  /// A best-of issue's attempts as a refusal names them: `#12.1, #12.2`.
  var attemptList: String { attemptIDs.map { "#\($0)" }.joined(separator: ", ") }

  /// Whether this attempt is in the vote: gated at the tip it waits to land (passed or not), or
  /// given up (dead). An attempt still worked on, or taken back since its trial, is not.
  var isIn: Bool {
    if status == .dead { return true }
    guard status == .landing, let trial, let submission else { return false }
    return trial.tip == submission.tip
  }

  /// Whether it is a candidate: in, and its trial passed.
  var isCandidate: Bool { status == .landing && isIn && trial?.passed == true }
}

extension StateSnapshot {
  /// The attempts of the best-of issue `parent`, in order.
  public func attempts(of parent: Issue) throws(GHPError) -> [Issue] {
    var out: [Issue] = []
    for id in parent.attemptIDs {
      if let attempt = try issue(id), attempt.attemptOf == parent.id { out.append(attempt) }
    }
    return out
  }

  /// The other attempt of the same best-of issue that `agent` holds (claimed or landing), when
  /// the issue `id` is an attempt (the issue table marks it) and it holds one.
  func otherAttemptHeld(by agent: String, besides id: String) throws(GHPError) -> String? {
    guard let table = try issueTable(), let index = table.index(of: id), table.isAttempt(index) else { return nil }
    return try siblingHeld(by: agent, of: BestOf.parentID(ofAttempt: id), except: id)
  }

  /// The attempt the vote of `attempt`'s best-of issue chose, while that choice stands.
  func chosenAttempt(of attempt: Issue) throws(GHPError) -> String? {
    let parent = try bestOfParent(of: attempt)
    return BestOf.winner(of: parent.vote, attempts: try attempts(of: parent))
  }

  /// The best-of issue `attempt` is an attempt of; refused when it is none.
  func bestOfParent(of attempt: Issue) throws(GHPError) -> Issue {
    guard let id = attempt.attemptOf, let parent = try issue(id), parent.kind == .bestOf else {
      throw .refused("#\(attempt.id) is no attempt of a best-of issue")
    }
    return parent
  }

  /// The attempt of `parent` other than `except` that `agent` holds (claimed or landing), if any:
  /// one agent makes at most one of an issue's independent attempts at a time.
  func siblingHeld(by agent: String, of parent: String, except: String) throws(GHPError) -> String? {
    guard let table = try issueTable() else { return nil }
    var number = 1
    while let index = table.index(of: BestOf.attemptID(parent, number)) {
      number += 1
      guard table.isAttempt(index), table.id(index) != except, table.assignee(index) == agent else { continue }
      if table.status(index) == .claimed || table.status(index) == .landing { return table.id(index) }
    }
    return nil
  }

  /// The tips at which `agent`'s attempts were closed for losing their vote: a branch still at one
  /// holds nothing that is to land.
  func lostAttemptTips(of agent: String) throws(GHPError) -> Set<ObjectID> {
    guard let table = try issueTable() else { return [] }
    var out: Set<ObjectID> = []
    for index in 0..<table.count where table.isAttempt(index) && table.status(index) == .done {
      guard table.assignee(index) == agent, let attempt = try issue(table.id(index)), attempt.landing == nil,
        let tip = attempt.submission?.tip
      else { continue }
      out.insert(tip)
    }
    return out
  }

  /// Refuses to give `issue` to `agent` when it is a best-of issue (its attempts are the work) or
  /// an attempt of one whose other attempt `agent` already makes.
  func requireIndependentAttempt(_ issue: Issue, agent: String, toDo action: String) throws(GHPError) {
    if issue.kind == .bestOf {
      throw .refused(
        "#\(issue.id) is attempted \(issue.bestOf ?? 0) times independently: its attempts (\(issue.attemptList)) are the work; \(action) one of them"
      )
    }
    guard let parent = issue.attemptOf else { return }
    if let other = try siblingHeld(by: agent, of: parent, except: issue.id) {
      throw .refused(
        "\(agent) already makes #\(other), an attempt of #\(parent): the attempts are independent, so another agent must \(action) #\(issue.id)"
      )
    }
  }
}

extension BestOf {
  /// The attempt the vote chose, while its choice stands: the winner still waits to land at the
  /// tip the vote chose (or landed). Nil while the vote is open, or once the choice lapsed.
  static func winner(of vote: Vote?, attempts: [Issue]) -> String? {
    guard let vote, let winner = vote.winner, let attempt = attempts.first(where: { $0.id == winner }) else {
      return nil
    }
    if attempt.status == .done { return winner }
    guard attempt.status == .landing, let tip = vote.winnerTip, attempt.submission?.tip == tip else { return nil }
    return winner
  }

  /// The ballots that count: each for a candidate at the tip its trial gated, by someone who made
  /// none of the attempts (an author since its ballot included), the last of each voter.
  static func standingBallots(_ vote: Vote, attempts: [Issue]) -> [Ballot] {
    let authors = authors(of: attempts)
    let current = Dictionary(
      attempts.filter(\.isCandidate).compactMap { attempt in attempt.trial.map { (attempt.id, $0.tip) } },
      uniquingKeysWith: { first, _ in first })
    var byVoter: [String: Ballot] = [:]
    for ballot in vote.ballots where !authors.contains(ballot.by) {
      guard let tip = current[ballot.choice], ballot.tip == nil || ballot.tip == tip else { continue }
      byVoter[ballot.by] = ballot
    }
    return vote.ballots.filter { byVoter[$0.by] == $0 }
  }

  /// The decision the vote reaches with `attempts` (as the change writes them) and `vote`'s
  /// ballots, if it reaches one: (winner, reason). Ties go to the first submitted.
  static func decide(_ vote: Vote, attempts: [Issue], voters: Int) -> (winner: String, reason: String)? {
    guard winner(of: vote, attempts: attempts) == nil else { return nil }
    let candidates = attempts.filter(\.isCandidate)
    let allIn = attempts.allSatisfy(\.isIn)
    func order(_ a: Issue, _ b: Issue) -> Bool {
      let (x, y) = (a.submission?.at ?? 0, b.submission?.at ?? 0)
      return x != y ? x < y : IssueID.precedes(a.id, b.id)
    }
    func others(_ winner: Issue) -> String {
      let rest = attempts.filter { $0.id != winner.id }.map { attempt in
        "#\(attempt.id) " + (attempt.trial?.score.map { Trial.format($0) } ?? describe(attempt))
      }
      return rest.isEmpty ? "" : " (" + rest.joined(separator: ", ") + ")"
    }
    switch vote.method {
    case .score:
      guard allIn, !candidates.isEmpty else { return nil }
      let best = candidates.sorted { a, b in
        let (x, y) = (a.trial?.score ?? -.infinity, b.trial?.score ?? -.infinity)
        return x != y ? x > y : order(a, b)
      }[0]
      let tied = candidates.count { $0.trial?.score == best.trial?.score } > 1
      return (
        best.id,
        "the highest score, \(best.trial?.score.map { Trial.format($0) } ?? "?")\(tied ? ", submitted first of those tied" : "")\(others(best))"
      )
    case .review:
      let ballots = standingBallots(vote, attempts: attempts)
      guard allIn, !candidates.isEmpty, ballots.count >= voters else { return nil }
      let counts = Dictionary(grouping: ballots, by: \.choice).mapValues(\.count)
      let best = candidates.sorted { a, b in
        let (x, y) = (counts[a.id] ?? 0, counts[b.id] ?? 0)
        return x != y ? x > y : order(a, b)
      }[0]
      let tied = candidates.count { (counts[$0.id] ?? 0) == (counts[best.id] ?? 0) } > 1
      return (
        best.id,
        "\(counts[best.id] ?? 0) of the \(ballots.count) reviewers' ballots that count\(tied ? ", submitted first of those tied" : "")"
      )
    case .lead:
      guard let ballot = vote.ballots.last, standingBallots(vote, attempts: attempts).last == ballot else {
        return nil
      }
      return (ballot.choice, "\(ballot.by) chose it")
    }
  }

  /// An attempt as the vote sees it, said after "it": `failed its gate`, `was given up`,
  /// `is not gated yet …`, `passed its gate`.
  static func describe(_ attempt: Issue) -> String {
    if attempt.status == .dead { return "was given up" }
    guard attempt.isIn, let trial = attempt.trial else {
      return attempt.status == .landing
        ? "is not gated yet at its tip (`ghp land` gates it)"
        : "is not submitted yet (it is \(attempt.status.rawValue))"
    }
    return trial.passed ? "passed its gate" : "failed its gate"
  }
}

extension Change {
  /// Closes the best-of issue whose attempt `winner` landed (this change writes it done): the
  /// issue is done with the winner's landing, every other attempt done with the outcome, and the
  /// holders' records (read into `agents` when not there yet) freed. Returns the issues it closed.
  mutating func closeBestOf(
    winner: Issue, state: StateSnapshot, agents: inout AgentStatusDocument, clock: Clock
  ) throws(GHPError) -> [Issue] {
    guard winner.attemptOf != nil else { return [] }
    var parent = try state.bestOfParent(of: winner)
    guard parent.status != .done else { return [] }
    var closed: [Issue] = []
    let holder = winner.assignee ?? winner.submission?.by ?? "?"
    for var attempt in try state.attempts(of: parent) where attempt.id != winner.id && attempt.status != .done {
      let outcome = "Not chosen: #\(winner.id) (\(holder)) won the vote (\(parent.vote?.reason ?? "")) and landed"
      attempt.status = .done
      if let agent = attempt.assignee {
        if agents.agents[agent] == nil { agents.agents[agent] = try state.agentRecord(agent) }
        let base = winner.landing?.base ?? winner.submission?.base ?? "the base"
        agents.tellReturned(
          agent, issue: attempt, kind: "lost",
          reason:
            "\(outcome). agent/\(agent) still holds its commits: start your next issue from \(base) (`git reset --hard \(base)` once nothing of it is wanted; `ghp run` does it for a clean worktree)",
          at: clock.now)
        try agents.finish(
          agent, issue: attempt.id, action: outcome, clock: clock, byHolder: false, state: state,
          alsoFinished: [winner.id])
        // A worker whose attempt closed under it holds nothing more: it is idle, not claimed.
        if agents.agents[agent]?.issue == nil, agents.agents[agent]?.status == StatusWord.claimed {
          agents.agents[agent]?.status = StatusWord.idle
        }
      }
      attempt.result = outcome
      attempt.pending = nil
      attempt.reviewing = nil
      attempt.updatedAt = clock.now
      put(StatePaths.issue(attempt.id), json: attempt.json)
      closed.append(attempt)
    }
    parent.status = .done
    parent.result = "#\(winner.id) by \(holder) won the vote and landed"
    parent.landing = winner.landing
    parent.updatedAt = clock.now
    put(StatePaths.issue(parent.id), json: parent.json)
    closed.append(parent)
    message.subject += "; #\(parent.id) done (its other attempts closed)"
    return closed
  }
}
