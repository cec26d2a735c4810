import Mustache

/// Renders ghp's Markdown templates with Mustache (no HTML escaping).
public enum TemplateRenderer {
  public static func render(_ template: String, _ values: [String: Any]) throws(GHPError) -> String {
    do {
      return try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + template).render(values)
    } catch {
      throw .invalidValue("template", "\(error)")
    }
  }
}
