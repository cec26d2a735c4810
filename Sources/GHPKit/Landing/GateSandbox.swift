import Glibc

/// How `ghp land` contains a gate. The gate is the agents' code (a worker may have edited the very
/// script `landing.gate` names), so it must not act with the lander's rights. It runs under
/// bubblewrap (`bwrap`, Debian's `bubblewrap`, the sandbox Claude Code uses on Linux):
///
/// - new mount, pid, ipc, uts, cgroup and (unless `landing.network`) network namespaces, no
///   capabilities, its own session, and it dies with the lander;
/// - the whole file system read-only, its own worktree writable, a fresh `/tmp`;
/// - the repository's git folder hidden (keys, refs, hooks, `.git/ghp`): no ghp command and no git
///   command inside it can reach the repository, so a gate cannot write state as anyone;
/// - the home folder's credentials hidden (`.ssh`, `.gnupg`, `.git-credentials`, git's credential
///   store) and `/run/user` (ssh-agent and other sockets);
/// - an environment of PATH, HOME, LANG and TERM only, plus the names `landing.env` adds and the
///   `GHP_LAND_*` facts: never a ghp token, a git credential or an ssh agent.
///
/// Where bubblewrap cannot run (missing, or no namespaces), the lander refuses to gate unless the
/// policy says `landing.sandbox = "off"`; the environment is cleaned either way.
public enum GateSandbox {
  /// The variables a gate gets from the lander's environment whatever the policy says.
  static let passed = ["PATH", "HOME", "LANG", "TERM"]

  /// The environment a gate runs with: the passed names and `names` taken from `lander`, and `facts`.
  static func environment(from lander: [String: String], names: [String], facts: [String: String]) -> [String: String] {
    var out = EnvironmentNames.pick(passed + names, from: lander)
    out["PATH"] = out["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    return out.merging(facts) { _, fact in fact }
  }

  /// bubblewrap, found on the lander's `PATH`.
  static func program(_ environment: [String: String]) -> String? {
    ProgramSearch.find("bwrap", in: ProgramSearch.folders(environment["PATH"]))
  }

  /// The arguments (after the program) that run `/bin/sh -c command` contained, in `directory`,
  /// with the repository's git folder `gitDirectory` hidden and exactly `environment`.
  static func arguments(
    command: String, directory: String, gitDirectory: String, network: Bool, environment: [String: String]
  ) -> [String] {
    var out = [
      "--die-with-parent", "--new-session", "--unshare-all", "--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev",
      "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
    ]
    if network { out.append("--share-net") }
    // The git folder first, then the worktree inside it (bwrap makes the mount point in the tmpfs),
    // its `.git` file read-only: the lander reads it, and the gate must not point it elsewhere.
    out += ["--tmpfs", gitDirectory, "--bind", directory, directory]
    if access(directory + "/.git", F_OK) == 0 { out += ["--ro-bind", directory + "/.git", directory + "/.git"] }
    if let home = environment["HOME"], home.hasPrefix("/"), home != "/" {
      for folder in hiddenHomeFolders where isDirectory(home + "/" + folder) {
        out += ["--tmpfs", home + "/" + folder]
      }
      for file in hiddenHomeFiles where access(home + "/" + file, F_OK) == 0 {
        out += ["--ro-bind", "/dev/null", home + "/" + file]
      }
    }
    // Sockets (an ssh agent, docker, systemd) and other users' scratch, and the system's secrets.
    for folder in ["/run", "/var/run", "/var/tmp"] where isDirectory(folder) { out += ["--tmpfs", folder] }
    for file in hiddenSystemFiles where access(file, F_OK) == 0 { out += ["--ro-bind", "/dev/null", file] }
    out.append("--clearenv")
    for (name, value) in environment.sorted(by: { $0.key < $1.key }) { out += ["--setenv", name, value] }
    out += ["--chdir", directory, "--", "/bin/sh", "-c", command]
    return out
  }

  /// Where tools keep credentials in a home folder: hidden from the gate.
  static let hiddenHomeFolders = [
    ".ssh", ".gnupg", ".aws", ".docker", ".kube", ".azure", ".config/gh", ".config/gcloud", ".claude", ".codex",
    ".password-store",
  ]
  /// Credential files in a home folder: hidden from the gate.
  static let hiddenHomeFiles = [
    ".git-credentials", ".config/git/credentials", ".netrc", ".npmrc", ".pypirc", ".claude.json",
    ".cargo/credentials.toml",
  ]
  /// The system's secrets, readable by the root a lander may run as.
  static let hiddenSystemFiles = [
    "/etc/shadow", "/etc/gshadow", "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key",
    "/etc/ssh/ssh_host_ecdsa_key",
  ]

  /// How many times a command is started when bubblewrap fails before starting it.
  static let setupTries = 3

  /// Whether `output`, all a contained command printed, is bubblewrap's own refusal to make the
  /// sandbox (`bwrap: …` lines and nothing else but the lander's notes): then the command never ran. bubblewrap copies
  /// every mount under `/` read-only, one by one, and fails when one goes away meanwhile (a network
  /// namespace or a container removed on the host), so such a failure is worth another try. A
  /// gate could print the same line itself; it is then run again, at most `setupTries` times, and
  /// fails as it would have.
  public static func failedToSetUp(_ output: [UInt8]) -> Bool {
    // The lander's own notes (no cgroups here, a try again) are not the command's output.
    let lines = output.split(separator: UInt8(ascii: "\n")).filter { !$0.starts(with: Array("ghp land: ".utf8)) }
    return !lines.isEmpty && lines.allSatisfy { $0.starts(with: Array("bwrap: ".utf8)) }
  }

  /// A folder itself, not a link to one (bwrap mounts over the path it is given).
  static func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }
}
