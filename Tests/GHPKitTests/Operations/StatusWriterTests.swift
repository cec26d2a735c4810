import GHPTestSupport
import Testing

@testable import GHPKit

/// `StatusWriter` writes a status report without its JSON tree, and a kept writer reuses each
/// agent's bytes while its row is unchanged: what it writes must be exactly what the tree writes,
/// after any change to any part of a row, or `get_status` would answer with an agent as it was.
@Suite struct StatusWriterTests {
  /// A report of `names`, each row varied by `seed`: records of every shape, stale marks,
  /// conflicts and answers, and every part of the report beside the agents now and then.
  static func report(_ base: StatusReport, names: [String], seed: Int) -> StatusReport {
    var report = base
    report.rows = names.enumerated().map { index, name in
      let vary = index + seed
      var row = AgentStatusRow(
        name: name, record: AgentEntriesTests.record(vary), age: Int64(vary), stale: vary % 3 == 0)
      if vary % 4 == 1 { row.conflicts = ["main", "agent/\(name)\"x"] }
      if vary % 5 == 2 {
        var answer = Escalation(
          id: "\(vary)", agent: name, issue: "7", severity: .high, question: "why\n\"so\"?", context: nil,
          asked: 1_700_000_000)
        answer.status = .resolved
        answer.answer = "because ü"
        answer.answeredBy = "lead"
        answer.answered = 1_700_000_100
        row.answers = [answer]
      }
      return row
    }
    report.warnings = seed % 2 == 0 ? [] : ["a \"broken\" document\tat \(seed)"]
    report.conflictPairs =
      seed % 3 == 0 ? [] : [ConflictReport.Pair(one: "main", two: "agent/\(names.first ?? "x")", paths: ["a.swift"])]
    report.openEscalations =
      seed % 4 == 0
      ? []
      : [
        Escalation(
          id: "1", agent: "w1", issue: nil, severity: .critical, question: "stuck", context: "ctx", asked: 1_700_000_000
        )
      ]
    return report
  }

  static func expectSame(_ written: StatusWriter.Written, _ report: StatusReport) {
    let json = report.json
    let pretty = json.pretty()
    #expect(String(decoding: written.pretty, as: UTF8.self) == pretty)
    var escaped: [UInt8] = []
    JSON.writeString(pretty, into: &escaped)
    #expect(written.escaped == Array(escaped.dropFirst().dropLast()))
    #expect(String(decoding: written.compact, as: UTF8.self) == json.compact())
  }

  @Test func aKeptWriterWritesWhatTheTreeWritesAfterEveryChange() throws {
    let repo = try initialised(issues: 1)
    let at = try workspace(repo)
    let base = try StatusReport(state: at.snapshot(), clock: at.clock)
    let all: StatusWriter.Forms = [.pretty, .escaped, .compact]
    let kept = StatusWriter(forms: all, keeps: true)
    // Names out of Swift's and UTF-8's common order too, and one needing escapes.
    var names = (0..<60).map { "a\($0)" } + ["Zed", "lead", "w-1", "ü-agent", "q\"uote"]
    var generator = SystemRandomNumberGenerator()
    var report = Self.report(base, names: names, seed: 0)
    Self.expectSame(kept.write(report), report)
    for round in 1..<60 {
      switch round % 6 {
      case 0:
        // A whole new report: every row changes.
        report = Self.report(base, names: names, seed: round)
      case 1:
        // One agent's heartbeat.
        let index = Int.random(in: 0..<report.rows.count, using: &generator)
        report.rows[index].record.timestamp += 1
        report.rows[index].record.lastAction = "beat \(round)"
      case 2:
        // Stale marks, conflicts and answers change with nothing in a record changing.
        let index = Int.random(in: 0..<report.rows.count, using: &generator)
        report.rows[index].stale.toggle()
        report.rows[(index + 1) % report.rows.count].conflicts.append("agent/z\(round)")
        report.rows[(index + 2) % report.rows.count].answers = []
        report.rows[(index + 3) % report.rows.count].record.extra["mood"] = .int(round)
      case 3:
        // An agent gone, another come.
        names.remove(at: Int.random(in: 0..<names.count, using: &generator))
        names.append("new\(round)")
        report = Self.report(base, names: names, seed: round - 3)
      case 4:
        report.rows = []
      default:
        report = Self.report(base, names: names, seed: round)
        report.rows[0].record.returned = []
        report.rows[1].record.signingKey = nil
      }
      Self.expectSame(kept.write(report), report)
      Self.expectSame(StatusWriter(forms: all, keeps: false).write(report), report)
    }
  }

  /// Swift's `==` takes a composed and a decomposed "é" for one string; the writer writes their
  /// bytes, so a row that changed only so is written again.
  @Test func aChangeOfBytesAloneIsWrittenAgain() throws {
    let repo = try initialised(issues: 1)
    let at = try workspace(repo)
    var report = Self.report(try StatusReport(state: at.snapshot(), clock: at.clock), names: ["w1", "w2"], seed: 1)
    let kept = StatusWriter(forms: [.pretty, .escaped, .compact], keeps: true)
    let composed = "caf\u{E9}"
    let decomposed = "cafe\u{301}"
    #expect(composed == decomposed && !composed.utf8.elementsEqual(decomposed.utf8))
    for (before, after) in [(composed, decomposed), (decomposed, composed)] {
      report.rows[0].record.lastAction = before
      report.rows[1].record.extra = [before: .string(before)]
      report.rows[1].conflicts = ["agent/\(before)"]
      Self.expectSame(kept.write(report), report)
      report.rows[0].record.lastAction = after
      Self.expectSame(kept.write(report), report)
      report.rows[1].record.extra = [after: .string(before)]
      Self.expectSame(kept.write(report), report)
      report.rows[1].record.extra = [after: .string(after)]
      Self.expectSame(kept.write(report), report)
      report.rows[1].conflicts = ["agent/\(after)"]
      Self.expectSame(kept.write(report), report)
    }
  }

  @Test func aWriterWritesOnlyTheFormsAskedFor() throws {
    let repo = try initialised(issues: 1)
    let at = try workspace(repo)
    let report = Self.report(try StatusReport(state: at.snapshot(), clock: at.clock), names: ["w1", "w2"], seed: 1)
    let pretty = StatusWriter(forms: .pretty, keeps: false).write(report)
    #expect(String(decoding: pretty.pretty, as: UTF8.self) == report.json.pretty())
    #expect(pretty.escaped.isEmpty && pretty.compact.isEmpty)
    let answer = StatusWriter(forms: [.escaped, .compact], keeps: true).write(report)
    #expect(answer.pretty.isEmpty)
    #expect(String(decoding: answer.compact, as: UTF8.self) == report.json.compact())
  }
}
