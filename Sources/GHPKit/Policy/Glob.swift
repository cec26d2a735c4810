/// Path globs as scopes and shared-file rules use them, matched against the whole path from the
/// repository's top by git's own rules (wildmatch with `WM_PATHNAME`, as in `git ls-files
/// ':(glob)…'`): `*` and `?` stay within one folder; `**/` at the start or `/**/` in the middle
/// match zero or more folders, a trailing `/**` everything below, `**` alone everything; other
/// runs of stars are one `*`; `[a-z]`, `[!abc]`/`[^abc]`, `[[:digit:]]` and `\x` (a literal x).
public struct Glob: Sendable, Equatable {
  /// The glob as given, without leading `/` or `./`.
  public let pattern: String
  /// The pattern's bytes with a terminating 0, as the algorithm reads them.
  private let bytes: [UInt8]
  /// The literal prefix before the first special character, for a quick rejection.
  private let literalPrefix: [UInt8]

  /// A glob from its text; leading `/` and `./` are dropped, since paths are matched from the top anyway.
  public init(_ pattern: String) {
    var trimmed = pattern
    while trimmed.hasPrefix("/") { trimmed.removeFirst() }
    if trimmed.hasPrefix("./") { trimmed.removeFirst(2) }
    self.pattern = trimmed
    bytes = Array(trimmed.utf8) + [0]
    literalPrefix = Array(trimmed.utf8.prefix { !Self.isSpecial($0) })
  }

  /// Whether the whole of `path` (slash-separated, from the repository's top) matches the glob.
  public func matches(_ path: String) -> Bool {
    let text = Array(path.utf8)
    guard text.starts(with: literalPrefix), !text.contains(0) else { return false }
    return Self.match(bytes, 0, text + [0], 0) == .match
  }

  /// Whether every path `inner` matches is one this glob matches, as far as can be told without
  /// solving globs against each other: a literal path this glob matches, the same glob, or any
  /// glob under a folder whose every path this glob matches (`src/auth/**` holds
  /// `src/auth/*.swift`). Anything else is taken as not inside.
  public func contains(_ inner: Glob) -> Bool {
    if inner.pattern == pattern { return true }
    if !Self.isPattern(inner.pattern) { return matches(inner.pattern) }
    guard pattern == "**" || pattern.hasSuffix("/**") else { return false }
    let folder = pattern.dropLast(2)
    return !Self.isPattern(String(folder)) && inner.pattern.hasPrefix(folder)
  }

  /// Whether `text` is a pattern (it has `*`, `?`, `[` or `\\`) rather than one literal path.
  public static func isPattern(_ text: String) -> Bool { text.utf8.contains(where: isSpecial) }

  static func isSpecial(_ byte: UInt8) -> Bool { byte == star || byte == question || byte == open || byte == backslash }

  private enum Outcome { case match, noMatch, abortAll, abortToStarStar }

  private static let slash = UInt8(ascii: "/")
  private static let star = UInt8(ascii: "*")
  private static let question = UInt8(ascii: "?")
  private static let open = UInt8(ascii: "[")
  private static let close = UInt8(ascii: "]")
  private static let backslash = UInt8(ascii: "\\")

