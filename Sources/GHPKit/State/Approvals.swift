/// An orchestrator's permission for an agent to edit shared files.
public struct Approval: Equatable, Sendable {
  public var id: String
  public var agent: String
  public var globs: [String]
  public var by: String
  public var at: Int64
  /// Used up by the first commit that needs it.
  public var once: Bool
  public var usedAt: Int64?
  /// The commit a `--once` approval was used by (set when that commit's id is known: after the
  /// commit, or when it is pushed); nil while only pre-commit has used it.
  public var usedBy: String?
  public var note: String?
  /// Set on an approval `ghp revoke` withdrew (kept in `.ghp/approvals-revoked.json`).
  public var revokedAt: Int64?
  public var revokedBy: String?

  public var isActive: Bool { !(once && usedAt != nil) && revokedAt == nil }

  /// Whether this approval covers `commit` (an id, or nil for one not made yet): a standing
  /// approval always; a once-approval while unused, or when it was used by that very commit, or
  /// used by pre-commit and not yet bound to any commit.
  public func allows(commit: String?) -> Bool {
    guard once, usedAt != nil else { return true }
    guard let commit else { return false }
    return usedBy == nil || usedBy == commit
  }

  public func covers(_ path: String, for agent: String) -> Bool {
    self.agent == agent && isActive && globs.contains { Glob($0).matches(path) }
  }

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

/// `ghp approve`: lets an agent edit shared files matching globs (orchestrators).
public struct ApproveOperation: RecordedOperation {
  public var agent: String
  public var globs: [String]
  public var once: Bool
  public var note: String?
  /// The approval's number; nil takes the next free one (see `AddIssueOperation.id`).
  public var id: String?
  /// Answers the open escalations that asked for this approval. Recorded as
  /// `"answersEscalations": true`; a record without it (older) replays as it was made.
  public var answersEscalations = true

  public init(agent: String, globs: [String], once: Bool, note: String?, id: String? = nil) {
    self.agent = agent
    self.globs = globs
    self.once = once
    self.note = note
    self.id = id
  }

  public var record: OperationRecord {
    OperationRecord(
      "approve",
      [
        "id": id.map { .string($0) } ?? .null, "to": .string(agent), "globs": .array(globs.map { .string($0) }),
        "once": .bool(once), "note": note.map { .string($0) } ?? .null,
      ].merging(answersEscalations ? ["answersEscalations": .bool(true)] : [:]) { a, _ in a })
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    id = try arguments.optionalString("id")
    agent = try arguments.string("to")
    globs = try arguments.strings("globs")
    once = try arguments.bool("once", default: false)
    note = try arguments.optionalString("note")
    answersEscalations = try arguments.bool("answersEscalations", default: false)
  }

  public func remintingIDs() -> Self {
    var fresh = self
    fresh.id = nil
    return fresh
  }

  /// The approval, and the open escalations of the agent that asked for it, now answered by it.
  public struct Output: Sendable {
    public var approval: Approval
    public var resolvedEscalations: [String]

    public var json: JSON {
      guard case .object(var fields) = approval.json else { return approval.json }
      fields["resolvedEscalations"] = .array(resolvedEscalations.map { .string($0) })
      return .object(fields)
    }
  }

  /// The operation as recorded: its trimmed globs and the approval's number.
  func recorded(id: String, globs: [String]) -> ApproveOperation {
    var copy = ApproveOperation(agent: agent, globs: globs, once: once, note: note, id: id)
    copy.answersEscalations = answersEscalations
    return copy
  }

  /// Whether an escalation's question asks for an approval these globs grant: it speaks of an
  /// approval and names a path one of them matches (the hook's own wording is
  /// "Approval needed to edit README.md").
  static func asksFor(_ question: String, globs: [String]) -> Bool {
    guard speaksOfApproval(question) else { return false }
    let matchers = globs.map { Glob($0) }
    // (Dots are trimmed from the front too: replayed records were answered so.)
    let words = Self.words(of: question, leading: punctuation.union(["."]), trailing: punctuation.union(["."]))
    return words.contains { word in !word.isEmpty && matchers.contains { $0.matches(word) } }
  }

  /// Whether an escalation's question speaks of an approval.
  public static func speaksOfApproval(_ question: String) -> Bool { question.lowercased().contains("approv") }

  /// The files an escalation asks approval for, for a person to grant: the words of its question
  /// that look like paths or globs, in order, each once (none when it does not speak of approval).
  public static func requestedFiles(_ question: String) -> [String] {
    guard speaksOfApproval(question) else { return [] }
    var out: [String] = []
    for word in words(of: question, leading: punctuation, trailing: punctuation.union(["."]))
    where (word.contains(".") || word.contains("/") || word.contains("*")) && !word.hasPrefix("http")
      && !out.contains(word)
    {
      out.append(word)
    }
    return out
  }

  static let punctuation: Set<Character> = ["\"", "'", "`", ",", ";", ":", "?", "!", "(", ")"]

