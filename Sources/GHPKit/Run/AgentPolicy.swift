import Glibc

/// `[agent]` in `.ghp/config.toml`: what `ghp run` starts in each worker's worktree, and the limits
/// it enforces from outside.
public struct AgentPolicy: Equatable, Sendable {
  /// A preset name (`claude`, `codex`) or a command line (words split as a shell would, no
  /// expansion). Empty: none configured.
  public var command = ""
  /// The command (preset or command line) of a worker that can do a capability
  /// (`[commands] codex = "codex"`): `ghp run` starts each worker with the command of the first of
  /// its capabilities (in order) that has one, else `command`.
  public var commands: [String: String] = [:]
  /// Wall-clock seconds one attempt may run before its process group is killed.
  public var taskTimeout: Int64 = 30 * 60
  /// Seconds between SIGTERM and SIGKILL.
  public var grace: Int64 = 10
  /// Seconds a supervisor's run lease lasts without renewal (`agent.lease`): past it the
  /// supervisor is gone, wherever it ran, and `ghp run` on any host takes its run over. It renews
  /// six times a lease.
  public var lease: Int64 = 120
  /// Workers a run starts when `ghp run -w` does not say (`agent.maxWorkers`, 1 to 64).
  public var maxWorkers = 4
  /// Retries: the delay before attempt n+1 is drawn from [0, min(backoffMax, backoff × 2^(n-1))].
  public var backoff: Int64 = 10
  /// The most seconds a retry waits, however many attempts failed (`agent.backoffMax`).
  public var backoffMax: Int64 = 300
  /// Consecutive failures of the agent command within `breakerWindow` that open the breaker.
  public var breaker = 3
  /// Seconds within which failures count as in a row for the breaker (`agent.breakerWindow`).
  public var breakerWindow: Int64 = 600
  /// How long an open breaker waits before one trial spawn.
  public var breakerCooldown: Int64 = 300
  /// Per attempt and per run; nil: no limit.
  public var budget = Budget()
  /// The limit of the whole run, its workers' spending added up (`agent.runBudgetUSD`, `runBudgetTokens`).
  public var runBudget = Budget()
  /// Names of the supervisor's environment variables a worker also gets (`agent.env`), besides
  /// the few every program needs and those its preset names (see `WorkerEnvironment`).
  public var env: [String] = []
  /// Whether workers run contained (`agent.sandbox`): `auto` (the default) where bubblewrap can run,
  /// `on` always (a run refuses to start without it), `off` never (unsafe: a worker then has the
  /// repository's refs, keys and hooks within reach of plain git).
  public var sandbox = Containment.auto
  /// More folders a contained worker may write (`agent.writable`, absolute paths): a shared cache,
  /// say. Its worktree, its own repository and its own home it writes anyway.
  public var writable: [String] = []
  /// More folders a contained worker may read (`agent.readable`, absolute paths): tools or data
  /// outside what it sees anyway (the file system but for /tmp, /run, the home and the repository's
  /// git folder).
  public var readable: [String] = []
  /// The most of a worker's output an attempt's log keeps (`agent.logLimit`, "4M"): its first half
  /// and its last half, with how much was left out between them.
  public var logLimit: Int64 = 4 << 20

  /// `agent.sandbox`.
  public enum Containment: String, Equatable, Sendable { case auto, on, off }

  /// A spending limit in dollars, tokens or both, as the agent's output reports them.
  public struct Budget: Equatable, Sendable {
    /// Millionths of a US dollar.
    public var micros: Int?
    /// Tokens (input and output) the agent may use; nil: no limit.
    public var tokens: Int?
    /// A budget of `micros` millionths of a dollar and `tokens` tokens; nil: no limit on that.
    public init(micros: Int? = nil, tokens: Int? = nil) {
      self.micros = micros
      self.tokens = tokens
    }
    /// True when it limits neither dollars nor tokens.
    public var isEmpty: Bool { micros == nil && tokens == nil }

