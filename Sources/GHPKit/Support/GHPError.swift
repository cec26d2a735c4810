/// Everything ghp can fail with. Each case reads as one plain sentence that says what happened and
/// what to run next; the executable decides the exit code from `isRefusal`.
public enum GHPError: Error, CustomStringConvertible, Sendable {
  case notARepository(String)
  case notInitialised
  case alreadyInitialised(String)
  case noIdentity
  case invalidAgentName(String, String)
  case invalidIssueID(String, String)
  case unknownIssue(String)
  case unknownAgent(String, hint: String = "")
  case emptyText(String)
  case invalidValue(String, String)
  case invalidNow(String)
  case corruptDocument(path: String, commit: String, detail: String)
  case corruptConfig(commit: String, detail: String)
  /// A ref ghp reads is not what it must be (symbolic, or not at a commit): the state is broken.
  case corruptRef(String, String)
  /// Every number of a kind (issues, escalations, approvals) is taken.
  case exhausted(String)
  case staleRefLock(String)
  case refLocked(String)
  case contention(Int)
  /// A commit of `ghp/state` from `source` does not prove itself (see `Verifier`).
  case forged(commit: String, source: String, problem: String, more: Int)
  /// The writer lock stayed held past the bound.
  case writerBusy(path: String, holder: String, seconds: Int)
  /// `claim --next` found nothing ready (exit 4).
  case nothingReady
  /// Ready issues there are, but none the agent can do (exit 4, as `nothingReady`): what they need.
  case nothingReadyFor(agent: String, needed: String)
  case io(String)
  case git(GitError)
  /// Refused by the coordination rules (exit 3): the text names who or what stands in the way.
  case refused(String)
  /// A refusal with the facts behind it (`holder`, `since`, `epoch`, ...), for `--json` readers.
  case refusedWith(String, facts: [String: JSON])
  /// Stopped by SIGINT or SIGTERM (exit 130).
  case interrupted

  /// How a failure to reach the remote begins (the transport failed, timed out, or the connection
  /// was dropped; nothing was changed by it).
  static let cannotPush = "cannot push "
  static let cannotFetch = "cannot fetch "

  /// True when the remote could not be reached (fetching or pushing): a write that may succeed
  /// once the network is back, not a refusal.
  public var isUnreachable: Bool {
    guard case .io(let message) = self else { return false }
    return message.hasPrefix(Self.cannotPush) || message.hasPrefix(Self.cannotFetch)
  }

  /// True when the coordination rules refused the request (as opposed to a failure).
  public var isRefusal: Bool {
    switch self {
    case .refused, .refusedWith: true
    default: false
    }
  }

  /// A mistake in what was asked (a malformed or unknown name, an empty text, a bad value): the
  /// command is wrong, not the world, and running it again unchanged cannot help.
  public var isUsage: Bool {
    switch self {
    case .noIdentity, .invalidAgentName, .invalidIssueID, .unknownIssue, .unknownAgent, .emptyText, .invalidValue,
      .invalidNow:
      true
    default: false
    }
  }

  /// 1 failure, 2 usage, 3 refused by the coordination rules, 4 nothing ready.
  public var exitCode: Int32 {
    switch self {
    case .refused, .refusedWith: 3
    case .nothingReady, .nothingReadyFor: 4
    case .interrupted: 130
    default: isUsage ? 2 : 1
    }
  }

  /// A short name of the kind of error, for `--json` readers.
  public var kind: String {
    if isRefusal { return "refused" }
    if isUsage { return "usage" }
    switch self {
    case .nothingReady, .nothingReadyFor: return "nothing-ready"
    case .notInitialised, .notARepository: return "not-initialised"
    case .corruptDocument, .corruptConfig, .corruptRef, .forged: return "corrupt"
    case .interrupted: return "interrupted"
    default: return "failure"
    }
  }

  /// An error from a block that throws both libgit2's errors and ghp's own, as one `GHPError`:
  /// a `GitError` becomes `.git`, a `GHPError` stays itself, and anything else (never expected) is
  /// said as an I/O failure instead of ending the process.
  public static func bridging(_ error: any Error) -> GHPError {
    switch error {
    case let error as GHPError: error
    case let error as GitError: .git(error)
    default: .io("\(error)")
    }
  }

