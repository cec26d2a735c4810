/// A unified diff of two small texts (configuration files), for `ghp setup --dry-run`.
public enum TextDiff {
  private enum Edit: Equatable {
    case same(String)
    case removed(String)
    case added(String)
  }

  /// `--- a/path`, `+++ b/path` and `@@` hunks with three lines of context; empty when equal.
  /// A missing `before` reads as an empty file (shown as /dev/null).
  public static func unified(path: String, before: String?, after: String) -> String {
    let old = lines(before ?? "")
    let new = lines(after)
    guard old != new else { return "" }
    let edits = script(old, new)
    var out = "--- \(before == nil ? "/dev/null" : "a/" + path)\n+++ b/\(path)\n"
    // Group edits into hunks: each change with up to three unchanged lines either side.
    var index = 0
    var oldLine = 1
    var newLine = 1
    var positions: [(old: Int, new: Int)] = []
    for edit in edits {
      positions.append((oldLine, newLine))
      switch edit {
      case .same:
        oldLine += 1
        newLine += 1
      case .removed: oldLine += 1
      case .added: newLine += 1
      }
    }
    while index < edits.count {
      if case .same = edits[index] {
        index += 1
        continue
      }
      let start = max(0, index - 3)
      // The hunk runs to its last change that is fewer than seven unchanged lines from the one before.
      var end = index + 1
      var next = index + 1
      var unchanged = 0
      while next < edits.count {
        if case .same = edits[next] {
          unchanged += 1
          if unchanged > 6 { break }
        } else {
          unchanged = 0
          end = next + 1
        }
        next += 1
      }
      end = min(edits.count, end + 3)
      let slice = edits[start..<end]
      let oldCount = slice.filter { if case .added = $0 { false } else { true } }.count
      let newCount = slice.filter { if case .removed = $0 { false } else { true } }.count
      out += "@@ -\(oldCount == 0 ? positions[start].old - 1 : positions[start].old),\(oldCount) "
      out += "+\(newCount == 0 ? positions[start].new - 1 : positions[start].new),\(newCount) @@\n"
      for edit in slice {
        switch edit {
        case .same(let text): out += " \(text)\n"
        case .removed(let text): out += "-\(text)\n"
        case .added(let text): out += "+\(text)\n"
        }
      }
      index = end
    }
    return out
  }

  private static func lines(_ text: String) -> [String] {
    var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if parts.last == "" { parts.removeLast() }
    return parts
  }

  /// The shortest edit script by longest common subsequence (files here are a few hundred lines).
  private static func script(_ a: [String], _ b: [String]) -> [Edit] {
    var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in stride(from: a.count - 1, through: 0, by: -1) {
      for j in stride(from: b.count - 1, through: 0, by: -1) {
        table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
      }
    }
    var edits: [Edit] = []
    var i = 0
    var j = 0
    while i < a.count || j < b.count {
      if i < a.count, j < b.count, a[i] == b[j] {
        edits.append(.same(a[i]))
        i += 1
        j += 1
      } else if j < b.count, i == a.count || table[i][j + 1] >= table[i + 1][j] {
        edits.append(.added(b[j]))
        j += 1
      } else {
        edits.append(.removed(a[i]))
        i += 1
      }
    }
    return edits
  }
}
