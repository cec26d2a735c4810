import Glibc

/// What an agent's branch holds, from the repository (not from the agent's memory).
public struct BranchReport: Sendable, Codable {
  /// The branch, `agent/<agent>`.
  public var name: String
  /// The branch it is compared with, the policy's base branch.
  public var base: String
  /// Whether the branch exists; false leaves every other field empty.
  public var exists: Bool
  /// Commits on the branch not in the base.
  public var ahead: Int = 0
  /// The branch's commits since the merge base, newest first, at most 100: short id and subject.
  public var commits: [BranchCommit] = []
  /// The paths changed on the branch since the merge base, sorted.
  @Defaulted<NoStrings> public var files: [String] = []
  /// The worktree that has the branch checked out, nil when none does.
  public var worktree: String?
  /// The paths with uncommitted changes in that worktree.
  @Defaulted<NoStrings> public var uncommitted: [String] = []

  /// A report with nothing gathered yet.
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
      report.commits = commits.map { BranchCommit(short: $0.id.short, subject: $0.subject) }
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

  /// The report as JSON, as a handoff records it; each commit as `commit` and `subject`.
  public var json: JSON { JSONEncoding.encode(self) }
}

/// One commit of an agent's branch, as a `BranchReport` lists it.
public struct BranchCommit: Sendable, Codable, Equatable {
  /// Its short id.
  public var short: String
  /// Its subject line.
  public var subject: String
  /// The commit `short` with `subject`.
  public init(short: String, subject: String) {
    self.short = short
    self.subject = subject
  }
  /// The record's keys: the short id is written as `commit`.
  enum CodingKeys: String, CodingKey {
    case short = "commit"
    case subject
  }
}
