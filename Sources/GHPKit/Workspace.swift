import Glibc

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// A unit of work in the state: a pure function of a snapshot, the acting agent and the clock, that
/// returns the change to land (nil when there is nothing to change) and its answer for the caller.
public protocol StateOperation {
  /// The answer the operation gives its caller, whether or not it changed anything.
  associatedtype Output
  /// The change `actor` makes on `state` at `clock`'s time (nil: nothing to change) and the answer;
  /// a refusal is thrown.
  func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Output)
}

/// Everything a command needs: the repository, its ledger, the clock and who is acting.
public final class Workspace {
  /// The git repository the command runs in (found from the path, or from git's hook environment).
  public let repository: Repository
  /// The ledger every change to `ghp/state` goes through.
  public let ledger: Ledger
  /// The time commands act at: read once per command; a long-running one (`ghp land`) reads it
  /// again with `refreshClock()`.
  public private(set) var clock: Clock
  /// The process environment the workspace was opened with (`GHP_NOW`, `GHP_LOCK_TIMEOUT`, `GHP_AGENT`).
  public let environment: [String: String]
  private let explicitAgent: String?
  /// Whether a write may come from a name no agent is registered under (`--new`): the write
  /// registers it. Otherwise the policy's `unknownAgents` decides.
  public var allowsNewAgent = false

  /// Opens the repository containing `path` (default: the current folder).
  public init(path: String? = nil, agent: String? = nil, environment: [String: String]) throws(GHPError) {
    let start = path ?? FileManager.default.currentDirectoryPath
    do {
      repository = try Repository(discovering: start)
    } catch {
      if error.kind == .notFound { throw .notARepository(start) }
      throw .git(error)
    }
    // A contained worker's own repository holds a copy of ghp/state that reaches nobody: its ghp
    // commands go through the supervisor (`GHP_WORKER_SOCKET`, set by `ghp run`).
    if access(repository.gitDirectory + "/" + WorkerSandbox.marker, F_OK) == 0 {
      throw .refused(
        "this is a contained ghp run worker's repository: ghp commands here go through its supervisor, and \(WorkerSandbox.socketVariable) is not set (run ghp as ghp run started you, with its environment)"
      )
    }
    ledger = try Ledger(repository: repository, lockTimeout: WriterLock.timeout(environment))
    clock = try Clock.fromEnvironment(environment)
    self.environment = environment
    explicitAgent = agent
  }

  /// For git hooks: the repository as git's environment names it (see `Repository(fromEnvironment:)`).
  public init(hookEnvironment environment: [String: String], agent: String? = nil) throws(GHPError) {
    do { repository = try Repository(fromEnvironment: ()) } catch {
      throw .notARepository(environment["GIT_DIR"] ?? ".")
    }
    ledger = try Ledger(repository: repository, lockTimeout: WriterLock.timeout(environment))
    clock = try Clock.fromEnvironment(environment)
    self.environment = environment
    explicitAgent = agent
  }

  /// Reads the clock again (the system clock, or `GHP_NOW` when set).
  public func refreshClock() {
    if let fresh = try? Clock.fromEnvironment(environment) { clock = fresh }
  }

  /// Path of this worktree's own config file (`config.worktree` in its git folder).
  public var worktreeConfigPath: String {
    let dir = repository.gitDirectory
    return LocalPaths.join(dir, "config.worktree")
  }

  /// The agent this worktree belongs to, when it is an agent's worktree: a linked worktree with its
  /// own `ghp.agent` (as `ghp agent add` makes it).
  public func boundAgent() throws(GHPError) -> String? {
    guard repository.gitDirectory != repository.commonDirectory,
      let name = Repository.configString("ghp.agent", inFile: worktreeConfigPath)
    else { return nil }
    return try AgentName.validate(name)
  }

  /// Who is acting: `--agent`, `GHP_AGENT`, `git config ghp.agent` (this worktree's own config
  /// first), or the `agent/<name>` branch checked out here. In an agent's worktree the agent is the
  /// worktree's: a name given that contradicts it is refused. An empty `--agent` is refused; an
  /// empty `GHP_AGENT` counts as unset.
  public func actor() throws(GHPError) -> String {
    let bound = try boundAgent()
    var given: (name: String, source: String)?
    if let name = explicitAgent {
      given = (try AgentName.validate(name), "--agent")
    } else if let name = environment["GHP_AGENT"], !name.isEmpty {
      given = (try AgentName.validate(name), "GHP_AGENT")
    }
    if let given {
      if let bound, bound != given.name {
        throw .refused(
          "this is \(bound)'s worktree (\(repository.workingDirectory ?? repository.gitDirectory)): \(given.source) says \(given.name), but here only \(bound) acts; run as \(given.name) from its own worktree or the main one"
        )
      }
      return given.name
    }
    if let bound { return bound }
    if let name = Repository.configString("ghp.agent", inFile: worktreeConfigPath)
      ?? repository.configString("ghp.agent")
    {
      return try AgentName.validate(name)
    }
    if let head = repository.headReferenceName(), head.hasPrefix("refs/heads/agent/") {
      return try AgentName.validate(String(head.dropFirst("refs/heads/agent/".count)))
    }
    // Before `ghp init` nobody could act anyway: say what to run first.
    if case .some(.none) = try? repository.referenceKind(StatePaths.branch) { throw .notInitialised }
    throw .noIdentity
  }

  /// The current tip of `ghp/state`, for reads.
  public func snapshot() throws(GHPError) -> StateSnapshot { try ledger.snapshot() }

  /// Lands an operation at the time it happens, for commands that act for hours (`ghp land`,
  /// `ghp run`): the clock is read again first.
  @discardableResult
  public func runNow<O: StateOperation>(_ operation: O) throws(GHPError) -> Landed<O.Output> {
    refreshClock()
    return try run(operation)
  }

  /// Lands an operation as the acting agent.
  @discardableResult
  public func run<O: StateOperation>(_ operation: O) throws(GHPError) -> Landed<O.Output> {
    try run(operation, as: try actor())
  }

  /// Lands an operation as `actor`, which the caller read from `actor()` (an action that also
  /// names the actor in its answer reads it once).
  func run<O: StateOperation>(_ operation: O, as actor: String) throws(GHPError) -> Landed<O.Output> {
    let allowsNew = allowsNewAgent
    return try ledger.transact(actor: actor, clock: clock) { (state, at) throws(GHPError) in
      // A guard of this command line, not of the operation: histories written before it verify.
      if !allowsNew { try KnownAgent.requireActor(actor, in: state) }
      return try operation.apply(to: state, actor: actor, clock: at)
    }
  }
}
