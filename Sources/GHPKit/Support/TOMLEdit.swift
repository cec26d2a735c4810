/// Setting one key of a TOML file of ghp's shape (bare keys, `[table]` headers, one value a line),
/// keeping every other line as it is.
enum TOMLEdit {
  static func set(_ key: String, to value: String, in text: String) throws(GHPError) -> String {
    let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard (1...2).contains(parts.count),
      parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } })
    else {
      throw .invalidValue(
        "key '\(key)'", "use a setting name such as staleAfter or shared.globs (see `.ghp/config.toml`)")
    }
    do { _ = try TOML.parse("x = \(value)\n") } catch {
      throw .invalidValue("value \(value)", "it is not a TOML value (\(error.description)); quote text: '\"10m\"'")
    }
    let table = parts.count == 2 ? parts[0] : nil
    let name = parts.last!
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    var current: String?
    var tableEnd: Int?
    for (index, line) in lines.enumerated() {
      let trimmed = line.drop { $0 == " " || $0 == "\t" }
      if trimmed.hasPrefix("[") {
        if current == table && tableEnd == nil { tableEnd = index }
        current = String(trimmed.dropFirst().prefix { $0 != "]" }).trimmingSpaces
        continue
      }
      guard current == table, trimmed.hasPrefix(name) else { continue }
      let rest = trimmed.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }
      if rest.hasPrefix("=") {
        lines[index] = "\(name) = \(value)"
        return lines.joined(separator: "\n") + "\n"
      }
    }
    if current == table && tableEnd == nil { tableEnd = lines.count }
    if let tableEnd, table == nil || lines.contains(where: { $0.trimmingSpaces == "[\(table!)]" }) {
      // Top-level keys go before the first table; others at the end of their table.
      let at = table == nil ? (lines.firstIndex { $0.drop { $0 == " " }.hasPrefix("[") } ?? lines.count) : tableEnd
      var insertAt = at
      while insertAt > 0 && lines[insertAt - 1].trimmingSpaces.isEmpty { insertAt -= 1 }
      lines.insert("\(name) = \(value)", at: insertAt)
    } else if let table {
      lines += ["", "[\(table)]", "\(name) = \(value)"]
    } else {
      lines.append("\(name) = \(value)")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
