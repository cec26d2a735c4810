/// Plain-text tables for people: columns padded to their widest cell, the last column left ragged.
public enum TextTable {
  /// The table as text, one line each for `header` and every row, cells made safe and separated by two spaces.
  public static func render(header: [String], rows: [[String]]) -> String {
    let all = ([header] + rows).map { $0.map { Terminal.safe($0, keepNewlines: false) } }
    var widths = [Int](repeating: 0, count: header.count)
    for row in all {
      for (index, cell) in row.enumerated() where index < widths.count {
        widths[index] = max(widths[index], cell.count)
      }
    }
    return all.map { row in
      row.enumerated().map { index, cell in
        index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
      }.joined(separator: "  ")
    }.joined(separator: "\n") + "\n"
  }

  /// The table fitted to `width` columns (a terminal's, `$COLUMNS`): the `flexible` columns (the
  /// free text: a question, a last action) share what the others leave, each at least 12
  /// characters; with no width known, each is cut at `fallback`.
  public static func render(
    header: [String], rows: [[String]], width: Int?, flexible: [Int], fallback: Int = 60
  ) -> String {
    var limits = [Int: Int]()
    for column in flexible { limits[column] = fallback }
    if let width {
      var natural = [Int](repeating: 0, count: header.count)
      for row in [header] + rows {
        for (index, cell) in row.enumerated() where index < natural.count {
          natural[index] = max(natural[index], Terminal.safe(cell, keepNewlines: false).count)
        }
      }
      let fixed = natural.enumerated().filter { !flexible.contains($0.offset) }.map(\.element).reduce(0, +)
      let room = width - fixed - 2 * (header.count - 1)
      let wanted = flexible.map { natural[$0] }.reduce(0, +)
      for column in flexible {
        let share = wanted == 0 ? 0 : room * natural[column] / wanted
        limits[column] = max(12, min(natural[column], share))
      }
    }
    let fitted = rows.map { row in
      row.enumerated().map { index, cell in limits[index].map { clip(cell, $0) } ?? cell }
    }
    return render(header: header, rows: fitted)
  }

  /// Cuts `text` to `width` characters, marking the cut with an ellipsis; newlines become spaces.
  public static func clip(_ text: String, _ width: Int) -> String {
    let flat = Terminal.safe(text.split(whereSeparator: \.isNewline).joined(separator: " "), keepNewlines: false)
    return flat.count <= width ? flat : String(flat.prefix(width - 1)) + "…"
  }
}

extension StatusReport {
  /// The table a person reads: stale agents first, each marked; fitted to `width` columns when
  /// one is known.
  public func table(width: Int? = nil) -> String {
    var top = ""
    if !openEscalations.isEmpty {
      top = "OPEN ESCALATIONS (answer with `ghp resolve ID --answer \"...\"`):\n"
      top +=
        TextTable.render(
          header: ["  ID", "SEVERITY", "FROM", "ISSUE", "AGE", "QUESTION"],
          rows: openEscalations.map {
            [
              "  \($0.id)", $0.severity.rawValue.uppercased(), $0.agent, $0.issue.map { "#\($0)" } ?? "-",
              Duration.describe(now - $0.asked), $0.question,
            ]
          }, width: width, flexible: [5], fallback: 70) + "\n"
    }
    if rows.isEmpty { return top + "No agents yet.\n" }
    let ordered = rows.sorted { ($0.stale ? 0 : 1, $0.name) < ($1.stale ? 0 : 1, $1.name) }
    // What each agent can do, in a column of its own once any agent has a capability.
    let capable = rows.contains { !$0.record.capabilities.isEmpty }
    let body = ordered.map { row in
      [row.name, row.record.role.rawValue] + (capable ? [Self.can(row.record)] : []) + [
        row.record.issue.map { "#\($0)" } ?? "-", row.record.status,
        Duration.describe(row.age),
        [row.stale ? "STALE" : "", row.conflicts.isEmpty ? "" : "CONFLICT"].filter { !$0.isEmpty }.joined(
          separator: " "),
        row.record.lastAction,
      ]
    }
    let staleCount = rows.filter(\.reapable).count
    let footer =
      staleCount == 0
      ? ""
      : "\(staleCount) stale worker\(staleCount == 1 ? "" : "s") (no heartbeat for more than \(Duration.describe(staleAfter))): an orchestrator runs `ghp reap`\n"
    var dead = ""
    if !deadIssues.isEmpty {
      dead = "Dead issues (failed too often; an orchestrator runs `ghp issue retry ID`):\n"
      dead += deadIssues.map { "  #\($0.id) \(TextTable.clip($0.title, 60)) (\($0.attempts) attempts)\n" }.joined()
    }
    var warned = warnings.map { "warning: \($0)\n" }.joined()
    for pair in conflictPairs {
      warned +=
        "conflict: \(pair.two) with \(pair.one) in \(pair.paths.prefix(5).joined(separator: ", "))\(pair.paths.count > 5 ? ", …" : "") (`ghp conflicts`)\n"
    }
    var waiting = ""
    for row in rows {
      if let issue = row.record.handoffWaiting {
        waiting += "\(row.name): a handoff of #\(issue) is waiting (`ghp handoff show \(issue)`)\n"
      }
      for answer in row.answers {
        waiting +=
          "\(row.name): escalation \(answer.id) answered by \(answer.answeredBy ?? "?"): \(TextTable.clip(answer.answer ?? "", 70))\n"
      }
    }
    let header = ["AGENT", "ROLE"] + (capable ? ["CAN"] : []) + ["ISSUE", "STATUS", "AGE", "", "LAST ACTION"]
    return top
      + TextTable.render(header: header, rows: body, width: width, flexible: [header.count - 1])
      + waiting + footer + dead + warned
  }

