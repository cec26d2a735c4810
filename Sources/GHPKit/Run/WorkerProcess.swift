import CProcess
import Glibc

/// What an agent's structured output says: claude's stream-json, codex's JSON events, or plain
/// lines, whichever the command speaks (each event type is recognised by its shape). Every line
/// counts as progress; some name an action, a cost or a token count.
struct AgentOutput {
  /// Millionths of a dollar and tokens reported so far: input and output of the agent's own
  /// conversation (what a token budget counts, with the subagents'), cache reads and writes kept
  /// apart (claude's cache_read/cache_creation, codex's cached part of its input), and the tokens
  /// of claude's subagents (messages with a `parent_tool_use_id`) apart too.
  var costMicros = 0
  var tokens = 0
  var cacheTokens = 0
  var subagentTokens = 0
  /// Tokens added up from per-message usage until a total arrives.
  private var summedTokens = 0
  private var summedCache = 0
  /// What the agent itself said went wrong, from its error events (claude's error `result`,
  /// codex's `turn.failed` and `error`): the reason of a failed attempt, rather than a raw tail.
  var errorText: String?
  /// Claude repeats a message's whole usage on each of its content blocks: each message id counts
  /// once (its latest usage, which only grows).
  private var usageByMessage: [String: (tokens: Int, cache: Int)] = [:]

  /// Tokens a budget counts: the agent's own and its subagents'.
  var budgetTokens: Int { tokens + subagentTokens }

  /// Reads one line; returns the action it shows, if any.
  mutating func consume(_ line: String) -> String? {
    let trimmed = line.trimmingSpaces
    guard !trimmed.isEmpty else { return nil }
    guard trimmed.hasPrefix("{"), let event = try? JSON.parse(trimmed), event.objectValue != nil else {
      return TextTable.clip(Terminal.safe(trimmed), 200)
    }
    func usageTokens(_ usage: JSON?) -> Int? {
      guard let usage = usage?.objectValue else { return nil }
      let counted = ["input_tokens", "output_tokens"].compactMap { usage[$0]?.intValue }
      return counted.isEmpty ? nil : counted.reduce(0, +)
    }
    func cached(_ usage: JSON?) -> Int {
      ["cache_read_input_tokens", "cache_creation_input_tokens", "cached_input_tokens"].compactMap {
        usage?[$0]?.intValue
      }.reduce(0, +)
    }
    var action: String?
    switch event["type"]?.stringValue {
    case "assistant"?:
      // claude: one message of the conversation, with its own usage.
      let usage = event["message"]?["usage"]
      if let used = usageTokens(usage) {
        let cache = cached(usage)
        var added = (tokens: used, cache: cache)
        if let id = event["message"]?["id"]?.stringValue {
          let seen = usageByMessage[id] ?? (0, 0)
          added = (max(0, used - seen.tokens), max(0, cache - seen.cache))
          usageByMessage[id] = (max(used, seen.tokens), max(cache, seen.cache))
        }
        if let parent = event["parent_tool_use_id"], parent != .null {
          subagentTokens += added.tokens + added.cache
        } else {
          summedTokens += added.tokens
          summedCache += added.cache
          tokens = max(tokens, summedTokens)
          cacheTokens = max(cacheTokens, summedCache)
        }
      }
      for part in event["message"]?["content"]?.arrayValue ?? [] {
        if part["type"]?.stringValue == "tool_use" {
          let name = part["name"]?.stringValue ?? "tool"
          let detail = part["input"]?["command"]?.stringValue ?? part["input"]?["file_path"]?.stringValue ?? ""
          action = detail.isEmpty ? name : "\(name): \(detail)"
        } else if action == nil, let text = part["text"]?.stringValue {
          action = text.split(separator: "\n").first.map(String.init)
        }
      }
    case "result"?:
      // claude: the end of the session, with the totals.
      if let cost = Money.micros(event["total_cost_usd"] ?? event["cost_usd"]) { costMicros = cost }
      if let used = usageTokens(event["usage"]) {
        tokens = max(tokens, used)
        cacheTokens = max(cacheTokens, cached(event["usage"]))
      }
      let failed = event["is_error"]?.boolValue ?? false
      action = failed ? "Ended with an error" : "Ended its session"
      if failed {
        errorText = event["result"]?.stringValue ?? event["subtype"]?.stringValue ?? "an error result"
      }
    case "turn.completed"?:
      // codex: one turn, with its usage.
      if let used = usageTokens(event["usage"]) {
        summedTokens += used
        summedCache += cached(event["usage"])
        tokens = max(tokens, summedTokens)
        cacheTokens = max(cacheTokens, summedCache)
      }
    case "turn.failed"?:
      // codex: the turn ended in an error.
      errorText = event["error"]?["message"]?.stringValue ?? "the turn failed"
      action = "Turn failed"
    case "error"?:
      errorText = event["message"]?.stringValue ?? errorText
    case "item.completed"?, "item.started"?:
      let item = event["item"]
      if let command = item?["command"]?.stringValue {
        action = "Ran: \(command)"
      } else if item?["type"]?.stringValue == "file_change" {
        let paths = (item?["changes"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue }
        action = "Changed: " + (paths.isEmpty ? "files" : paths.prefix(3).joined(separator: ", "))
      } else if item?["type"]?.stringValue == "mcp_tool_call" {
        let server = item?["server"]?.stringValue.map { $0 + "." } ?? ""
        action = "Called: " + server + (item?["tool"]?.stringValue ?? "a tool")
      } else if let text = item?["text"]?.stringValue {
        action = text.split(separator: "\n").first.map(String.init)
      }
    default:
      if let message = event["msg"], message["type"]?.stringValue == "token_count",
        let total = message["info"]?["total_token_usage"]?["total_tokens"]?.intValue
      {
        tokens = max(tokens, total)
      }
      if let cost = Money.micros(event["total_cost_usd"] ?? event["cost_usd"]) { costMicros = max(costMicros, cost) }
    }
    return action.map { TextTable.clip(Terminal.safe($0.trimmingSpaces), 200) }
  }
}

/// A worker's process: started through a keeper that leads its process group and dies with the
/// supervisor (see `ghp_spawn_supervised`), its output read without blocking, all of it appended
/// to a log file.
final class WorkerProcess {
  struct SpawnFailure: Error {
    var message: String
  }

