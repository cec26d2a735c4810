import Glibc

/// Where a contained `ghp run` worker lives (`[agent] sandbox`). A worker runs an agent that may be
/// careless or hostile; under bubblewrap it sees:
///
/// - the whole file system read-only, the home folder's credentials and the system's secrets hidden
///   (as for a gate, `GateSandbox`), its own `/tmp`, and the network (an agent calls its model);
/// - its worktree writable, and nothing else of the repository: the repository's git folder is
///   hidden (keys, refs, hooks' state, `.git/ghp`), its objects shown read-only;
/// - a git repository of its own (`gitDirectory`), which the worktree's `.git` names inside the
///   sandbox: objects borrowed from the repository through `alternates`, a copy of its branches
///   and of `ghp/state` (for hooks and `git log`), and its one branch, `agent/<name>`, that counts.
///   Plain git there moves only that repository's refs: `git update-ref refs/heads/main` or
///   `git push . HEAD:ghp/state` change the worker's copy and nothing else;
/// - a home folder of its own (`home`), seeded with its preset agent's login and settings, so that
///   it neither reads nor changes the files the person running ghp uses;
/// - a socket (`socketInside`) to its supervisor, through which every `ghp` command it runs is
///   carried out for it, as its agent and no other (`ghp worker-sandbox`, `WorkerChannel`).
///
/// The supervisor takes the worker's branch (`take`) before each command it carries out and when
/// the worker ends: it fetches `agent/<name>` from the worker's repository and judges the new
/// commits as a server's `pre-receive` judges a push by that agent, so an edit the policy refuses
/// never reaches the repository's `agent/<name>`, let alone the base.
public struct WorkerSandbox: Sendable {
  /// The agent the worker runs as.
  public let agent: String
  /// Its worktree, links resolved.
  public let worktree: String
  /// The repository's git common folder.
  let common: String

  /// Where the socket to the supervisor appears inside the sandbox.
  public static let socketInside = "/run/ghp/worker.sock"
  /// The environment variable naming that socket: with it set, `ghp` carries its command to the
  /// supervisor instead of acting itself.
  public static let socketVariable = "GHP_WORKER_SOCKET"
  /// A file in a worker's own repository: ghp run there without the socket refuses to write (its
  /// writes would land in the worker's copy of `ghp/state` and reach nobody).
  public static let marker = "ghp-worker"

  /// The sandbox of `agent`, whose worktree is `worktree`, in `repository`.
  public init(repository: Repository, agent: String, worktree: String) {
    self.agent = agent
    self.worktree = HandoffFile.realPath(worktree) ?? worktree
    common = repository.localPaths.common
  }

  /// `<common>/ghp/workers/<agent>`: the supervisor's folder for the worker, hidden from it.
  public var folder: String { common + "/ghp/workers/" + agent }
  /// The worker's own git repository (writable inside the sandbox).
  public var gitDirectory: String { folder + "/git" }
  /// The worker's own home folder (writable inside the sandbox).
  public var home: String { folder + "/home" }
  /// The socket the supervisor's side listens on.
  public var socket: String { folder + "/socket" }
  /// The `.git` file the worktree shows inside the sandbox.
  var gitFile: String { folder + "/gitfile" }
  /// The tip of `agent/<name>` the worker's repository was last given or taken from.
  var syncedFile: String { folder + "/synced" }
  var takeLock: String { folder + "/take.lock" }
  var branch: String { "refs/heads/agent/" + agent }

  // MARK: - Whether it can run

  /// Why bubblewrap cannot contain a worker on this machine, or nil when it can: it runs
  /// `/bin/true` with the namespaces a worker gets, its complaint kept in `log`.
  public static func problem(program: String?, log: String) -> String? {
    guard let program else { return "bubblewrap (bwrap) is not installed: `apt-get install bubblewrap`" }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let command = [
      program, "--die-with-parent", "--unshare-all", "--share-net", "--ro-bind", "/", "/", "--dev", "/dev", "--proc",
      "/proc", "--", "/bin/true",
    ]
    var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var child: pid_t = 0
    let spawned = posix_spawn(&child, program, &actions, nil, &argv, environ)
    guard spawned == 0 else { return "\(program) cannot start: \(String(cString: strerror(spawned)))" }
    var status: Int32 = 0
    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    guard status != 0 else { return nil }
    let said = Files.read(log).map { String(decoding: $0, as: UTF8.self) } ?? ""
    let last = said.split(separator: "\n").last.map(String.init) ?? "exit status \(status)"
    return
      "bubblewrap cannot make a worker's namespaces here (\(last)); where user namespaces are restricted (Ubuntu's AppArmor), allow them for bwrap"
  }

