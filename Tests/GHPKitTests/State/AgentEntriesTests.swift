import Testing

@testable import GHPKit

/// A write of a few agents copies every other entry of `.ghp/agent-status.json` as it is
/// (`AgentEntries`): it must write exactly what rewriting the whole document writes, or a server
/// re-executing the operation the other way would refuse it; and bytes not in ghp's own form are
/// never spliced.
@Suite struct AgentEntriesTests {
  /// A record with everything an entry can hold, varied by `seed`.
  static func record(_ seed: Int) -> AgentRecord {
    var record = AgentRecord(
      issue: seed % 3 == 0 ? nil : (seed % 2 == 0 ? "\(seed)" : "task-\(seed)"),
      status: ["idle", "claimed", "implementing", "stale"][seed % 4],
      lastAction: seed % 5 == 0 ? "" : "did \"thing\" \(seed)\n\tand ü \\ more",
      timestamp: 1_700_000_000 + Int64(seed), branch: seed % 4 == 0 ? nil : "agent/a\(seed)",
      role: seed % 7 == 0 ? .orchestrator : .worker)
    if seed % 6 == 1 {
      record.lostClaims = [LostClaim(issue: "\(seed)", epoch: seed, by: "lead", at: 1_700_000_100, reason: "stale")]
    }
    if seed % 8 == 2 {
      record.returned = [ReturnedIssue(issue: "\(seed)", kind: "gate", reason: "red", at: 1_700_000_200)]
    }
    if seed % 5 == 3 { record.handoffWaiting = "\(seed + 1)" }
    if seed % 9 == 4 { record.extra = ["note": .string("kept"), "zeta": .array([.int(1), .bool(true)])] }
    return record
  }

  static func document(_ names: [String]) -> AgentStatusDocument {
    var document = AgentStatusDocument()
    for (index, name) in names.enumerated() { document.agents[name] = record(index) }
    return document
  }

  @Test func aSplicedWriteIsTheWholeDocumentWrittenAgain() throws {
    var generator = SystemRandomNumberGenerator()
    let names = (0..<300).map { "a\($0)" } + ["lead", "w-1", "w10", "w2", "zed", "ü-agent"]
    for round in 0..<40 {
      let document = Self.document(names)
      let bytes = document.json.canonical()
      let entries = try #require(AgentEntries(bytes), "ghp's own form is indexed")
      #expect(entries.names.count == names.count)
      // Each round: some agents changed, some new (sorting before, between and after the others).
      var updates: [String: AgentRecord] = [:]
      for _ in 0..<Int.random(in: 1...4, using: &generator) {
        updates[names.randomElement(using: &generator)!] = Self.record(Int.random(in: 0...999, using: &generator))
      }
      for new in ["0-first", "a150x", "zz-last", "w11"].shuffled(using: &generator).prefix(round % 3) {
        updates[new] = Self.record(round)
      }
      var whole = document
      for (name, record) in updates { whole.agents[name] = record }
      let spliced = try #require(entries.replacing(updates))
      #expect(spliced == whole.json.canonical(), "round \(round): \(updates.keys.sorted())")
      // And the spliced document reads back as the whole one.
      #expect(try AgentStatusDocument(json: JSON.parse(spliced)) == whole)
      for (name, record) in updates {
        let again = try #require(AgentEntries(spliced))
        #expect(try again.record(at: #require(again.index(of: name))) == record)
      }
    }
  }

  @Test func bytesNotInGhpsFormAreNotSpliced() throws {
    let bytes = Self.document(["a", "b", "c"]).json.canonical()
    let text = String(decoding: bytes, as: UTF8.self)
    // Compact, tabs for spaces, names out of order, an entry whose own bytes are not canonical.
    for other in [
      Self.document(["a", "b", "c"]).json.compact(),
      text.replacingOccurrences(of: "  ", with: "\t"),
      text.replacingOccurrences(of: "\"a\": {", with: "\"d\": {"),
    ] {
      #expect(AgentEntries(Array(other.utf8)) == nil, "\(other.prefix(60))")
    }
    // An entry rewritten by hand, still parseable but not as ghp writes it: indexed (its
    // skeleton is ghp's), never spliced, since the whole document written again would differ.
    let handEdited = text.replacingOccurrences(of: "\"status\": \"idle\"", with: "\"status\":  \"idle\"")
    #expect(handEdited != text)
    let entries = try #require(AgentEntries(Array(handEdited.utf8)))
    #expect(entries.replacing(["a": Self.record(1)]) == nil)
    #expect(entries.replacing(["b": Self.record(1)]) != nil, "an entry as ghp writes it is still spliced")
    // An entry closed on its own last line, before another that closes as ghp's do: its lines
    // are not indented as ghp indents them, so nothing is indexed (else the second agent would be
    // read as part of the first, and a write of it would add it twice).
    let folded = text.replacingOccurrences(
      of: "\"timestamp\": \"\(RFC3339.format(1_700_000_000))\"\n    },",
      with: "\"timestamp\": \"\(RFC3339.format(1_700_000_000))\"},")
    #expect(folded != text)
    #expect(AgentEntries(Array(folded.utf8)) == nil)
    // Anything after the agents object but the document's end.
    #expect(AgentEntries(Array((text.dropLast(2) + ",\n  \"more\": 1\n}\n").utf8)) == nil)
    #expect(AgentEntries(Array(text.dropLast().utf8)) == nil)
    // The empty document, and none at all.
    #expect(AgentEntries(AgentStatusDocument().json.canonical()) == nil)
    #expect(AgentEntries([]) == nil)
  }