  let agent: String
  let issue: String
  let epoch: Int
  let keeper: pid_t
  let start: UInt64
  let startedAt: Double
  private(set) var output: Int32
  private let log: Int32
  /// The log keeps the output's first `logLimit / 2` bytes, then its last ones (kept here and
  /// written when the worker ends), with how many were left out between.
  var logLimit: Int64 = 4 << 20
  private var logged: Int64 = 0
  private var logTail: [UInt8] = []
  private var leftOut: Int64 = 0
  /// Bytes read but not yet a whole line.
  private var pending: [UInt8] = []
  /// Where reads land, kept across calls (drain runs on every wake of the loop).
  private var chunk = [UInt8](repeating: 0, count: 65536)
  var parser = AgentOutput()
  /// The last lines of output, for the reason of a failure.
  private(set) var tail: [String] = []
  var lastAction = ""
  /// Progress since the last heartbeat the supervisor recorded for it.
  var progressedSinceBeat = false
  var lastBeat: Double
  var pidRecorded = false
  /// Why the supervisor is stopping it, once it is.
  var killReason: String?
  var killOutcome: RunOperation.Outcome = .failed
  var terminatedAt: Double?
  var killed = false

  private init(agent: String, issue: String, epoch: Int, keeper: pid_t, output: Int32, log: Int32) {
    self.agent = agent
    self.issue = issue
    self.epoch = epoch
    self.keeper = keeper
    start = ProcessIdentity.startTime(of: keeper) ?? 0
    self.output = output
    self.log = log
    startedAt = ProcessIdentity.monotonic()
    lastBeat = startedAt
  }

  deinit {
    if output >= 0 { close(output) }
    if log >= 0 { close(log) }
  }

