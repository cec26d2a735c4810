import Glibc

/// `ghp agent add/list/remove`: the branch, worktree and registration of each agent.
public enum AgentWorktrees {
  /// Where an agent's worktree goes by default: `../<repository>.worktrees/<agent>`, every agent's in
  /// one folder beside the repository; with `worktreeRoot` set, `<worktreeRoot>/<repository>-<agent>`
  /// (the root relative to the repository's top folder).
  public static func defaultPath(_ workspace: Workspace, agent: String, config: Config) -> String? {
    guard let top = workspace.repository.workingDirectory.map({ $0.hasSuffix("/") ? String($0.dropLast()) : $0 }) else {
      return nil
    }
    var mainTop = top
    if let main = try? Repository(discovering: workspace.repository.commonDirectory), var folder = main.workingDirectory
    {
      if folder.hasSuffix("/") { folder.removeLast() }
      mainTop = folder
    }
    let name = mainTop.split(separator: "/").last.map(String.init) ?? "repo"
    guard let given = config.worktreeRoot else {
      let parent = String(mainTop[..<(mainTop.lastIndex(of: "/") ?? mainTop.startIndex)])
      let real = HandoffFile.realPath(parent.isEmpty ? "/" : parent) ?? parent
      return "\(real == "/" ? "" : real)/\(name).worktrees/\(agent)"
    }
    let configured = given.hasPrefix("/") ? given : "\(mainTop)/\(given)"
    let root = HandoffFile.realPath(configured) ?? configured
    return "\(root)/\(name)-\(agent)"
  }

  /// What `ghp agent add` made: the registration, the worktree and the branch.
  public struct Added: Sendable {
    /// The agent as registered in `agent-status.json`.
    public var record: AgentRecord
    /// The folder of the agent's worktree.
    public var path: String
    /// The agent's branch, `agent/<name>`.
    public var branch: String
    /// Whether the branch was made from the base now (false: it already existed).
    public var createdBranch: Bool
  }

  /// Registers the agent (one commit), creates `agent/<name>` from `base` and a worktree for it, and
  /// sets the worktree's own `ghp.agent`.
  public static func add(
    _ workspace: Workspace, name: String, role: AgentRecord.Role, base: String?, path: String?, keyFile: String? = nil,
    capabilities: [String]? = nil
  ) throws(GHPError) -> Added {
    try AgentName.validate(name)
    let state = try workspace.snapshot()
    try state.requireInitialised()
    let config = try state.config()
    let base = base ?? config.baseBranch
    let branch = "agent/\(name)"
    let repository = workspace.repository
    guard let target = path ?? defaultPath(workspace, agent: name, config: config) else {
      throw .invalidValue("--path", "this repository has no working tree; give --path")
    }
    let existingWorktree = repository.worktreePath(name: name)
    if existingWorktree == nil && access(target, F_OK) == 0 {
      throw .invalidValue("--path", "\(target) already exists; give another --path")
    }
    let branchTip: ObjectID?
    let baseTip: ObjectID?
    do {
      branchTip = try repository.referenceTarget("refs/heads/\(branch)")
      baseTip = try repository.referenceTarget("refs/heads/\(base)")
    } catch {
      throw .git(error)
    }
    if branchTip == nil && baseTip == nil {
      throw .invalidValue("--base", "there is no branch \(base) to start agent/\(name) from (give --base BRANCH)")
    }
    // The state first: it checks the caller's authority before anything is made. The agent's
    // signing key is made (or taken from --key) and kept on this machine; its public half is
    // registered with it.
    try state.requireOrchestrator(try workspace.actor(), toDo: "add agents")
    let key = try SigningKeys.obtain(repository, agent: name, file: keyFile)
    let landed = try workspace.run(
      RegisterAgentOperation(name: name, role: role, key: key.publicKeyLine, capabilities: capabilities))
    try SigningKeys.installAllowedSigners(repository, state: workspace.snapshot())
    var existing = existingWorktree
    // What a killed `agent add` (or git) left locked: its creator gone, removed; else named.
    for lock in ["\(repository.localPaths.common)/refs/heads/\(branch).lock"]
      + LeftLocks.worktree(repository.localPaths.worktreeAdmin(name))
    {
      if let held = LeftLocks.clear(lock) {
        throw .io(
          "agent \(name) is registered, but its branch or worktree is locked: \(held); then run `ghp agent add \(name)` again"
        )
      }
    }
    do {
      if branchTip == nil { try repository.createBranch(branch, at: baseTip!) }
      // An earlier `agent add` killed half-way: finish what it began, or start over when git
      // cannot use what it left.
      if let path = existing, let problem = repository.worktreeProblem(name: name, branch: branch) {
        if access(path, F_OK) == 0 && problem.contains("no index") {
          try repository.finishCheckout(worktreePath: path)
        } else {
          try repository.pruneWorktree(name: name)
          existing = nil
        }
      }
      if existing == nil {
        let folder = existingWorktree ?? target
        // The folder it goes in (`../<repository>.worktrees`) is made with it.
        if let slash = folder.lastIndex(of: "/"), slash > folder.startIndex {
          _ = Files.makeDirectories(String(folder[..<slash]))
        }
        try repository.addWorktree(name: name, path: folder, branch: branch)
      }
    } catch {
      throw .io(
        "agent \(name) is registered, but its worktree could not be made: \(error.message); fix that and run `ghp agent add \(name)` again"
      )
    }
    let adminFolder = repository.localPaths.worktreeAdmin(name)
    do {
      try Repository.setConfigString("extensions.worktreeConfig", "true", inFile: repository.localPaths.config)
      try Repository.setConfigString("ghp.agent", name, inFile: adminFolder + "/config.worktree")
    } catch {
      throw .git(error)
    }
    return Added(
      record: landed.result, path: existing ?? existingWorktree ?? target, branch: branch,
      createdBranch: branchTip == nil)
  }

