/// What an agent needs at the start of a session, in one text: the prompt for its role, the issues it
/// holds, what it was told, and its questions still open. `ghp prompt session` prints it; the
/// Claude Code session-start hook (`ghp setup claude`) puts it into the agent's context.
public enum SessionContext {
  /// `told`: what the heartbeat of this session start told the agent (answers, lost claims, work
  /// sent back), shown under its own heading so that it is read first.
  public static func render(state: StateSnapshot, agent: String, told: [String]) throws(GHPError) -> String {
    let role = state.exists ? try state.role(of: agent) : .worker
    var text = try PromptRenderer.render(
      [.orchestrator: "leader-prompt.md", .manager: "manager-prompt.md", .reviewer: "reviewer-prompt.md"][role]
        ?? "worker-prompt.md", state: state, agent: agent)
    text = text.trimmingTrailingNewlines + "\n\n## Now\n\n"
    if !told.isEmpty {
      text += "Told at this session's start:\n" + told.map { "- \($0)\n" }.joined() + "\n"
    }
    let held =
      state.exists
      ? try state.allIssues().filter { $0.assignee == agent && ($0.status == .claimed || $0.status == .landing) } : []
    if held.isEmpty {
      text +=
        role == .orchestrator
        ? "You hold no issue. Start with `ghp status`.\n"
        : "You hold no issue. Take one with `ghp claim --next` (see `ghp ready`).\n"
    } else {
      for issue in held.sorted(by: { IssueID.precedes($0.id, $1.id) }) {
        let scope = issue.scope.isEmpty ? "" : ", scope " + issue.scope.joined(separator: " ")
        if issue.kind == .epic {
          let subs = try state.subIssues(of: issue.id)
          text += "You manage epic #\(issue.id) \(issue.title) (epoch \(issue.epoch)\(scope)): "
          text +=
            "\(subs.count { $0.status == .done }) of \(subs.count) sub-issues done; `ghp epic show \(issue.id)`.\n"
          continue
        }
        let epic = try issue.epic.flatMap { (id) throws(GHPError) in try state.issue(id) }
        let part = epic.map {
          " of epic #\($0.id)" + (StateSnapshot.manager(of: $0).map { ", managed by \($0)" } ?? "")
        }
        text +=
          "You hold #\(issue.id) \(issue.title) (\(issue.status.rawValue), epoch \(issue.epoch)\(scope)\(part ?? "")): "
        text += "`ghp issue show \(issue.id)`; check it with `ghp claim-check \(issue.id) --epoch \(issue.epoch)`.\n"
      }
    }
    let asked = state.exists ? try state.escalations().filter { $0.agent == agent } : []
    // A new session remembers nothing: answers about the work it holds are given again.
    let heldIDs = Set(held.map(\.id))
    for answered in asked where answered.status == .resolved && answered.issue.map(heldIDs.contains) == true {
      text +=
        "Answered (\(answered.id), #\(answered.issue ?? "")): \(answered.question) -> \(answered.answer ?? "")"
        + " (\(answered.answeredBy ?? "?")).\n"
    }
    for question in asked where question.status == .open {
      text +=
        "Your question \(question.id) waits for an answer: \(question.question) (`ghp escalations show \(question.id)`).\n"
    }
    return text
  }
}
