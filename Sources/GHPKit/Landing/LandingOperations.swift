/// The operations `ghp land` records on `ghp/state`: the lease (one lander per base), a passed
/// gate with its evidence (before the base moves), the landing itself, and a bounce back to the
/// agent. Each records every input it was given, so `ghp verify` re-executes it.

extension StatePaths {
  public static let landingFolder = ".ghp/landing"
  /// `.ghp/landing/<base>.lease.json`: who lands on that base now.
  public static func landingLease(_ base: String) -> String { "\(landingFolder)/\(BranchName.flat(base)).lease.json" }
  /// The whole output of the last gate run that judged the issue.
  public static func gateLog(_ issue: String) -> String { "\(resultsFolder)/\(issue).gate.log" }
}

/// Who holds the landing lease of a base: `.ghp/landing/<base>.lease.json`.
public struct LandingLease: Equatable, Sendable {
  public var base: String
  public var holder: String
  public var token: String
  public var host: String
  public var pid: Int
  public var start: Int
  public var acquiredAt: Int64
  public var renewedAt: Int64

  init(json: JSON) throws(DocumentError) {
    guard let f = json.objectValue, let base = f["base"]?.stringValue, let holder = f["holder"]?.stringValue,
      let token = f["token"]?.stringValue, let host = f["host"]?.stringValue, case .int(let pid)? = f["pid"],
      case .int(let start)? = f["start"], let acquired = f["acquiredAt"]?.stringValue.flatMap(RFC3339.parse),
      let renewed = f["renewedAt"]?.stringValue.flatMap(RFC3339.parse)
    else {
      throw DocumentError("a landing lease needs base, holder, token, host, pid, start, acquiredAt and renewedAt")
    }
    self.init(base: base, holder: holder, token: token, host: host, pid: pid, start: start, at: acquired)
    renewedAt = renewed
  }

  init(base: String, holder: String, token: String, host: String, pid: Int, start: Int, at: Int64) {
    self.base = base
    self.holder = holder
    self.token = token
    self.host = host
    self.pid = pid
    self.start = start
    acquiredAt = at
    renewedAt = at
  }

  public var json: JSON {
    .object([
      "base": .string(base), "holder": .string(holder), "token": .string(token), "host": .string(host),
      "pid": .int(pid),
      "start": .int(start), "acquiredAt": .string(RFC3339.format(acquiredAt)),
      "renewedAt": .string(RFC3339.format(renewedAt)),
    ])
  }

  public var description: String { "\(holder) (pid \(pid) on \(host), since \(RFC3339.format(acquiredAt)))" }
}

extension StateSnapshot {
  /// The landing lease of `base`, or nil when nobody lands there.
  public func landingLease(_ base: String) throws(GHPError) -> LandingLease? {
    let path = StatePaths.landingLease(base)
    guard let value = try json(path) else { return nil }
    do { return try LandingLease(json: value) } catch {
      throw .corruptDocument(path: path, commit: shortCommit, detail: error.detail)
    }
  }
}

/// One gate command's outcome, as recorded: the command, its exit code (128 + signal when killed),
/// how long it ran, whether the timeout killed it, and the last lines of its output.
public struct GateCommandResult: Equatable, Sendable {
  public var command: String
  public var exit: Int
  public var milliseconds: Int
  public var timedOut: Bool
  public var tail: String

  public init(command: String, exit: Int, milliseconds: Int, timedOut: Bool, tail: String) {
    self.command = command
    self.exit = exit
    self.milliseconds = milliseconds
    self.timedOut = timedOut
    self.tail = tail
  }

  public var passed: Bool { exit == 0 && !timedOut }

  public var json: JSON {
    .object([
      "command": .string(command), "exit": .int(exit), "milliseconds": .int(milliseconds), "timedOut": .bool(timedOut),
      "tail": .string(tail),
    ])
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    command = try arguments.string("command")
    exit = try arguments.int("exit")
    milliseconds = try arguments.int("milliseconds")
    timedOut = try arguments.bool("timedOut")
    tail = try arguments.string("tail")
  }

  static func list(_ arguments: inout OperationArguments, _ key: String) throws(GHPError) -> [GateCommandResult] {
    guard let value = arguments.optionalValue(key) else { return [] }
    guard case .array(let items) = value else { throw arguments.wrong(key, "an array of gate results") }
    var out: [GateCommandResult] = []
    for item in items {
      guard let fields = item.objectValue else { throw arguments.wrong(key, "an array of gate results") }
      var reader = OperationArguments(operation: "a gate result of \(arguments.operation)", fields)
      out.append(try GateCommandResult(arguments: &reader))
      try reader.finish()
    }
    return out
  }

