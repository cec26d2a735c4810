/// A status report's JSON written as bytes, each agent's object from its row, without the JSON tree
/// `StatusReport.json` makes: the same bytes as `json.pretty()` and `json.compact()`, and the pretty
/// form escaped as the inside of a JSON string (the text of an MCP answer, which carries both).
///
/// A writer kept by a long-lived server (`ghp mcp`'s `get_status`) keeps each agent's written bytes
/// while its row is unchanged — the record, the stale mark, the conflicts and the answers it is
/// written from, compared whole — so an answer after one heartbeat at 10,000 agents writes one agent
/// and copies the rest. A writer used once (`ghp agent-status --json`) keeps nothing.
public final class StatusWriter: @unchecked Sendable {
  /// Which forms to write.
  public struct Forms: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// `json.pretty()`, with its trailing newline.
    public static let pretty = Forms(rawValue: 1)
    /// The pretty form escaped as `JSON.writeString` escapes it, without the quotes.
    public static let escaped = Forms(rawValue: 2)
    /// `json.compact()`.
    public static let compact = Forms(rawValue: 4)
  }

  /// The forms written; those not asked for are empty.
  public struct Written: Sendable {
    public var pretty: [UInt8] = []
    public var escaped: [UInt8] = []
    public var compact: [UInt8] = []
  }

  /// What one agent's object was written from, and how it was written.
  private struct Kept {
    let name: String
    let record: AgentRecord
    let stale: Bool
    let conflicts: [String]
    let answers: [Escalation]
    var written: Written

    /// Whether `row` writes what this was written from, byte for byte (Swift's `==` takes a
    /// composed and a decomposed "é" for one, which the writer does not).
    func holds(for row: AgentStatusRow) -> Bool {
      row.stale == stale && Self.identical(row.record, record)
        && row.conflicts.count == conflicts.count
        && zip(row.conflicts, conflicts).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
        && row.answers.count == answers.count
        && zip(row.answers, answers).allSatisfy { $0.answerJSON.isIdentical(to: $1.answerJSON) }
    }

    static func identical(_ a: AgentRecord, _ b: AgentRecord) -> Bool {
      func same(_ x: String?, _ y: String?) -> Bool {
        switch (x, y) {
        case (nil, nil): true
        case (let x?, let y?): x.utf8.elementsEqual(y.utf8)
        default: false
        }
      }
      return a.timestamp == b.timestamp && a.role == b.role && same(a.status, b.status)
        && same(a.lastAction, b.lastAction) && same(a.issue, b.issue) && same(a.branch, b.branch)
        && same(a.handoffWaiting, b.handoffWaiting) && same(a.signingKey, b.signingKey)
        && a.lostClaims.count == b.lostClaims.count && a.returned.count == b.returned.count
        && zip(a.lostClaims, b.lostClaims).allSatisfy { $0.json.isIdentical(to: $1.json) }
        && zip(a.returned, b.returned).allSatisfy { $0.json.isIdentical(to: $1.json) }
        && a.capabilities.count == b.capabilities.count
        && zip(a.capabilities, b.capabilities).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
        && JSON.object(a.extra).isIdentical(to: .object(b.extra))
    }
  }

  private let forms: Forms
  private let keeps: Bool
  /// The agents last written, by name in UTF-8 byte order.
  private var kept: [Kept] = []
  private let lock = NSLockLike()

  /// A writer of `forms`; one that `keeps` keeps each agent's bytes for the next report.
  public init(forms: Forms, keeps: Bool) {
    self.forms = forms
    self.keeps = keeps
  }

  /// The report's forms, written afresh for the agents whose rows changed since the last report.
  public func write(_ report: StatusReport) -> Written {
    lock.withLock { writeLocked(report) }
  }

  private func writeLocked(_ report: StatusReport) -> Written {
    var rows = report.rows
    if !rows.indices.dropFirst().allSatisfy({ rows[$0 - 1].name.utf8.lexicographicallyPrecedes(rows[$0].name.utf8) }) {
      rows.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }
    var out = Written()
    var size = 64
    for item in kept { size += max(item.written.pretty.count, item.written.compact.count) + 16 }
    if forms.contains(.pretty) { out.pretty.reserveCapacity(size) }
    if forms.contains(.escaped) { out.escaped.reserveCapacity(size + size / 4) }
    if forms.contains(.compact) { out.compact.reserveCapacity(size) }

    func pretty(_ bytes: [UInt8]) {
      if forms.contains(.pretty) { out.pretty.append(contentsOf: bytes) }
      if forms.contains(.escaped) { JSON.escape(bytes, into: &out.escaped) }
    }
    func prettyText(_ text: String) { pretty(Array(text.utf8)) }
    func compact(_ text: String) { if forms.contains(.compact) { out.compact.append(contentsOf: text.utf8) } }

    prettyText("{\n  \"agents\": ")
    compact("{\"agents\":")
    if rows.isEmpty {
      prettyText("{}")
      compact("{}")
      kept = []
    } else {
      prettyText("{")
      compact("{")
      var next: [Kept] = []
      if keeps { next.reserveCapacity(rows.count) }
      var old = 0
      for (index, row) in rows.enumerated() {
        // The last report's agents are in the same order: walk both.
        while old < kept.count, kept[old].name.utf8.lexicographicallyPrecedes(row.name.utf8) { old += 1 }
        let written: Written
        if old < kept.count, kept[old].name.utf8.elementsEqual(row.name.utf8), kept[old].holds(for: row) {
          written = kept[old].written
        } else {
          written = write(row)
        }
        if keeps {
          next.append(
            Kept(
              name: row.name, record: row.record, stale: row.stale, conflicts: row.conflicts, answers: row.answers,
              written: written))
        }
        if index > 0 {
          if forms.contains(.pretty) { out.pretty.append(UInt8(ascii: ",")) }
          if forms.contains(.escaped) { out.escaped.append(UInt8(ascii: ",")) }
          if forms.contains(.compact) { out.compact.append(UInt8(ascii: ",")) }
        }
        out.pretty.append(contentsOf: written.pretty)
        out.escaped.append(contentsOf: written.escaped)
        out.compact.append(contentsOf: written.compact)
      }
      kept = next
      prettyText("\n  }")
      compact("}")
    }
    // The rest of the report is small: written from its JSON, in the keys' order.
    guard case .object(let rest) = report.jsonBesideAgents else { preconditionFailure("not an object") }
    for (key, value) in rest.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
      var member: [UInt8] = [UInt8(ascii: ",")]
      JSON.writeString(key, into: &member)
      if forms.contains(.compact) {
        out.compact.append(contentsOf: member)
        out.compact.append(UInt8(ascii: ":"))
        out.compact.append(contentsOf: value.compact().utf8)
      }
      member.insert(contentsOf: Array("\n  ".utf8), at: 1)
      member.append(contentsOf: Array(": ".utf8))
      pretty(member)
      pretty(value.canonical(depth: 1))
    }
    prettyText("\n}\n")
    compact("}")
    return out
  }

  /// One agent's member of the agents object, in each form: `"name": {...}` (the pretty one on its
  /// own line, two levels deep, with the comma before it left to the caller).
  private func write(_ row: AgentStatusRow) -> Written {
    let value = StatusReport.json(of: row)
    var name: [UInt8] = []
    JSON.writeString(row.name, into: &name)
    var written = Written()
    if forms.contains(.pretty) || forms.contains(.escaped) {
      var pretty = Array("\n    ".utf8)
      pretty.append(contentsOf: name)
      pretty.append(contentsOf: Array(": ".utf8))
      pretty.append(contentsOf: value.canonical(depth: 2))
      if forms.contains(.escaped) { JSON.escape(pretty, into: &written.escaped) }
      if forms.contains(.pretty) { written.pretty = pretty }
    }
    if forms.contains(.compact) {
      written.compact = name
      written.compact.append(UInt8(ascii: ":"))
      written.compact.append(contentsOf: value.compact().utf8)
    }
    return written
  }
}
