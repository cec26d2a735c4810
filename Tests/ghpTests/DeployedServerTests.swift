import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// Servers as people deploy them, with the pusher mapping tested as an impersonating agent would
/// try it.
@Suite(.serialized) struct DeployedServerTests {
  /// Apache with `git http-backend` behind basic authentication: Apache names the logged-in user
  /// in REMOTE_USER, and the server hook reads it by default. w1, logged in as itself, claims in
  /// remote mode; w1's password used to write as w2 (a claim through ghp, or w2's branch pushed
  /// with plain git) is refused, and nothing of it reaches the server.
  @Test(.enabled(if: ApacheServer.installed)) func behindApacheTheLoggedInUserIsThePusher() throws {
    let apache = try ApacheServer(users: ["lead": "lead-pw", "w1": "w1-pw", "w2": "w2-pw"])
    let server = try apache.makeRepository("project.git")
    let installed = try ProcessRunner.run(GHPBinary.path, ["-C", server, "hooks", "install", "--server"], in: server)
    #expect(installed.status == 0, "\(installed.stderr)")
    try apache.handOver()

    let repo = try ScratchRepository()
    try repo.initialise(issues: 2)
    for agent in ["w1", "w2"] {
      #expect(try repo.ghp(["agent", "add", agent], agent: "lead").status == 0)
    }
    // The lead publishes main and the state with its own login, then turns remote mode on.
    let published = try ProcessRunner.run(
      "/usr/bin/git", ["push", apache.url("project.git", user: "lead", password: "lead-pw"), "main", "ghp/state"],
      in: repo.path)
    #expect(published.status == 0, "\(published.stderr)\n\(apache.errorLog)")
    try repo.git("remote", "add", "origin", "http://127.0.0.1:\(apache.port)/git/project.git")
    let login = { (user: String) in ["GHP_GIT_USERNAME": user, "GHP_GIT_TOKEN": "\(user)-pw"] }
    #expect(try repo.ghp(["remote", "set", "origin"], agent: "lead", environment: login("lead")).status == 0)

    let claimed = try repo.ghp(["claim", "1"], agent: "w1", environment: login("w1"))
    #expect(claimed.status == 0, "\(claimed.stderr)\n\(apache.errorLog)")

    // Logged in as w1, writing as w2: refused by the server, in its words.
    let impersonated = try repo.ghp(["claim", "2"], agent: "w2", environment: login("w1"))
    #expect(impersonated.status != 0, "\(impersonated.stdout)")
    #expect(impersonated.stderr.contains("refused the push of ghp/state"), "\(impersonated.stderr)")
    #expect(impersonated.stderr.contains("w1"), "\(impersonated.stderr)")

    // With plain git: w1's password pushing w2's branch.
    #expect(try repo.git("branch", "impostor", "main").isEmpty)
    let branch = try ProcessRunner.run(
      "/usr/bin/git", ["push", apache.url("project.git", user: "w1", password: "w1-pw"), "impostor:agent/w2"],
      in: repo.path)
    #expect(branch.status != 0 && branch.stderr.contains("pusher w1 may not update agent/w2"), "\(branch.stderr)")

    // The server holds the lead's state and w1's claim, nothing made as w2.
    let log = try apache.git(["log", "--format=%s", "ghp/state"], in: server).stdout
    #expect(log.contains("w1: claim #1"), "\(log)")
    #expect(!log.contains("w2: claim"), "\(log)")
    #expect(try apache.git(["branch", "--list", "agent/w2"], in: server).stdout.isEmpty)

    // w1's password pushing an operation to w2's ops ref with plain git: refused, nothing kept.
    let operation = try ProcessRunner.run(
      "/usr/bin/git", ["push", apache.url("project.git", user: "w1", password: "w1-pw"), "ghp/state:refs/ghp/ops/w2"],
      in: repo.path)
    #expect(
      operation.status != 0 && operation.stderr.contains("pusher w1 may not push w2's operations"),
      "\(operation.stderr)")
    // Behind Apache the server lands operations too: w2 claims on another clone, then w1's
    // release here, built on the tip it last saw, is landed by the server as a merge.
    let other = repo.root.deletingLastPathComponent().appendingPathComponent("other").path
    let cloned = try ProcessRunner.run(
      "/usr/bin/git", ["clone", "-q", apache.url("project.git", user: "lead", password: "lead-pw"), other],
      in: repo.path)
    #expect(cloned.status == 0, "\(cloned.stderr)")
    _ = try ProcessRunner.run(
      "/usr/bin/git", ["remote", "set-url", "origin", "http://127.0.0.1:\(apache.port)/git/project.git"], in: other)
    let synced = try ProcessRunner.run(
      GHPBinary.path, ["sync"], in: other, environment: login("lead").merging(["GHP_AGENT": "lead"]) { $1 })
    #expect(synced.status == 0, "\(synced.stderr)")
    let second = try ProcessRunner.run(
      GHPBinary.path, ["claim", "2"], in: other, environment: login("w2").merging(["GHP_AGENT": "w2"]) { $1 })
    #expect(second.status == 0, "\(second.stderr)")
    let released = try repo.ghp(["release", "1"], agent: "w1", environment: login("w1"))
    #expect(released.status == 0, "\(released.stderr)\n\(apache.errorLog)")
    let merges = try apache.git(["log", "--merges", "--format=%s", "ghp/state"], in: server).stdout
    #expect(merges.contains("w1: release #1"), "\(merges)")
    #expect(try repo.ghp(["verify"], agent: "w1").status == 0)
  }

  /// ghp speaks ssh itself (libssh2), so it honours less than git: the agent's keys from its
  /// ssh-agent and the server in ~/.ssh/known_hosts, but no ~/.ssh/config. Over a real sshd with
  /// one key per agent: a Host alias of ~/.ssh/config fails in one line that names what ghp
  /// ignores and the fix; the full URL works, each agent pushing with its own key; a server not
  /// in known_hosts fails in one line that says how to add it.
  @Test func overSSHTheAgentsKeysAndKnownHostsWorkAndWhatIsIgnoredIsSaid() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    #expect(try repo.ghp(["agent", "add", "w1"], agent: "lead").status == 0)
    let folder = repo.root.deletingLastPathComponent().appendingPathComponent("sshsrv")
    let ssh = try SSHServer(base: folder, pushers: ["lead", "w1"])
    let server = folder.appendingPathComponent("project.git").path
    try repo.git("init", "-q", "--bare", server)
    try repo.git(["-C", server, "config", "receive.denyNonFastForwards", "true"])
    #expect(
      try ProcessRunner.run(GHPBinary.path, ["-C", server, "hooks", "install", "--server"], in: server).status == 0)
    let first = try ProcessRunner.run(
      "/usr/bin/git", ["push", ssh.url(server), "main", "ghp/state"], in: repo.path,
      environment: ssh.environment(as: "lead"))
    #expect(first.status == 0, "\(first.stderr)")

    // A home of the test's own: an ssh config with an alias for the server, and known hosts.
    let home = folder.appendingPathComponent("home").path
    try FileManager.default.createDirectory(atPath: home + "/.ssh", withIntermediateDirectories: true)
    try """
    Host gitserver
      HostName 127.0.0.1
      Port \(ssh.port)
      User \(ssh.user)
      IdentityFile \(folder.path)/key-lead

    """.write(toFile: home + "/.ssh/config", atomically: true, encoding: .utf8)
    let clients = try SSHClients(
      home: home, port: ssh.port,
      keys: [
        "lead": folder.appendingPathComponent("key-lead").path, "w1": folder.appendingPathComponent("key-w1").path,
      ])
    let environment = clients.environment

    try repo.git("remote", "add", "alias", "gitserver:\(server)")
    let aliased = try repo.ghp(["sync", "--remote", "alias"], agent: "lead", environment: environment("lead"))
    #expect(aliased.status == 1, "\(aliased.stdout)")
    #expect(aliased.stderr.split(separator: "\n").count == 1, "\(aliased.stderr)")
    #expect(
      aliased.stderr.contains("ignores ~/.ssh/config") && aliased.stderr.contains("ssh://user@host:port/path"),
      "\(aliased.stderr)")

    try repo.git("remote", "add", "origin", ssh.url(server))
    let set = try repo.ghp(["remote", "set", "origin"], agent: "lead", environment: environment("lead"))
    #expect(set.status == 0, "\(set.stderr)")
    let claimed = try repo.ghp(["claim", "1"], agent: "w1", environment: environment("w1"))
    #expect(claimed.status == 0, "\(claimed.stderr)")
    let log = try ProcessRunner.run("/usr/bin/git", ["log", "-1", "--format=%s", "ghp/state"], in: server).stdout
    #expect(log.hasPrefix("w1: claim #1"), "\(log)")

    try "".write(toFile: home + "/.ssh/known_hosts", atomically: true, encoding: .utf8)
    let unknown = try repo.ghp(["agent-heartbeat", "--action", "x"], agent: "w1", environment: environment("w1"))
    #expect(unknown.status == 1, "\(unknown.stdout)")
    #expect(
      unknown.stderr.split(separator: "\n").count == 1 && unknown.stderr.contains("ssh-keyscan"), "\(unknown.stderr)")
  }

  /// gitolite3 over sshd, set up in the order people do it: the project's main pushed first, by
  /// the lead with plain git (taken: before ghp/state exists nothing is coordinated yet), then
  /// `ghp init` and `ghp remote set` through ghp's own ssh. gitolite names the pusher in GL_USER:
  /// w1 claims with its own key; w1's key writing as w2, through ghp or pushing w2's branch with
  /// plain git, is refused, and nothing of it reaches the server.
  @Test(.enabled(if: GitoliteServer.installed)) func gitoliteInThePeoplesOrder() throws {
    let gitolite = try GitoliteServer(people: ["lead", "w1", "w2"])
    let hooked = try gitolite.asServer("'\(GHPBinary.path)' -C '\(gitolite.repository)' hooks install --server")
    #expect(hooked.status == 0, "\(hooked.stdout)\(hooked.stderr)")

    let repo = try ScratchRepository()
    try repo.git("remote", "add", "origin", gitolite.url)
    let main = try ProcessRunner.run(
      "/usr/bin/git", ["push", "origin", "main"], in: repo.path, environment: gitolite.environment(as: "lead"))
    #expect(main.status == 0, "the first push of main: \(main.stderr)")

    try repo.initialise(issues: 2)
    for agent in ["w1", "w2"] { #expect(try repo.ghp(["agent", "add", agent], agent: "lead").status == 0) }
    let home = repo.root.deletingLastPathComponent().appendingPathComponent("home").path
    let clients = try SSHClients(
      home: home, port: gitolite.port,
      keys: ["lead": "\(gitolite.keys)/key-lead", "w1": "\(gitolite.keys)/key-w1"])
    let set = try repo.ghp(["remote", "set", "origin"], agent: "lead", environment: clients.environment("lead"))
    #expect(set.status == 0, "\(set.stderr)")

    let claimed = try repo.ghp(["claim", "1"], agent: "w1", environment: clients.environment("w1"))
    #expect(claimed.status == 0, "\(claimed.stderr)")
    let impersonated = try repo.ghp(["claim", "2"], agent: "w2", environment: clients.environment("w1"))
    #expect(impersonated.status != 0, "\(impersonated.stdout)")
    #expect(
      impersonated.stderr.contains("refused the push of ghp/state") && impersonated.stderr.contains("w1"),
      "\(impersonated.stderr)")
    #expect(try repo.git("branch", "impostor", "main").isEmpty)
    let branch = try ProcessRunner.run(
      "/usr/bin/git", ["push", "origin", "impostor:agent/w2"], in: repo.path,
      environment: gitolite.environment(as: "w1"))
    #expect(branch.status != 0 && branch.stderr.contains("pusher w1 may not update agent/w2"), "\(branch.stderr)")

    let log = try gitolite.asServer("git -C '\(gitolite.repository)' log --format=%s ghp/state").stdout
    #expect(log.contains("w1: claim #1") && !log.contains("w2: claim"), "\(log)")

    // w1's key pushing an operation to w2's ops ref with plain git: refused (gitolite's own update
    // hook does not see a ref git hands to proc-receive; ghp's pre-receive judges it by GL_USER).
    let operation = try ProcessRunner.run(
      "/usr/bin/git", ["push", "origin", "ghp/state:refs/ghp/ops/w2"], in: repo.path,
      environment: gitolite.environment(as: "w1"))
    #expect(
      operation.status != 0 && operation.stderr.contains("pusher w1 may not push w2's operations"),
      "\(operation.stderr)")
    // Through gitolite the server lands operations too: the lead moves the server from another
    // clone, then w1's release here, built on the tip it last saw, is landed as a merge.
    let other = repo.root.deletingLastPathComponent().appendingPathComponent("other").path
    let cloned = try ProcessRunner.run(
      "/usr/bin/git", ["clone", "-q", gitolite.url, other], in: repo.path, environment: gitolite.environment(as: "lead")
    )
    #expect(cloned.status == 0, "\(cloned.stderr)")
    let lead = clients.environment("lead").merging(["GHP_AGENT": "lead"]) { $1 }
    #expect(try ProcessRunner.run(GHPBinary.path, ["sync"], in: other, environment: lead).status == 0)
    let added = try ProcessRunner.run(GHPBinary.path, ["issue", "add", "Third"], in: other, environment: lead)
    #expect(added.status == 0, "\(added.stderr)")
    let released = try repo.ghp(["release", "1"], agent: "w1", environment: clients.environment("w1"))
    #expect(released.status == 0, "\(released.stderr)")
    let merges = try gitolite.asServer("git -C '\(gitolite.repository)' log --merges --format=%s ghp/state").stdout
    #expect(merges.contains("w1: release #1"), "\(merges)")
  }
}