  /// A long-lived reader reads a changed document from the last one's records (`ParsedAgents`): it
  /// must read what reading the whole document reads, whatever changed, and refuse to guess where
  /// an entry that changed does not read.
  @Test func aChangedDocumentReadsAsTheWholeOne() throws {
    var generator = SystemRandomNumberGenerator()
    var names = (0..<200).map { "a\($0)" } + ["lead", "w-1", "ü-agent"]
    var document = Self.document(names)
    let parsed = ParsedAgents()
    let blob = try #require(ObjectID(hex: String(repeating: "1", count: 40)))
    parsed.keep(document, bytes: document.json.canonical(), for: blob)
    for round in 0..<30 {
      // Some agents changed, some gone, some new.
      for _ in 0..<Int.random(in: 0...3, using: &generator) {
        document.agents[names.randomElement(using: &generator)!] = Self.record(
          Int.random(in: 0...999, using: &generator))
      }
      if round % 3 == 1 { document.agents[names.remove(at: Int.random(in: 0..<names.count, using: &generator))] = nil }
      if round % 4 == 2 {
        names.append("new-\(round)")
        document.agents["new-\(round)"] = Self.record(round)
      }
      let bytes = document.json.canonical()
      let read = try #require(parsed.document(changedTo: bytes), "round \(round)")
      #expect(read.document == (try AgentStatusDocument(json: JSON.parse(bytes))), "round \(round)")
      #expect(read.document == document)
      // Kept with its index, as a snapshot keeps it.
      parsed.keep(read.document, bytes: bytes, for: blob, entries: read.entries)
    }
    // An entry that changed and does not read, or a document not in ghp's form: not read here.
    let text = String(decoding: document.json.canonical(), as: UTF8.self)
    let broken = text.replacingOccurrences(of: "\"timestamp\": \"", with: "\"timestamp\": \"x")
    #expect(broken != text)
    #expect(parsed.document(changedTo: Array(broken.utf8)) == nil)
    #expect(parsed.document(changedTo: Array(document.json.compact().utf8)) == nil)
    // Two names the whole reading takes for one (the same name, composed and decomposed): never
    // merged into one agent here. (Written through a placeholder that sorts where the decomposed
    // name does: a dictionary cannot hold both.)
    var twice = document
    twice.agents["\u{E9}"] = Self.record(1)
    twice.agents["e-placeholder"] = Self.record(2)
    let decomposed = String(decoding: twice.json.canonical(), as: UTF8.self)
      .replacingOccurrences(of: "\"e-placeholder\"", with: "\"e\u{301}\"")
    #expect(AgentEntries(Array(decomposed.utf8)) != nil, "the outline fits")
    #expect(throws: (any Error).self) { try AgentStatusDocument(json: JSON.parse(Array(decomposed.utf8))) }
    #expect(parsed.document(changedTo: Array(decomposed.utf8)) == nil)
  }

  /// A document written by hand may fit ghp's outline while its entries hold other agents (one
  /// line closing an entry and opening another): read whole, it has an agent the index does not
  /// see, and none of its records may be reused entry by entry.
  @Test func aHandWrittenDocumentIsNotReadEntryByEntry() throws {
    let time = "\"2024-01-01T00:00:00Z\""
    func text(_ action: String) -> String {
      "{\n  \"agents\": {\n    \"a\": {\n      \"lastAction\": \"\",\n      \"timestamp\": \(time)}, \"b\": {\"timestamp\": \(time)\n    },\n"
        + "    \"c\": {\n      \"lastAction\": \"\(action)\",\n      \"timestamp\": \(time)\n    }\n  }\n}\n"
    }
    let before = Array(text("one").utf8)
    let whole = try AgentStatusDocument(json: JSON.parse(before))
    #expect(whole.agents.keys.sorted() == ["a", "b", "c"])
    #expect(AgentEntries(before)?.names == ["a", "c"], "the outline fits")
    let parsed = ParsedAgents()
    parsed.keep(whole, bytes: before, for: try #require(ObjectID(hex: String(repeating: "2", count: 40))))
    let after = Array(text("two").utf8)
    #expect(parsed.document(changedTo: after) == nil)
    #expect(try AgentStatusDocument(json: JSON.parse(after)).agents.count == 3)
  }
}