  /// Starts `program` with `arguments` in `directory`, the prompt file on stdin.
  static func spawn(
    agent: String, issue: String, epoch: Int, program: String, arguments: [String], directory: String,
    environment: [String: String], promptPath: String, logPath: String
  ) throws(SpawnFailure) -> WorkerProcess {
    let input = open(promptPath, O_RDONLY | O_CLOEXEC)
    guard input >= 0 else {
      throw SpawnFailure(message: "cannot read the prompt file \(promptPath): \(String(cString: strerror(errno)))")
    }
    defer { close(input) }
    let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    var pipeOut: [Int32] = [-1, -1]
    var pipeReport: [Int32] = [-1, -1]
    guard ghp_pipe_cloexec(&pipeOut) == 0 else {
      throw SpawnFailure(message: "pipe: \(String(cString: strerror(errno)))")
    }
    guard ghp_pipe_cloexec(&pipeReport) == 0 else {
      close(pipeOut[0])
      close(pipeOut[1])
      throw SpawnFailure(message: "pipe: \(String(cString: strerror(errno)))")
    }
    var argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
    let lines: [String] = environment.map { "\($0.key)=\($0.value)" }.sorted()
    var envp: [UnsafeMutablePointer<CChar>?] = lines.map { strdup($0) } + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in envp { free(pointer) }
    }
    let keeper = ghp_spawn_supervised(program, &argv, &envp, directory, input, pipeOut[1], pipeReport[1])
    close(pipeOut[1])
    close(pipeReport[1])
    defer { close(pipeReport[0]) }
    guard keeper > 0 else {
      close(pipeOut[0])
      if log >= 0 { close(log) }
      throw SpawnFailure(message: "fork failed: \(String(cString: strerror(-keeper)))")
    }
    var words: [Int32] = [0, 0]
    var got = 0
    words.withUnsafeMutableBytes { buffer in
      while got < 8 {
        let n = read(pipeReport[0], buffer.baseAddress! + got, 8 - got)
        if n > 0 { got += n } else if n < 0 && errno == EINTR { continue } else { break }
      }
    }
    let flags = fcntl(pipeOut[0], F_GETFL)
    _ = fcntl(pipeOut[0], F_SETFL, flags | O_NONBLOCK)
    let process = WorkerProcess(
      agent: agent, issue: issue, epoch: epoch, keeper: keeper, output: pipeOut[0], log: log)
    if got == 8 {
      var status: Int32 = 0
      while ghp_reap_supervised(keeper, &status) == 0 { usleep(1000) }
      let error = String(cString: strerror(words[1]))
      switch (words[0], words[1]) {
      case (1, _): throw SpawnFailure(message: "cannot enter the worktree \(directory): \(error)")
      case (_, ENOENT): throw SpawnFailure(message: "the agent command \(program) does not exist (\(error))")
      case (_, EACCES):
        throw SpawnFailure(message: "the agent command \(program) is not executable (\(error)): chmod +x \(program)")
      case (_, ENOEXEC):
        throw SpawnFailure(message: "the agent command \(program) is not a program (a script needs a #! line)")
      default: throw SpawnFailure(message: "the agent command \(program) could not start: \(error)")
      }
    }
    return process
  }

  /// Reads what the agent wrote (without blocking). Returns whether it showed progress.
  @discardableResult
  func drain() -> Bool {
    guard output >= 0 else { return false }
    var progressed = false
    while true {
      let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
      if n > 0 {
        keep(n)
        pending += chunk[0..<n]
        progressed = true
        continue
      }
      if n == 0 {
        close(output)
        output = -1
      } else if errno == EINTR {
        continue
      }
      break
    }
    // Every whole line, then one removal of what they used (not one shift of the rest per line).
    var start = pending.startIndex
    while let newline = pending[start...].firstIndex(of: 10) {
      take(String(decoding: pending[start..<newline], as: UTF8.self))
      start = newline + 1
    }
    pending.removeSubrange(..<start)
    if pending.count > 1 << 20 {
      take(String(decoding: pending, as: UTF8.self))
      pending = []
    }
    if progressed { progressedSinceBeat = true }
    return progressed
  }

  /// Logs the `count` bytes just read into `chunk`, within `logLimit`.
  private func keep(_ count: Int) {
    guard log >= 0 else { return }
    let head = Int(max(0, min(Int64(count), logLimit / 2 - logged)))
    if head > 0 {
      _ = chunk.withUnsafeBytes { write(log, $0.baseAddress, head) }
      logged += Int64(head)
    }
    guard head < count else { return }
    logTail += chunk[head..<count]
    let most = Int(logLimit / 2)
    if logTail.count > most + 65536 {
      leftOut += Int64(logTail.count - most)
      logTail.removeFirst(logTail.count - most)
    }
  }

