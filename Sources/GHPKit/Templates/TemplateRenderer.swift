/// Renders ghp's Markdown templates with Mustache (`Mustache`, as plain text). Every string value is made inert first
/// (`Markdown.inert`): text an agent wrote cannot open a section of its own ("## Answer") or
/// carry HTML into the document.
public enum TemplateRenderer {
  /// The Mustache text `template` rendered as plain text with `values` made inert; a malformed template is an error.
  public static func render(_ template: String, _ values: [String: Any]) throws(GHPError) -> String {
    do {
      return try Mustache(template).render(inert(values), escaping: false)
    } catch {
      throw .invalidValue("template", "\(error)")
    }
  }

  static func inert(_ value: Any) -> Any {
    switch value {
    case let text as String: Markdown.inert(text)
    case let list as [Any]: list.map(inert)
    case let table as [String: Any]: table.mapValues(inert)
    default: value
    }
  }

  static func inert(_ values: [String: Any]) -> [String: Any] { values.mapValues(inert) }
}

/// Agent text inside ghp's Markdown documents.
public enum Markdown {
  /// `text` with what would change a document's structure escaped: a line that starts a heading
  /// (`#`), a setext underline (`===`, `---`), or a block quote gets a backslash; `<` and `>` become
  /// entities, so no HTML (a comment that would hide the rest, a tag) reaches the document.
  public static func inert(_ text: String) -> String {
    guard text.contains(where: { "#<>=-".contains($0) }) else { return text }
    return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
      var out = String(line).replacing("<", with: "&lt;").replacing(">", with: "&gt;")
      let trimmed = out.drop { $0 == " " || $0 == "\t" }
      let underline = trimmed.count >= 2 && (trimmed.allSatisfy { $0 == "=" } || trimmed.allSatisfy { $0 == "-" })
      if trimmed.hasPrefix("#") || underline || trimmed.hasPrefix("&gt;") {
        let indent = out.count - trimmed.count
        out = String(out.prefix(indent)) + "\\" + String(trimmed)
      }
      return out
    }.joined(separator: "\n")
  }
}
