/// A reader for the part of TOML that `.ghp/config.toml` uses: `[table]` headers, `key = value`
/// with strings (basic and literal), integers, booleans and arrays of those (over several lines
/// too), and comments. Anything else is an error naming the line, never a silent guess.
public enum TOML {
  /// A value of the TOML subset: a string, an integer, a boolean or an array of those.
  public enum Value: Equatable, Sendable {
    case string(String)
    case integer(Int64)
    case boolean(Bool)
    case array([Value])
  }

  /// Why a TOML text could not be read, with the line where it went wrong.
  public struct ParseError: Error, CustomStringConvertible, Sendable {
    /// The line of the error, 1 for the first.
    public let line: Int
    /// What was wrong on that line.
    public let reason: String
    /// The error as `line N: reason`.
    public var description: String { "line \(line): \(reason)" }
  }

  /// Parses a document into a flat map of dotted keys (`roles.orchestrators`) to values.
  public static func parse(_ text: String) throws(ParseError) -> [String: Value] {
    var result: [String: Value] = [:]
    var table = ""
    var scanner = Scanner(chars: Array(text.unicodeScalars))
    while !scanner.atEnd {
      scanner.skipBlank()
      if scanner.atEnd { break }
      let c = scanner.peek!
      if c == "\n" || c == "\r" {
        scanner.advance()
        continue
      }
      if c == "#" {
        scanner.skipToLineEnd()
        continue
      }
      if c == "[" {
        scanner.advance()
        scanner.skipBlank()
        table = try scanner.key()
        scanner.skipBlank()
        guard scanner.peek == "]" else { throw scanner.fail("expected ']' after the table name") }
        scanner.advance()
        try scanner.endOfLine()
        continue
      }
      let key = try scanner.key()
      scanner.skipBlank()
      guard scanner.peek == "=" else { throw scanner.fail("expected '=' after '\(key)'") }
      scanner.advance()
      scanner.skipBlank()
      let value = try scanner.value()
      try scanner.endOfLine()
      let full = table.isEmpty ? key : "\(table).\(key)"
      guard result[full] == nil else { throw scanner.fail("'\(full)' is defined twice") }
      result[full] = value
    }
    return result
  }

