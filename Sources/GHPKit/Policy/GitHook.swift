/// The git hooks ghp installs and answers (`ghp hook NAME`), by git's own names.
public enum GitHook: String, CaseIterable, Sendable {
  /// Refuses a commit that edits shared files without an approval or another agent's scope.
  case preCommit = "pre-commit"
  /// Adds the `Ghp-Agent`, `Ghp-Issue` and `Ghp-Epoch` trailers of the committing agent.
  case prepareCommitMessage = "prepare-commit-msg"
  /// Uses up the once-approvals the commit needed.
  case postCommit = "post-commit"
  /// Refuses a push of work made under a lost claim.
  case prePush = "pre-push"
  /// On a server: verifies what is pushed to `ghp/state`, as the pusher.
  case preReceive = "pre-receive"
  /// On a server: lands the operations agents push to `refs/ghp/ops/<agent>` (see `Sequencer`).
  case procReceive = "proc-receive"

  /// The hooks of a working repository.
  public static let client: [GitHook] = [.preCommit, .prepareCommitMessage, .postCommit, .prePush]
  /// The hooks of a server's bare repository.
  public static let server: [GitHook] = [.preReceive, .procReceive]

  /// What a refused hook says was not done.
  public var refusedWhat: String { self == .preCommit ? "committed" : "pushed" }
}