  // MARK: - Before the worker starts

  /// Files of the real home folder a preset's agent needs in the worker's own: its login and its
  /// settings (never its history). With `CLAUDE_CONFIG_DIR` or `CODEX_HOME` set, the files come
  /// from there.
  static let presetHome: [String: (variable: String, folder: String, files: [String], outside: [String])] = [
    "claude": ("CLAUDE_CONFIG_DIR", ".claude", [".credentials.json", "settings.json", "CLAUDE.md"], [".claude.json"]),
    "codex": ("CODEX_HOME", ".codex", ["auth.json", "config.toml", "AGENTS.md"], []),
  ]

  /// Makes the worker's repository afresh (what an earlier attempt left there was taken when it
  /// ended), its `.git` file and its home; seeds the home from `environment`'s `HOME` for `preset`.
  /// Returns the variables the worker's environment changes: `HOME` and the preset's folder.
  public func prepare(_ repository: Repository, preset: String?, environment: [String: String]) throws(GHPError)
    -> [String: String]
  {
    guard Files.makeDirectories(folder), Files.makeDirectories(home) else {
      throw .io("cannot create \(folder): \(String(cString: strerror(errno)))")
    }
    guard Files.removeTree(gitDirectory) else {
      throw .io("cannot clear \(gitDirectory): \(String(cString: strerror(errno)))")
    }
    for sub in ["", "/objects", "/objects/info", "/objects/pack", "/refs", "/refs/heads", "/refs/tags"] {
      guard mkdir(gitDirectory + sub, 0o755) == 0 else {
        throw .io("cannot create \(gitDirectory + sub): \(String(cString: strerror(errno)))")
      }
    }
    let tip: ObjectID?
    do { tip = try repository.referenceTarget(branch) } catch { throw .git(error) }
    guard let tip else { throw .io("\(agent) has no branch agent/\(agent) to work on") }
    var config = """
      [core]
      \trepositoryformatversion = 0
      \tfilemode = true
      \tbare = false
      \tlogallrefupdates = true
      \tworktree = \(quoted(worktree))
      \thooksPath = \(quoted(HookInstaller.hooksDirectory(repository)))
      [ghp]
      \tagent = \(agent)

      """
    if let name = repository.configString("user.name"), let email = repository.configString("user.email") {
      config += "[user]\n\tname = \(quoted(name))\n\temail = \(quoted(email))\n"
    }
    try Files.replace(gitDirectory + "/config", with: Array(config.utf8))
    try Files.replace(gitDirectory + "/HEAD", with: Array("ref: \(branch)\n".utf8))
    try Files.replace(gitDirectory + "/objects/info/alternates", with: Array((common + "/objects\n").utf8))
    try Files.replace(gitDirectory + "/" + Self.marker, with: Array("ghp run: \(agent)\n".utf8))
    if let index = Files.readRegular(adminFolder + "/index") { try Files.replace(gitDirectory + "/index", with: index) }
    try refreshRefs(repository)
    guard Files.makeDirectories(gitDirectory + "/refs/heads/agent") else {
      throw .io("cannot create \(gitDirectory)/refs/heads/agent: \(String(cString: strerror(errno)))")
    }
    try Files.replace(gitDirectory + "/" + branch, with: Array((tip.hex + "\n").utf8))
    try Files.replace(gitFile, with: Array("gitdir: \(gitDirectory)\n".utf8))
    try Files.replace(syncedFile, with: Array(tip.hex.utf8))
    return try seedHome(preset: preset, environment: environment)
  }

  /// The worktree's git administrative folder outside the sandbox (its `.git` file there names it).
  var adminFolder: String {
    let pointer = Files.readRegular(worktree + "/.git").map { String(decoding: $0, as: UTF8.self) } ?? ""
    guard pointer.hasPrefix("gitdir: ") else { return common }
    return Files.absolute(String(pointer.dropFirst(8)).trimmingSpaces, from: worktree)
  }

