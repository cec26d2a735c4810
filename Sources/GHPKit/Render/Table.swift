/// Plain-text tables for people: columns padded to their widest cell, the last column left ragged.
public enum TextTable {
  public static func render(header: [String], rows: [[String]]) -> String {
    let all = [header] + rows
    var widths = [Int](repeating: 0, count: header.count)
    for row in all {
      for (index, cell) in row.enumerated() where index < widths.count {
        widths[index] = max(widths[index], cell.count)
      }
    }
    return all.map { row in
      row.enumerated().map { index, cell in
        index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
      }.joined(separator: "  ")
    }.joined(separator: "\n") + "\n"
  }

  /// Cuts `text` to `width` characters, marking the cut with an ellipsis; newlines become spaces.
  public static func clip(_ text: String, _ width: Int) -> String {
    let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
    return flat.count <= width ? flat : String(flat.prefix(width - 1)) + "…"
  }
}

extension StatusReport {
  /// The table a person reads: stale agents first, each marked.
  public func table() -> String {
    if rows.isEmpty { return "No agents yet.\n" }
    let ordered = rows.sorted { ($0.stale ? 0 : 1, $0.name) < ($1.stale ? 0 : 1, $1.name) }
    let body = ordered.map { row in
      [
        row.name, row.record.role.rawValue, row.record.issue.map { "#\($0)" } ?? "-", row.record.status,
        Duration.describe(row.age), row.stale ? "STALE" : "", TextTable.clip(row.record.lastAction, 60),
      ]
    }
    let staleCount = rows.filter(\.stale).count
    let footer =
      staleCount == 0
      ? ""
      : "\(staleCount) stale (no heartbeat for more than \(Duration.describe(staleAfter))): an orchestrator runs `ghp reap`\n"
    return TextTable.render(header: ["AGENT", "ROLE", "ISSUE", "STATUS", "AGE", "", "LAST ACTION"], rows: body) + footer
  }
}

extension LogEntry {
  /// One line: short commit, time, subject.
  public var line: String { "\(commit.short)  \(RFC3339.format(time))  \(subject)" }
}