  /// An agent's capabilities as a table shows them: `swift,docs`, or `-`.
  public static func can(_ record: AgentRecord) -> String {
    record.capabilities.isEmpty ? "-" : record.capabilities.joined(separator: ",")
  }
}

extension IssueSummary {
  /// Rows of `ghp issue list` and `ghp ready`.
  public static func table(_ summaries: [IssueSummary]) -> String {
    if summaries.isEmpty { return "No issues.\n" }
    return TextTable.render(
      header: ["ID", "P", "STATUS", "HOLDER", "AFTER", "TITLE"],
      rows: summaries.map {
        [
          "#\($0.id)", String($0.priority), $0.status.rawValue + ($0.attempts > 0 ? " (\($0.attempts) failed)" : ""),
          $0.assignee ?? "-", $0.dependencies.isEmpty ? "-" : $0.dependencies.map { "#\($0)" }.joined(separator: ","),
          TextTable.clip(($0.needs.isEmpty ? "" : "[needs " + $0.needs.joined(separator: ",") + "] ") + $0.title, 70),
        ]
      })
  }
}

extension IssueDetail {
  /// Everything about the issue, for a person.
  public var text: String {
    var lines = ["#\(issue.id) \(issue.title)", ""]
    if issue.kind == .epic {
      lines.append("kind:         epic (`ghp epic show \(issue.id)`)")
      lines.append(
        "status:       \(issue.status.rawValue)" + (issue.assignee.map { ", managed by \($0)" } ?? ", no manager"))
    } else {
      lines.append("status:       \(issue.status.rawValue)" + (issue.assignee.map { " by \($0)" } ?? ""))
    }
    lines.append("priority:     \(issue.priority)")
    lines.append("epoch:        \(issue.epoch)")
    if !issue.dependencies.isEmpty {
      lines.append("after:        " + issue.dependencies.map { "#\($0)" }.joined(separator: ", "))
    }
    if !issue.scope.isEmpty { lines.append("scope:        " + issue.scope.joined(separator: " ")) }
    if !issue.needs.isEmpty { lines.append("needs:        " + issue.needs.joined(separator: ", ")) }
    if let epic = issue.epic { lines.append("epic:         #\(epic)") }
    if let attemptOf = issue.attemptOf { lines.append("attempt of:   #\(attemptOf) (`ghp vote show \(attemptOf)`)") }
    if issue.attemptOf != nil, issue.status == .done, issue.landing == nil, let outcome = issue.result {
      lines.append("outcome:      \(outcome)")
    }
    if let bestOf, issue.kind == .bestOf {
      lines.append("attempts:     \(bestOf.attempts.count) independent, vote by \(issue.vote?.method.rawValue ?? "?")")
      lines.append("vote:         \(bestOf.standing)")
      let table = TextTable.render(
        header: ["ATTEMPT", "BY", "STATUS", "GATE", "SCORE", "SUBMITTED", "BALLOTS"], rows: bestOf.rows)
      lines += table.split(separator: "\n").map { "  " + $0 }
    }
    if let trial = issue.trial, issue.isIn {
      lines.append(
        "trial:        merge tree \(trial.tree.short) with \(trial.base) at \(trial.baseTip.short): "
          + (trial.passed
            ? "passed" + (trial.score.map { ", score \(Trial.format($0))" } ?? "") : "failed: \(trial.failure ?? "")"))
    }
    lines.append("created:      \(RFC3339.format(issue.createdAt)) by \(issue.createdBy)")
    if issue.attempts > 0 || !issue.failures.isEmpty {
      lines.append("attempts:     \(issue.attempts)")
      for failure in issue.failures {
        lines.append("  failed \(RFC3339.format(failure.at)) by \(failure.agent): \(failure.reason)")
      }
    }
    if let submission = issue.submission {
      lines.append(
        "submitted:    \(submission.branch) \(submission.tip.short) onto \(submission.base) \(submission.baseTip.short) at \(RFC3339.format(submission.at)) by \(submission.by)"
      )
    }
    for (label, evidence) in [("landed:", issue.landing), ("gate passed:", issue.pending)] {
      guard let evidence else { continue }
      let short = { (id: ObjectID?) in id.map { String($0.hex.prefix(10)) } ?? "-" }
      let padded = label + String(repeating: " ", count: max(1, 14 - label.count))
      var line =
        "\(padded)\(evidence.base) \(short(evidence.baseBefore)) -> \(short(evidence.baseAfter)), tip \(short(evidence.tip))"
      line += ", merge \(short(evidence.merge))"
      if let at = evidence.landedAt { line += " at \(at)" }
      if evidence.recovered { line += " (finished after a killed lander)" }
      lines.append(line)
      for command in evidence.gate {
        lines.append("  gate `\(command.command)` exit \(command.exit) in \(command.milliseconds) ms")
      }
      if let log = evidence.log { lines.append("  whole output: git show ghp/state:\(log)") }
      if let review = evidence.review, let approver = review.approvedBy {
        lines.append(
          "  reviewed: tree \(review.tree.short) approved by \(approver) at \(review.approvedAt ?? "?")"
            + (review.note.map { ": \($0)" } ?? ""))
      }
    }
    if let review = issue.reviewing {
      lines.append(
        "review:       merge tree \(review.tree.short) "
          + (review.approvedBy.map { "approved by \($0)" }
            ?? "waits for \(review.mode == .human ? "a person" : "a reviewer") (`ghp review show \(issue.id)`)"))
    }
    if let bounce = issue.bounced {
      lines.append("BOUNCED:      \(bounce.kind.rawValue) at \(bounce.at): \(bounce.reason)")
    }
    if !issue.body.isEmpty { lines += ["", issue.body.trimmingSpaces] }
    if let result {
      // A result the lander sent back is not the issue's outcome: it says so.
      let heading =
        issue.bounced != nil && issue.status != .done
        ? "Result (sent back \(issue.bounced?.kind == .review ? "by its reviewer" : "by the lander"), not landed):"
        : "Result:"
      lines += ["", heading, result.trimmingSpaces]
    }
    lines += ["", "History:"]
    lines += history.map { "  " + $0.line }
    return lines.joined(separator: "\n") + "\n"
  }
}