  /// Writes a TOML basic string.
  /// `s` as a TOML multi-line basic string (`"""` on lines of their own), readable where text runs
  /// over lines: backslashes and runs of three quotes escaped, other control characters as `\\uXXXX`.
  public static func multiline(_ s: String) -> String {
    var out = "\"\"\"\n"
    var quotes = 0
    for scalar in s.unicodeScalars {
      if scalar == "\"" {
        quotes += 1
        out += quotes == 3 ? "\\\"" : "\""
        if quotes == 3 { quotes = 0 }
        continue
      }
      quotes = 0
      switch scalar {
      case "\\": out += "\\\\"
      case "\n", "\t": out.unicodeScalars.append(scalar)
      case _ where scalar.value < 0x20 || scalar.value == 0x7f:
        out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\n\"\"\""
  }

  public static func quote(_ s: String) -> String {
    let escaped = s.replacingScalars {
      switch $0 {
      case "\"": "\\\""
      case "\\": "\\\\"
      case "\n": "\\n"
      case "\t": "\\t"
      case "\r": "\\r"
      default: nil
      }
    }
    return "\"" + escaped + "\""
  }

  private struct Scanner {
    let chars: [Unicode.Scalar]
    var index = 0
    var line = 1

    var atEnd: Bool { index >= chars.count }
    var peek: Unicode.Scalar? { index < chars.count ? chars[index] : nil }

    mutating func advance() {
      if chars[index] == "\n" { line += 1 }
      index += 1
    }

    func fail(_ reason: String) -> ParseError { ParseError(line: line, reason: reason) }

    mutating func skipBlank() {
      while let c = peek, c == " " || c == "\t" { advance() }
    }

    mutating func skipToLineEnd() {
      while let c = peek, c != "\n" { advance() }
    }

    /// After a value: blanks, an optional comment, then the end of the line.
    mutating func endOfLine() throws(ParseError) {
      skipBlank()
      if peek == "#" { skipToLineEnd() }
      if peek == "\r" { advance() }
      guard atEnd || peek == "\n" else { throw fail("unexpected text after the value") }
    }

    mutating func key() throws(ParseError) -> String {
      var parts: [String] = []
      repeat {
        if !parts.isEmpty {
          advance()
          skipBlank()
        }
        if peek == "\"" {
          parts.append(try basicString())
        } else {
          var name = ""
          while let c = peek, c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-" {
            name.unicodeScalars.append(c)
            advance()
          }
          guard !name.isEmpty else { throw fail("expected a key") }
          parts.append(name)
        }
        skipBlank()
      } while peek == "."
      return parts.joined(separator: ".")
    }

    mutating func value() throws(ParseError) -> Value {
      guard let c = peek else { throw fail("expected a value") }
      switch c {
      case "\"": return .string(try basicString())
      case "'": return .string(try literalString())
      case "[": return try array()
      case "t", "f":
        var word = ""
        while let c = peek, c.properties.isAlphabetic {
          word.unicodeScalars.append(c)
          advance()
        }
        guard word == "true" || word == "false" else { throw fail("expected true or false, found '\(word)'") }
        return .boolean(word == "true")
      default:
        var text = ""
        while let c = peek, ("0"..."9").contains(c) || c == "-" || c == "+" || c == "_" {
          if c != "_" { text.unicodeScalars.append(c) }
          advance()
        }
        guard let number = Int64(text) else { throw fail("expected a string, number, boolean or array") }
        return .integer(number)
      }
    }

    mutating func array() throws(ParseError) -> Value {
      advance()
      var items: [Value] = []
      while true {
        skipSpaceAndComments()
        guard let c = peek else { throw fail("unterminated array") }
        if c == "]" {
          advance()
          return .array(items)
        }
        items.append(try value())
        skipSpaceAndComments()
        if peek == "," {
          advance()
        } else if peek != "]" {
          throw fail("expected ',' or ']' in array")
        }
      }
    }

    mutating func skipSpaceAndComments() {
      while let c = peek {
        if c == " " || c == "\t" || c == "\n" || c == "\r" {
          advance()
        } else if c == "#" {
          skipToLineEnd()
        } else {
          return
        }
      }
    }

    mutating func literalString() throws(ParseError) -> String {
      advance()
      var out = ""
      while let c = peek, c != "'" {
        guard c != "\n" else { throw fail("unterminated string") }
        out.unicodeScalars.append(c)
        advance()
      }
      guard peek == "'" else { throw fail("unterminated string") }
      advance()
      return out
    }

    mutating func basicString() throws(ParseError) -> String {
      advance()
      var out = ""
      while let c = peek, c != "\"" {
        guard c != "\n" else { throw fail("unterminated string") }
        advance()
        guard c == "\\" else {
          out.unicodeScalars.append(c)
          continue
        }
        guard let e = peek else { throw fail("unterminated string") }
        advance()
        switch e {
        case "n": out += "\n"
        case "t": out += "\t"
        case "r": out += "\r"
        case "\"": out += "\""
        case "\\": out += "\\"
        case "u", "U":
          var hex = ""
          for _ in 0..<(e == "u" ? 4 : 8) {
            guard let h = peek else { throw fail("short unicode escape") }
            hex.unicodeScalars.append(h)
            advance()
          }
          guard let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
            throw fail("invalid unicode escape")
          }
          out.unicodeScalars.append(scalar)
        default: throw fail("invalid escape '\\\(e)'")
        }
      }
      guard peek == "\"" else { throw fail("unterminated string") }
      advance()
      return out
    }
  }
}

extension TOML.Value {
  /// The value as JSON.
  public var json: JSON {
    switch self {
    case .string(let text): .string(text)
    case .integer(let number): .int(Int(number))
    case .boolean(let flag): .bool(flag)
    case .array(let items): .array(items.map(\.json))
    }
  }

  /// The value as a person reads it: text bare, everything else as TOML.
  public var display: String {
    switch self {
    case .string(let text): text
    case .integer(let number): String(number)
    case .boolean(let flag): String(flag)
    case .array(let items):
      "[" + items.map { if case .string(let s) = $0 { TOML.quote(s) } else { $0.display } }.joined(separator: ", ")
        + "]"
    }
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

extension String {
  /// This text with each scalar `replacement` names replaced by what it returns.
  func replacingScalars(_ replacement: (Unicode.Scalar) -> String?) -> String {
    var out = ""
    out.reserveCapacity(utf8.count + 16)
    for scalar in unicodeScalars {
      if let replaced = replacement(scalar) { out += replaced } else { out.unicodeScalars.append(scalar) }
    }
    return out
  }
}