  /// The one JSON object a command prints on stdout for this error with `--json`.
  public var json: JSON {
    var facts: [String: JSON] = [:]
    if case .refusedWith(_, let given) = self { facts = given }
    return Self.json(error: description, code: exitCode, kind: kind, facts: facts)
  }

  /// The shape of every error a command prints with `--json`, ghp's own or the argument parser's.
  public static func json(error: String, code: Int32, kind: String, facts: [String: JSON] = [:]) -> JSON {
    var fields = facts
    fields["error"] = .string(error)
    fields["code"] = .int(Int(code))
    fields["kind"] = .string(kind)
    return .object(fields)
  }

  /// The one line a command prints for the error: what went wrong and, where there is one, what to run next.
  public var description: String {
    switch self {
    case .notARepository(let path):
      "not a git repository: \(path) (run ghp inside a repository, or pass -C PATH)"
    case .notInitialised:
      "ghp is not initialised in this repository: there is no ghp/state branch (run `ghp init --goal \"...\"`)"
    case .alreadyInitialised(let commit):
      "ghp is already initialised here (ghp/state is at \(commit)); use `ghp plan set` to change the plan"
    case .noIdentity:
      "who is acting? set one of: --agent NAME, GHP_AGENT=NAME, `git config ghp.agent NAME`, or work on a branch agent/NAME"
    case .invalidAgentName(let name, let reason):
      "invalid agent name '\(name)': \(reason) (use letters, digits, '.', '_' and '-', at most 64 characters)"
    case .invalidIssueID(let id, let reason):
      "invalid issue id '\(id)': \(reason)"
    case .unknownIssue(let id):
      "no issue #\(id) on ghp/state (see `ghp issue list`)"
    case .unknownAgent(let name, let hint):
      "no agent '\(name)' in .ghp/agent-status.json (\(hint)see `ghp agent-status`)"
    case .emptyText(let what):
      "\(what) is empty: give some text"
    case .invalidValue(let what, let detail):
      "invalid \(what): \(detail)"
    case .invalidNow(let text):
      "GHP_NOW is not an RFC 3339 time from 1970 on: '\(text)' (example: 2025-01-25T10:30:00Z; offsets up to ±23:59)"
    case .corruptDocument(let path, let commit, let detail):
      "\(path) at ghp/state \(commit) is not valid: \(detail); nothing was written (fix it on ghp/state, or revert the commit that broke it)"
    case .corruptConfig(let commit, let detail):
      ".ghp/config.toml at ghp/state \(commit) is not valid: \(detail); nothing was written (fix it on ghp/state)"
    case .corruptRef(let name, let detail):
      "invalid \(name): \(detail)"
    case .exhausted(let what):
      "\(what): no further number is free"
    case .staleRefLock(let path):
      "\(path) was left by a ghp writer that died, but it cannot be removed; remove it: rm '\(path)'"
    case .refLocked(let path):
      "\(path) is held by another process (a git command moving ghp/state), so nothing was written; ghp did not make it and leaves it alone: try again in a moment, and if no git command is running, remove it: rm '\(path)'"
    case .contention(let attempts):
      "ghp/state kept moving under this change (\(attempts) attempts); nothing was written, try again"
    case .forged(let commit, let source, let problem, let more):
      "refusing to build on \(source): commit \(commit.prefix(12)) \(problem)"
        + (more > 0 ? " (and \(more) more)" : "")
        + "; nothing was written (inspect it: `git show \(commit.prefix(12))`, `ghp verify`)"
    case .writerBusy(let path, let holder, let seconds):
      "another ghp writer (\(holder)) has held \(path) for over \(seconds) s; nothing was written (if that process is stuck, stop it and try again)"
    case .nothingReady:
      "nothing is ready: every open issue is claimed or waits on another (see `ghp issue list`)"
    case .nothingReadyFor(let agent, let needed):
      "nothing ready is for \(agent): \(needed); see `ghp ready --for \(agent)`"
    case .io(let detail):
      detail
    case .git(let error):
      error.description
    case .refused(let reason), .refusedWith(let reason, _):
      reason
    case .interrupted:
      "stopped by a signal; nothing half-done was recorded"
    }
  }
}