    /// Why `spent` is over this budget, or nil.
    public func breach(micros spentMicros: Int, tokens spentTokens: Int) -> String? {
      if let micros, spentMicros >= micros {
        return "budget of \(Money.format(micros)) reached (\(Money.format(spentMicros)) spent)"
      }
      if let tokens, spentTokens >= tokens { return "budget of \(tokens) tokens reached (\(spentTokens) used)" }
      return nil
    }
  }

  /// The defaults, as when `[agent]` says nothing.
  public init() {}

  init(values: [String: TOML.Value], legacyCommand: String) throws(DocumentError) {
    command = legacyCommand
    func duration(_ key: String, allowZero: Bool = false) throws(DocumentError) -> Int64? {
      guard let value = values["agent.\(key)"] else { return nil }
      switch value {
      case .integer(let seconds) where (allowZero ? seconds >= 0 : seconds > 0) && seconds <= Duration.maximum:
        return seconds
      case .string(let text):
        if let seconds = Duration.seconds(text), allowZero || seconds > 0 { return seconds }
      default: break
      }
      throw DocumentError("'agent.\(key)' must be a duration such as \"30m\" or \"10s\"")
    }
    func count(_ key: String, _ range: ClosedRange<Int64>) throws(DocumentError) -> Int? {
      guard let value = values["agent.\(key)"] else { return nil }
      guard case .integer(let n) = value, range.contains(n) else {
        throw DocumentError("'agent.\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
      }
      return Int(n)
    }
    if let value = values["agent.command"] {
      guard case .string(let text) = value else { throw DocumentError("'agent.command' must be a string") }
      command = text
    }
    if !command.isEmpty {
      do { _ = try AgentCommand.words(command) } catch { throw DocumentError("'agent.command': \(error.description)") }
    }
    for (key, value) in values where key.hasPrefix("commands.") {
      let capability = String(key.dropFirst("commands.".count))
      guard (try? Capability.validate([capability])) != nil else {
        throw DocumentError("'\(key)': '\(capability)' is not a capability")
      }
      guard case .string(let text) = value, !text.isEmpty else {
        throw DocumentError("'\(key)' must be a command: claude, codex or a command line")
      }
      do { _ = try AgentCommand.words(text) } catch { throw DocumentError("'\(key)': \(error.description)") }
      commands[capability] = text
    }
    taskTimeout = try duration("taskTimeout") ?? taskTimeout
    grace = try duration("grace", allowZero: true) ?? grace
    lease = try duration("lease") ?? lease
    guard lease >= 6 else { throw DocumentError("'agent.lease' must be at least 6s (it renews six times a lease)") }
    backoff = try duration("backoff", allowZero: true) ?? backoff
    backoffMax = try duration("backoffMax", allowZero: true) ?? backoffMax
    breakerWindow = try duration("breakerWindow") ?? breakerWindow
    breakerCooldown = try duration("breakerCooldown", allowZero: true) ?? breakerCooldown
    maxWorkers = try count("maxWorkers", 1...64) ?? maxWorkers
    breaker = try count("breaker", 1...1000) ?? breaker
    func money(_ key: String) throws(DocumentError) -> Int? {
      guard let value = values["agent.\(key)"] else { return nil }
      let text: String
      switch value {
      case .integer(let n): text = String(n)
      case .string(let s): text = s
      default: text = ""
      }
      guard let micros = Money.parse(text), micros > 0 else {
        throw DocumentError("'agent.\(key)' must be an amount of US dollars such as \"5\" or \"0.50\"")
      }
      return micros
    }
    budget.micros = try money("budgetUSD")
    runBudget.micros = try money("runBudgetUSD")
    env = try EnvironmentNames.parse(values["agent.env"], key: "agent.env") ?? env
    if let value = values["agent.sandbox"] {
      switch value {
      case .string("auto"): sandbox = .auto
      case .string("on"), .boolean(true): sandbox = .on
      case .string("off"), .boolean(false): sandbox = .off
      default: throw DocumentError("'agent.sandbox' must be \"auto\", \"on\" or \"off\"")
      }
    }
    if let value = values["agent.logLimit"] {
      guard let bytes = Size.bytes(value), bytes >= 4 << 10, bytes <= 1 << 40 else {
        throw DocumentError("'agent.logLimit' must be a size of at least 4K, such as \"4M\"")
      }
      logLimit = bytes
    }
    func paths(_ key: String) throws(DocumentError) -> [String]? {
      guard let value = values["agent.\(key)"] else { return nil }
      let shape = DocumentError("'agent.\(key)' must be a list of absolute paths such as [\"/var/cache/build\"]")
      guard case .array(let items) = value else { throw shape }
      var found: [String] = []
      for item in items {
        guard case .string(let path) = item, path.hasPrefix("/"), !path.contains("\n") else { throw shape }
        found.append(path)
      }
      return found
    }
    writable = try paths("writable") ?? writable
    readable = try paths("readable") ?? readable
    budget.tokens = try count("budgetTokens", 1...Int64(Int32.max)).map { $0 }
    runBudget.tokens = try count("runBudgetTokens", 1...Int64(Int32.max)).map { $0 }
  }
}

/// Amounts of US dollars as whole millionths, so that documents hold integers.
public enum Money {
  /// "5", "0.50", "$1.25" → millionths; nil when it is not an amount or is too large.
  public static func parse(_ text: String) -> Int? {
    var digits = text.trimmingSpaces
    if digits.hasPrefix("$") { digits.removeFirst() }
    let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
    guard (1...2).contains(parts.count), let whole = Int(parts[0]), whole >= 0, whole <= 1_000_000_000 else {
      return nil
    }
    var micros = whole * 1_000_000
    if parts.count == 2 {
      let fraction = parts[1]
      guard !fraction.isEmpty, fraction.count <= 6, fraction.allSatisfy(\.isNumber), let value = Int(fraction) else {
        return nil
      }
      var scaled = value
      for _ in fraction.count..<6 { scaled *= 10 }
      micros += scaled
    }
    return micros
  }

