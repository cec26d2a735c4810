/// `ghp issue add` and `ghp epic add`: a new issue with the next free number (orchestrators; in an
/// epic, also its manager).
public struct AddIssueOperation: RecordedOperation {
  /// The name of its records (`Ghp-Op`, `ghp log --op`), declared here only.
  public static let name = "issue-add"

  /// The issue's title; trimmed of spaces when applied, refused when empty.
  public var title: String
  /// The issue's description; empty when it has none.
  @Defaulted<AbsentIsEmptyText> public var body: String = ""
  /// Where the issue stands in the ready queue: lower comes first (default 2).
  @Defaulted<AbsentIsPriorityTwo> public var priority: Int = 2
  /// The ids of the issues that must be done before this one is ready; each must exist.
  @Defaulted<NoStrings> public var dependencies: [String] = []
  /// Globs of the files the issue's holder has authority over.
  @Defaulted<NoStrings> public var scope: [String] = []
  /// The number to use; nil takes the next free one. Recorded, so that the commit re-executes to
  /// the same issue; cleared when an offline batch is re-applied where that number was taken.
  public var id: String?
  /// `epic` for an epic; nil (not recorded) for a task.
  public var kind: Issue.Kind?
  /// The epic the new issue is a sub-issue of; nil (not recorded) for none.
  public var epic: String?
  /// What an agent must be able to do to take it; nil (not recorded) for nothing.
  public var needs: [String]?
  /// Its own review before landing, over `[landing] review`; nil (not recorded) follows the policy.
  public var review: ReviewMode?
  /// How many workers attempt it independently (`--attempts N`, best-of-N); nil (not recorded)
  /// for one. Each attempt is its own issue, `<id>.1` to `<id>.N`.
  public var attempts: Int?
  /// How its vote is decided; nil (not recorded) takes `[landing] vote`. Only with `attempts`.
  public var vote: VoteMethod?

  /// An issue to add; `id` nil takes the next free number.
  public init(
    title: String, body: String = "", priority: Int = 2, dependencies: [String] = [], scope: [String] = [],
    id: String? = nil, kind: Issue.Kind? = nil, epic: String? = nil, needs: [String]? = nil,
    review: ReviewMode? = nil, attempts: Int? = nil, vote: VoteMethod? = nil
  ) {
    self.attempts = attempts
    self.vote = vote
    self.title = title
    self.body = body
    self.priority = priority
    self.dependencies = dependencies
    self.scope = scope
    self.id = id
    self.kind = kind == .task ? nil : kind
    self.epic = epic
    self.needs = needs.flatMap { $0.isEmpty ? nil : Array(Set($0)).sorted() }
    self.review = review
  }

