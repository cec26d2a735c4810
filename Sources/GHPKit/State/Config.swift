/// The policy in `.ghp/config.toml` on the state branch. People edit this file; ghp only reads it
/// (and writes it once, at `ghp init`).
public struct Config: Equatable, Sendable {
  /// What `ghp reap` does with a stale agent: escalate to a human, or release its claims.
  public enum OnStale: String, Sendable, CaseIterable, RecordedWord { case escalate, release }
  /// What a write by a name no agent is registered under does: `refuse` it (a typo must not make an
  /// agent), or `register` the name by that write (as before this setting; the default when the
  /// key is absent, so older policies keep their behaviour). `ghp init` writes `refuse`.
  public enum UnknownAgents: String, Sendable { case refuse, register }

  /// Seconds without a heartbeat after which an agent is stale.
  public var staleAfter: Int64 = 600
  /// `ghp agent-heartbeat --auto` (what hooks call) commits at most once per this many seconds
  /// while nothing else changes.
  public var heartbeatMinimum: Int64 = 60
  /// Failed attempts after which an issue is dead.
  public var maxAttempts: Int = 3
  /// What `ghp reap` does with a stale agent (`onStale`); escalate when the key is absent.
  public var onStale: OnStale = .escalate
  /// What a write by an unregistered name does (`unknownAgents`); register when the key is absent.
  public var unknownAgents: UnknownAgents = .register
  /// The branch agent branches start from (`baseBranch`), and `[landing] base` when that names none.
  public var baseBranch: String = "main"
  /// Where agent worktrees are made (`worktreeRoot`): relative to the repository's top folder, or
  /// absolute, each as `<root>/<repository>-<agent>`; nil (the key absent) keeps them in one folder
  /// beside the repository, `../<repository>.worktrees/<agent>`.
  public var worktreeRoot: String?
  /// `[agent]`: what `ghp run` starts and the limits it enforces (`agentCommand` at the top is
  /// still read as `agent.command`).
  public var agent = AgentPolicy()
  /// Names that act as orchestrators besides those registered with that role.
  public var orchestrators: [String] = []
  /// Globs of files that agents edit only with an approval.
  public var sharedGlobs: [String] = ["README*", "Package.swift", ".ci/**", "hooks/**", "templates/**"]
  /// Whether the shared-file rule also binds orchestrators.
  public var sharedAppliesToOrchestrators = false
  /// Where the state is shared across machines (`ghp remote set`), or nil for local only.
  public var remote: String?
  /// On a shared server: which agents each pusher may act as (`[pushers] alice = ["w1", "w2"]`).
  /// A pusher not in the table may act only as the agent of its own name.
  public var pushers: [String: [String]] = [:]
  /// The environment variables a server's `pre-receive` reads the pusher from, first found wins.
  public var pusherVariables = ["GHP_PUSHER", "GL_USERNAME", "GITEA_PUSHER_NAME", "GL_USER", "REMOTE_USER"]
  /// On a shared server: how far ahead of the server's clock a pushed state commit may be dated
  /// (`[server] clockSkew`, default 5m); later is refused, so no agent dates itself out of staleness.
  public var clockSkew: Int64 = 300

  /// Whether every state commit must carry a valid SSH signature by its author's registered key
  /// (`[signing] required`), checked by `ghp verify`, remote mode, `sync` and `pre-receive`.
  public var signingRequired = false

  /// How work lands on the base branch (`[landing]`), or nil when it is not configured: then
  /// `ghp done` is the holder's word, as before.
  public var landing: LandingPolicy?

  /// The agents `pusher` may push as.
  public func agents(ofPusher pusher: String) -> [String] { pushers[pusher] ?? [pusher] }

  /// The defaults, as a state without `.ghp/config.toml` reads them.
  public init() {}

  /// Every key the policy reads (`pushers.<name>` besides), as `ghp config set` names them.
  public static let keys: [String] =
    [
      "staleAfter", "heartbeatMinimum", "maxAttempts", "onStale", "unknownAgents", "baseBranch", "worktreeRoot",
      "agentCommand", "roles.orchestrators", "shared.globs", "shared.appliesToOrchestrators", "remote.name",
      "signing.required", "server.pusherVariable", "server.clockSkew",
    ]
    + [
      "base", "gate", "timeout", "mode", "batch", "maxWait", "sandbox", "env", "network", "processes", "memory",
      "review", "vote", "score", "voters",
    ].map {
      "landing." + $0
    }
    + [
      "command", "taskTimeout", "grace", "lease", "maxWorkers", "maxAttempts", "backoff", "backoffMax", "breaker",
      "breakerWindow",
      "breakerCooldown", "budgetUSD", "budgetTokens", "runBudgetUSD", "runBudgetTokens", "env", "sandbox", "writable",
      "logLimit", "readable",
    ].map { "agent." + $0 }

