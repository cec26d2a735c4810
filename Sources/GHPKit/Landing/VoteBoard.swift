/// What `ghp vote list|show`, `ghp issue show` and the page say about best-of issues: each
/// attempt, its trial and score, the ballots, and the winner.
public enum VoteBoard {
  /// The best-of issues whose vote is not over (the issue is not done), in id order.
  public static func open(_ state: StateSnapshot) throws(GHPError) -> [Issue] {
    guard let table = try state.issueTable() else { return [] }
    var out: [Issue] = []
    for index in 0..<table.count where table.kind(index) == .bestOf && table.status(index) != .done {
      out.append(try state.requireIssue(table.id(index)))
    }
    return out.sorted { IssueID.precedes($0.id, $1.id) }
  }

  /// One best-of issue and its attempts.
  public struct Shown: Sendable {
    /// The best-of issue.
    public var issue: Issue
    /// Its attempts, in order.
    public var attempts: [Issue]
    /// How many reviewers' ballots decide a vote by review.
    public var voters: Int

    /// The attempt the vote chose, while that choice stands (`BestOf.winner(of:attempts:)`).
    public var winner: String? { BestOf.winner(of: issue.vote, attempts: attempts) }

    /// The ballots cast for `attempt`.
    /// The ballots that count (`BestOf.standingBallots`): a lapsed one is listed, not counted.
    var counted: [Ballot] { issue.vote.map { BestOf.standingBallots($0, attempts: attempts) } ?? [] }

    /// How many of `counted` are for each attempt.
    func tally(_ counted: [Ballot]) -> [String: Int] { Dictionary(grouping: counted, by: \.choice).mapValues(\.count) }

    /// Where the vote stands, one line.
    public var standing: String {
      guard let vote = issue.vote else { return "no vote" }
      if let winner {
        return issue.status == .done
          ? "#\(winner) won (\(vote.reason ?? "")) and landed"
          : "#\(winner) won (\(vote.reason ?? "")); it lands with the next `ghp land`"
      }
      let lapsed =
        vote.winner.map { "#\($0)'s choice lapsed (it changed, or left the landing queue, since it was chosen); " }
        ?? ""
      let waiting = attempts.filter { !$0.isIn }.map { "#\($0.id)" }
      let candidates = attempts.filter(\.isCandidate).map { "#\($0.id)" }
      switch vote.method {
      case .score:
        return lapsed
          + (waiting.isEmpty
            ? "every attempt is in and none passed its gate"
            : "the score command decides once every attempt is gated; waiting for \(waiting.joined(separator: ", "))")
      case .lead:
        return lapsed
          + (candidates.isEmpty
            ? "no attempt has passed its gate yet; the lead chooses one that did: ghp vote for ID"
            : "the lead chooses among \(candidates.joined(separator: ", ")): ghp vote for ID")
      case .review:
        return lapsed
          + "\(counted.count) of \(voters) reviewers' ballots cast"
          + (waiting.isEmpty ? "" : "; waiting for \(waiting.joined(separator: ", ")) to be gated")
          + (candidates.isEmpty ? "" : "; candidates \(candidates.joined(separator: ", ")): ghp vote for ID")
      }
    }

    /// One row per attempt: id, holder, status, trial, score, submitted, ballots.
    public var rows: [[String]] {
      let tally = tally(counted)
      return attempts.map { attempt in
        let won = winner == attempt.id
        return [
          "#\(attempt.id)" + (won ? " *" : ""), attempt.assignee ?? "-", attempt.status.rawValue,
          attempt.status == .dead
            ? "given up"
            : (attempt.isIn || attempt.status == .done)
              ? attempt.trial.map { $0.passed ? "passed" : "failed: \($0.failure ?? "")" } ?? "-" : "-",
          attempt.trial?.score.map { Trial.format($0) } ?? "-",
          attempt.submission.map { RFC3339.format($0.at) } ?? "-",
          issue.vote?.method == .score ? "-" : String(tally[attempt.id] ?? 0),
        ]
      }
    }

    /// The text of `ghp vote show`.
    public var text: String {
      var lines = [
        "#\(issue.id) \(issue.title): \(attempts.count) independent attempts, vote by \(issue.vote?.method.rawValue ?? "?")",
        "Vote: \(standing)",
      ]
      let table = TextTable.render(
        header: ["ATTEMPT", "BY", "STATUS", "GATE", "SCORE", "SUBMITTED", "BALLOTS"], rows: rows)
      lines.append(table.hasSuffix("\n") ? String(table.dropLast()) : table)
      let counted = counted
      for ballot in issue.vote?.ballots ?? [] {
        lines.append(
          "  \(ballot.by) voted for #\(ballot.choice) at \(ballot.at)" + (ballot.note.map { ": \($0)" } ?? "")
            + (issue.status != .done && !counted.contains(ballot) ? " (no longer counts)" : ""))
      }
      return lines.joined(separator: "\n") + "\n"
    }

    /// The JSON of `ghp vote show --json`: the issue, its vote, and each attempt with its trial.
    public var json: JSON {
      let tally = tally(counted)
      return .object([
        "issue": IssueReference.write(issue.id), "title": .string(issue.title),
        "status": .string(issue.status.rawValue),
        "vote": issue.vote.map(JSONEncoding.document) ?? .null, "standing": .string(standing),
        "attempts": .array(
          attempts.map { attempt in
            .object([
              "id": IssueReference.write(attempt.id), "assignee": attempt.assignee.map { .string($0) } ?? .null,
              "status": .string(attempt.status.rawValue), "in": .bool(attempt.isIn),
              "candidate": .bool(attempt.isCandidate), "trial": attempt.trial.map(JSONEncoding.document) ?? .null,
              "submittedAt": attempt.submission.map { .string(RFC3339.format($0.at)) } ?? .null,
              "ballots": .int(tally[attempt.id] ?? 0), "result": attempt.result.map { .string($0) } ?? .null,
            ])
          }),
      ])
    }
  }

  /// The best-of issue `id` (or the one attempt `id` is of) with its attempts.
  public static func show(_ state: StateSnapshot, id: String) throws(GHPError) -> Shown {
    var issue = try state.requireIssue(id)
    if issue.attemptOf != nil { issue = try state.bestOfParent(of: issue) }
    guard issue.kind == .bestOf else {
      throw .refused("#\(id) is not attempted independently (no --attempts); `ghp vote list` shows the votes")
    }
    return Shown(issue: issue, attempts: try state.attempts(of: issue), voters: try state.voters())
  }
}