  /// The same addition with its dependencies' ids renamed.
  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.dependencies = dependencies.map(renames.issue)
    renamed.epic = epic.map(renames.issue)
    return renamed
  }

  /// The same addition without its number, so that it takes the next free one.
  public func remintingIDs() -> Self {
    var fresh = self
    fresh.id = nil
    return fresh
  }

  /// Adds the issue, open, with its number: refused for an empty or too-long text, an unknown
  /// dependency or a taken number; for anyone but an orchestrator, except the manager of the epic
  /// it is added to; and in an epic that is not open to more work (done or dead), or an epic in an
  /// epic.
  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Issue) {
    try state.requireInitialised()
    let title = title.trimmingSpaces
    guard !title.isEmpty else { throw .emptyText("the issue title") }
    try TextLimit.check(title, "the issue title", TextLimit.title)
    try TextLimit.check(body, "the issue body", TextLimit.long)
    if kind == .epic {
      guard epic == nil else { throw .invalidValue("epic", "an epic cannot be a sub-issue of another epic") }
      try state.requireOrchestrator(actor, toDo: "create epics")
    } else if let epic {
      let parent = try state.requireEpic(epic)
      guard parent.status == .open || parent.status == .claimed else {
        throw .refused("epic #\(parent.id) is \(parent.status.rawValue): no more issues are added to it")
      }
      try state.requireAuthority(actor, inEpic: parent.id, toDo: "add issues to epic #\(parent.id)")
      try state.requireInsideEpicScope(scope, epic: parent.id, actor: actor, what: "a sub-issue's scope")
    } else {
      try state.requireAuthority(actor, inEpic: nil, toDo: "create issues outside an epic")
    }
    for dependency in dependencies where try state.issue(dependency) == nil {
      throw .unknownIssue(dependency)
    }
    let number = try mintedID(
      id, "issue", isTaken: { (id) throws(GHPError) in try state.issue(id) != nil },
      next: { () throws(GHPError) in String(try state.nextIssueNumber()) })
    var issue = Issue(id: number, title: title, createdAt: clock.now, createdBy: actor)
    issue.body = body
    issue.priority = priority
    issue.dependencies = dependencies
    issue.scope = scope
    issue.kind = kind ?? .task
    issue.reviewMode = review
    if let needs {
      try Capability.validate(needs)
      issue.needs = Array(Set(needs)).sorted()
    }
    issue.epic = try epic.map { (id) throws(GHPError) in try state.requireIssue(id).id }
    var recorded = self
    recorded.title = title
    recorded.id = issue.id
    var attemptIssues: [Issue] = []
    if attempts != nil || vote != nil {
      (issue, attemptIssues) = try bestOf(issue, state: state)
      recorded.vote = issue.vote?.method
    }
    var change = Change(
      message: CommitMessage(
        subject: "\(actor): add \(issue.kind == .epic ? "epic " : "")#\(issue.id) \(title)"
          + (issue.epic.map { " to epic #\($0)" } ?? "")
          + (attemptIssues.isEmpty
            ? "" : ", attempted \(attemptIssues.count) times (vote by \(issue.vote?.method.rawValue ?? "?"))"),
        operation: recorded.record, agent: actor, issue: issue.id))
    change.put(StatePaths.issue(issue.id), json: issue.json)
    for attempt in attemptIssues { change.put(StatePaths.issue(attempt.id), json: attempt.json) }
    return (change, issue)
  }

  /// `issue` as a best-of issue with its vote, and its attempts: each a task with its title,
  /// body, priority, dependencies, scope, needs, epic and review. Refused without `[landing]`
  /// (the vote chooses between gated merges), for an epic, a vote by score with no score command,
  /// or an attempt's id already taken.
  func bestOf(_ issue: Issue, state: StateSnapshot) throws(GHPError) -> (Issue, [Issue]) {
    guard let attempts else { throw .invalidValue("--vote", "it is for an issue with --attempts") }
    guard (2...BestOf.maximumAttempts).contains(attempts) else {
      throw .invalidValue("--attempts", "it must be from 2 to \(BestOf.maximumAttempts)")
    }
    guard issue.kind == .task else { throw .invalidValue("--attempts", "an epic is not attempted; its sub-issues are") }
    guard let landing = try state.config().landing else {
      throw .refused(
        "an issue with --attempts needs [landing]: the vote chooses between the attempts' gated merges; set it first: ghp config set landing.gate '[\"swift test\"]'"
      )
    }
    let method = vote ?? landing.defaultVote
    if method == .score && landing.score == nil {
      throw .refused(
        "a vote by score needs a score command: ghp config set landing.score 'scripts/score' (its last line of output a number; the highest wins)"
      )
    }
    var parent = issue
    parent.kind = .bestOf
    parent.bestOf = attempts
    parent.vote = Vote(method: method)
    var out: [Issue] = []
    for (number, id) in zip(1..., parent.attemptIDs) {
      if try state.issue(id) != nil { throw .refused("issue \(id) already exists; nothing was written") }
      var attempt = Issue(
        id: id, title: BestOf.attemptTitle(issue.title, number, of: attempts), createdAt: issue.createdAt,
        createdBy: issue.createdBy)
      attempt.body = issue.body
      attempt.priority = issue.priority
      attempt.dependencies = issue.dependencies
      attempt.scope = issue.scope
      attempt.needs = issue.needs
      attempt.epic = issue.epic
      attempt.reviewMode = issue.reviewMode
      attempt.attemptOf = issue.id
      out.append(attempt)
    }
    return (parent, out)
  }
}

extension StateSnapshot {
  /// One more than the highest numeric issue id; refuses rather than overflow.
  func nextIssueNumber() throws(GHPError) -> Int {
    let highest = try issueIDs().compactMap { Int($0) }.max() ?? 0
    guard highest < Int.max else {
      throw .exhausted("#\(highest) is the highest number an issue can have")
    }
    return highest + 1
  }
}

extension AddIssueOperation {
  /// The ids its record says it made.
  public var mintedIDs: MintedIDs {
    guard let id else { return MintedIDs() }
    return MintedIDs(issues: [id] + BestOf.attemptIDs(of: id, count: attempts ?? 0))
  }
  /// The issue its record names.
  public var recordedIssue: String? { id }
}
