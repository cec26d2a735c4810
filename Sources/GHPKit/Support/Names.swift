/// Agent names become parts of ref names (`agent/<name>`) and paths, so only a safe subset is accepted.
public enum AgentName {
  /// The longest agent name, in bytes.
  public static let maximumLength = 64

  /// Returns the name if it is valid, else throws `GHPError.invalidAgentName` with the reason.
  @discardableResult
  public static func validate(_ name: String) throws(GHPError) -> String {
    func refuse(_ reason: String) -> GHPError { .invalidAgentName(name, reason) }
    if name.isEmpty { throw refuse("it is empty") }
    if name.utf8.count > maximumLength { throw refuse("it is longer than \(maximumLength) characters") }
    try validateRefComponent(name, refuse: refuse)
    return name
  }

  /// A ref-safe name made from free text such as `user.name` ("Jane Doe" -> "jane-doe"), or nil.
  public static func slug(_ text: String) -> String? {
    var out = ""
    var lastWasDash = true
    for scalar in text.lowercased().unicodeScalars {
      if scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)) {
        out.unicodeScalars.append(scalar)
        lastWasDash = false
      } else if !lastWasDash {
        out += "-"
        lastWasDash = true
      }
    }
    while out.hasSuffix("-") { out.removeLast() }
    let slug = String(out.prefix(maximumLength))
    return (try? validate(slug)) == nil ? nil : slug
  }
}

/// Issue ids are `1`, `2`, ... or imported ids such as `task-001`; they name files under `.ghp/issues/`.
public enum IssueID {
  /// Returns the id without a leading `#` if it is valid, else throws `GHPError.invalidIssueID` with the reason.
  @discardableResult
  public static func validate(_ id: String) throws(GHPError) -> String {
    func refuse(_ reason: String) -> GHPError { .invalidIssueID(id, reason) }
    var trimmed = id
    if trimmed.hasPrefix("#") { trimmed.removeFirst() }
    if trimmed.isEmpty { throw refuse("it is empty") }
    if trimmed.utf8.count > 64 { throw refuse("it is longer than 64 characters") }
    try validateRefComponent(trimmed, refuse: refuse)
    return trimmed
  }

  /// Orders ids numerically where both are numbers (dotted ones part by part), else by text.
  public static func precedes(_ a: String, _ b: String) -> Bool {
    let (x, y) = (Int(a), Int(b))
    if let x, let y { return x < y }
    // An attempt (`12.2`) comes after its issue (`12`) and before the next (`13`).
    let dot = UInt8(ascii: ".")
    if a.utf8.contains(dot) || b.utf8.contains(dot) {
      let (p, q) = (a.split(separator: ".").map { Int($0) }, b.split(separator: ".").map { Int($0) })
      if !p.contains(nil) && !q.contains(nil) {
        return p.compactMap { $0 }.lexicographicallyPrecedes(q.compactMap { $0 })
      }
    }
    return switch (x, y) {
    case (.some, nil): true
    case (nil, .some): false
    default: a < b
    }
  }
}

/// Branch names ghp moves or reads (`landing.base`): `/`-separated parts, each a safe ref component.
public enum BranchName {
  /// Returns the name if it is valid, else throws `GHPError.invalidValue` with the reason.
  @discardableResult
  public static func validate(_ name: String) throws(GHPError) -> String {
    func refuse(_ reason: String) -> GHPError { .invalidValue("branch name '\(name)'", reason) }
    if name.isEmpty { throw refuse("it is empty") }
    if name.utf8.count > 200 { throw refuse("it is longer than 200 characters") }
    for part in name.split(separator: "/", omittingEmptySubsequences: false) {
      if part.isEmpty { throw refuse("it has an empty part") }
      try validateRefComponent(String(part), refuse: refuse)
    }
    return name
  }

  /// A file-name-safe form (`release/1.0` -> `release-1.0`).
  static func flat(_ name: String) -> String { String(name.map { $0 == "/" ? "-" : $0 }) }
}