  /// Refuses a key the policy does not read (a typo would be written and silently ignored), naming
  /// the closest ones.
  public static func requireKnown(_ key: String) throws(GHPError) {
    if keys.contains(key) || (key.hasPrefix("pushers.") && key.count > "pushers.".count) { return }
    if key.hasPrefix("commands."), (try? Capability.validate([String(key.dropFirst("commands.".count))])) != nil {
      return
    }
    let close = keys.filter { EditDistance.between($0.lowercased(), key.lowercased()) <= 2 || $0.hasSuffix("." + key) }
    let hint = EditDistance.didYouMean(close)
    throw .invalidValue("key '\(key)'", "the policy has no such setting; \(hint)see `ghp config list` for them all")
  }

  /// The policy `ghp init` writes: the defaults, with unknown agents refused.
  public static var initial: Config {
    var config = Config()
    config.unknownAgents = .refuse
    return config
  }

  /// Reads `.ghp/config.toml`, refusing a key of the wrong type or value with a sentence naming it.
  public init(toml text: String) throws(DocumentError) {
    let values: [String: TOML.Value]
    do { values = try TOML.parse(text) } catch { throw DocumentError(error.description) }
    func string(_ key: String) throws(DocumentError) -> String? {
      guard let value = values[key] else { return nil }
      guard case .string(let s) = value else { throw DocumentError("'\(key)' must be a string") }
      return s
    }
    func strings(_ key: String) throws(DocumentError) -> [String]? {
      guard let value = values[key] else { return nil }
      guard case .array(let items) = value else { throw DocumentError("'\(key)' must be a list of strings") }
      var out: [String] = []
      for item in items {
        guard case .string(let s) = item else { throw DocumentError("'\(key)' must be a list of strings") }
        out.append(s)
      }
      return out
    }
    if let value = values["staleAfter"] {
      switch value {
      case .integer(let seconds) where seconds > 0: staleAfter = seconds
      case .string(let text):
        guard let seconds = Duration.seconds(text), seconds > 0 else {
          throw DocumentError("'staleAfter' must be a duration such as \"10m\" or \"600s\"")
        }
        staleAfter = seconds
      default: throw DocumentError("'staleAfter' must be a duration such as \"10m\" or \"600s\"")
      }
    }
    /// A duration of 0 or more: seconds, or text such as "2m".
    func duration(_ key: String, example: String) throws(DocumentError) -> Int64? {
      guard let value = values[key] else { return nil }
      switch value {
      case .integer(let seconds) where seconds >= 0 && seconds <= Duration.maximum: return seconds
      case .string(let text): if let seconds = Duration.seconds(text) { return seconds }
      default: break
      }
      throw DocumentError("'\(key)' must be a duration such as \(example)")
    }
    heartbeatMinimum = try duration("heartbeatMinimum", example: "\"60s\" or \"2m\"") ?? heartbeatMinimum
    clockSkew = try duration("server.clockSkew", example: "\"5m\" or \"30s\"") ?? clockSkew
    for key in ["maxAttempts", "agent.maxAttempts"] {
      guard let value = values[key] else { continue }
      guard case .integer(let n) = value, n > 0, n <= Int64(Int32.max) else {
        throw DocumentError("'\(key)' must be a positive integer")
      }
      // `[agent] maxAttempts` is where `ghp run`'s users look for it: the same setting.
      if key == "agent.maxAttempts", values["maxAttempts"] != nil, Int(n) != maxAttempts {
        throw DocumentError("'agent.maxAttempts' and 'maxAttempts' are the same setting and disagree; keep one")
      }
      maxAttempts = Int(n)
    }
    if let text = try string("onStale") {
      guard let policy = OnStale(rawValue: text) else {
        throw DocumentError("'onStale' must be \"escalate\" or \"release\"")
      }
      onStale = policy
    }
    if let text = try string("unknownAgents") {
      guard let policy = UnknownAgents(rawValue: text) else {
        throw DocumentError("'unknownAgents' must be \"refuse\" or \"register\"")
      }
      unknownAgents = policy
    }
    baseBranch = try string("baseBranch") ?? baseBranch
    worktreeRoot = try string("worktreeRoot")
    agent = try AgentPolicy(values: values, legacyCommand: try string("agentCommand") ?? "")
    orchestrators = try strings("roles.orchestrators") ?? orchestrators
    sharedGlobs = try strings("shared.globs") ?? sharedGlobs
    if let value = values["shared.appliesToOrchestrators"] {
      guard case .boolean(let b) = value else {
        throw DocumentError("'shared.appliesToOrchestrators' must be true or false")
      }
      sharedAppliesToOrchestrators = b
    }
    remote = try string("remote.name").flatMap { $0.isEmpty ? nil : $0 }
    for (key, _) in values where key.hasPrefix("pushers.") {
      let pusher = String(key.dropFirst("pushers.".count))
      pushers[pusher] = try strings(key)
      for agent in pushers[pusher] ?? [] {
        guard (try? AgentName.validate(agent)) != nil else {
          throw DocumentError("'\(key)' names '\(agent)', which is not an agent name")
        }
      }
    }
    if let value = values["signing.required"] {
      guard case .boolean(let flag) = value else { throw DocumentError("'signing.required' must be true or false") }
      signingRequired = flag
    }
    if values.keys.contains(where: { $0.hasPrefix("landing.") }) {
      landing = try LandingPolicy(values: values, baseBranch: baseBranch)
    }
    if let value = values["server.pusherVariable"] {
      switch value {
      case .string(let one): pusherVariables = [one]
      case .array: pusherVariables = try strings("server.pusherVariable") ?? pusherVariables
      default: throw DocumentError("'server.pusherVariable' must be a variable name or a list of them")
      }
    }
  }