  /// Millionths as dollars: "$5.00", "$0.0123".
  public static func format(_ micros: Int) -> String {
    if micros >= 10_000 || micros <= 0 {
      let cents = (max(micros, 0) + 5_000) / 10_000
      let rest = cents % 100
      return "$\(cents / 100).\(rest < 10 ? "0" : "")\(rest)"
    }
    var fraction = String(micros)
    while fraction.count < 6 { fraction = "0" + fraction }
    while fraction.hasSuffix("0") { fraction.removeLast() }
    return "$0.\(fraction)"
  }

  /// A dollar amount as an agent reports it (a JSON number) in millionths.
  static func micros(_ value: JSON?) -> Int? {
    switch value {
    case .double(let d)? where d >= 0 && d < 1e9: return Int((d * 1_000_000).rounded())
    case .int(let n)? where n >= 0 && n < 1_000_000_000: return n * 1_000_000
    default: return nil
    }
  }
}

/// The command a worker runs: a preset's program and arguments, or the configured command line,
/// and how its output is read.
public struct AgentCommand: Equatable, Sendable {
  /// The output the command speaks: claude's stream-json, codex's JSON events, or anything (a
  /// command line).
  public enum Format: String, Sendable { case claude, codex, any }

  /// The program and its arguments; the prompt goes to its standard input.
  public var words: [String]
  /// What its output is expected to be (the parser recognises each event by its shape anyway).
  public var format: Format
  /// The preset's name, or nil for a command line.
  public var preset: String?

  /// The built-in commands by name: `claude` and `codex`, each headless with JSON output.
  public static let presets: [String: AgentCommand] = [
    "claude": AgentCommand(
      words: ["claude", "-p", "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions"],
      format: .claude, preset: "claude"),
    "codex": AgentCommand(words: ["codex", "exec", "--json", "--full-auto", "-"], format: .codex, preset: "codex"),
  ]

