/// Mustache (mustache(5)) as ghp's templates use it: variables (escaped for HTML in the page,
/// verbatim in Markdown), sections and inverted sections over dictionaries, arrays, booleans and
/// values, dotted names and `{{.}}`, comments, partials, set delimiters, the `CONTENT_TYPE` pragma,
/// and the specification's standalone lines (a section, comment or partial tag alone on its line
/// takes the line with it).
///
/// ghp's own, because the library it used before imported full Foundation, which every command
/// then paid for at start-up. Lambdas, transforms and template inheritance, which ghp's templates
/// never used, are refused when a template is read, naming what is not supported.
struct Mustache: Sendable {
  indirect enum Node: Sendable {
    case text(String)
    case variable(Name, escaped: Bool)
    case section(Name, inverted: Bool, [Node])
    /// A partial, with the indentation of its standalone line (nil when it is not standalone).
    case partial(String, indentation: String?)
    /// A `CONTENT_TYPE` pragma: HTML (escaping) or TEXT for the rest of its list.
    case escaping(Bool)
  }

  /// A tag's name, split into its dotted parts once, when the template is read.
  struct Name: Sendable {
    /// Its dotted parts, empty ones left out.
    let parts: [String]
    /// `.` (the current context), `.a.b` (from the current context only), or `a.b` (its first part
    /// looked up from the innermost context out).
    let scope: Scope
    enum Scope: Sendable { case current, currentOnly, stack }

    init(_ text: String) {
      parts = text.split(separator: ".", omittingEmptySubsequences: true).map(String.init)
      scope = text == "." ? .current : text.hasPrefix(".") ? .currentOnly : .stack
    }
  }

  let nodes: [Node]

  /// Reads `source`; a malformed template is an error saying where.
  init(_ source: String) throws(MustacheError) {
    var parser = MustacheParser(Array(source.utf8))
    var newLine = true
    nodes = try parser.nodes(section: nil, newLine: &newLine)
  }

  /// The template rendered with `values`; `escaping` is true for HTML. `partials` are the
  /// templates `{{> name}}` finds (a partial not there renders as nothing).
  func render(_ values: [String: Any], escaping: Bool, partials: [String: Mustache] = [:]) -> String {
    var stack: [Any] = [values]
    return Self.render(nodes, stack: &stack, escaping: escaping, indentation: nil, partials: partials)
  }

  private static func render(
    _ nodes: [Node], stack: inout [Any], escaping: Bool, indentation: String?, partials: [String: Mustache]
  ) -> String {
    var out = ""
    var escaping = escaping
    for node in nodes {
      let piece: String
      switch node {
      case .text(let text):
        piece = text
      case .variable(let name, let escaped):
        guard let value = lookUp(name, in: stack) else { continue }
        let text = describe(value)
        piece = escaped && escaping ? htmlEscaped(text) : text
      case .section(let name, let inverted, let children):
        let value = lookUp(name, in: stack)
        // The section's nodes, with `context` (when there is one) innermost.
        func inner(_ context: Any?) -> String {
          if let context { stack.append(context) }
          defer { if context != nil { stack.removeLast() } }
          return render(children, stack: &stack, escaping: escaping, indentation: indentation, partials: partials)
        }
        if inverted {
          guard isFalsey(value) else { continue }
          piece = inner(nil)
        } else if let list = value as? [Any] {
          piece = list.map(inner).joined()
        } else if let flag = value as? Bool {
          guard flag else { continue }
          piece = inner(nil)
        } else if let value {
          piece = inner(value)
        } else {
          continue
        }
      case .partial(let name, let own):
        guard let partial = partials[name] else { continue }
        let combined = own.map { (indentation ?? "") + $0 } ?? indentation
        piece = render(partial.nodes, stack: &stack, escaping: true, indentation: combined, partials: partials)
      case .escaping(let html):
        escaping = html
        continue
      }
      // Inside an indented partial, every line it starts is indented too.
      if let indentation, !indentation.isEmpty, !piece.isEmpty, out.last == "\n" { out += indentation }
      out += piece
    }
    return out
  }

  /// Nothing, false and an empty list are false; everything else (an empty string, zero) is true.
  private static func isFalsey(_ value: Any?) -> Bool {
    switch value {
    case nil: true
    case let flag as Bool: !flag
    case let list as [Any]: list.isEmpty
    default: false
    }
  }