  /// "`swift test` exited 1 after 12.3s" / "timed out after 20m".
  public var summary: String {
    let seconds = Double(milliseconds) / 1000
    let took = seconds < 10 ? "\((seconds * 10).rounded() / 10)s" : "\(Int(seconds.rounded()))s"
    if timedOut { return "`\(command)` timed out after \(took)" }
    return "`\(command)` exited \(exit) after \(took)"
  }
}

/// Checks that `actor` may act as the lander of `base` now: an orchestrator holding its lease.
func requireLandingLease(_ state: StateSnapshot, base: String, token: String, actor: String) throws(GHPError) {
  try state.requireOrchestrator(actor, toDo: "land work")
  guard let lease = try state.landingLease(base), lease.token == token else {
    let holder = try state.landingLease(base).map { " (it is held by \($0.description))" } ?? ""
    throw .refused("this lander no longer holds the landing lease of \(base)\(holder); nothing was recorded")
  }
}

/// Reads the issue a landing operation names and checks it waits to land that exact tip.
func requireSubmitted(_ state: StateSnapshot, _ id: String, tip: ObjectID) throws(GHPError) -> Issue {
  let issue = try state.requireIssue(id)
  guard issue.status == .landing, let submission = issue.submission else {
    throw .refused("#\(issue.id) is \(issue.status.rawValue), not landing")
  }
  guard submission.tip == tip else {
    throw .refused("#\(issue.id) was submitted at \(submission.tip.short), not \(tip.short)")
  }
  return issue
}

/// `land-lease`: take, renew or give back the landing lease of a base (orchestrators).
public struct LandingLeaseOperation: RecordedOperation {
  public enum Action: String, Sendable { case acquire, renew, release }

  public var base: String
  public var action: Action
  public var token: String
  public var host: String
  public var pid: Int
  public var start: Int
  /// On `acquire`: the token of a lease the caller found abandoned (its process is gone).
  public var replaces: String?

  public init(base: String, action: Action, token: String, host: String, pid: Int, start: Int, replaces: String? = nil)
  {
    self.base = base
    self.action = action
    self.token = token
    self.host = host
    self.pid = pid
    self.start = start
    self.replaces = replaces
  }

  public var record: OperationRecord {
    OperationRecord(
      "land-lease",
      [
        "base": .string(base), "action": .string(action.rawValue), "token": .string(token), "host": .string(host),
        "pid": .int(pid), "start": .int(start), "replaces": replaces.map { .string($0) } ?? .null,
      ])
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    base = try arguments.string("base")
    let word = try arguments.string("action")
    guard let action = Action(rawValue: word) else { throw arguments.wrong("action", "acquire, renew or release") }
    self.action = action
    token = try arguments.string("token")
    host = try arguments.string("host")
    pid = try arguments.int("pid")
    start = try arguments.int("start")
    replaces = try arguments.optionalString("replaces")
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, LandingLease?) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "land work")
    try BranchName.validate(base)
    guard !token.isEmpty, token.utf8.count <= 64 else {
      throw .invalidValue("lease token", "it must be 1 to 64 characters")
    }
    try TextLimit.check(host, "the host name", TextLimit.title)
    let policy = try state.config().landing
    let current = try state.landingLease(base)
    let path = StatePaths.landingLease(base)
    var lease: LandingLease
    var subject: String
    switch action {
    case .acquire:
      guard policy != nil else {
        throw .refused(
          "[landing] is not configured in .ghp/config.toml; set it first (ghp config set landing.gate '[\"swift test\"]')"
        )
      }
      if let current, current.token != token {
        let stale = clock.now - current.renewedAt > (policy?.leaseStaleAfter ?? 0)
        guard stale || replaces == current.token else {
          throw .refused(
            "the landing lease of \(base) is held by \(current.description), renewed \(RFC3339.format(current.renewedAt)); it is taken over once stale (\(Duration.exact(policy?.leaseStaleAfter ?? 0)) without renewal) or when that process is gone"
          )
        }
        subject =
          "\(actor): take over the landing lease of \(base) from \(current.holder) (pid \(current.pid) on \(current.host)"
          + (stale ? ", stale)" : ", gone)")
      } else if current?.token == token {
        return (nil, current)
      } else {
        subject = "\(actor): take the landing lease of \(base)"
      }
      lease = LandingLease(base: base, holder: actor, token: token, host: host, pid: pid, start: start, at: clock.now)
    case .renew:
      guard var held = current, held.token == token else {
        throw .refused(
          "this lander lost the landing lease of \(base)" + (current.map { " to \($0.description)" } ?? ""))
      }
      held.renewedAt = clock.now
      lease = held
      subject = "\(actor): renew the landing lease of \(base)"
    case .release:
      guard let held = current, held.token == token else { return (nil, nil) }
      var change = Change(
        message: CommitMessage(
          subject: "\(actor): give back the landing lease of \(base)", operation: record, agent: actor))
      change.writes[path] = .some(nil)
      return (change, nil)
    }
    var change = Change(message: CommitMessage(subject: subject, operation: record, agent: actor))
    change.put(path, json: lease.json)
    return (change, lease)
  }
}

