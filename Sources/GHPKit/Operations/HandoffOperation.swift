#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What an agent's branch holds, from the repository (not from the agent's memory).
public struct BranchReport: Sendable {
  public var name: String
  public var base: String
  public var exists: Bool
  public var ahead: Int = 0
  public var commits: [(short: String, subject: String)] = []
  public var files: [String] = []
  public var worktree: String?
  public var uncommitted: [String] = []

  public init(name: String, base: String, exists: Bool) {
    self.name = name
    self.base = base
    self.exists = exists
  }

  /// Reads `agent/<agent>` against `base`: commits ahead with their subjects, files changed since
  /// the merge base, and uncommitted work in the worktree that has the branch checked out.
  public static func gather(_ repository: Repository, agent: String, base: String) -> BranchReport {
    var report = BranchReport(name: "agent/\(agent)", base: base, exists: false)
    guard let tip = try? repository.referenceTarget("refs/heads/agent/\(agent)") else { return report }
    report.exists = true
    let baseTip = try? repository.referenceTarget("refs/heads/\(base)")
    let mergeBase = baseTip.flatMap { try? repository.mergeBase(tip, $0) }
    if let commits = try? repository.commits(from: tip, hiding: mergeBase, limit: 100) {
      report.commits = commits.map { ($0.id.short, $0.subject) }
    }
    report.ahead = (try? baseTip.map { try repository.aheadBehind(tip, $0).ahead }) ?? report.commits.count
    if let mergeBase, let from = try? repository.commit(mergeBase).treeID, let to = try? repository.commit(tip).treeID {
      report.files = ((try? repository.treeDeltas(from: from, to: to)) ?? []).map(\.path).sorted()
    }
    if let path = repository.worktreePath(checkingOut: "refs/heads/agent/\(agent)") {
      report.worktree = path
      if let opened = try? Repository(discovering: path) {
        report.uncommitted = (try? opened.uncommittedPaths()) ?? []
      }
    }
    return report
  }

  var values: [String: Any] {
    [
      "name": name, "base": base, "exists": exists, "ahead": ahead, "worktree": worktree ?? "",
      "commits": commits.map { ["short": $0.short, "subject": $0.subject] }, "files": files,
      "uncommitted": uncommitted,
    ]
  }

  public var json: JSON {
    .object([
      "name": .string(name), "base": .string(base), "exists": .bool(exists), "ahead": .int(ahead),
      "commits": .array(commits.map { .object(["commit": .string($0.short), "subject": .string($0.subject)]) }),
      "files": .array(files.map { .string($0) }), "worktree": worktree.map { .string($0) } ?? .null,
      "uncommitted": .array(uncommitted.map { .string($0) }),
    ])
  }

  /// Reads `json` back (as recorded in a handoff operation).
  init(json: JSON) throws(GHPError) {
    var fields = OperationArguments(operation: "handoff's branch", json.objectValue ?? [:])
    name = try fields.string("name")
    base = try fields.string("base")
    exists = try fields.bool("exists")
    ahead = try fields.int("ahead")
    guard case .array(let list)? = fields.optionalValue("commits") else { throw fields.wrong("commits", "an array") }
    for item in list {
      var commit = OperationArguments(operation: "a commit of handoff's branch", item.objectValue ?? [:])
      commits.append((try commit.string("commit"), try commit.string("subject")))
      try commit.finish()
    }
    files = try fields.strings("files")
    worktree = try fields.optionalString("worktree")
    uncommitted = try fields.strings("uncommitted")
    try fields.finish()
  }
}

/// `ghp agent-handoff`: a handoff document generated from the state and the repository, stored at
/// `.ghp/handoffs/<issue>.md`; with a receiver, the claim passes to it in the same commit.
public struct HandoffOperation: RecordedOperation {
  public var issueID: String
  public var receiver: String?
  public var note: String?
  public var branch: BranchReport

  public init(issueID: String, receiver: String?, note: String?, branch: BranchReport) {
    self.issueID = issueID
    self.receiver = receiver
    self.note = note
    self.branch = branch
  }

  public struct Output: Sendable {
    public var document: String
    public var issue: Issue
  }

  /// The branch report is recorded too: it came from the repository, not from the state, and the
  /// commit must re-execute to the same document.
  public var record: OperationRecord {
    OperationRecord(
      "handoff",
      [
        "issue": .string(issueID), "to": receiver.map { .string($0) } ?? .null,
        "note": note.map { .string($0) } ?? .null,
        "branch": branch.json,
      ])
  }

  init(arguments: inout OperationArguments) throws(GHPError) {
    issueID = try arguments.string("issue")
    receiver = try arguments.optionalString("to")
    note = try arguments.optionalString("note")
    branch = try BranchReport(json: arguments.value("branch"))
  }

  public func renaming(_ renames: IDRenames) -> Self {
    var renamed = self
    renamed.issueID = renames.issue(issueID)
    return renamed
  }

