import Glibc

/// `.ghp/agent-status.json` as ghp writes it (canonical: sorted names, two spaces an indent),
/// indexed by one pass over its bytes that parses no entry: each agent's name and where its entry
/// lies. An operation that reads or changes a few agents decodes just those entries, and a write
/// copies every other entry's bytes as they are (`Change.putAgents`), so its cost hardly grows
/// with the number of agents. Bytes whose outline is not that form (written by hand, or by
/// something else) are not indexed, and the whole document is read and written instead. Within
/// that outline, an entry is checked only where it is replaced; the others are copied as they are,
/// so the splice writes what writing the whole document again writes when the document was ghp's
/// own, which every state commit's is (each is re-executed wherever it is verified).
struct AgentEntries {
  let bytes: [UInt8]
  /// The agents' names, in the document's (UTF-8 byte) order.
  private(set) var names: [String] = []
  /// Each entry from the indent of its name to the brace that closes its value.
  private(set) var members: [Range<Int>] = []
  /// Each entry's value, from its opening brace to its closing one.
  private(set) var values: [Range<Int>] = []
  /// Where the agents object closes: the rest of the document from there is copied as it is.
  private(set) var end = 0

  static let head = Array("{\n  \"agents\": {\n".utf8)
  static let indent = Array("    \"".utf8)
  static let opening = Array("\": {\n".utf8)
  static let closing = Array("\n    }".utf8)
  static let next = Array(",\n".utf8)
  static let tail = Array("\n  }\n}\n".utf8)
  static let deeper = Array("\n      ".utf8)

  /// The index of `bytes`, or nil when they are not in the form ghp writes.
  init?(_ bytes: [UInt8]) {
    self.bytes = bytes
    guard bytes.count > Self.head.count, bytes.starts(with: Self.head) else { return nil }
    var at = Self.head.count
    let found: Bool = bytes.withUnsafeBufferPointer { buffer in
      func matches(_ token: [UInt8], _ offset: Int) -> Bool {
        offset + token.count <= buffer.count && token.indices.allSatisfy { buffer[offset + $0] == token[$0] }
      }
      while true {
        let member = at
        guard matches(Self.indent, at) else { return false }
        at += Self.indent.count
        let nameStart = at
        // Names that would need escaping are not indexed.
        while at < buffer.count, buffer[at] != UInt8(ascii: "\"") {
          if buffer[at] == UInt8(ascii: "\\") || buffer[at] < 0x20 { return false }
          at += 1
        }
        guard at > nameStart, matches(Self.opening, at) else { return false }
        let name = String(decoding: UnsafeBufferPointer(rebasing: buffer[nameStart..<at]), as: UTF8.self)
        let valueStart = at + 3
        // The value closes at the first line that is four spaces and a brace: every line of its
        // own is indented deeper (checked: a document whose lines are not is not indexed), and no
        // string holds a newline.
        var close: Int?
        var scan = valueStart
        while scan < buffer.count {
          guard let newline = memchr(buffer.baseAddress! + scan, 0x0A, buffer.count - scan) else { break }
          let offset = buffer.baseAddress!.distance(to: newline.assumingMemoryBound(to: UInt8.self))
          if matches(Self.closing, offset) {
            close = offset
            break
          }
          guard matches(Self.deeper, offset) else { return false }
          scan = offset + 1
        }
        guard let close else { return false }
        at = close + Self.closing.count
        names.append(name)
        members.append(member..<at)
        values.append(valueStart..<at)
        if matches(Self.next, at) {
          at += Self.next.count
          continue
        }
        // Nothing after the agents object but the document's end, as ghp writes it.
        guard matches(Self.tail, at), at + Self.tail.count == buffer.count else { return false }
        end = at
        return true
      }
    }
    guard found else { return nil }
    for index in names.indices.dropFirst() where !names[index - 1].utf8.lexicographicallyPrecedes(names[index].utf8) {
      return nil
    }
  }

  /// Where `name`'s entry is, or nil when it has none.
  func index(of name: String) -> Int? {
    var low = 0
    var high = names.count
    while low < high {
      let middle = (low + high) / 2
      if names[middle].utf8.lexicographicallyPrecedes(name.utf8) {
        low = middle + 1
      } else {
        high = middle
      }
    }
    return low < names.count && names[low] == name ? low : nil
  }

  /// The record of the entry at `index`, read as the whole document reads it.
  func record(at index: Int) throws(DocumentError) -> AgentRecord {
    let value: JSON
    do { value = try JSON.parse(Array(bytes[values[index]])) } catch {
      throw DocumentError("agent '\(names[index])' is not valid JSON, \(error.description)")
    }
    return try AgentStatusDocument.record(named: names[index], value)
  }

  /// The document with each of `updates` put in (an entry replaced, or a new one where its name
  /// sorts), every other entry's bytes as they were: what writing the whole document with the
  /// same changes writes. Nil when it cannot say so (an entry it replaces is not exactly what ghp
  /// would write for it, or a new name would need escaping): then the caller writes it whole.
  func replacing(_ updates: [String: AgentRecord]) -> [UInt8]? {
    var replaced: [Int: [UInt8]] = [:]
    var added: [(name: String, value: [UInt8])] = []
    var grows = 0
    for (name, record) in updates {
      let value = AgentStatusDocument.entry(record).canonical(depth: 2)
      if let index = index(of: name) {
        guard let before = try? self.record(at: index),
          AgentStatusDocument.entry(before).canonical(depth: 2).elementsEqual(bytes[values[index]])
        else { return nil }
        replaced[index] = value
        grows += value.count - values[index].count
      } else {
        guard !name.isEmpty,
          name.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
        else { return nil }
        added.append((name, value))
        grows += value.count + name.utf8.count + 10
      }
    }
    added.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + max(0, grows) + 16)
    out.append(contentsOf: Self.head)
    var first = true
    func separate() {
      if !first { out.append(contentsOf: Self.next) }
      first = false
    }
    func put(_ name: String, _ value: [UInt8]) {
      separate()
      out.append(contentsOf: Self.indent)
      out.append(contentsOf: name.utf8)
      out.append(contentsOf: Self.opening.prefix(3))
      out.append(contentsOf: value)
    }
    var next = 0
    for index in names.indices {
      while next < added.count, added[next].name.utf8.lexicographicallyPrecedes(names[index].utf8) {
        put(added[next].name, added[next].value)
        next += 1
      }
      if let value = replaced[index] {
        put(names[index], value)
      } else {
        separate()
        out.append(contentsOf: bytes[members[index]])
      }
    }
    while next < added.count {
      put(added[next].name, added[next].value)
      next += 1
    }
    out.append(contentsOf: bytes[end...])
    return out
  }
}