  /// `name` in the innermost context that has its first part, then down its dotted parts; `.` is
  /// the current context.
  private static func lookUp(_ name: Name, in stack: [Any]) -> Any? {
    if name.scope == .current { return stack.last }
    let parts = name.parts
    guard let first = parts.first else { return nil }
    var found: Any?
    if name.scope == .currentOnly {
      found = (stack.last as? [String: Any])?[first]
    } else {
      for context in stack.reversed() {
        if let table = context as? [String: Any], let value = table[first] {
          found = value
          break
        }
      }
    }
    for part in parts.dropFirst() {
      guard let table = found as? [String: Any] else { return nil }
      found = table[part]
    }
    return found
  }

  private static func describe(_ value: Any) -> String {
    switch value {
    case let text as String: text
    case let number as Int: String(number)
    default: String(describing: value)
    }
  }

  /// `&`, `<`, `>`, `"` and `'` as HTML entities.
  static func htmlEscaped(_ text: String) -> String {
    guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else {
      return text
    }
    return text.replacingScalars {
      switch $0 {
      case "&": "&amp;"
      case "<": "&lt;"
      case ">": "&gt;"
      case "\"": "&quot;"
      case "'": "&#39;"
      default: nil
      }
    }
  }
}

/// Why a template could not be read, and where.
struct MustacheError: Error, CustomStringConvertible, Sendable {
  var line: Int
  var detail: String
  var description: String { "line \(line): \(detail)" }
}

/// Reads a template's bytes into nodes, keeping the specification's whitespace rules.
struct MustacheParser {
  private let bytes: [UInt8]
  private var at = 0
  private var open: [UInt8] = Array("{{".utf8)
  private var close: [UInt8] = Array("}}".utf8)

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  private var atEnd: Bool { at >= bytes.count }

