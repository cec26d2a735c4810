/// `ghp approve`: lets an agent edit shared files matching globs (orchestrators).
public struct ApproveOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "approve"

  /// The record's keys: each argument named once, as the record spells it.
  enum CodingKeys: String, CodingKey {
    case agent = "to"
    case globs, once, note, id, answersEscalations, numbersPastRevoked, matchesDotfiles
  }

  /// The agent allowed to edit the files (`to` in the record).
  public var agent: String
  /// The shared files it may edit, as globs; trimmed when applied, empty ones dropped.
  @Defaulted<NoStrings> public var globs: [String]
  /// Whether the approval is used up by the first commit that relies on it (`--once`).
  @Defaulted<AbsentIsFalse> public var once: Bool
  /// Why it was approved, for whoever reads the approvals; nil when none was given.
  public var note: String?
  /// The approval's number; nil takes the next free one (see `AddIssueOperation.id`).
  public var id: String?
  /// Answers the open escalations that asked for this approval. Recorded as
  /// `"answersEscalations": true`; a record without it (older) replays as it was made.
  @RecordFlag public var answersEscalations = true
  /// Takes a number past the revoked approvals' too, so that no number is given twice. Recorded as
  /// `"numbersPastRevoked": true`; an older record replays as it was made.
  @RecordFlag public var numbersPastRevoked = true
  /// Matches an escalation's words as written (`.ci/run` stays `.ci/run`), as well as with leading
  /// dots trimmed. Recorded as `"matchesDotfiles": true`; an older record replays as it was made.
  @RecordFlag public var matchesDotfiles = true

  /// An approval to grant; `id` nil takes the next free number.
  public init(agent: String, globs: [String], once: Bool, note: String?, id: String? = nil) {
    self.agent = agent
    self.globs = globs
    self.once = once
    self.note = note
    self.id = id
  }

  /// The same approval without its number, so that it takes the next free one.
  public func remintingIDs() -> Self {
    var fresh = self
    fresh.id = nil
    return fresh
  }

  /// The approval, and the open escalations of the agent that asked for it, now answered by it.
  public struct Output: Sendable {
    /// The approval as written to `approvals.json`.
    public var approval: Approval
    /// The ids of the escalations it answered, empty when none.
    public var resolvedEscalations: [String]

    /// The approval as JSON, with `resolvedEscalations` added.
    public var json: JSON {
      guard case .object(var fields) = approval.answerJSON else { return approval.answerJSON }
      fields["resolvedEscalations"] = .array(resolvedEscalations.map { IssueReference.write($0) })
      return .object(fields)
    }
  }

  /// The operation as recorded: its trimmed globs and the approval's number.
  func recorded(id: String, globs: [String]) -> ApproveOperation {
    var copy = ApproveOperation(agent: agent, globs: globs, once: once, note: note, id: id)
    copy.answersEscalations = answersEscalations
    copy.numbersPastRevoked = numbersPastRevoked
    copy.matchesDotfiles = matchesDotfiles
    return copy
  }

  /// Whether an escalation's question asks for an approval these globs grant: it speaks of an
  /// approval and names a path one of them matches (the hook's own wording is
  /// "Approval needed to edit README.md").
  static func asksFor(_ question: String, globs: [String], matchesDotfiles: Bool = true) -> Bool {
    guard speaksOfApproval(question) else { return false }
    let matchers = globs.map { Glob($0) }
    // Dots trimmed from the front too, as older records answered; and, since, the words as written.
    var words = Self.words(of: question, leading: punctuation.union(["."]), trailing: punctuation.union(["."]))
    if matchesDotfiles { words += Self.words(of: question, leading: punctuation, trailing: punctuation.union(["."])) }
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

  /// Grants the approval and answers the agent's open escalations that asked for it. An
  /// orchestrator may grant any; a manager only to an agent holding a sub-issue of an epic it
  /// manages, and only for files inside that epic's scope.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Output) {
    try state.requireInitialised()
    try AgentName.validate(agent)
    try TextLimit.check(note, "the note", TextLimit.action)
    let globs = globs.map(\.trimmingSpaces).filter { !$0.isEmpty }
    if try state.role(of: actor) != .orchestrator {
      try Self.requireManagersApproval(state, actor: actor, agent: agent, globs: globs)
      // Its authority is the epic's while it holds it: an approval that outlived it would not be.
      guard once else {
        throw .refused(
          "a manager's approval is for one commit (the one that uses it): add --once, or ask an orchestrator for a lasting one"
        )
      }
    }
    guard !globs.isEmpty else { throw .emptyText("the list of files") }
    var approvals = try state.approvals()
    // A revoked approval keeps its number: the next one is past every number ever given.
    let given = approvals + (numbersPastRevoked ? try state.revokedApprovals() : [])
    let number = try mintedID(
      id, "approval", isTaken: { (id) throws(GHPError) in given.contains { $0.id == id } },
      next: { () throws(GHPError) in
        let highest = given.compactMap { Int($0.id) }.max() ?? 0
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
      && Self.asksFor(escalation.question, globs: globs, matchesDotfiles: matchesDotfiles)
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

extension ApproveOperation {
  /// Refuses unless `actor` manages an epic of which `agent` holds a sub-issue, and every glob is
  /// inside that epic's scope; the refusal names the epic and its manager.
  static func requireManagersApproval(_ state: StateSnapshot, actor: String, agent: String, globs: [String])
    throws(GHPError)
  {
    var held: [String] = []
    for summary in try state.issueSummaries()
    where (summary.status == .claimed || summary.status == .landing) && summary.assignee == agent {
      guard let epic = summary.epic else { continue }
      if try state.manages(actor, epic: epic) {
        return try state.requireInsideEpicScope(globs, epic: epic, actor: actor, what: "an approval")
      }
      held.append(epic)
    }
    let toDo = "approve \(agent)'s edits to shared files"
    try state.requireAuthority(actor, inEpic: held.first, toDo: toDo)
    throw .refused("\(actor) may not \(toDo)")
  }

  /// The ids its record says it made.
  public var mintedIDs: MintedIDs { MintedIDs(approvals: id.map { [$0] } ?? []) }
}