/// The client side of ssh as a person has it: a home with the server in `~/.ssh/known_hosts`,
/// and one ssh-agent per person holding that person's key (ghp's own ssh uses only those).
final class SSHClients {
  let home: String
  private var agents: [String: (socket: String, pid: Int32)] = [:]

  init(home: String, port: Int, keys: [String: String]) throws {
    self.home = home
    try FileManager.default.createDirectory(atPath: home + "/.ssh", withIntermediateDirectories: true)
    let scan = try ProcessRunner.run("/usr/bin/ssh-keyscan", ["-p", "\(port)", "127.0.0.1"], in: home)
    guard scan.status == 0, !scan.stdout.isEmpty else { throw ScratchError("ssh-keyscan: \(scan.stderr)") }
    try scan.stdout.write(toFile: home + "/.ssh/known_hosts", atomically: true, encoding: .utf8)
    for (name, key) in keys {
      let socket = home + "/agent-\(name).sock"
      let started = try ProcessRunner.run("/usr/bin/ssh-agent", ["-s", "-a", socket], in: home)
      guard started.status == 0, let pid = started.stdout.firstMatch(of: /SSH_AGENT_PID=(\d+)/).flatMap({ Int32($0.1) })
      else { throw ScratchError("ssh-agent: \(started.stderr)") }
      agents[name] = (socket, pid)
      let added = try ProcessRunner.run("/usr/bin/ssh-add", [key], in: home, environment: ["SSH_AUTH_SOCK": socket])
      guard added.status == 0 else { throw ScratchError("ssh-add \(key): \(added.stderr)") }
    }
  }

  /// What ghp needs to speak ssh as `name`: the home with its known hosts, and its agent.
  func environment(_ name: String) -> [String: String] {
    ["HOME": home, "SSH_AUTH_SOCK": agents[name]?.socket ?? ""]
  }

  // SIGKILL: an ssh-agent started from the test process inherits its blocked SIGTERM and would
  // outlive every run.
  // SIGKILL: an ssh-agent started from the test process inherits its signal mask, SIGTERM blocked,
  // and would outlive every run.
  deinit { for agent in agents.values { kill(agent.pid, SIGKILL) } }
}
