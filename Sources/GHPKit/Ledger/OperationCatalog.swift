/// The closed set of operations a commit on `ghp/state` may record, and how each is rebuilt from
/// its record. `ghp verify`, `ghp sync` and the server's `pre-receive` read operations only here.
public enum OperationCatalog {
  typealias Decoder = @Sendable (inout OperationArguments) throws(GHPError) -> any RecordedOperation

  static let decoders: [String: Decoder] = [
    "init": { (a) throws(GHPError) in try InitOperation(arguments: &a) },
    "heartbeat": { (a) throws(GHPError) in try StatusUpdateOperation(arguments: &a, heartbeat: true) },
    "status": { (a) throws(GHPError) in try StatusUpdateOperation(arguments: &a, heartbeat: false) },
    "claim": { (a) throws(GHPError) in try ClaimOperation(arguments: &a) },
    "release": { (a) throws(GHPError) in try ReleaseOperation(arguments: &a) },
    "done": { (a) throws(GHPError) in try DoneOperation(arguments: &a) },
    "fail": { (a) throws(GHPError) in try FailOperation(arguments: &a) },
    "retry": { (a) throws(GHPError) in try RetryOperation(arguments: &a) },
    "assign": { (a) throws(GHPError) in try AssignOperation(arguments: &a) },
    "issue-add": { (a) throws(GHPError) in try AddIssueOperation(arguments: &a) },
    "issue-edit": { (a) throws(GHPError) in try EditIssueOperation(arguments: &a) },
    "import": { (a) throws(GHPError) in try ImportIssuesOperation(arguments: &a) },
    "plan-set": { (a) throws(GHPError) in try SetPlanOperation(arguments: &a) },
    "discover": { (a) throws(GHPError) in try DiscoverOperation(arguments: &a) },
    "escalate": { (a) throws(GHPError) in try EscalateOperation(arguments: &a) },
    "resolve": { (a) throws(GHPError) in try ResolveOperation(arguments: &a) },
    "approve": { (a) throws(GHPError) in try ApproveOperation(arguments: &a) },
    "revoke": { (a) throws(GHPError) in try RevokeOperation(arguments: &a) },
    "approval-use": { (a) throws(GHPError) in try UseApprovalsOperation(arguments: &a) },
    "handoff": { (a) throws(GHPError) in try HandoffOperation(arguments: &a) },
    "reap": { (a) throws(GHPError) in try ReapOperation(arguments: &a) },
    "agent-add": { (a) throws(GHPError) in try RegisterAgentOperation(arguments: &a) },
    "agent-remove": { (a) throws(GHPError) in try UnregisterAgentOperation(arguments: &a) },
    "remote-set": { (a) throws(GHPError) in try SetRemoteOperation(arguments: &a) },
    "config-set": { (a) throws(GHPError) in try SetConfigOperation(arguments: &a) },
    "claims-lost": { (a) throws(GHPError) in try NoticeLostClaimsOperation(arguments: &a) },
    "land-lease": { (a) throws(GHPError) in try LandingLeaseOperation(arguments: &a) },
    "land-pending": { (a) throws(GHPError) in try PendingLandingOperation(arguments: &a) },
    "landed": { (a) throws(GHPError) in try LandedOperation(arguments: &a) },
    "land-bounce": { (a) throws(GHPError) in try BounceOperation(arguments: &a) },
    "run": { (a) throws(GHPError) in try RunOperation(arguments: &a) },
  ]

  /// The operation a record describes; an unknown name or a malformed argument is an error naming it.
  /// Every operation's name, as `Ghp-Op` and `ghp log --op` spell it.
  public static var names: [String] { Array(decoders.keys) }

  /// What is wrong with `name` as an operation filter (`ghp log --op`, `/api/timeline?op=`): nil
  /// for an operation ghp records.
  public static func unknown(_ name: String) -> String? {
    decoders[name] == nil ? "no such operation (one of \(names.sorted().joined(separator: ", ")))" : nil
  }

  public static func decode(_ record: OperationRecord) throws(GHPError) -> any RecordedOperation {
    guard let decoder = decoders[record.name] else {
      throw .invalidValue("operation '\(record.name)'", "ghp knows no such operation")
    }
    var arguments = OperationArguments(operation: record.name, record.arguments)
    let operation = try decoder(&arguments)
    try arguments.finish()
    return operation
  }

  /// The ids a record says its operation made, in order (see `IDRenames`).
  static func minted(_ record: OperationRecord) -> MintedIDs {
    let id = record.arguments["id"]?.stringValue.map { [$0] } ?? []
    switch record.name {
    case "issue-add": return MintedIDs(issues: id)
    case "escalate": return MintedIDs(escalations: id)
    case "approve": return MintedIDs(approvals: id)
    case "reap":
      return MintedIDs(escalations: record.arguments["escalations"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    default: return MintedIDs()
    }
  }
}

/// `ghp config set`: one setting of `.ghp/config.toml` (orchestrators). The rest of the file, its
/// comments among it, stays as it is; the result must still be a valid policy.
public struct SetConfigOperation: RecordedOperation {
  public var key: String
  /// The value as TOML (`"10m"`, `5`, `true`, `["README*"]`).
  public var value: String

  public init(key: String, value: String) {
    self.key = key
    self.value = value
  }

  public var record: OperationRecord { OperationRecord("config-set", ["key": .string(key), "value": .string(value)]) }

  init(arguments: inout OperationArguments) throws(GHPError) {
    key = try arguments.string("key")
    value = try arguments.string("value")
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Config) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "change the policy")
    let text = try state.text(StatePaths.config) ?? Config().toml
    let updated = try TOMLEdit.set(key, to: value, in: text)
    let config: Config
    do { config = try Config(toml: updated) } catch { throw .invalidValue("\(key) = \(value)", error.detail) }
    if updated == text { return (nil, config) }
    var change = Change(
      message: CommitMessage(subject: "\(actor): config \(key) = \(value)", operation: record, agent: actor))
    change.put(StatePaths.config, text: updated)
    return (change, config)
  }
}