/// git's ref-format rules for one path component, plus ghp's stricter character set.
private func validateRefComponent(_ text: String, refuse: (String) -> GHPError) throws(GHPError) {
  for scalar in text.unicodeScalars {
    let ok =
      scalar.isASCII
      && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar))
    if !ok {
      if scalar == "/" { throw refuse("it contains '/'") }
      if scalar == " " { throw refuse("it contains a space") }
      if scalar.value < 0x20 || scalar.value == 0x7F { throw refuse("it contains a control character") }
      throw refuse("it contains '\(scalar)'")
    }
  }
  if text.hasPrefix(".") { throw refuse("it starts with '.'") }
  if text.hasPrefix("-") { throw refuse("it starts with '-'") }
  if text.contains("..") { throw refuse("it contains '..'") }
  if text.hasSuffix(".lock") { throw refuse("it ends with '.lock'") }
  if text.hasSuffix(".") { throw refuse("it ends with '.'") }
}

/// How much text each field takes: enough for any honest use, bounded so that one careless agent
/// cannot bloat every later commit and document (the state is read by every command).
public enum TextLimit {
  /// Bytes of an issue title or a host name.
  public static let title = 300
  /// Bytes of a status's last action or an approval's note.
  public static let action = 1_000
  /// Bytes of a reason, an answer, or a run's summary, last action or agent command.
  public static let note = 16 * 1024
  /// Bytes of an escalation's question.
  public static let question = 8 * 1024
  /// Bytes of a long text: an issue body, a result, an escalation's context, a run's goal.
  public static let long = 64 * 1024
  /// Bytes of the plan.
  public static let plan = 1024 * 1024

  /// Fails when `text` is longer than `limit` bytes, saying how long it is and what to do.
  public static func check(_ text: String?, _ what: String, _ limit: Int) throws(GHPError) {
    guard let text, text.utf8.count > limit else { return }
    throw .invalidValue(
      what,
      "it is \(text.utf8.count) bytes, more than the \(limit) ghp takes; shorten it (a long text belongs in a file in the repository, named here)"
    )
  }
}

/// Levenshtein distance, for "did you mean" suggestions.
public enum EditDistance {
  /// "did you mean a or b? " for up to three close names (followed by the rest of the sentence),
  /// or "" when none is close.
  public static func didYouMean(_ close: [String]) -> String {
    close.isEmpty ? "" : "did you mean \(close.prefix(3).joined(separator: " or "))? "
  }

  /// The fewest single-character insertions, deletions and substitutions that turn `a` into `b`.
  public static func between(_ a: String, _ b: String) -> Int {
    let x = Array(a)
    let y = Array(b)
    guard !x.isEmpty else { return y.count }
    guard !y.isEmpty else { return x.count }
    var previous = Array(0...y.count)
    for i in 1...x.count {
      var current = [i] + Array(repeating: 0, count: y.count)
      for j in 1...y.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return previous[y.count]
  }
}

/// What an agent can do and an issue needs (`swift`, `docs`, `codex`): lowercase letters, digits,
/// `-` and `_`, starting with a letter or digit, at most 32 bytes (so `commands.<capability>` is a
/// key of the policy).
public enum Capability {
  /// The words of `texts` (each may hold several, split at commas), sorted and each once; refuses
  /// a malformed one naming it.
  public static func parse(_ texts: [String]) throws(GHPError) -> [String] {
    let words = texts.flatMap { $0.split(separator: ",").map { String($0).trimmingSpaces } }.filter { !$0.isEmpty }
    try validate(words)
    return Array(Set(words)).sorted()
  }

  /// A document's list of capabilities, nil when it is not one.
  static func read(_ value: JSON) -> [String]? {
    guard let items = value.arrayValue else { return nil }
    let words = items.compactMap(\.stringValue)
    guard words.count == items.count, (try? validate(words)) != nil else { return nil }
    return words
  }

  /// Refuses a word that is not a capability.
  public static func validate(_ words: [String]) throws(GHPError) {
    for word in words {
      let bytes = Array(word.utf8)
      let allowed = bytes.allSatisfy {
        ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
          || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
      }
      guard !bytes.isEmpty, bytes.count <= 32, allowed, bytes[0] != UInt8(ascii: "-"), bytes[0] != UInt8(ascii: "_")
      else {
        throw .invalidValue(
          "capability", "'\(word)' must be 1 to 32 lowercase letters, digits, '-' or '_', from a letter or digit")
      }
    }
  }
}