  /// Writes the worker's copy of the repository's branches, tags and `ghp/state` (as packed refs:
  /// what the worker commits, as loose refs, overrides them in its own repository only).
  public func refreshRefs(_ repository: Repository) throws(GHPError) {
    var lines = "# pack-refs with: peeled fully-peeled sorted \n"
    for (name, target) in (repository.references(glob: "refs/heads/*") + repository.references(glob: "refs/tags/*"))
      .sorted(by: { $0.name < $1.name })
    {
      lines += "\(target.hex) \(name)\n"
    }
    try Files.replace(gitDirectory + "/packed-refs", with: Array(lines.utf8))
  }

  func quoted(_ value: String) -> String {
    "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }

  /// Copies the preset agent's login and settings into the worker's home (links and other
  /// non-files skipped; the home is the worker's, so each folder is made anew where it is not a
  /// plain folder).
  func seedHome(preset: String?, environment: [String: String]) throws(GHPError) -> [String: String] {
    var changed = ["HOME": home]
    guard let preset, let seed = Self.presetHome[preset] else { return changed }
    let realHome = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
    let source = environment[seed.variable].flatMap { $0.isEmpty ? nil : $0 } ?? realHome.map { $0 + "/" + seed.folder }
    let target = home + "/" + seed.folder
    if !GateSandbox.isDirectory(target) {
      Files.removeTree(target)
      guard mkdir(target, 0o700) == 0 else {
        throw .io("cannot create \(target): \(String(cString: strerror(errno)))")
      }
    }
    if let source {
      for file in seed.files {
        if let bytes = Files.readRegular(source + "/" + file) {
          try Files.replace(target + "/" + file, with: bytes, mode: 0o600)
        }
      }
    }
    if let realHome {
      for file in seed.outside {
        if let bytes = Files.readRegular(realHome + "/" + file) {
          try Files.replace(home + "/" + file, with: bytes, mode: 0o600)
        }
      }
    }
    if environment[seed.variable] != nil { changed[seed.variable] = target }
    return changed
  }

  // MARK: - The sandbox

  /// The bubblewrap arguments (after the program) that run `program` with `arguments` contained,
  /// with exactly `environment`; `writable` are more folders it may write (`agent.writable`).
  public func arguments(
    program: String, arguments: [String], environment: [String: String], realHome: String?, writable: [String],
    hooks: String
  ) -> [String] {
    var out = [
      "--die-with-parent", "--new-session", "--unshare-all", "--share-net", "--cap-drop", "ALL", "--ro-bind", "/", "/",
      "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
    ]
    if let realHome, realHome != "/" {
      for folder in GateSandbox.hiddenHomeFolders where GateSandbox.isDirectory(realHome + "/" + folder) {
        out += ["--tmpfs", realHome + "/" + folder]
      }
      for file in GateSandbox.hiddenHomeFiles where access(realHome + "/" + file, F_OK) == 0 {
        out += ["--ro-bind", "/dev/null", realHome + "/" + file]
      }
    }
    for folder in ["/run", "/var/run", "/var/tmp"] where GateSandbox.isDirectory(folder) { out += ["--tmpfs", folder] }
    for file in GateSandbox.hiddenSystemFiles where access(file, F_OK) == 0 { out += ["--ro-bind", "/dev/null", file] }
    // The repository's git folder hidden, its objects shown read-only (the worker's repository
    // borrows them), and its hooks where they are inside it.
    out += ["--tmpfs", common, "--ro-bind", common + "/objects", common + "/objects"]
    if hooks.hasPrefix(common + "/"), GateSandbox.isDirectory(hooks) { out += ["--ro-bind", hooks, hooks] }
    out += ["--bind", gitDirectory, gitDirectory, "--bind", home, home]
    for path in writable where path.hasPrefix("/") && access(path, F_OK) == 0 { out += ["--bind", path, path] }
    out += ["--bind", worktree, worktree, "--ro-bind", gitFile, worktree + "/.git"]
    out += ["--bind", socket, Self.socketInside]
    // The agent command itself, read-only, wherever it is (a script in /tmp, say).
    if program.hasPrefix("/") { out += ["--ro-bind", program, program] }
    out.append("--clearenv")
    for (name, value) in environment.sorted(by: { $0.key < $1.key }) { out += ["--setenv", name, value] }
    out += ["--chdir", worktree, "--", program] + arguments
    return out
  }

  // MARK: - Taking the worker's branch

  /// What `take` did with the worker's `agent/<name>`.
  public enum Taken: Equatable, Sendable {
    /// Nothing new: the worker's branch is where the repository's is.
    case unchanged
    /// The repository's `agent/<name>` moved from the first to the second.
    case moved(ObjectID, ObjectID)
    /// The worker's commits were refused, one sentence per rule broken; the repository's branch
    /// stays where it was.
    case refused([String])
  }

  /// Fetches the worker's `agent/<name>` into the repository and moves the repository's
  /// `agent/<name>` to it, once its new commits pass what a server's `pre-receive` asks of a push
  /// by that agent (labelled by it, the edit policy). Then the worker's copy of the refs is made
  /// current. Taken under a lock, so a command carried out and the supervisor never race.
  public func take(_ repository: Repository, state: StateSnapshot) throws(GHPError) -> Taken {
    let lock = open(takeLock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard lock >= 0 else { throw .io("cannot open \(takeLock): \(String(cString: strerror(errno)))") }
    defer { close(lock) }
    while flock(lock, LOCK_EX) != 0 && errno == EINTR {}
    let synced = Files.readRegular(syncedFile).flatMap { ObjectID(hex: String(decoding: $0, as: UTF8.self)) }
    // The worker's branch as git there reads it first (its loose ref): where it was last taken,
    // there is nothing to fetch.
    if let loose = Files.readRegular(gitDirectory + "/" + branch, limit: 4096),
      ObjectID(hex: String(decoding: loose, as: UTF8.self).trimmingSpaces) == synced, synced != nil,
      (try? repository.referenceTarget(branch)) == synced
    {
      return .unchanged
    }
    let theirs: ObjectID?
    do {
      theirs = try repository.fetchTip(
        url: gitDirectory, ref: branch, what: "taking agent/\(agent) from its worker's repository", seconds: 60)
    } catch {
      throw .io("cannot take agent/\(agent) from \(gitDirectory): \(error.message)")
    }
    let ours: ObjectID?
    do { ours = try repository.referenceTarget(branch) } catch { throw .git(error) }
    defer { try? refreshRefs(repository) }
    guard let theirs, theirs != ours else { return .unchanged }
    guard let ours, ours == synced else {
      return .refused([
        "agent/\(agent) moved outside the worker (to \(ours?.short ?? "nothing")) since it started from \(synced?.short ?? "nothing"); its commits were not taken"
      ])
    }
    let config = try state.exists ? state.config() : Config()
    let baseTip: ObjectID?
    do { baseTip = try repository.referenceTarget("refs/heads/\(config.baseBranch)") } catch { throw .git(error) }
    let orchestrator = state.exists ? try state.role(of: agent) == .orchestrator : false
    let pusher = HookRunner.Pusher(name: agent, agents: [agent], isOrchestrator: orchestrator, who: "worker \(agent)")
    let refusals = try HookRunner.judgeUpdate(
      old: ours, new: theirs, ref: branch, by: pusher, state: state, config: config, baseTip: baseTip,
      repository: repository, unlabelled: agent)
    guard refusals.isEmpty else { return .refused(refusals) }
    do {
      try repository.compareAndSwapReference(
        branch, to: theirs, expected: ours, logMessage: "ghp run: taken from \(agent)'s contained worktree")
    } catch {
      throw .io("cannot move agent/\(agent): \(error.message)")
    }
    try Files.replace(syncedFile, with: Array(theirs.hex.utf8))
    // The worktree's index as the worker left it, so git outside sees the worktree as it does.
    if let head = Files.readRegular(gitDirectory + "/HEAD", limit: 4096),
      String(decoding: head, as: UTF8.self).trimmingSpaces == "ref: \(branch)",
      let index = Files.readRegular(gitDirectory + "/index")
    {
      try? Files.replace(adminFolder + "/index", with: index)
    }
    return .moved(ours, theirs)
  }
}