  /// The file `ghp init` writes: every setting with its default and a comment that says what it does.
  public var toml: String {
    func list(_ items: [String]) -> String { "[" + items.map(TOML.quote).joined(separator: ", ") + "]" }
    return """
      # ghp policy. This file lives on the ghp/state branch; edit it there (or with
      # `ghp config`), never in an agent's checkout.

      # An agent whose last heartbeat is older than this is stale ("90s", "10m", "2h").
      staleAfter = \(TOML.quote(Duration.exact(staleAfter)))
      # `ghp agent-heartbeat --auto` (what agent hooks call after each tool use) commits at most
      # once per this long while nothing else changes.
      heartbeatMinimum = \(TOML.quote(Duration.exact(heartbeatMinimum)))
      # Failed attempts after which an issue is dead (out of `ghp ready` until retried).
      maxAttempts = \(maxAttempts)
      # What `ghp reap` does with a stale agent: "escalate" to a human, or "release" its claims.
      onStale = \(TOML.quote(onStale.rawValue))
      # A command run as a name no agent is registered under: "refuse" it (a typo must not make a
      # new agent; `ghp agent add NAME`, or --new on the command, registers one), or "register"
      # the name by that command.
      unknownAgents = \(TOML.quote(unknownAgents.rawValue))
      # The branch agent branches start from.
      baseBranch = \(TOML.quote(baseBranch))
      # Where agent worktrees are made: unset, in one folder beside the repository
      # (../<repository>.worktrees/<agent>); set, as <worktreeRoot>/<repository>-<agent>, relative
      # to the repository's top folder.
      \(worktreeRoot.map { "worktreeRoot = \(TOML.quote($0))" } ?? "# worktreeRoot = \"..\"")

      [roles]
      # Agents with orchestrator authority besides those registered with that role.
      orchestrators = \(list(orchestrators))

      [shared]
      # Files agents edit only with an orchestrator's approval (`ghp approve`).
      globs = \(list(sharedGlobs))
      # Whether orchestrators need approvals too.
      appliesToOrchestrators = \(sharedAppliesToOrchestrators)

      [agent]
      # What `ghp run` starts in each worker's worktree: "claude", "codex", or a command line that
      # reads the prompt on stdin (empty: give --agent-command).
      command = \(TOML.quote(agent.command))
      # Limits the supervisor enforces from outside: a wall-clock timeout per attempt (SIGTERM,
      # then SIGKILL after the grace), workers at once, retries with exponential backoff and full
      # jitter, and a breaker that stops spawning after that many failures in a row within the
      # window. Budgets (budgetUSD, budgetTokens per attempt; runBudgetUSD, runBudgetTokens per
      # run) are off unless set.
      taskTimeout = \(TOML.quote(Duration.exact(agent.taskTimeout)))
      grace = \(TOML.quote(Duration.exact(agent.grace)))
      # A supervisor silent this long is gone: `ghp run` on any host takes its run over.
      lease = \(TOML.quote(Duration.exact(agent.lease)))
      maxWorkers = \(agent.maxWorkers)
      backoff = \(TOML.quote(Duration.exact(agent.backoff)))
      backoffMax = \(TOML.quote(Duration.exact(agent.backoffMax)))
      breaker = \(agent.breaker)
      breakerWindow = \(TOML.quote(Duration.exact(agent.breakerWindow)))
      breakerCooldown = \(TOML.quote(Duration.exact(agent.breakerCooldown)))

      [signing]
      # Whether every state commit must be signed by its author's registered key (`ghp verify`,
      # sync, remote mode and a server's pre-receive refuse one that is not).
      required = \(signingRequired)

      """
  }
}