/// One issue of a gate run that passed: what it lands and on what.
public struct PendingEntry: Equatable, Sendable {
  public var issue: String
  public var tip: ObjectID
  public var baseBefore: ObjectID
  /// The base tip once this issue is on it (a merge, a squash, the last rebased commit, or the
  /// base itself when the tip was already in it).
  public var baseAfter: ObjectID
  /// The merge commit made for it, or nil when the base already held the tip.
  public var merge: ObjectID?

  public init(issue: String, tip: ObjectID, baseBefore: ObjectID, baseAfter: ObjectID, merge: ObjectID?) {
    self.issue = issue
    self.tip = tip
    self.baseBefore = baseBefore
    self.baseAfter = baseAfter
    self.merge = merge
  }

  var json: JSON {
    .object([
      "issue": .string(issue), "tip": .string(tip.hex), "baseBefore": .string(baseBefore.hex),
      "baseAfter": .string(baseAfter.hex), "merge": merge.map { .string($0.hex) } ?? .null,
    ])
  }
}

/// `land-pending`: the gate passed on the merge of these issues; the base is about to move. Each
/// issue keeps the evidence, so a lander killed before it records `landed` is finished by the next
/// one (which finds the base holding `baseAfter`), never repeated.
public struct PendingLandingOperation: RecordedOperation {
  public var base: String
  public var token: String
  public var mode: LandingPolicy.Mode
  public var entries: [PendingEntry]
  public var gate: [GateCommandResult]
  /// The blob holding the gate's whole output, put at `.ghp/results/<id>.gate.log` for each issue.
  public var log: ObjectID?

  public init(
    base: String, token: String, mode: LandingPolicy.Mode, entries: [PendingEntry], gate: [GateCommandResult],
    log: ObjectID?
  ) {
    self.base = base
    self.token = token
    self.mode = mode
    self.entries = entries
    self.gate = gate
    self.log = log
  }

  public var record: OperationRecord {
    OperationRecord(
      "land-pending",
      [
        "base": .string(base), "token": .string(token), "mode": .string(mode.rawValue),
        "entries": .array(entries.map(\.json)), "gate": .array(gate.map(\.json)),
        "log": log.map { .string($0.hex) } ?? .null,
      ])
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    base = try arguments.string("base")
    token = try arguments.string("token")
    guard let mode = LandingPolicy.Mode(rawValue: try arguments.string("mode")) else {
      throw arguments.wrong("mode", "merge, rebase or squash")
    }
    self.mode = mode
    guard case .array(let items)? = arguments.optionalValue("entries") else {
      throw arguments.wrong("entries", "an array")
    }
    entries = []
    for item in items {
      var fields = OperationArguments(operation: "an entry of land-pending", item.objectValue ?? [:])
      entries.append(
        PendingEntry(
          issue: try fields.string("issue"), tip: try fields.objectID("tip"),
          baseBefore: try fields.objectID("baseBefore"),
          baseAfter: try fields.objectID("baseAfter"), merge: try fields.optionalObjectID("merge")))
      try fields.finish()
    }
    gate = try GateCommandResult.list(&arguments, "gate")
    log = try arguments.optionalObjectID("log")
  }

  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    for index in renamed.entries.indices { renamed.entries[index].issue = renames.issue(entries[index].issue) }
    return renamed
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, [Issue]) {
    try state.requireInitialised()
    try requireLandingLease(state, base: base, token: token, actor: actor)
    guard !entries.isEmpty else { throw .emptyText("the issues of land-pending") }
    guard gate.allSatisfy(\.passed) else { throw .refused("a gate command failed; nothing lands") }
    var change = Change(
      message: CommitMessage(
        subject:
          "\(actor): gate passed for \(entries.map { "#\($0.issue)" }.joined(separator: " ")) on \(base); moving \(base)",
        operation: record, agent: actor, issue: entries.count == 1 ? entries[0].issue : nil))
    var issues: [Issue] = []
    for entry in entries {
      var issue = try requireSubmitted(state, entry.issue, tip: entry.tip)
      var evidence: [String: JSON] = [
        "base": .string(base), "mode": .string(mode.rawValue), "gate": .array(gate.map(\.json)),
        "batch": .array(entries.map { .string($0.issue) }), "by": .string(actor),
        "gatedAt": .string(RFC3339.format(clock.now)),
      ]
      if case .object(let fields) = entry.json { evidence.merge(fields.filter { $0.key != "issue" }) { a, _ in a } }
      if let log {
        evidence["log"] = .string(StatePaths.gateLog(issue.id))
        change.links[StatePaths.gateLog(issue.id)] = log
      }
      issue.pending = .object(evidence)
      issue.updatedAt = clock.now
      change.put(StatePaths.issue(issue.id), json: issue.json)
      issues.append(issue)
    }
    return (change, issues)
  }
}