  /// The words of `text` split at blanks, with these characters trimmed from their ends.
  static func words(of text: String, leading: Set<Character>, trailing: Set<Character>) -> [String] {
    text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map { word in
      var text = Substring(word)
      while let first = text.first, leading.contains(first) { text.removeFirst() }
      while let last = text.last, trailing.contains(last) { text.removeLast() }
      return String(text)
    }
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Output) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "approve edits to shared files")
    try AgentName.validate(agent)
    try TextLimit.check(note, "the note", TextLimit.action)
    let globs = globs.map(\.trimmingSpaces).filter { !$0.isEmpty }
    guard !globs.isEmpty else { throw .emptyText("the list of files") }
    var approvals = try state.approvals()
    let number = try mintedID(
      id, "approval", isTaken: { (id) throws(GHPError) in approvals.contains { $0.id == id } },
      next: { () throws(GHPError) in
        let highest = approvals.compactMap { Int($0.id) }.max() ?? 0
        guard highest < Int.max else { throw .exhausted("every approval number is taken") }
        return String(highest + 1)
      })
    let approval = Approval(
      id: number, agent: agent, globs: globs, by: actor, at: clock.now,
      once: once, note: note)
    approvals.append(approval)
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): approve \(agent) to edit \(globs.joined(separator: " "))\(once ? " (once)" : "")",
        operation: recorded(id: approval.id, globs: globs).record,
        agent: actor))
    change.put(StatePaths.approvals, json: approvalsDocument(approvals))
    // The loop closes: an open escalation of this agent asking for this approval is answered.
    var resolved: [String] = []
    for var escalation in try state.escalations()
    where answersEscalations && escalation.status == .open && escalation.agent == agent
      && Self.asksFor(escalation.question, globs: globs)
    {
      escalation.status = .resolved
      escalation.answer =
        "Approved: \(agent) may edit \(globs.joined(separator: " "))\(once ? " once" : "") (approval \(approval.id))."
      escalation.answeredBy = actor
      escalation.answered = clock.now
      try escalationWrite(escalation, state: state, into: &change)
      resolved.append(escalation.id)
    }
    if !resolved.isEmpty {
      change.message.subject += "; answers escalation " + resolved.joined(separator: ", ")
    }
    return (change, Output(approval: approval, resolvedEscalations: resolved))
  }
}

/// `ghp revoke`: withdraws an approval (orchestrators).
public struct RevokeOperation: RecordedOperation {
  public var approvalID: String
  /// Keeps the withdrawn approval in `.ghp/approvals-revoked.json`. Recorded as `"keeps": true`; a
  /// record without it (older) replays as it was made: the approval just goes.
  public var keeps = true

  public init(approvalID: String) { self.approvalID = approvalID }

  public var record: OperationRecord {
    OperationRecord("revoke", ["id": .string(approvalID)].merging(keeps ? ["keeps": .bool(true)] : [:]) { a, _ in a })
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    approvalID = try arguments.string("id")
    keeps = try arguments.bool("keeps", default: false)
  }

  public func renaming(_ renames: IDRenames) -> Self {
    var copy = RevokeOperation(approvalID: renames.approval(approvalID))
    copy.keeps = keeps
    return copy
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Approval) {
    try state.requireInitialised()
    try state.requireOrchestrator(actor, toDo: "revoke approvals")
    var approvals = try state.approvals()
    guard let index = approvals.firstIndex(where: { $0.id == approvalID }) else {
      throw .invalidValue("approval", "there is no approval \(approvalID) (see `ghp approvals`)")
    }
    var removed = approvals.remove(at: index)
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): revoke approval \(removed.id) of \(removed.agent)", operation: record, agent: actor))
    change.put(StatePaths.approvals, json: approvalsDocument(approvals))
    if keeps {
      removed.revokedAt = clock.now
      removed.revokedBy = actor
      change.put(StatePaths.revokedApprovals, json: approvalsDocument(try state.revokedApprovals() + [removed]))
    }
    return (change, removed)
  }
}

/// Marks `--once` approvals as used by a commit that needed them.
struct UseApprovalsOperation: RecordedOperation {
  var ids: [String]
  /// The commit that uses them, when its id is known (post-commit, pre-push, pre-receive).
  var commit: String?

  init(ids: [String], commit: String? = nil) {
    self.ids = ids
    self.commit = commit
  }

  var record: OperationRecord {
    OperationRecord(
      "approval-use", ["ids": .array(ids.map { .string($0) }), "commit": commit.map { .string($0) } ?? .null])
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    ids = try arguments.strings("ids")
    commit = try arguments.optionalString("commit")
  }

  func renaming(_ renames: IDRenames) -> Self { UseApprovalsOperation(ids: ids.map(renames.approval), commit: commit) }

  func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Void) {
    var approvals = try state.approvals()
    var used: [String] = []
    if let commit, ObjectID(hex: commit) == nil { throw .invalidValue("commit", "'\(commit)' is not a commit id") }
    // An agent uses up only approvals given to it; one used by another commit stays that commit's.
    for index in approvals.indices
    where ids.contains(approvals[index].id) && approvals[index].agent == actor && approvals[index].once {
      if approvals[index].usedAt == nil {
        approvals[index].usedAt = clock.now
        approvals[index].usedBy = commit
      } else if approvals[index].usedBy == nil, commit != nil {
        approvals[index].usedBy = commit
      } else {
        continue
      }
      used.append(approvals[index].id)
    }
    guard !used.isEmpty else { return (nil, ()) }
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): use approval \(used.joined(separator: ", ")) (once)"
          + (commit.map { " for \($0.prefix(12))" } ?? ""),
        operation: UseApprovalsOperation(ids: used, commit: commit).record, agent: actor))
    change.put(StatePaths.approvals, json: approvalsDocument(approvals))
    return (change, ())
  }
}
