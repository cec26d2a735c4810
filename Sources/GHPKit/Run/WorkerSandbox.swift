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
  /// The pid and start time of the `ghp worker-sandbox` serving the worker, while it runs.
  var servingFile: String { folder + "/serving" }

  /// Records that this process serves the worker now.
  public func markServing() throws(GHPError) {
    try Files.replace(servingFile, with: Array("\(getpid()) \(ProcessIdentity.ownStartTime)\n".utf8))
  }

  /// Removes the record (when the worker ended).
  public func clearServing() { unlink(servingFile) }

  /// Whether `agent` runs contained right now: its worktree is its sandbox's, and nothing outside
  /// may write into it (the worker could swap a folder for a link under the writer).
  public static func isServing(_ repository: Repository, agent: String) -> Bool {
    let file = repository.localPaths.ghp + "/workers/" + agent + "/serving"
    let words =
      Files.readRegular(file, limit: 256).map { String(decoding: $0, as: UTF8.self).split(separator: " ") } ?? []
    guard words.count == 2, let pid = Int32(words[0]), let start = UInt64(String(words[1]).trimmingSpaces) else {
      return false
    }
    return ProcessIdentity.startTime(of: pid) == start
  }
  var branch: String { "refs/heads/agent/" + agent }

  // MARK: - Whether it can run

  /// How many times a worker is started when bubblewrap fails before starting it.
  public static let setupTries = 3

  /// Why bubblewrap cannot contain a worker on this machine, or nil when it can: it runs
  /// `/bin/true` with the namespaces a worker gets.
  public static func problem(program: String?) -> String? {
    guard let program else { return "bubblewrap (bwrap) is not installed: `apt-get install bubblewrap`" }
    let command = [
      "--die-with-parent", "--unshare-all", "--share-net", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
      "--", "/bin/true",
    ]
    var tries = 0
    while true {
      tries += 1
      guard let ran = ProgramRun.capture(program, command, environment: ThisProcess.environment, seconds: 30) else {
        return "\(program) cannot start, or did not end within 30 s"
      }
      guard ran.status != 0 else { return nil }
      // A mount that went away while bubblewrap copied them: not a reason to run uncontained.
      if tries < setupTries, GateSandbox.failedToSetUp(Array(ran.output.utf8)) {
        usleep(UInt32(50_000 * tries))
        continue
      }
      let last = ran.output.split(separator: "\n").last.map(String.init) ?? "exit status \(ran.status)"
      return
        "bubblewrap cannot make a worker's namespaces here (\(last)); where user namespaces are restricted (Ubuntu's AppArmor), allow them for bwrap"
    }
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
    if !Files.removeTree(gitDirectory) {
      // What cannot be removed is moved out of the way (and left for a person to look at).
      guard rename(gitDirectory, "\(folder)/git.left-\(getpid())-\(UInt32.random(in: 0...UInt32.max))") == 0 else {
        throw .io("cannot clear \(gitDirectory): \(String(cString: strerror(errno)))")
      }
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
    "\"" + value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
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
    hooks: String, ghp: String? = nil, readable: [String] = []
  ) -> [String] {
    var out = [
      // User namespaces stay possible inside: the agents' own sandboxes (Claude Code's and
      // Codex's are bubblewrap) run in one, and the mounts made here are locked together in any
      // namespace made below them (mount_namespaces(7)), so nothing hidden shows again.
      "--die-with-parent", "--new-session", "--unshare-all", "--share-net", "--cap-drop", "ALL",
      "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
    ]
    // More folders it may write first, so that nothing hidden below is shown again by them.
    for path in Self.allowedWritable(writable, common: common, realHome: realHome) { out += ["--bind", path, path] }
    // The person's home hidden whole (the worker has its own), but for the folders on PATH in it,
    // read-only (a CLI installed in ~/.local/bin, say); the agent command's own folder follows.
    if let realHome, realHome != "/", GateSandbox.isDirectory(realHome) {
      out += ["--tmpfs", realHome]
      for folder in (environment["PATH"] ?? "").split(separator: ":").map(String.init)
      where folder.hasPrefix(realHome + "/") && GateSandbox.isDirectory(folder) {
        out += ["--ro-bind", folder, folder]
      }
    }
    for folder in ["/run", "/var/run", "/var/tmp"] where GateSandbox.isDirectory(folder) { out += ["--tmpfs", folder] }
    for file in GateSandbox.hiddenSystemFiles where access(file, F_OK) == 0 { out += ["--ro-bind", "/dev/null", file] }
    for path in Self.allowedWritable(readable, common: common, realHome: realHome) { out += ["--ro-bind", path, path] }
    // The agent command's folder and ghp's, read-only wherever they are (in /tmp or a home, say):
    // the worker runs both, and a script runs what lies beside it.
    for tool in [program] + (ghp.map { [$0] } ?? []) {
      guard let real = HandoffFile.realPath(tool), let slash = real.lastIndex(of: "/"), slash != real.startIndex else {
        continue
      }
      let folder = String(real[..<slash])
      guard !folder.hasPrefix(common + "/"), folder != common else { continue }
      // A folder holding the person's home would show it again: the file alone then.
      if let realHome, realHome == folder || realHome.hasPrefix(folder + "/") {
        out += ["--ro-bind", real, real]
      } else {
        out += ["--ro-bind", folder, folder]
      }
    }
    // The repository's git folder hidden, its objects shown read-only (the worker's repository
    // borrows them), and its hooks where they are inside it.
    out += ["--tmpfs", common, "--ro-bind", common + "/objects", common + "/objects"]
    if hooks.hasPrefix(common + "/"), GateSandbox.isDirectory(hooks) { out += ["--ro-bind", hooks, hooks] }
    out += ["--bind", gitDirectory, gitDirectory, "--bind", home, home]
    out += ["--bind", worktree, worktree, "--ro-bind", gitFile, worktree + "/.git"]
    out += ["--bind", socket, Self.socketInside]
    out.append("--clearenv")
    for (name, value) in environment.sorted(by: { $0.key < $1.key }) { out += ["--setenv", name, value] }
    out += ["--chdir", worktree, "--", program] + arguments
    return out
  }

  /// Why the worker's repository is not fit to be read by libgit2 outside the sandbox, or nil: it
  /// must hold plain files and folders only (a link would point the fetch elsewhere, a FIFO would
  /// hang it), borrow objects from the repository and nowhere else, name no other git folder and
  /// include no other config.
  func tampering() -> String? {
    for name in ["commondir", "gitdir", ".git", "objects/info/http-alternates"] {
      var info = stat()
      if lstat(gitDirectory + "/" + name, &info) == 0 { return "\(name) is there" }
    }
    let alternates = Files.readRegular(gitDirectory + "/objects/info/alternates", limit: 4096)
    if alternates != Array((common + "/objects\n").utf8) { return "objects/info/alternates was changed" }
    let config = Files.readRegular(gitDirectory + "/config", limit: 1 << 20).map { String(decoding: $0, as: UTF8.self) }
    guard let config else { return "its config is not a plain file" }
    let sections = config.lowercased().split(separator: "\n").map { String($0).trimmingSpaces }
    if sections.contains(where: { $0.hasPrefix("[include") || $0.contains("include.path") }) {
      return "its config includes another file"
    }
    var pending = [gitDirectory]
    var seen = 0
    while let folder = pending.popLast() {
      guard let names = Files.names(in: folder) else { return "\(folder) cannot be read" }
      for name in names {
        seen += 1
        guard seen <= 1_000_000 else { return "it holds more than a million files" }
        var info = stat()
        guard lstat(folder + "/" + name, &info) == 0 else { continue }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: pending.append(folder + "/" + name)
        case S_IFREG: continue
        default:
          return "\(String((folder + "/" + name).dropFirst(gitDirectory.count + 1))) is not a plain file or folder"
        }
      }
    }
    return nil
  }

  /// The `agent.writable` folders a worker may have: existing absolute paths that neither hold
  /// nor lie in the repository's git folder or the person's home (either would show again what
  /// the sandbox hides).
  static func allowedWritable(_ paths: [String], common: String, realHome: String?) -> [String] {
    let hidden = [common] + (realHome.map { [$0] } ?? [])
    return paths.compactMap { HandoffFile.realPath($0) }.filter { path in
      path != "/"
        && !hidden.contains { secret in
          path == secret || path.hasPrefix(secret + "/") || secret.hasPrefix(path.hasSuffix("/") ? path : path + "/")
        }
    }
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
    if let tampered = tampering() {
      return .refused(["the worker's repository was tampered with (\(tampered)); its commits were not taken"])
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
    func move() throws(GitError) {
      try repository.compareAndSwapReference(
        branch, to: theirs, expected: ours, logMessage: "ghp run: taken from \(agent)'s contained worktree")
    }
    do { try move() } catch {
      // A killed supervisor's lock on the branch: removed once provably left, then once more.
      guard error.kind == .locked else { throw .io("cannot move agent/\(agent): \(error.message)") }
      if let held = LeftLocks.clear(common + "/" + branch + ".lock") { throw .io(held) }
      do { try move() } catch { throw .io("cannot move agent/\(agent): \(error.message)") }
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