/// `landed`: the base holds these issues' pending landings; they are done, with their evidence.
public struct LandedOperation: RecordedOperation {
  public var base: String
  public var token: String
  public var issues: [String]
  /// The base tip the lander saw holding them.
  public var head: ObjectID
  /// True when a lander finished what a killed one had gated and moved.
  public var recovered: Bool

  public init(base: String, token: String, issues: [String], head: ObjectID, recovered: Bool) {
    self.base = base
    self.token = token
    self.issues = issues
    self.head = head
    self.recovered = recovered
  }

  public var record: OperationRecord {
    OperationRecord(
      "landed",
      [
        "base": .string(base), "token": .string(token), "issues": .array(issues.map { .string($0) }),
        "head": .string(head.hex), "recovered": .bool(recovered),
      ])
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    base = try arguments.string("base")
    token = try arguments.string("token")
    issues = try arguments.strings("issues")
    head = try arguments.objectID("head")
    recovered = try arguments.bool("recovered")
  }

  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.issues = issues.map(renames.issue)
    return renamed
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, [Issue]) {
    try state.requireInitialised()
    try requireLandingLease(state, base: base, token: token, actor: actor)
    guard !issues.isEmpty else { throw .emptyText("the issues of landed") }
    var landed: [Issue] = []
    var change = Change(message: CommitMessage(subject: "", operation: record, agent: actor))
    for id in issues {
      var issue = try state.requireIssue(id)
      guard issue.status == .landing, case .object(var evidence)? = issue.pending else {
        throw .refused("#\(issue.id) has no passed gate waiting to land (it is \(issue.status.rawValue))")
      }
      evidence["landedAt"] = .string(RFC3339.format(clock.now))
      evidence["head"] = .string(head.hex)
      if recovered { evidence["recovered"] = .bool(true) }
      issue.landing = .object(evidence)
      issue.pending = nil
      issue.status = .done
      issue.updatedAt = clock.now
      change.put(StatePaths.issue(issue.id), json: issue.json)
      landed.append(issue)
    }
    let named = landed.map { "#\($0.id) \($0.title)" }.joined(separator: ", ")
    change.message = CommitMessage(
      subject: "\(actor): landed \(named) on \(base) (\(head.short))"
        + (recovered ? " (finishing a killed lander's landing)" : ""),
      operation: record, agent: actor, issue: landed.count == 1 ? landed[0].id : nil)
    return (change, landed)
  }
}

/// `land-bounce`: the issue goes back to its agent: its branch conflicts with the base (claimed
/// again, epoch unchanged), or the gate failed on it (a failed attempt; dead after `maxAttempts`).
public struct BounceOperation: RecordedOperation {
  public enum Kind: String, Sendable { case conflict, gate }

  public var base: String
  public var token: String
  public var issueID: String
  public var tip: ObjectID
  public var baseTip: ObjectID
  public var kind: Kind
  public var paths: [String]
  public var gate: [GateCommandResult]
  public var log: ObjectID?

  public init(
    base: String, token: String, issueID: String, tip: ObjectID, baseTip: ObjectID, kind: Kind, paths: [String],
    gate: [GateCommandResult], log: ObjectID?
  ) {
    self.base = base
    self.token = token
    self.issueID = issueID
    self.tip = tip
    self.baseTip = baseTip
    self.kind = kind
    self.paths = paths
    self.gate = gate
    self.log = log
  }