  /// Refuses to drop a branch with commits not in the base, or a worktree with uncommitted work,
  /// unless forced; releases the agent's claims; removes the worktree and (unless kept) the branch.
  public static func remove(_ workspace: Workspace, name: String, force: Bool, keepBranch: Bool) throws(GHPError)
    -> [String]
  {
    let state = try workspace.snapshot()
    try state.requireInitialised()
    try state.requireOrchestrator(try workspace.actor(), toDo: "remove agents")
    let repository = workspace.repository
    let base = try state.config().baseBranch
    let branch = "agent/\(name)"
    if !force {
      do {
        if let tip = try repository.referenceTarget("refs/heads/\(branch)") {
          let baseTip = try repository.referenceTarget("refs/heads/\(base)")
          let unmerged = try repository.commits(from: tip, hiding: baseTip, limit: 5)
          if !keepBranch && !unmerged.isEmpty {
            let listed = unmerged.map { "\($0.id.short) \($0.subject)" }.joined(separator: "; ")
            throw GHPError.refused(
              "\(branch) has commits not in \(base) (\(listed)): merge them, or pass --keep-branch or --force")
          }
        }
        if let path = repository.worktreePath(name: name), let opened = try? Repository(discovering: path) {
          let dirty = try opened.uncommittedPaths(limit: 5)
          if !dirty.isEmpty {
            throw GHPError.refused(
              "\(path) has uncommitted work (\(dirty.joined(separator: ", "))): commit it, or pass --force")
          }
        }
      } catch {
        throw GHPError.bridging(error)
      }
    }
    let released = try workspace.run(UnregisterAgentOperation(name: name)).result
    do {
      if repository.worktreePath(name: name) != nil { try repository.removeWorktree(name: name) }
      if !keepBranch, try repository.referenceTarget("refs/heads/\(branch)") != nil {
        try repository.deleteBranch(branch)
      }
    } catch {
      throw .git(error)
    }
    return released
  }

  /// One line of `ghp agent list`.
  public struct Listing: Sendable {
    /// The agent's registered name.
    public var name: String
    /// The agent as registered: role, branch, status, heartbeat.
    public var record: AgentRecord
    /// The worktree that has its branch checked out (else the one registered under its name), nil
    /// when there is none.
    public var worktree: String?
    /// Commits on the agent's branch not in the base; nil when either branch is missing.
    public var ahead: Int?
    /// Commits on the base not in the agent's branch; nil when either branch is missing.
    public var behind: Int?
    /// The ids of the issues the agent holds, in id order.
    public var claims: [String]
    /// Seconds since the agent's last heartbeat or status update.
    public var age: Int64
    /// Why the agent's worktree is not whole (an `agent add` cut short), or nil.
    public var problem: String?

    /// The line as JSON (`ghp agent list --json`); `age` as `heartbeatAge`.
    public var json: JSON {
      .object([
        "name": .string(name), "role": .string(record.role.rawValue),
        "branch": record.branch.map { .string($0) } ?? .null,
        "worktree": worktree.map { .string($0) } ?? .null, "ahead": ahead.map { .int($0) } ?? .null,
        "behind": behind.map { .int($0) } ?? .null, "claims": .array(claims.map { IssueReference.write($0) }),
        "heartbeatAge": .int(Int(age)), "status": .string(record.status),
        "broken": problem.map { .string($0) } ?? .null,
      ])
    }
  }

  /// Every registered agent by name, with its worktree, its branch against the base and its claims.
  public static func list(_ workspace: Workspace) throws(GHPError) -> [Listing] {
    let state = try workspace.snapshot()
    try state.requireInitialised()
    let repository = workspace.repository
    let base = try? repository.referenceTarget("refs/heads/\(state.config().baseBranch)")
    let worktrees = repository.worktrees()
    let summaries = try state.issueSummaries()
    return try state.agents().agents.sorted { $0.key < $1.key }.map { name, record in
      let branch = record.branch ?? "agent/\(name)"
      let tip = try? repository.referenceTarget("refs/heads/\(branch)")
      var counts: (ahead: Int, behind: Int)?
      if let tip, let base { counts = try? repository.aheadBehind(tip, base) }
      let registered = repository.worktreePath(name: name)
      return Listing(
        name: name, record: record,
        worktree: worktrees.first { $0.branch == "refs/heads/\(branch)" }?.path ?? registered,
        ahead: counts?.ahead, behind: counts?.behind,
        claims: summaries.filter { $0.status == .claimed && $0.assignee == name }.map(\.id).sorted(
          by: IssueID.precedes),
        age: workspace.clock.now - record.timestamp,
        problem: registered == nil ? nil : repository.worktreeProblem(name: name, branch: branch))
    }
  }
}
