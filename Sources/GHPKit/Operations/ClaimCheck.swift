extension Issue {
  /// Why `agent` may not act on this issue, naming who holds it, since when, and — for an agent
  /// whose claim was taken away — when and by whom.
  func refusal(for agent: String, action: String) -> GHPError {
    // "release it", "mark it done": the object where English puts it.
    let phrase = action.contains(" it") ? action : action + " it"
    if lastReleasedFrom == agent, let release = lastRelease, status != .claimed || assignee != agent {
      let now =
        status == .claimed
        ? "now held by \(assignee ?? "?") (epoch \(epoch))" : "now \(status.rawValue) (epoch \(epoch))"
      var facts = holderFacts(self)
      facts["releasedBy"] = .string(release.by)
      facts["releasedAt"] = .string(RFC3339.format(release.at))
      facts["yourEpoch"] = .int(release.epoch)
      return .refusedWith(
        "your claim on #\(id) (epoch \(release.epoch)) was released by \(release.by) at \(RFC3339.format(release.at))"
          + (release.reason.isEmpty ? "" : " (\(release.reason))") + "; it is \(now); do not \(phrase)",
        facts: facts)
    }
    if status == .claimed {
      return .refusedWith(
        "\(holderDescription(self)), not by \(agent): you may not \(phrase)", facts: holderFacts(self))
    }
    return .refusedWith(
      "#\(id) is \(status.rawValue), not held by \(agent): claim it first (`ghp claim \(id)`)", facts: holderFacts(self)
    )
  }
}

/// `ghp claim-check <issue> --epoch N`: does the caller still hold the issue at that epoch? For hooks
/// and scripts that must not land work from a holder whose claim was taken away.
public enum ClaimCheck {
  /// The issue when `agent` holds it at `epoch`; otherwise refused, naming the holder or the
  /// newer epoch.
  public static func check(_ state: StateSnapshot, issueID: String, epoch: Int, agent: String) throws(GHPError) -> Issue
  {
    try state.requireInitialised()
    let issue = try state.requireIssue(issueID)
    guard issue.status == .claimed, issue.assignee == agent else {
      throw issue.refusal(for: agent, action: "work on")
    }
    guard issue.epoch == epoch else {
      throw .refused(
        "#\(issue.id) is at epoch \(issue.epoch), not \(epoch): the claim changed hands since that work began (it is \(agent)'s again, but under a newer claim)"
      )
    }
    return issue
  }
}