/// Tells agents that claims they made offline lost on the shared remote (written by `ghp sync`), so
/// that their next report says so, as it does for reaped agents.
public struct NoticeLostClaimsOperation: RecordedOperation {
  public struct Notice: Equatable, Sendable {
    public var agent: String
    public var issue: String
    public var reason: String
  }

  public var notices: [Notice]

  init(notices: [Notice]) { self.notices = notices }

  public var record: OperationRecord {
    OperationRecord(
      "claims-lost",
      [
        "notices": .array(
          notices.map {
            .object(["agent": .string($0.agent), "issue": .string($0.issue), "reason": .string($0.reason)])
          })
      ])
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    guard case .array(let items)? = arguments.optionalValue("notices") else {
      throw arguments.wrong("notices", "an array")
    }
    notices = []
    for item in items {
      var fields = OperationArguments(operation: "a notice of claims-lost", item.objectValue ?? [:])
      notices.append(
        Notice(
          agent: try fields.string("agent"), issue: try fields.string("issue"), reason: try fields.string("reason")))
      try fields.finish()
    }
  }

  public func renaming(_ renames: IDRenames) -> Self {
    NoticeLostClaimsOperation(
      notices: notices.map { Notice(agent: $0.agent, issue: renames.issue($0.issue), reason: $0.reason) })
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Void) {
    try state.requireInitialised()
    guard !notices.isEmpty else { return (nil, ()) }
    var agents = try state.agents()
    for notice in notices {
      try AgentName.validate(notice.agent)
      let issue = try state.requireIssue(notice.issue)
      // Only a claim the agent does not hold can have been lost.
      if issue.status == .claimed && issue.assignee == notice.agent {
        throw .refused("\(notice.agent) holds #\(issue.id); it lost no claim on it")
      }
      // Named after who holds it now (the winner of the race), not after whoever synced.
      agents.agents[notice.agent]?.lostClaims.append(
        LostClaim(issue: issue.id, epoch: 0, by: issue.assignee ?? actor, at: clock.now, reason: notice.reason))
    }
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): " + notices.map { "\($0.agent) lost #\($0.issue)" }.joined(separator: ", "),
        operation: record,
        agent: actor))
    change.put(StatePaths.agentStatus, json: agents.json)
    return (change, ())
  }
}

/// Setting one key of a TOML file of ghp's shape (bare keys, `[table]` headers, one value a line),
/// keeping every other line as it is.
enum TOMLEdit {
  static func set(_ key: String, to value: String, in text: String) throws(GHPError) -> String {
    let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard (1...2).contains(parts.count),
      parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } })
    else {
      throw .invalidValue(
        "key '\(key)'", "use a setting name such as staleAfter or shared.globs (see `.ghp/config.toml`)")
    }
    do { _ = try TOML.parse("x = \(value)\n") } catch {
      throw .invalidValue("value \(value)", "it is not a TOML value (\(error.description)); quote text: '\"10m\"'")
    }
    let table = parts.count == 2 ? parts[0] : nil
    let name = parts.last!
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    var current: String?
    var tableEnd: Int?
    for (index, line) in lines.enumerated() {
      let trimmed = line.drop { $0 == " " || $0 == "\t" }
      if trimmed.hasPrefix("[") {
        if current == table && tableEnd == nil { tableEnd = index }
        current = String(trimmed.dropFirst().prefix { $0 != "]" }).trimmingSpaces
        continue
      }
      guard current == table, trimmed.hasPrefix(name) else { continue }
      let rest = trimmed.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }
      if rest.hasPrefix("=") {
        lines[index] = "\(name) = \(value)"
        return lines.joined(separator: "\n") + "\n"
      }
    }
    if current == table && tableEnd == nil { tableEnd = lines.count }
    if let tableEnd, table == nil || lines.contains(where: { $0.trimmingSpaces == "[\(table!)]" }) {
      // Top-level keys go before the first table; others at the end of their table.
      let at = table == nil ? (lines.firstIndex { $0.drop { $0 == " " }.hasPrefix("[") } ?? lines.count) : tableEnd
      var insertAt = at
      while insertAt > 0 && lines[insertAt - 1].trimmingSpaces.isEmpty { insertAt -= 1 }
      lines.insert("\(name) = \(value)", at: insertAt)
    } else if let table {
      lines += ["", "[\(table)]", "\(name) = \(value)"]
    } else {
      lines.append("\(name) = \(value)")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

extension SetConfigOperation {
  /// A value as a person types it: TOML when it reads as TOML (`5`, `true`, `["a"]`, `"text"`),
  /// otherwise text, quoted (`15m` -> `"15m"`).
  public static func tomlValue(_ typed: String) -> String {
    if (try? TOML.parse("x = \(typed)\n")) != nil { return typed }
    return TOML.quote(typed)
  }
}