  public func apply(to state: StateSnapshot, actor: String, clock: Clock) throws(GHPError) -> (Change?, Output) {
    try state.requireInitialised()
    var issue = try state.requireIssue(issueID)
    guard issue.status == .claimed, issue.assignee == actor else { throw issue.refusal(for: actor, action: "hand off") }
    try TextLimit.check(note, "the note", TextLimit.note)
    if let receiver {
      try AgentName.validate(receiver)
      if receiver == actor { throw .invalidValue("--to", "you already hold #\(issue.id)") }
    }
    var agents = try state.agents()
    let record = agents.record(for: actor, clock: clock)
    let claimedAt = issue.claimedAt ?? 0
    let discoveries = Discovery.parse(try state.text(StatePaths.discoveries) ?? "").filter { $0.at >= claimedAt }
    let escalations = try state.escalations().filter {
      $0.status == .open && ($0.agent == actor || $0.issue == issue.id || $0.about == actor)
    }
    let actions = try HistoryLog.entries(state, agent: actor, limit: 10, scanning: 2000)

    var values: [String: Any] = [
      "from": actor, "at": RFC3339.format(clock.now), "status": record.status, "lastAction": record.lastAction,
      "lastHeartbeat": RFC3339.format(record.timestamp), "branch": branch.values,
      "hasDependencies": !issue.dependencies.isEmpty, "hasBody": !issue.body.trimmingSpaces.isEmpty,
      "hasScope": !issue.scope.isEmpty, "hasFiles": !branch.files.isEmpty,
      "hasUncommitted": !branch.uncommitted.isEmpty,
      "actions": actions.map { ["time": RFC3339.format($0.time), "subject": $0.subject] },
      "discoveries": discoveries.map { ["at": RFC3339.format($0.at), "agent": $0.agent, "text": $0.text] },
      "escalations": escalations.map {
        ["id": $0.id, "severity": $0.severity.rawValue, "agent": $0.agent, "question": $0.question]
      },
    ]
    if let receiver { values["to"] = receiver }
    if let note = note?.trimmingSpaces, !note.isEmpty { values["note"] = note }

    var subject = "\(actor): handoff #\(issue.id) \(issue.title)"
    if let receiver {
      try agents.finish(
        actor, issue: issue.id, action: "Handed off #\(issue.id) to \(receiver)", clock: clock, byHolder: true,
        state: state)
      if agents.agents[actor]?.issue == nil { agents.agents[actor]?.status = "handed-off" }
      let previous = agents.agents[receiver]
      handOver(
        &issue, to: receiver, agents: &agents, clock: clock, status: "handoff",
        action: "Received #\(issue.id) from \(actor)")
      // Receiving work is not the receiver's own heartbeat.
      if let previous { agents.agents[receiver]?.timestamp = previous.timestamp }
      agents.agents[receiver]?.handoffWaiting = issue.id
      subject += " to \(receiver)"
    } else {
      var updated = record
      updated.lastAction = "Wrote a handoff for #\(issue.id)"
      updated.timestamp = clock.now
      agents.agents[actor] = updated
    }
    values["issue"] =
      [
        "id": issue.id, "title": issue.title, "body": issue.body, "priority": issue.priority,
        "status": issue.status.rawValue,
        "epoch": issue.epoch, "dependencies": issue.dependencies, "scope": issue.scope,
      ] as [String: Any]
    let document = try Templates.render("handoff.md", state: state, values)

    var change = Change(
      message: CommitMessage(
        subject: subject,
        operation: HandoffOperation(issueID: issue.id, receiver: receiver, note: note, branch: branch).record,
        agent: actor, issue: issue.id, epoch: issue.epoch))
    change.put(StatePaths.handoff(issue.id), text: document)
    if receiver != nil { change.put(StatePaths.issue(issue.id), json: issue.json) }
    change.put(StatePaths.agentStatus, json: agents.json)
    return (change, Output(document: document, issue: issue))
  }
}

/// Where `--write` may put a handoff: inside the repository's working tree, not inside `.git`, and
/// not over a tracked file unless forced.
public enum HandoffFile {
  public static func validate(_ path: String, workspace: Workspace, force: Bool) throws(GHPError) -> String {
    guard let workdir = workspace.repository.workingDirectory.flatMap(realPath) else {
      throw .invalidValue("--write", "this repository has no working tree to write into")
    }
    let absolute = path.hasPrefix("/") ? path : (currentDirectory() + "/" + path)
    let parent = String(absolute[..<absolute.lastIndex(of: "/")!])
    let name = String(absolute[absolute.index(after: absolute.lastIndex(of: "/")!)...])
    guard !name.isEmpty, name != ".", name != "..", let folder = realPath(parent.isEmpty ? "/" : parent) else {
      throw .invalidValue("--write", "\(path) is not a file path in an existing folder")
    }
    let resolved = folder + "/" + name
    let root = workdir.hasSuffix("/") ? workdir : workdir + "/"
    guard resolved.hasPrefix(root) else {
      throw .invalidValue("--write", "\(path) is outside the repository (\(workdir)); write handoffs inside it")
    }
    let relative = String(resolved.dropFirst(root.count))
    if relative == ".git" || relative.hasPrefix(".git/") {
      throw .invalidValue("--write", "\(path) is inside .git")
    }
    if !force && workspace.repository.isTracked(relative) {
      throw .invalidValue("--write", "\(relative) is a tracked file; pass --force to overwrite it")
    }
    return resolved
  }

