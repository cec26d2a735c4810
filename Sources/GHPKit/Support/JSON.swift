/// A JSON value, with a parser and a canonical writer of ghp's own.
///
/// Canonical means: object keys sorted by their UTF-8 bytes, two-space indentation, `"key": value`,
/// integers without a fraction, and a trailing newline. The same document always gives the same
/// bytes, so an unchanged document gives the same blob and diffs stay one line per field.
public enum JSON: Equatable, Sendable {
  case null
  case bool(Bool)
  case int(Int)
  case double(Double)
  case string(String)
  case array([JSON])
  case object([String: JSON])

  // MARK: - Access

  /// The value under `key` of an object; nil when absent or when this is not an object.
  public subscript(key: String) -> JSON? {
    if case .object(let fields) = self { return fields[key] }
    return nil
  }

  /// The text of a string, else nil.
  public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
  /// An integer, or a double holding a whole number below 9e15; else nil.
  public var intValue: Int? {
    switch self {
    case .int(let i): i
    case .double(let d) where d.rounded() == d && abs(d) < 9e15: Int(d)
    default: nil
    }
  }
  /// The value of a boolean, else nil.
  public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
  /// The items of an array, else nil.
  public var arrayValue: [JSON]? { if case .array(let a) = self { a } else { nil } }
  /// The fields of an object, else nil.
  public var objectValue: [String: JSON]? { if case .object(let o) = self { o } else { nil } }
  /// Whether this is JSON `null` (an absent key is not).
  public var isNull: Bool { self == .null }

  /// Whether both are written as the same bytes: `==` compares strings as Swift does (a composed
  /// and a decomposed "é" are equal), the canonical writer writes their bytes.
  func isIdentical(to other: JSON) -> Bool {
    switch (self, other) {
    case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
    case (.array(let a), .array(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { $0.isIdentical(to: $1) }
    case (.object(let a), .object(let b)):
      guard a.count == b.count else { return false }
      let byBytes: (Dictionary<String, JSON>.Element, Dictionary<String, JSON>.Element) -> Bool = {
        $0.key.utf8.lexicographicallyPrecedes($1.key.utf8)
      }
      return zip(a.sorted(by: byBytes), b.sorted(by: byBytes)).allSatisfy {
        $0.key.utf8.elementsEqual($1.key.utf8) && $0.value.isIdentical(to: $1.value)
      }
    default: return self == other
    }
  }

  // MARK: - Writing

  /// The canonical, pretty form with a trailing newline (for documents).
  public func canonical() -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(256)
    write(into: &out, indent: 0, pretty: true)
    out.append(0x0A)
    return out
  }

  /// The canonical pretty form of a value nested `depth` levels deep in a document, as the
  /// document's own form writes it there (no trailing newline): for splicing one value.
  func canonical(depth: Int) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(256)
    write(into: &out, indent: depth, pretty: true)
    return out
  }

  /// The canonical one-line form (for `--json` lines and embedding).
  public func compact() -> String {
    var out: [UInt8] = []
    write(into: &out, indent: 0, pretty: false)
    return String(decoding: out, as: UTF8.self)
  }

  /// The canonical pretty form as a string, with its trailing newline.
  public func pretty() -> String { String(decoding: canonical(), as: UTF8.self) }

  private func write(into out: inout [UInt8], indent: Int, pretty: Bool) {
    switch self {
    case .null: out.append(contentsOf: "null".utf8)
    case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
    case .int(let i): out.append(contentsOf: String(i).utf8)
    case .double(let d):
      if d.rounded() == d && abs(d) < 9e15 {
        out.append(contentsOf: String(Int(d)).utf8)
      } else {
        out.append(contentsOf: (d.isFinite ? "\(d)" : "null").utf8)
      }
    case .string(let s): JSON.writeString(s, into: &out)
    case .array(let items):
      if items.isEmpty { return out.append(contentsOf: "[]".utf8) }
      out.append(UInt8(ascii: "["))
      for (index, item) in items.enumerated() {
        if index > 0 { out.append(UInt8(ascii: ",")) }
        if pretty { newline(&out, indent + 1) }
        item.write(into: &out, indent: indent + 1, pretty: pretty)
      }
      if pretty { newline(&out, indent) }
      out.append(UInt8(ascii: "]"))
    case .object(let fields):
      if fields.isEmpty { return out.append(contentsOf: "{}".utf8) }
      out.append(UInt8(ascii: "{"))
      // Keys in the order of their UTF-8 bytes (canonical), compared without copying them.
      let sorted = fields.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
      for (index, field) in sorted.enumerated() {
        if index > 0 { out.append(UInt8(ascii: ",")) }
        if pretty { newline(&out, indent + 1) }
        JSON.writeString(field.key, into: &out)
        out.append(UInt8(ascii: ":"))
        if pretty { out.append(UInt8(ascii: " ")) }
        field.value.write(into: &out, indent: indent + 1, pretty: pretty)
      }
      if pretty { newline(&out, indent) }
      out.append(UInt8(ascii: "}"))
    }
  }

  private func newline(_ out: inout [UInt8], _ indent: Int) {
    out.append(0x0A)
    out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
  }

  private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

  static func writeString(_ s: String, into out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    escape(s.utf8, into: &out)
    out.append(UInt8(ascii: "\""))
  }

  /// `bytes` as the inside of a JSON string: what `writeString` writes between its quotes. Runs
  /// that need no escaping are copied whole.
  static func escape(_ bytes: some Sequence<UInt8>, into out: inout [UInt8]) {
    let done: Void? = bytes.withContiguousStorageIfAvailable { escape(buffer: $0, into: &out) }
    if done == nil { Array(bytes).withUnsafeBufferPointer { escape(buffer: $0, into: &out) } }
  }

