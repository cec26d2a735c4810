/// An orchestrator's permission for an agent to edit shared files.
public struct Approval: Equatable, Sendable {
  /// The approval's number, as `ghp revoke` takes it.
  public var id: String
  /// The agent allowed to edit the files.
  public var agent: String
  /// The globs of the shared files it may edit.
  public var globs: [String]
  /// The orchestrator who granted it.
  public var by: String
  /// When it was granted, in seconds since 1970.
  public var at: Int64
  /// Used up by the first commit that needs it.
  public var once: Bool
  /// When a `--once` approval was used up, in seconds since 1970; nil while unused.
  public var usedAt: Int64?
  /// The commit a `--once` approval was used by (set when that commit's id is known: after the
  /// commit, or when it is pushed); nil while only pre-commit has used it.
  public var usedBy: String?
  /// The orchestrator's note (`ghp approve --note`), nil when none.
  public var note: String?
  /// Set on an approval `ghp revoke` withdrew (kept in `.ghp/approvals-revoked.json`).
  public var revokedAt: Int64?
  /// The orchestrator who revoked it, nil while it is not revoked.
  public var revokedBy: String?

  /// Whether it still allows anything: neither revoked nor a used-up `--once`.
  public var isActive: Bool { !(once && usedAt != nil) && revokedAt == nil }

  /// Whether this approval covers `commit` (an id, or nil for one not made yet): a standing
  /// approval always; a once-approval while unused, or when it was used by that very commit, or
  /// used by pre-commit and not yet bound to any commit.
  public func allows(commit: String?) -> Bool {
    guard once, usedAt != nil else { return true }
    guard let commit else { return false }
    return usedBy == nil || usedBy == commit
  }

  /// Whether it lets `agent` edit `path` now: its agent, in force, and one of its globs matches.
  public func covers(_ path: String, for agent: String) -> Bool {
    self.agent == agent && isActive && globs.contains { Glob($0).matches(path) }
  }

  /// The approval as an entry of the approvals document.
  public var json: JSON {
    var fields: [String: JSON] = [
      "id": .string(id), "agent": .string(agent), "globs": .array(globs.map { .string($0) }), "by": .string(by),
      "at": .string(RFC3339.format(at)), "once": .bool(once),
      "usedAt": usedAt.map { .string(RFC3339.format($0)) } ?? .null,
      "usedBy": usedBy.map { .string($0) } ?? .null, "note": note.map { .string($0) } ?? .null,
    ]
    // Written only once revoked, so the documents of active approvals keep their old shape.
    if let revokedAt {
      fields["revokedAt"] = .string(RFC3339.format(revokedAt))
      fields["revokedBy"] = revokedBy.map { .string($0) } ?? .null
    }
    return .object(fields)
  }

  /// The approval as commands and tools answer it (the document keeps its own shape): its number a
  /// JSON number, when it was given as `grantedAt`.
  public var answerJSON: JSON {
    guard case .object(var fields) = json else { return json }
    fields["id"] = IssueReference.write(id)
    fields["grantedAt"] = fields.removeValue(forKey: "at")
    return .object(fields)
  }

  /// What a person reads in the STATE column: standing, once, used, or revoked.
  public var state: String {
    if let revokedAt { return "revoked " + RFC3339.format(revokedAt) + (revokedBy.map { " by \($0)" } ?? "") }
    return once ? (usedAt.map { "used " + RFC3339.format($0) } ?? "once") : "standing"
  }

  init?(json: JSON) {
    guard let id = json["id"]?.stringValue ?? json["id"]?.intValue.map(String.init),
      let agent = json["agent"]?.stringValue,
      let globs = json["globs"]?.arrayValue?.compactMap(\.stringValue), let by = json["by"]?.stringValue,
      let at = json["at"]?.stringValue.flatMap(RFC3339.parse)
    else { return nil }
    self.init(
      id: id, agent: agent, globs: globs, by: by, at: at, once: json["once"]?.boolValue ?? false,
      usedAt: json["usedAt"]?.stringValue.flatMap(RFC3339.parse), note: json["note"]?.stringValue)
    usedBy = json["usedBy"]?.stringValue
    revokedAt = json["revokedAt"]?.stringValue.flatMap(RFC3339.parse)
    revokedBy = json["revokedBy"]?.stringValue
  }

  /// An approval for `agent` to edit `globs`, granted by `by` at `at` (seconds since 1970).
  public init(
    id: String, agent: String, globs: [String], by: String, at: Int64, once: Bool, usedAt: Int64? = nil,
    note: String? = nil
  ) {
    self.id = id
    self.agent = agent
    self.globs = globs
    self.by = by
    self.at = at
    self.once = once
    self.usedAt = usedAt
    self.note = note
  }
}

extension StateSnapshot {
  /// `.ghp/approvals.json`: `{"approvals": [...]}`.
  public func approvals() throws(GHPError) -> [Approval] { try approvalList(StatePaths.approvals, revoked: false) }

  /// The approvals `ghp revoke` withdrew (when it kept them: revokes recorded before it did not).
  public func revokedApprovals() throws(GHPError) -> [Approval] {
    try approvalList(StatePaths.revokedApprovals, revoked: true)
  }

  /// One approvals document; in the revoked one, each entry must say when it was revoked.
  private func approvalList(_ path: String, revoked: Bool) throws(GHPError) -> [Approval] {
    guard let json = try json(path) else { return [] }
    guard let items = json["approvals"]?.arrayValue else {
      throw .corruptDocument(path: path, commit: shortCommit, detail: "\"approvals\" is missing or not a list")
    }
    var out: [Approval] = []
    for (index, item) in items.enumerated() {
      guard let approval = Approval(json: item), !revoked || approval.revokedAt != nil else {
        let fields = revoked ? "id, agent, globs, by, at or revokedAt" : "id, agent, globs, by or at"
        throw .corruptDocument(path: path, commit: shortCommit, detail: "approval \(index + 1) lacks \(fields)")
      }
      out.append(approval)
    }
    return out
  }

  /// What `ghp approvals` and the MCP `list_approvals` show: those in force, or with `all` every
  /// one (used up and revoked too).
  public func listedApprovals(all: Bool) throws(GHPError) -> [Approval] {
    all ? try allApprovals() : try approvals().filter(\.isActive)
  }

  /// Every approval: those in force or used up, then those revoked.
  public func allApprovals() throws(GHPError) -> [Approval] { try approvals() + revokedApprovals() }
}

func approvalsDocument(_ approvals: [Approval]) -> JSON { .object(["approvals": .array(approvals.map(\.json))]) }