  public static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  static func currentDirectory() -> String {
    guard let cwd = getcwd(nil, 0) else { return "." }
    defer { free(cwd) }
    return String(cString: cwd)
  }

  /// Writes the document (aside, then renamed into place).
  public static func write(_ text: String, to path: String) throws(GHPError) {
    try Files.replace(path, with: Array(text.utf8))
  }
}

/// The code side of `agent-handoff --to`: the receiver's branch continues from the giver's tip.
public enum HandoffCode {
  public enum Outcome: Sendable {
    /// `agent/<receiver>` was moved to the giver's tip (and its worktree, clean, followed).
    case continued(branch: String, tip: ObjectID, worktree: String?)
    /// The receiver's branch has work of its own or a dirty worktree: the one command to run.
    case command(String, why: String)
    /// The giver has no branch: nothing to carry.
    case nothing
  }

  /// Moves `agent/<receiver>` to `agent/<giver>`'s tip when that loses nothing (the receiver's tip is
  /// an ancestor of the giver's and its worktree has no uncommitted changes), by compare-and-swap;
  /// otherwise names the merge that continues from it.
  public static func carry(_ repository: Repository, from giver: String, to receiver: String) -> Outcome {
    guard let tip = try? repository.referenceTarget("refs/heads/agent/\(giver)") else { return .nothing }
    let ref = "refs/heads/agent/\(receiver)"
    let worktree = repository.worktreePath(checkingOut: ref)
    let merge = "git -C \(worktree ?? "<\(receiver)'s worktree>") merge agent/\(giver)"
    guard let current = try? repository.referenceTarget(ref) else {
      return .command("ghp agent add \(receiver) && \(merge)", why: "\(receiver) has no branch yet")
    }
    if current == tip { return .continued(branch: "agent/\(receiver)", tip: tip, worktree: worktree) }
    guard (try? repository.isAncestor(current, of: tip)) == true else {
      return .command(merge, why: "agent/\(receiver) has commits of its own")
    }
    if let worktree {
      let dirty = (try? Repository(discovering: worktree).uncommittedPaths(limit: 5, untracked: false)) ?? ["?"]
      if !dirty.isEmpty {
        return .command(merge, why: "\(worktree) has uncommitted changes (\(dirty.joined(separator: ", ")))")
      }
    }
    do {
      try repository.compareAndSwapReference(
        ref, to: tip, expected: current, logMessage: "ghp agent-handoff from \(giver)")
      if let worktree { try Repository(discovering: worktree).followBranchMove(from: current, to: tip) }
    } catch {
      return .command(merge, why: "agent/\(receiver) could not be moved (\(error.message))")
    }
    return .continued(branch: "agent/\(receiver)", tip: tip, worktree: worktree)
  }

  /// Where `--write` puts the document for the receiver: the same place inside its worktree, kept
  /// out of `git status` (`info/exclude`) so that the receiver's `done` does not count it as work.
  public static func receiverPath(_ resolved: String, workspace: Workspace, receiver: String) -> String? {
    let repository = workspace.repository
    guard let workdir = repository.workingDirectory.flatMap(HandoffFile.realPath),
      let theirs = repository.worktreePath(checkingOut: "refs/heads/agent/\(receiver)")
    else { return nil }
    let root = workdir.hasSuffix("/") ? workdir : workdir + "/"
    guard resolved.hasPrefix(root) else { return nil }
    let relative = String(resolved.dropFirst(root.count))
    let common =
      repository.commonDirectory.hasSuffix("/") ? repository.commonDirectory : repository.commonDirectory + "/"
    let exclude = common + "info/exclude"
    let existing = String(decoding: Files.read(exclude) ?? [], as: UTF8.self)
    if !existing.split(separator: "\n").contains(Substring("/" + relative)) {
      _ = Files.makeDirectories(common + "info")
      try? Files.replace(
        exclude,
        with: Array((existing + (existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n") + "/\(relative)\n").utf8))
    }
    return (theirs.hasSuffix("/") ? theirs : theirs + "/") + relative
  }
}

extension StateSnapshot {
  /// The issues that have a handoff document, in id order.
  public func handoffIssues() throws(GHPError) -> [String] {
    guard let tree else { return [] }
    do {
      guard let folder = try tree.entryID(at: StatePaths.handoffsFolder) else { return [] }
      return try repository.tree(folder).entries().map(\.name).filter { $0.hasSuffix(".md") }.map {
        String($0.dropLast(3))
      }
      .sorted(by: IssueID.precedes)
    } catch {
      throw .git(error)
    }
  }
}
