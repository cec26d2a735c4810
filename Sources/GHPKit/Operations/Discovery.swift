/// One entry of `.ghp/discoveries.md`.
public struct Discovery: Equatable, Sendable {
  /// The agent that wrote the entry.
  public var agent: String
  /// When it was written, in seconds since 1970.
  public var at: Int64
  /// The issue its writer held then, nil when none.
  public var issue: String?
  /// The finding, possibly several lines.
  public var text: String

  /// The entry as JSON, `at` in RFC 3339.
  public var json: JSON {
    .object([
      "agent": .string(agent), "discoveredAt": .string(RFC3339.format(at)), "issue": IssueReference.write(issue),
      "text": .string(text),
    ])
  }

  /// `### 2025-01-25T10:30:00Z worker-1 #3` then the text. A text line that would read as a heading
  /// gets a leading space, so entries always split where they were joined.
  var markdown: String {
    let body = text.split(separator: "\n", omittingEmptySubsequences: false).map {
      $0.hasPrefix("### ") ? " " + $0 : String($0)
    }.joined(separator: "\n")
    return "### \(RFC3339.format(at)) \(agent)" + (issue.map { " #\($0)" } ?? "") + "\n\(body)\n"
  }

  /// Every entry of the document, oldest first.
  public static func parse(_ document: String) -> [Discovery] {
    var out: [Discovery] = []
    var current: Discovery?
    var lines: [Substring] = []
    func flush() {
      guard var entry = current else { return }
      while let last = lines.last, last.isEmpty { lines.removeLast() }
      entry.text = lines.map { $0.hasPrefix(" ### ") ? String($0.dropFirst()) : String($0) }.joined(separator: "\n")
      out.append(entry)
    }
    for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("### ") {
        let words = line.dropFirst(4).split(separator: " ")
        if words.count >= 2, let at = RFC3339.parse(String(words[0])) {
          flush()
          let issue = words.count >= 3 && words[2].hasPrefix("#") ? String(words[2].dropFirst()) : nil
          current = Discovery(agent: String(words[1]), at: at, issue: issue, text: "")
          lines = []
          continue
        }
      }
      if current != nil { lines.append(line) }
    }
    flush()
    return out
  }
}