  /// A port of git's `dowild` (wildmatch.c) with `WM_PATHNAME`; `p` and `t` are 0-terminated.
  private static func match(_ p: [UInt8], _ start: Int, _ t: [UInt8], _ textStart: Int) -> Outcome {
    var pi = start
    var ti = textStart
    while p[pi] != 0 {
      var pc = p[pi]
      var tc = t[ti]
      if tc == 0 && pc != star { return .abortAll }
      switch pc {
      case backslash:
        pi += 1
        pc = p[pi]
        if tc != pc { return .noMatch }
      case question:
        if tc == slash { return .noMatch }
      case star:
        var matchSlash = false
        pi += 1
        if p[pi] == star {
          let before = pi - 2
          while p[pi] == star { pi += 1 }
          if (before < 0 || p[before] == slash)
            && (p[pi] == 0 || p[pi] == slash || (p[pi] == backslash && p[pi + 1] == slash))
          {
            // `**/` matches zero folders too: try the rest right here.
            if p[pi] == slash && match(p, pi + 1, t, ti) == .match { return .match }
            matchSlash = true
          }
        }
        if p[pi] == 0 {
          // A trailing `**` matches everything; a trailing `*` only what has no more slashes.
          if !matchSlash && t[ti...].contains(slash) { return .noMatch }
          return .match
        } else if !matchSlash && p[pi] == slash {
          // One `*` then a slash: the rest of this folder name.
          guard let next = t[ti...].firstIndex(of: slash) else { return .noMatch }
          ti = next
          break
        }
        while true {
          if tc == 0 { break }
          if !isSpecial(p[pi]) {
            // Skip ahead to the next place the literal after the star could start.
            let literal = p[pi]
            while t[ti] != 0 && (matchSlash || t[ti] != slash) {
              if t[ti] == literal { break }
              ti += 1
            }
            tc = t[ti]
            if tc != literal { return matchSlash ? .abortAll : .abortToStarStar }
          }
          let matched = match(p, pi, t, ti)
          if matched != .noMatch {
            if !matchSlash || matched != .abortToStarStar { return matched }
          } else if !matchSlash && tc == slash {
            return .abortToStarStar
          }
          ti += 1
          tc = t[ti]
        }
        return .abortAll
      case open:
        pi += 1
        pc = p[pi]
        let negated = pc == UInt8(ascii: "!") || pc == UInt8(ascii: "^")
        if negated {
          pi += 1
          pc = p[pi]
        }
        var previous: UInt8 = 0
        var matched = false
        repeat {
          if pc == 0 { return .abortAll }
          if pc == backslash {
            pi += 1
            pc = p[pi]
            if pc == 0 { return .abortAll }
            if tc == pc { matched = true }
          } else if pc == UInt8(ascii: "-") && previous != 0 && p[pi + 1] != 0 && p[pi + 1] != close {
            pi += 1
            pc = p[pi]
            if pc == backslash {
              pi += 1
              pc = p[pi]
              if pc == 0 { return .abortAll }
            }
            if tc <= pc && tc >= previous { matched = true }
            pc = 0
          } else if pc == open && p[pi + 1] == UInt8(ascii: ":") {
            let nameStart = pi + 2
            var end = nameStart
            while p[end] != 0 && p[end] != close { end += 1 }
            if p[end] == 0 { return .abortAll }
            if end - nameStart - 1 < 0 || p[end - 1] != UInt8(ascii: ":") {
              // No ":]": an ordinary '[' in the set.
              if tc == open { matched = true }
            } else {
              let name = String(decoding: p[nameStart..<(end - 1)], as: UTF8.self)
              guard let inClass = characterClass(name, tc) else { return .abortAll }
              if inClass { matched = true }
              pi = end
              pc = 0
            }
          } else if tc == pc {
            matched = true
          }
          previous = pc
          pi += 1
          pc = p[pi]
        } while pc != close
        if matched == negated || tc == slash { return .noMatch }
      default:
        if tc != pc { return .noMatch }
      }
      pi += 1
      ti += 1
    }
    return t[ti] == 0 ? .match : .noMatch
  }

  /// POSIX character classes, in the C locale; nil for a name git does not know.
  private static func characterClass(_ name: String, _ c: UInt8) -> Bool? {
    let s = Unicode.Scalar(c)
    let alpha =
      (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
    let digit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
    switch name {
    case "alnum": return alpha || digit
    case "alpha": return alpha
    case "blank": return c == 0x20 || c == 0x09
    case "cntrl": return c < 0x20 || c == 0x7F
    case "digit": return digit
    case "graph": return c > 0x20 && c < 0x7F
    case "lower": return (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c)
    case "print": return c >= 0x20 && c < 0x7F
    case "punct": return c > 0x20 && c < 0x7F && !alpha && !digit
    case "space": return [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D].contains(c)
    case "upper": return (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
    case "xdigit": return digit || "abcdefABCDEF".unicodeScalars.contains(s)
    default: return nil
    }
  }
}