/// `[landing]`: work reaches the base branch only through `ghp land`, which merges the agent's
/// branch in memory, runs the gate on the result and moves the base by compare-and-swap.
public struct LandingPolicy: Equatable, Sendable {
  /// How a branch lands: a merge commit, its commits replayed onto the base, or one squashed commit.
  public enum Mode: String, Sendable, CaseIterable, RecordedWord { case merge, rebase, squash }

  /// The branch work lands on.
  public var base: String
  /// Commands run (by `/bin/sh -c`) in the merge result's checkout; all must exit 0.
  public var gate: [String] = []
  /// Seconds one gate run may take before its processes are killed.
  public var timeout: Int64 = 20 * 60
  /// Whether the gate runs contained (`landing.sandbox`, "on" by default; "off" is unsafe: the
  /// gate is the agents' code, run with the lander's rights). See `GateSandbox`.
  public var sandbox = true
  /// Names of the lander's environment variables the gate also gets (`landing.env`), besides
  /// PATH, HOME, LANG and TERM; never a ghp token, a git credential or an ssh agent by default.
  public var env: [String] = []
  /// Whether a contained gate may reach the network (`landing.network`, false by default).
  public var network = false
  /// The most processes a contained gate command may have at once (`landing.processes`, 4096).
  public var processes = 4096
  /// The most memory a contained gate command may use, in bytes (`landing.memory`, "8G").
  public var memory: Int64 = 8 << 30
  /// How a branch lands on the base (`landing.mode`); merge when the key is absent.
  public var mode: Mode = .merge
  /// How many queued issues are merged and gated together (bisected on failure).
  public var batch: Int = 1
  /// An issue queued longer than this goes first, whatever its priority.
  public var maxWait: Int64 = 3600
  /// Who approves each landing after its gate passes and before the base moves (`landing.review`):
  /// nobody, a reviewer agent, or a person. An issue's own `--review` overrides it.
  public var review: ReviewMode = .none
  /// How a best-of issue's vote is decided (`landing.vote`), unless the issue says (`--vote`):
  /// nil is by score when `landing.score` is set, else by the lead.
  public var vote: VoteMethod?
  /// The command that scores each attempt of a best-of issue after its gate passes
  /// (`landing.score`): run like a gate command, its last line of output a number; highest wins.
  public var score: String?
  /// How many reviewers' ballots decide a vote by review (`landing.voters`, default 1).
  public var voters = 1

  /// The vote a new best-of issue gets: `landing.vote`, else by score when there is a score
  /// command, else by the lead.
  public var defaultVote: VoteMethod { vote ?? (score == nil ? .lead : .score) }

  /// A policy landing on `base`, with no gate and the other defaults.
  public init(base: String) { self.base = base }