extension LogEntry {
  /// One line: short commit, time, subject.
  public var line: String { "\(commit.short)  \(RFC3339.format(time))  \(subject)" }

  /// The heading over `line`s, in their columns.
  public static var header: String {
    "COMMIT" + String(repeating: " ", count: 12 - "COMMIT".count) + "TIME"
      + String(repeating: " ", count: 22 - "TIME".count)
      + "EVENT"
  }

  /// What an issue's history shows under the line: the result of a `done`, the reason of a `fail`
  /// (the operation's own argument, not the commit body, which a person may have written).
  public var detail: String? {
    guard let message else { return nil }
    let key: String
    switch message.op {
    case DoneOperation.name: key = "result"
    case FailOperation.name: key = "reason"
    default: return nil
    }
    guard let text = message.arguments[key]?.stringValue, !text.isEmpty else { return nil }
    return "    \(key): " + TextTable.clip(text.split(separator: "\n").first.map(String.init) ?? text, 200)
  }
}

extension StatusUpdateOperation.Output {
  /// What the agent must be told, one line each: lost claims first.
  public var notices: [String] {
    var lines = lostClaims.map { lost in
      // Epoch 0: a claim made offline that lost on the remote (`ghp sync`); nobody released it,
      // whoever holds the issue now claimed it first.
      let what =
        lost.epoch == 0
        ? "your claim on #\(lost.issue), made offline, lost on the remote at \(RFC3339.format(lost.at))"
          + (lost.reason.isEmpty ? "" : " (\(lost.reason))")
        : "your claim on #\(lost.issue) (epoch \(lost.epoch)) was released by \(lost.by) at \(RFC3339.format(lost.at))"
          + (lost.reason.isEmpty ? "" : " (\(lost.reason))")
      return what + ": do not land work for it (see `ghp issue show \(lost.issue)`)"
    }
    for back in returned where back.kind == "lost" {
      lines.append("#\(back.issue) is closed: \(back.reason)")
    }
    for back in returned where back.kind != "lost" {
      let what =
        switch back.kind {
        case "conflict": "conflicts with the base"
        case "policy": "breaks the edit rules"
        case "review": "needs changes its reviewer asked for"
        default: "failed the landing gate"
        }
      lines.append("#\(back.issue) came back from landing: it \(what) (\(RFC3339.format(back.at))): \(back.reason)")
    }
    if let handoffWaiting {
      lines.append(
        "a handoff of #\(handoffWaiting) is waiting for you: read it with `ghp handoff show \(handoffWaiting)`")
    }
    for answer in answers {
      lines.append("escalation \(answer.id) was answered by \(answer.answeredBy ?? "?"): \(answer.answer ?? "")")
    }
    return lines
  }

  /// The answer of a status update as JSON: the agent's record, lost claims, returned issues, answers.
  public var json: JSON {
    .object([
      "status": .string(record.status), "lastAction": .string(record.lastAction),
      "timestamp": .string(RFC3339.format(record.timestamp)), "issue": IssueReference.write(record.issue),
      "lostClaims": .array(lostClaims.map(\.json)), "returned": .array(returned.map(\.json)),
      "handoffWaiting": IssueReference.write(handoffWaiting),
      "answers": .array(answers.map(\.json)),
    ])
  }
}