  private func error(_ detail: String) -> MustacheError {
    MustacheError(line: bytes[..<min(at, bytes.count)].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }, detail: detail)
  }

  private func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

  /// The length of the line break at `index` (`\n` or `\r\n`), or 0.
  private func lineBreak(at index: Int) -> Int {
    guard index < bytes.count else { return 0 }
    if bytes[index] == 0x0A { return 1 }
    if bytes[index] == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A { return 2 }
    return 0
  }

  private func starts(_ delimiter: [UInt8], at index: Int) -> Bool {
    index + delimiter.count <= bytes.count && bytes[index..<index + delimiter.count].elementsEqual(delimiter)
  }

  private mutating func skipBlanks() {
    while !atEnd, bytes[at] == 0x20 || bytes[at] == 0x09 { at += 1 }
  }

  private mutating func skipWhitespace() {
    while !atEnd, bytes[at] == 0x20 || bytes[at] == 0x09 || bytes[at] == 0x0A || bytes[at] == 0x0D { at += 1 }
  }

  /// True (and past the line break) when only blanks remain on this line.
  private mutating func lineFinished() -> Bool {
    if atEnd { return true }
    var index = at
    while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
    let length = lineBreak(at: index)
    guard length > 0 else { return false }
    at = index + length
    return true
  }

  /// The text up to the next tag or line break, and whether a tag follows (its opening delimiter
  /// then consumed).
  private mutating func textUntilTagOrLineBreak() -> (text: String, tag: Bool) {
    let start = at
    while !atEnd {
      if lineBreak(at: at) > 0 { return (text(start..<at), false) }
      if starts(open, at: at) {
        let end = at
        at += open.count
        return (text(start..<end), true)
      }
      at += 1
    }
    return (text(start..<at), false)
  }

  /// A tag's name up to its closing delimiter, which is consumed.
  private mutating func name() throws(MustacheError) -> String {
    skipWhitespace()
    let start = at
    while !atEnd, !starts(close, at: at), bytes[at] != 0x20, bytes[at] != 0x09, bytes[at] != 0x0A, bytes[at] != 0x0D {
      at += 1
    }
    let found = text(start..<at)
    skipWhitespace()
    guard starts(close, at: at) else {
      throw error("a tag is not closed with \(String(decoding: close, as: UTF8.self))")
    }
    at += close.count
    guard !found.isEmpty else { throw error("a tag has no name") }
    if found.contains("(") { throw error("transforms such as \(found) are not supported") }
    return found
  }

  /// Everything up to the closing delimiter, which is consumed.
  private mutating func untilClose() throws(MustacheError) -> String {
    let start = at
    while !atEnd, !starts(close, at: at) { at += 1 }
    guard !atEnd else { throw error("a tag is not closed") }
    let found = text(start..<at)
    at += close.count
    return found
  }

  /// The nodes up to the end of the template or of `section`, whose closing tag is consumed.
  /// `newLine` says whether the reading starts a line; on return, whether the closing tag did.
  mutating func nodes(section: String?, newLine: inout Bool) throws(MustacheError) -> [Mustache.Node] {
    var nodes: [Mustache.Node] = []
    var blanks = ""
    while !atEnd {
      if newLine {
        let start = at
        skipBlanks()
        blanks = text(start..<at)
      }
      let (text, tag) = textUntilTagOrLineBreak()
      if !tag, lineBreak(at: at) > 0 {
        let length = lineBreak(at: at)
        nodes.append(.text(blanks + text + self.text(at..<at + length)))
        at += length
        newLine = true
        continue
      }
      if !text.isEmpty {
        nodes.append(.text(blanks + text))
        blanks = ""
        newLine = false
      }
      guard tag else { break }
      guard !atEnd else { throw error("a tag is not closed") }
      var startsLine = false
      let sigil = bytes[at]
      switch sigil {
      case UInt8(ascii: "#"), UInt8(ascii: "^"):
        at += 1
        let name = try name()
        if newLine && lineFinished() {
          startsLine = true
        } else if !blanks.isEmpty {
          nodes.append(.text(blanks))
          blanks = ""
        }
        var inner = startsLine
        let children = try self.nodes(section: name, newLine: &inner)
        nodes.append(.section(Mustache.Name(name), inverted: sigil == UInt8(ascii: "^"), children))
      case UInt8(ascii: "/"):
        at += 1
        let name = try name()
        guard name == section else {
          throw error(section.map { "{{/\(name)}} closes {{#\($0)}}" } ?? "{{/\(name)}} closes no section")
        }
        if !(newLine && lineFinished()) && !blanks.isEmpty { nodes.append(.text(blanks)) }
        return nodes
      case UInt8(ascii: "!"):
        at += 1
        _ = try untilClose()
        startsLine = newLine && lineFinished()
      case UInt8(ascii: "{"), UInt8(ascii: "&"):
        if !blanks.isEmpty {
          nodes.append(.text(blanks))
          blanks = ""
        }
        at += 1
        let name = try name()
        if sigil == UInt8(ascii: "{") {
          guard !atEnd, bytes[at] == UInt8(ascii: "}") else { throw error("{{{\(name)}} is not closed with }}}") }
          at += 1
        }
        nodes.append(.variable(Mustache.Name(name), escaped: false))
      case UInt8(ascii: ">"):
        at += 1
        let name = try name()
        if !blanks.isEmpty { nodes.append(.text(blanks)) }
        if newLine && lineFinished() {
          startsLine = true
          nodes.append(.partial(name, indentation: blanks))
        } else {
          nodes.append(.partial(name, indentation: nil))
        }
        blanks = ""
      case UInt8(ascii: "="):
        at += 1
        let inside = try untilClose()
        guard inside.hasSuffix("=") else { throw error("a set-delimiter tag does not end in =") }
        let parts = inside.dropLast().split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2 else { throw error("a set-delimiter tag needs two delimiters") }
        open = Array(parts[0].utf8)
        close = Array(parts[1].utf8)
        startsLine = newLine && lineFinished()
      case UInt8(ascii: "%"):
        at += 1
        let pragma = try untilClose().split(separator: ":").map { String($0).trimmingSpaces }
        if pragma.count == 2, pragma[0] == "CONTENT_TYPE" {
          guard pragma[1] == "TEXT" || pragma[1] == "HTML" else { throw error("no content type \(pragma[1])") }
          nodes.append(.escaping(pragma[1] == "HTML"))
        }
        startsLine = newLine && lineFinished()
      case UInt8(ascii: "<"), UInt8(ascii: "$"):
        throw error("template inheritance ({{\(String(UnicodeScalar(sigil)))…}}) is not supported")
      default:
        if !blanks.isEmpty {
          nodes.append(.text(blanks))
          blanks = ""
        }
        nodes.append(.variable(Mustache.Name(try name()), escaped: true))
      }
      newLine = startsLine
    }
    if let section { throw error("{{#\(section)}} is not closed") }
    return nodes
  }
}
