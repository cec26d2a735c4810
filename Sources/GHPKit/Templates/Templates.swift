/// The templates ghp renders: a file of the same name under `.ghp/templates/` on the state branch
/// overrides the default embedded from the top-level `templates/` folder.
public enum Templates {
  /// The Markdown templates ghp renders, each overridable under `.ghp/templates/` on the state branch.
  public static let names = [
    "AGENTS.md", "escalation.md", "handoff.md", "leader-prompt.md", "manager-prompt.md", "reviewer-prompt.md",
    "worker-prompt.md",
  ]
  /// The page's templates (`ghp serve`, `ghp report --html`): always the embedded ones, never an
  /// override from the state branch, which agents write (see `DashboardPage`).
  public static let pages = ["dashboard.html", "page.html"]

  /// The template text for `name`, from the state branch if overridden there.
  public static func text(_ name: String, state: StateSnapshot?) throws(GHPError) -> String {
    if let state, let override = try state.text(".ghp/templates/\(name)") { return override }
    guard let text = Embedded.templates[name] else { throw .invalidValue("template name", "no template \(name)") }
    return text
  }

  /// The template `name` (overridden from `state` when it is there) rendered with `values`.
  public static func render(_ name: String, state: StateSnapshot?, _ values: [String: Any]) throws(GHPError) -> String {
    try TemplateRenderer.render(text(name, state: state), values)
  }
}
