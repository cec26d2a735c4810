/// The status words ghp itself writes into an agent's record (an agent may write any word of its
/// own: `implementing`, `testing`, …), each spelled here only.
public enum StatusWord {
  /// Registered, or back from work, with nothing claimed.
  public static let idle = "idle"
  /// The orchestrator that ran `ghp init`.
  public static let planning = "planning"
  /// It took an issue (`ghp claim`, or work sent back to it from landing).
  public static let claimed = "claimed"
  /// An orchestrator assigned it an issue.
  public static let assigned = "assigned"
  /// It asked a human and waits for the answer.
  public static let escalated = "escalated"
  /// `ghp reap` found it silent for longer than `staleAfter`.
  public static let stale = "stale"
  /// A handoff gave it an issue.
  public static let handoff = "handoff"
  /// It handed its issue to another agent and holds nothing.
  public static let handedOff = "handed-off"
}

/// One agent's line in `.ghp/agent-status.json`.
public struct AgentRecord: Equatable, Sendable {
  /// What an agent may do: an orchestrator plans, assigns and overrides; a worker works the issues
  /// it holds; a manager holds epics and has an orchestrator's authority within each epic it holds
  /// (`StateSnapshot.requireAuthority`), and a worker's everywhere else; a reviewer gives verdicts
  /// on others' landings (`ghp review`).
  public enum Role: String, Sendable, CaseIterable, RecordedWord {
    case orchestrator, worker, manager, reviewer
  }

  /// The issue the agent is working on, nil when it holds none.
  public var issue: String?
  /// The agent's own word for what it is doing: `idle`, `claimed`, `assigned`, `stale`, `escalated`, ...
  public var status: String
  /// A sentence saying what the agent did last (`Claimed #3`), empty when nothing yet.
  public var lastAction: String
  /// Seconds since 1970 of the last heartbeat or status update.
  public var timestamp: Int64
  /// The agent's git branch (`agent/<name>`), nil when it has none registered.
  public var branch: String?
  /// The agent's registered role; a name in `[roles] orchestrators` is an orchestrator whatever this says.
  public var role: Role
  /// An issue handed to this agent whose handoff it has not seen yet.
  public var handoffWaiting: String?
  /// Claims taken from this agent (by `ghp reap`) that it has not been told about yet.
  public var lostClaims: [LostClaim] = []
  /// Issues `ghp land` sent back to this agent (a conflict, a failed gate) that it has not been
  /// told about yet.
  public var returned: [ReturnedIssue] = []
  /// The public key its state commits are signed with (`ssh-ed25519 AAAA...`), if it has one.
  public var signingKey: String?
  /// What it can do (`ghp agent add w1 --can swift,docs`, `"can"` in the document), sorted: an
  /// issue that needs something is given only to an agent that can do all of it.
  public var capabilities: [String] = []
  /// Fields ghp does not know, kept as they were so that other tools' additions survive.
  public var extra: [String: JSON] = [:]

  /// A record with the given status, last action and time, a worker unless told otherwise.
  public init(
    issue: String? = nil, status: String, lastAction: String, timestamp: Int64, branch: String? = nil,
    role: Role = .worker
  ) {
    self.issue = issue
    self.status = status
    self.lastAction = lastAction
    self.timestamp = timestamp
    self.branch = branch
    self.role = role
  }
}

/// A claim taken away from an agent, kept until the agent is told.
public struct LostClaim: Equatable, Sendable {
  /// The issue whose claim was taken.
  public var issue: String
  /// The epoch of the claim that was taken.
  public var epoch: Int
  /// The agent or person who took it.
  public var by: String
  /// When it was taken, in seconds since 1970.
  public var at: Int64
  /// Why it was taken, as its taker said (empty when nothing was said).
  public var reason: String

  var json: JSON {
    .object([
      "issue": IssueReference.write(issue), "epoch": .int(epoch), "by": .string(by), "at": .string(RFC3339.format(at)),
      "reason": .string(reason),
    ])
  }

  init(issue: String, epoch: Int, by: String, at: Int64, reason: String) {
    self.issue = issue
    self.epoch = epoch
    self.by = by
    self.at = at
    self.reason = reason
  }

  init?(json: JSON) {
    guard let issue = try? IssueReference.read(json["issue"], what: "issue"), let epoch = json["epoch"]?.intValue,
      let by = json["by"]?.stringValue, let at = json["at"]?.stringValue.flatMap(RFC3339.parse)
    else { return nil }
    self.init(issue: issue, epoch: epoch, by: by, at: at, reason: json["reason"]?.stringValue ?? "")
  }
}

/// An issue `ghp land` gave back to its agent, kept until the agent is told.
public struct ReturnedIssue: Equatable, Sendable {
  /// The issue sent back.
  public var issue: String
  /// `conflict` or `gate`.
  public var kind: String
  /// What went wrong, as the lander wrote it for the agent: the conflict or the gate's failure.
  public var reason: String
  /// When it was sent back, in seconds since 1970.
  public var at: Int64

  /// The entry as an object of the agent's `returned` list.
  public var json: JSON {
    .object([
      "issue": IssueReference.write(issue), "kind": .string(kind), "reason": .string(reason),
      "at": .string(RFC3339.format(at)),
    ])
  }

  init(issue: String, kind: String, reason: String, at: Int64) {
    self.issue = issue
    self.kind = kind
    self.reason = reason
    self.at = at
  }