  private static func escape(buffer: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
    var run = 0
    for (index, byte) in buffer.enumerated() {
      guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
      out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[run..<index]))
      run = index + 1
      switch byte {
      case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
      case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
      case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
      case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
      case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
      default:
        out.append(contentsOf: Array("\\u00".utf8))
        out.append(hex[Int(byte >> 4)])
        out.append(hex[Int(byte & 0xF)])
      }
    }
    out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[run...]))
  }
}

// MARK: - Parsing

/// Why a JSON text could not be read, with the byte offset where it went wrong.
public struct JSONParseError: Error, CustomStringConvertible, Sendable {
  /// Where parsing stopped, in bytes from the start of the text (0 for the first).
  public let offset: Int
  /// What was wrong there, such as `invalid number`.
  public let reason: String
  /// The reason and its byte offset, in one line.
  public var description: String { "\(reason) at byte \(offset)" }
}

extension JSON {
  /// Parses a complete JSON text (RFC 8259).
  public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSON {
    try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) in
      var parser = JSONParser(bytes: buffer)
      let value = try parser.value(depth: 0)
      parser.skipSpace()
      guard parser.index == buffer.count else { throw parser.fail("unexpected text after the document") }
      return value
    }
  }

  /// Parses a complete JSON text (RFC 8259) given as a string.
  public static func parse(_ text: String) throws(JSONParseError) -> JSON { try parse(Array(text.utf8)) }
}

private struct JSONParser {
  let bytes: UnsafeBufferPointer<UInt8>
  var index = 0

  init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

  func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

  mutating func skipSpace() {
    while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
  }

  mutating func value(depth: Int) throws(JSONParseError) -> JSON {
    guard depth < 512 else { throw fail("nesting too deep") }
    skipSpace()
    guard index < bytes.count else { throw fail("unexpected end of text") }
    switch bytes[index] {
    case UInt8(ascii: "{"): return try object(depth: depth)
    case UInt8(ascii: "["): return try array(depth: depth)
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"):
      try literal("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try literal("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try literal("null")
      return .null
    default: return try number()
    }
  }

  mutating func literal(_ word: StaticString) throws(JSONParseError) {
    let count = word.utf8CodeUnitCount
    guard index + count <= bytes.count else { throw fail("unexpected end of text") }
    for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
      throw fail("invalid literal")
    }
    index += count
  }

  mutating func object(depth: Int) throws(JSONParseError) -> JSON {
    index += 1
    var fields: [String: JSON] = [:]
    skipSpace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
      index += 1
      return .object(fields)
    }
    while true {
      skipSpace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
      let key = try string()
      skipSpace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
      // A key given twice could mean either value: refused, never resolved silently.
      guard fields[key] == nil else { throw fail("the key \"\(key)\" appears twice") }
      index += 1
      fields[key] = try value(depth: depth + 1)
      skipSpace()
      guard index < bytes.count else { throw fail("unexpected end of text") }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
      } else if bytes[index] == UInt8(ascii: "}") {
        index += 1
        return .object(fields)
      } else {
        throw fail("expected ',' or '}'")
      }
    }
  }

  mutating func array(depth: Int) throws(JSONParseError) -> JSON {
    index += 1
    var items: [JSON] = []
    skipSpace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
      index += 1
      return .array(items)
    }
    while true {
      items.append(try value(depth: depth + 1))
      skipSpace()
      guard index < bytes.count else { throw fail("unexpected end of text") }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
      } else if bytes[index] == UInt8(ascii: "]") {
        index += 1
        return .array(items)
      } else {
        throw fail("expected ',' or ']'")
      }
    }
  }

  mutating func string() throws(JSONParseError) -> String {
    index += 1
    let start = index
    // Fast path: no escapes.
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        index += 1
        return s
      }
      if byte == UInt8(ascii: "\\") { break }
      if byte < 0x20 { throw fail("control character in string") }
      index += 1
    }
    var out = Array(bytes[start..<index])
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        index += 1
        return String(decoding: out, as: UTF8.self)
      }
      if byte < 0x20 { throw fail("control character in string") }
      if byte != UInt8(ascii: "\\") {
        out.append(byte)
        index += 1
        continue
      }
      index += 1
      guard index < bytes.count else { break }
      let escape = bytes[index]
      index += 1
      switch escape {
      case UInt8(ascii: "\""): out.append(0x22)
      case UInt8(ascii: "\\"): out.append(0x5C)
      case UInt8(ascii: "/"): out.append(0x2F)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "u"):
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar) {
          guard index + 1 < bytes.count, bytes[index] == 0x5C, bytes[index + 1] == UInt8(ascii: "u") else {
            throw fail("unpaired surrogate")
          }
          index += 2
          let low = try hex4()
          guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
        out.append(contentsOf: Array(String(Character(unicode)).utf8))
      default: throw fail("invalid escape")
      }
    }
    throw fail("unterminated string")
  }

  mutating func hex4() throws(JSONParseError) -> UInt32 {
    guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[index]
      let digit: UInt32
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
      default: throw fail("invalid \\u escape")
      }
      value = value * 16 + digit
      index += 1
    }
    return value
  }

  mutating func number() throws(JSONParseError) -> JSON {
    let start = index
    var isInteger = true
    if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
    let digitsStart = index
    while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
    guard index > digitsStart else { throw fail("unexpected character") }
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      isInteger = false
      index += 1
      while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
    }
    if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
      isInteger = false
      index += 1
      if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
      while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    if isInteger, let int = Int(text) { return .int(int) }
    guard let double = Double(text) else { throw fail("invalid number") }
    return .double(double)
  }
}