  public var record: OperationRecord {
    OperationRecord(
      "land-bounce",
      [
        "base": .string(base), "token": .string(token), "issue": .string(issueID), "tip": .string(tip.hex),
        "baseTip": .string(baseTip.hex), "kind": .string(kind.rawValue), "paths": .array(paths.map { .string($0) }),
        "gate": .array(gate.map(\.json)), "log": log.map { .string($0.hex) } ?? .null,
      ])
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    base = try arguments.string("base")
    token = try arguments.string("token")
    issueID = try arguments.string("issue")
    tip = try arguments.objectID("tip")
    baseTip = try arguments.objectID("baseTip")
    guard let kind = Kind(rawValue: try arguments.string("kind")) else {
      throw arguments.wrong("kind", "conflict or gate")
    }
    self.kind = kind
    paths = try arguments.strings("paths")
    gate = try GateCommandResult.list(&arguments, "gate")
    log = try arguments.optionalObjectID("log")
  }

  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.issueID = renames.issue(issueID)
    return renamed
  }

  /// The reason told to the agent.
  var reason: String {
    switch kind {
    case .conflict:
      let shown = paths.prefix(20).joined(separator: ", ") + (paths.count > 20 ? ", … (\(paths.count) paths)" : "")
      return
        "agent branch conflicts with \(base) at \(baseTip.short) in \(shown); merge \(base) into your branch, resolve, commit, and `ghp done` again"
    case .gate:
      guard let failed = gate.first(where: { !$0.passed }) else { return "the gate failed" }
      let tail = failed.tail.split(separator: "\n", omittingEmptySubsequences: false).suffix(10).joined(separator: "\n")
      return "gate \(failed.summary) on the merge with \(base) at \(baseTip.short):\n\(tail)"
    }
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    try requireLandingLease(state, base: base, token: token, actor: actor)
    var issue = try requireSubmitted(state, issueID, tip: tip)
    if kind == .conflict && paths.isEmpty { throw .emptyText("the conflicting paths") }
    if kind == .gate && gate.allSatisfy(\.passed) {
      throw .refused("every gate command passed; #\(issue.id) cannot bounce on the gate")
    }
    let agent = issue.assignee ?? issue.submission?.by ?? actor
    let reason = reason
    var bounce: [String: JSON] = [
      "kind": .string(kind.rawValue), "at": .string(RFC3339.format(clock.now)), "by": .string(actor),
      "base": .string(base), "baseTip": .string(baseTip.hex), "tip": .string(tip.hex), "reason": .string(reason),
    ]
    if !paths.isEmpty { bounce["paths"] = .array(paths.map { .string($0) }) }
    if !gate.isEmpty { bounce["gate"] = .array(gate.map(\.json)) }
    var change = Change(message: CommitMessage(subject: "", operation: record, agent: actor, issue: issue.id))
    if let log {
      bounce["log"] = .string(StatePaths.gateLog(issue.id))
      change.links[StatePaths.gateLog(issue.id)] = log
    }
    issue.bounced = .object(bounce)
    issue.pending = nil
    issue.updatedAt = clock.now
    var fate = "back to \(agent)"
    if kind == .gate {
      issue.attempts += 1
      issue.failures.append(Issue.Failure(agent: agent, at: clock.now, reason: reason))
      if issue.attempts >= (try state.config().maxAttempts) {
        issue.assignee = agent
        issue.reopen(at: clock.now)
        issue.status = .dead
        fate = "dead after \(issue.attempts) attempts"
      }
    }
    var agents = try state.agents()
    if issue.status != .dead {
      issue.status = .claimed
      issue.assignee = agent
    }
    // The agent is told on its next report, also when the failure was its last attempt.
    if var record = agents.agents[agent] {
      let told =
        issue.status == .dead ? "\(reason)\n(\(fate): an orchestrator can `ghp issue retry \(issue.id)`)" : reason
      record.returned.append(ReturnedIssue(issue: issue.id, kind: kind.rawValue, reason: told, at: clock.now))
      if issue.status == .claimed {
        if record.issue == nil { record.issue = issue.id }
        if record.status == "idle" { record.status = "claimed" }
      }
      agents.agents[agent] = record
    }
    let what =
      kind == .conflict ? "conflicts with \(base) in \(paths.count) path\(paths.count == 1 ? "" : "s")" : "gate failed"
    change.message = CommitMessage(
      subject: "\(actor): bounce #\(issue.id) \(issue.title): \(what); \(fate)", body: reason, operation: record,
      agent: actor, issue: issue.id, epoch: issue.epoch)
    change.put(StatePaths.issue(issue.id), json: issue.json)
    change.put(StatePaths.agentStatus, json: agents.json)
    return (change, issue)
  }
}