  init?(json: JSON) {
    guard let issue = try? IssueReference.read(json["issue"], what: "issue"), let kind = json["kind"]?.stringValue,
      let at = json["at"]?.stringValue.flatMap(RFC3339.parse)
    else { return nil }
    self.init(issue: issue, kind: kind, reason: json["reason"]?.stringValue ?? "", at: at)
  }
}

/// `.ghp/agent-status.json`: the seed's shape, `{"agents": {"worker-1": {"issue": 147, "status": ...}}}`.
public struct AgentStatusDocument: Equatable, Sendable {
  /// Every registered agent's record, by agent name.
  public var agents: [String: AgentRecord] = [:]

  /// A document holding these agents' records.
  public init(agents: [String: AgentRecord] = [:]) { self.agents = agents }

  static let known: Set<String> = [
    "issue", "status", "lastAction", "timestamp", "branch", "role", "handoffWaiting", "lostClaims", "signingKey",
    "returned", "can",
  ]

  /// Reads `.ghp/agent-status.json`, refusing an agent without a valid timestamp or with a malformed key.
  public init(json: JSON) throws(DocumentError) {
    guard let root = json.objectValue else { throw DocumentError("the document is not a JSON object") }
    guard let agents = root["agents"]?.objectValue else {
      throw DocumentError("\"agents\" is missing or not an object")
    }
    for (name, value) in agents { self.agents[name] = try Self.record(named: name, value) }
  }

  /// One agent's entry, read as the whole document reads it.
  static func record(named name: String, _ value: JSON) throws(DocumentError) -> AgentRecord {
    guard let fields = value.objectValue else { throw DocumentError("agent '\(name)' is not an object") }
    guard let timestampText = fields["timestamp"]?.stringValue, let timestamp = RFC3339.parse(timestampText) else {
      throw DocumentError("agent '\(name)' has no valid RFC 3339 \"timestamp\"")
    }
    var record = AgentRecord(
      issue: try IssueReference.read(fields["issue"], what: "agent '\(name)' \"issue\""),
      status: fields["status"]?.stringValue ?? StatusWord.idle,
      lastAction: fields["lastAction"]?.stringValue ?? "",
      timestamp: timestamp,
      branch: fields["branch"]?.stringValue,
      role: fields["role"]?.stringValue.flatMap(AgentRecord.Role.init(rawValue:)) ?? .worker)
    record.handoffWaiting = try IssueReference.read(
      fields["handoffWaiting"], what: "agent '\(name)' \"handoffWaiting\"")
    record.lostClaims = fields["lostClaims"]?.arrayValue?.compactMap(LostClaim.init(json:)) ?? []
    record.returned = fields["returned"]?.arrayValue?.compactMap(ReturnedIssue.init(json:)) ?? []
    if let key = fields["signingKey"], !key.isNull {
      guard let line = key.stringValue, SSHSignature.publicKey(line) != nil else {
        throw DocumentError("agent '\(name)' \"signingKey\" is not an ssh-ed25519 public key")
      }
      record.signingKey = line
    }
    if let can = fields["can"], !can.isNull {
      guard let words = Capability.read(can) else {
        throw DocumentError("agent '\(name)' \"can\" is not a list of capabilities")
      }
      record.capabilities = words
    }
    record.extra = fields.filter { !Self.known.contains($0.key) }
    return record
  }

  /// One agent's entry as the document writes it, with the unknown fields it was read with.
  static func entry(_ record: AgentRecord) -> JSON {
    var fields = record.extra
    fields["issue"] = IssueReference.write(record.issue)
    fields["status"] = .string(record.status)
    fields["lastAction"] = .string(record.lastAction)
    fields["timestamp"] = .string(RFC3339.format(record.timestamp))
    fields["role"] = .string(record.role.rawValue)
    if let branch = record.branch { fields["branch"] = .string(branch) }
    if let handoff = record.handoffWaiting { fields["handoffWaiting"] = IssueReference.write(handoff) }
    if !record.lostClaims.isEmpty { fields["lostClaims"] = .array(record.lostClaims.map(\.json)) }
    if !record.returned.isEmpty { fields["returned"] = .array(record.returned.map(\.json)) }
    if let key = record.signingKey { fields["signingKey"] = .string(key) }
    if !record.capabilities.isEmpty { fields["can"] = .array(record.capabilities.map { .string($0) }) }
    return .object(fields)
  }

  /// The document as JSON, each record with the unknown fields it was read with.
  public var json: JSON {
    var agents: [String: JSON] = [:]
    for (name, record) in self.agents { agents[name] = Self.entry(record) }
    return .object(["agents": .object(agents)])
  }
}

/// Issue ids are written as JSON numbers when they are plain numbers (the seed's `"issue": 147`)
/// and as strings otherwise (`"task-001"`).
public enum IssueReference {
  static func read(_ value: JSON?, what: String) throws(DocumentError) -> String? {
    switch value {
    case nil, .null?: return nil
    case .int(let number)?: return String(number)
    case .string(let text)?: return text.isEmpty ? nil : text
    default: throw DocumentError("\(what) is neither a number nor a string")
    }
  }

  /// The id as JSON: a number when it is a plain number, else a string; null for nil.
  public static func write(_ id: String?) -> JSON {
    guard let id else { return .null }
    if let number = Int(id), String(number) == id { return .int(number) }
    return .string(id)
  }
}

/// Why a document could not be read.
public struct DocumentError: Error, Sendable {
  /// What is wrong with the document, a phrase such as `"title" is missing`.
  public let detail: String
  /// An error saying what is wrong with the document.
  public init(_ detail: String) { self.detail = detail }
}