  init(words: [String], format: Format, preset: String?) {
    self.words = words
    self.format = format
    self.preset = preset
  }

  /// A preset by name, or a command line.
  public init(_ text: String) throws(GHPError) {
    let trimmed = text.trimmingSpaces
    guard !trimmed.isEmpty else {
      throw .refused(
        "no agent command: give --agent-command claude|codex|CMD, or set one: ghp config set agent.command claude")
    }
    if let preset = Self.presets[trimmed] {
      self = preset
      return
    }
    words = try Self.words(trimmed)
    format = .any
    preset = nil
  }

  /// The preset's name, or the command line as words joined by spaces.
  public var description: String { preset ?? words.joined(separator: " ") }

  /// Splits a command line into words as `sh` would without expanding anything: spaces separate,
  /// single and double quotes group, a backslash escapes the next character.
  public static func words(_ text: String) throws(GHPError) -> [String] {
    var words: [String] = []
    var current = ""
    var inWord = false
    var quote: Character?
    var escaped = false
    for character in text {
      if character == "\0" { throw .invalidValue("agent command", "it holds a NUL byte") }
      if escaped {
        current.append(character)
        escaped = false
        continue
      }
      if let open = quote {
        if character == open {
          quote = nil
        } else if character == "\\" && open == "\"" {
          escaped = true
        } else {
          current.append(character)
        }
        continue
      }
      switch character {
      case "\\":
        escaped = true
        inWord = true
      case "'", "\"":
        quote = character
        inWord = true
      case " ", "\t", "\n":
        if inWord { words.append(current) }
        current = ""
        inWord = false
      default:
        current.append(character)
        inWord = true
      }
    }
    if quote != nil { throw .invalidValue("agent command", "a quote is not closed") }
    if escaped { throw .invalidValue("agent command", "it ends with a backslash") }
    if inWord { words.append(current) }
    guard !words.isEmpty else { throw .invalidValue("agent command", "it is empty") }
    return words
  }

  /// The program's path: as given when it holds a `/` (relative to `directory`), else found on
  /// `PATH`. Refuses, naming the fix, a program that is missing or not executable.
  public func resolve(path: String, directory: String) throws(GHPError) -> String {
    let program = words[0]
    let fix =
      preset.map {
        "install \($0) (the `\($0)` preset runs `\(words.joined(separator: " "))`), or set another command: ghp config set agent.command CMD"
      }
      ?? "give a program that exists: --agent-command CMD, or ghp config set agent.command CMD"
    func check(_ candidate: String) throws(GHPError) -> Bool {
      var info = stat()
      guard stat(candidate, &info) == 0 else { return false }
      if (info.st_mode & S_IFMT) == S_IFDIR || access(candidate, X_OK) != 0 {
        throw .refused("the agent command \(candidate) is not executable (chmod +x \(candidate), or \(fix))")
      }
      return true
    }
    if program.contains("/") {
      let full = program.hasPrefix("/") ? program : LocalPaths.join(directory, program)
      guard try check(full) else { throw .refused("the agent command \(program) does not exist (\(full)); \(fix)") }
      return full
    }
    let folders = ProgramSearch.folders(path)
    if let found = ProgramSearch.find(program, in: folders) { return found }
    // Only to say why: the first file by that name that cannot be run.
    for folder in folders {
      let candidate = "\(folder)/\(program)"
      if access(candidate, F_OK) == 0 { _ = try check(candidate) }
    }
    throw .refused("the agent command \(program) was not found on PATH; \(fix)")
  }
}

/// Seconds on a clock that never jumps (for elapsed times and limits).
public enum MonotonicClock {
  /// Seconds since an arbitrary fixed point (`CLOCK_MONOTONIC`), with fractions.
  public static func now() -> Double { ProcessIdentity.monotonic() }
}

/// This machine's name, as leases record it.
public enum Host {
  /// The host name (`gethostname`), or "unknown" when it cannot be read.
  public static var name: String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, 255) == 0 else { return "unknown" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
