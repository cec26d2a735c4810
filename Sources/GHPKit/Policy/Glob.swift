/// Path globs as scopes and shared-file rules use them, matched against the whole path from the
/// repository's top: `*` and `?` stay within one folder, `**` spans folders (`Sources/Core/**`
/// is everything below `Sources/Core`), `[abc]` is one of the characters.
public struct Glob: Sendable, Equatable {
  public let pattern: String
  private let bytes: [UInt8]
  /// The literal prefix before the first wildcard, for a quick rejection.
  private let literalPrefix: [UInt8]

  public init(_ pattern: String) {
    var trimmed = pattern
    while trimmed.hasPrefix("/") { trimmed.removeFirst() }
    if trimmed.hasPrefix("./") { trimmed.removeFirst(2) }
    self.pattern = trimmed
    bytes = Array(trimmed.utf8)
    literalPrefix = Array(bytes.prefix { !"*?[".utf8.contains($0) })
  }

  public func matches(_ path: String) -> Bool {
    let target = Array(path.utf8)
    guard target.starts(with: literalPrefix) else { return false }
    return Self.match(bytes[...], target[...])
  }

  private static let slash = UInt8(ascii: "/")
  private static let star = UInt8(ascii: "*")

  private static func match(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
    var p = p
    var s = s
    while let c = p.first {
      if c == star {
        if p.dropFirst().first == star {
          // `**`: any number of folders. `a/**/b` also matches `a/b`; a trailing `**` matches all below.
          var rest = p.dropFirst(2)
          if rest.first == slash { rest = rest.dropFirst() }
          if rest.isEmpty { return true }
          var tail = s
          while true {
            if match(rest, tail) { return true }
            guard let next = tail.firstIndex(of: slash) else { return false }
            tail = tail[(next + 1)...]
          }
        }
        let rest = p.dropFirst()
        var tail = s
        while true {
          if match(rest, tail) { return true }
          guard let first = tail.first, first != slash else { return false }
          tail = tail.dropFirst()
        }
      }
      guard let d = s.first else { return false }
      switch c {
      case UInt8(ascii: "?"):
        if d == slash { return false }
      case UInt8(ascii: "["):
        guard let close = p.dropFirst().firstIndex(of: UInt8(ascii: "]")) else {
          if d != c { return false }
          break
        }
        var set = p[(p.startIndex + 1)..<close]
        let negate = set.first == UInt8(ascii: "!") || set.first == UInt8(ascii: "^")
        if negate { set = set.dropFirst() }
        var found = false
        var index = set.startIndex
        while index < set.endIndex {
          if index + 2 < set.endIndex, set[index + 1] == UInt8(ascii: "-") {
            if set[index] <= d && d <= set[index + 2] { found = true }
            index += 3
          } else {
            if set[index] == d { found = true }
            index += 1
          }
        }
        if found == negate || d == slash { return false }
        p = p[close...]
      default:
        if c != d { return false }
      }
      p = p.dropFirst()
      s = s.dropFirst()
    }
    return s.isEmpty
  }
}