  /// Writes the kept tail after a line saying how much was left out.
  func finishLog() {
    guard log >= 0, !logTail.isEmpty || leftOut > 0 else { return }
    let most = Int(logLimit / 2)
    if logTail.count > most {
      leftOut += Int64(logTail.count - most)
      logTail.removeFirst(logTail.count - most)
    }
    if leftOut > 0 {
      let line = Array("\n[ghp run: \(leftOut) bytes of output left out here (agent.logLimit)]\n".utf8)
      _ = line.withUnsafeBytes { write(log, $0.baseAddress, $0.count) }
    }
    _ = logTail.withUnsafeBytes { write(log, $0.baseAddress, $0.count) }
    logTail = []
    leftOut = 0
  }

  private func take(_ line: String) {
    if let action = parser.consume(line) { lastAction = action }
    tail.append(TextTable.clip(Terminal.safe(line), 300))
    if tail.count > 12 { tail.removeFirst(tail.count - 12) }
  }

  /// The exit code once the worker (the keeper) ended, else nil. What the agent left running in
  /// its group is killed then.
  func reap() -> Int? {
    var status: Int32 = 0
    guard ghp_reap_supervised(keeper, &status) == 1 else { return nil }
    drain()
    finishLog()
    return Int(status)
  }

  /// SIGTERM to the group now; SIGKILL once `grace` seconds passed (see `enforce`).
  func terminate(reason: String, outcome: RunOperation.Outcome) {
    guard killReason == nil else { return }
    killReason = reason
    killOutcome = outcome
    terminatedAt = ProcessIdentity.monotonic()
    kill(-keeper, SIGTERM)
  }

  /// Past the grace, the keeper kills everything below it (`SIGUSR1`: its group and every
  /// descendant, a `setsid` daemon included); a keeper that does not end a second later loses its
  /// group to SIGKILL.
  func enforceGrace(_ grace: Int64) {
    guard let terminatedAt else { return }
    let waited = ProcessIdentity.monotonic() - terminatedAt
    if !killed, waited >= Double(grace) {
      killed = true
      kill(keeper, SIGUSR1)
    } else if killed, waited >= Double(grace) + 1 {
      kill(-keeper, SIGKILL)
    }
  }

  /// The end of what it printed, or what it said went wrong when it said so.
  var outputTail: String { parser.errorText.map { "the agent said: \($0)" } ?? tail.suffix(5).joined(separator: "\n") }
}

/// The processes a run left behind, found in the process table by the `GHP_RUN` their
/// environment carries, whatever group they moved to.
enum RunProcesses {
  static func find(run: String, agent: String? = nil) -> [pid_t] {
    let needle = Array("GHP_RUN=\(run)".utf8)
    let agentNeedle = agent.map { Array("GHP_AGENT=\($0)".utf8) }
    var found: [pid_t] = []
    let me = getpid()
    for name in Files.names(in: "/proc") ?? [] {
      guard let pid = pid_t(name), pid != me else { continue }
      guard let environment = Files.read("/proc/\(pid)/environ") else { continue }
      let variables = environment.split(separator: 0)
      if variables.contains(where: { $0.elementsEqual(needle) }),
        agentNeedle.map({ wanted in variables.contains { $0.elementsEqual(wanted) } }) ?? true
      {
        found.append(pid)
      }
    }
    return found
  }

  /// Kills what a worker that ended left running outside its process group: a contained worker's
  /// processes are in a session of their own (bubblewrap's), found by their run and agent.
  static func killLeftovers(run: String, agent: String) {
    for pid in find(run: run, agent: agent) { kill(pid, SIGKILL) }
  }

  /// Stops them: SIGTERM to each one's group and itself, SIGKILL after `grace` to what is left.
  static func stop(run: String, grace: Int64) -> Int {
    let first = find(run: run)
    guard !first.isEmpty else { return 0 }
    for pid in first {
      let group = getpgid(pid)
      if group > 1 && group != getpgrp() { kill(-group, SIGTERM) }
      kill(pid, SIGTERM)
    }
    let deadline = ProcessIdentity.monotonic() + Double(grace)
    while ProcessIdentity.monotonic() < deadline && !find(run: run).isEmpty { usleep(50_000) }
    for pid in find(run: run) {
      let group = getpgid(pid)
      if group > 1 && group != getpgrp() { kill(-group, SIGKILL) }
      kill(pid, SIGKILL)
    }
    return first.count
  }
}