  init(values: [String: TOML.Value], baseBranch: String) throws(DocumentError) {
    base = baseBranch
    func duration(_ key: String) throws(DocumentError) -> Int64? {
      guard let value = values["landing.\(key)"] else { return nil }
      switch value {
      case .integer(let seconds) where seconds > 0 && seconds <= Duration.maximum: return seconds
      case .string(let text):
        if let seconds = Duration.seconds(text), seconds > 0 { return seconds }
      default: break
      }
      throw DocumentError("'landing.\(key)' must be a duration such as \"20m\" or \"90s\"")
    }
    if let value = values["landing.base"] {
      guard case .string(let name) = value, !name.isEmpty else {
        throw DocumentError("'landing.base' must be a branch name")
      }
      base = name
    }
    if let value = values["landing.gate"] {
      switch value {
      case .string(let one): gate = [one]
      case .array(let items):
        gate = []
        for item in items {
          guard case .string(let command) = item else {
            throw DocumentError("'landing.gate' must be a list of commands")
          }
          gate.append(command)
        }
      default: throw DocumentError("'landing.gate' must be a list of commands")
      }
      if gate.contains(where: { $0.trimmingSpaces.isEmpty || $0.utf8.contains(0) }) {
        throw DocumentError("'landing.gate' holds an empty command")
      }
    }
    timeout = try duration("timeout") ?? timeout
    maxWait = try duration("maxWait") ?? maxWait
    if let value = values["landing.review"] {
      guard case .string(let text) = value, let mode = ReviewMode(rawValue: text) else {
        throw DocumentError("'landing.review' must be \"none\", \"agent\" or \"human\"")
      }
      review = mode
    }
    if let value = values["landing.vote"] {
      guard case .string(let text) = value, let method = VoteMethod(rawValue: text) else {
        throw DocumentError("'landing.vote' must be \"score\", \"review\" or \"lead\"")
      }
      vote = method
    }
    if let value = values["landing.score"] {
      guard case .string(let command) = value, !command.trimmingSpaces.isEmpty, !command.utf8.contains(0) else {
        throw DocumentError("'landing.score' must be a command, such as \"scripts/score\"")
      }
      score = command
    }
    if let value = values["landing.voters"] {
      guard case .integer(let n) = value, (1...100).contains(n) else {
        throw DocumentError("'landing.voters' must be a whole number from 1 to 100")
      }
      voters = Int(n)
    }
    if let value = values["landing.mode"] {
      guard case .string(let text) = value, let mode = Mode(rawValue: text) else {
        throw DocumentError("'landing.mode' must be \"merge\", \"rebase\" or \"squash\"")
      }
      self.mode = mode
    }
    if let value = values["landing.sandbox"] {
      switch value {
      case .string("on"), .boolean(true): sandbox = true
      case .string("off"), .boolean(false): sandbox = false
      default: throw DocumentError("'landing.sandbox' must be \"on\" or \"off\"")
      }
    }
    env = try EnvironmentNames.parse(values["landing.env"], key: "landing.env") ?? env
    if let value = values["landing.processes"] {
      guard case .integer(let n) = value, (16...1_000_000).contains(n) else {
        throw DocumentError("'landing.processes' must be a whole number from 16 to 1000000")
      }
      processes = Int(n)
    }
    if let value = values["landing.memory"] {
      guard let bytes = Size.bytes(value), bytes >= 64 << 20, bytes <= 1 << 50 else {
        throw DocumentError("'landing.memory' must be a size of at least 64M, such as \"8G\" or \"512M\"")
      }
      memory = bytes
    }
    if let value = values["landing.network"] {
      guard case .boolean(let flag) = value else { throw DocumentError("'landing.network' must be true or false") }
      network = flag
    }
    if let value = values["landing.batch"] {
      guard case .integer(let n) = value, (1...64).contains(n) else {
        throw DocumentError("'landing.batch' must be a whole number from 1 to 64")
      }
      batch = Int(n)
    }
    guard (try? BranchName.validate(base)) != nil else {
      throw DocumentError("'landing.base' '\(base)' is not a branch name")
    }
  }

  /// A lease not renewed for this long belongs to a lander that is gone.
  public var leaseStaleAfter: Int64 { timeout + 300 }
}

/// Sizes as the policy writes them: bytes, or a number with K, M or G ("512M", "8G").
enum Size {
  static func bytes(_ value: TOML.Value) -> Int64? {
    let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
    switch value {
    case .integer(let n): return n
    case .string(let text):
      guard let unit = text.last.flatMap({ units[$0] }), let n = Int64(text.dropLast()), n <= 1 << 40 else {
        return nil
      }
      return n * unit
    default: return nil
    }
  }
}
