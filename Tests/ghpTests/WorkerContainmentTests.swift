import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// `ghp run` workers under bubblewrap (`agent.sandbox`, on where it can run): what a hostile worker
/// tries with plain git and ghp reaches its own copy of the repository and nothing else, while its
/// work and its state changes still arrive, as its agent.
@Suite("contained workers", .serialized)
struct WorkerContainmentTests {
  /// The log a run kept of a worker's output.
  static func log(_ bench: RunBench, agent: String) throws -> String {
    let id = try #require(try bench.runRecord()["id"]?.stringValue)
    let common = try bench.repo.git("rev-parse", "--path-format=absolute", "--git-common-dir").trimmingCharacters(
      in: .whitespacesAndNewlines)
    return try String(contentsOfFile: "\(common)/ghp/run/\(id)/\(agent).log", encoding: .utf8)
  }

  @Test(
    "a hostile worker's git update-ref, pushes, key reads, -C, --agent and GHP_AGENT reach only its sandbox; its work still lands on its branch"
  )
  func hostileWorker() throws {
    let bench = try RunBench(issues: 1, settings: ["agent.sandbox": "on"])
    #expect(try bench.repo.ghp(["agent", "add", "bystander"], agent: "lead").status == 0)
    let refs = ["main", "ghp/state", "agent/bystander"]
    let before = try refs.map { try bench.repo.git("rev-parse", $0) }
    let orchestratorsBefore = try bench.repo.ghp(["config", "get", "roles.orchestrators"], agent: "lead").stdout
    let common = try bench.repo.git("rev-parse", "--path-format=absolute", "--git-common-dir").trimmingCharacters(
      in: .whitespacesAndNewlines)
    let leadKey = try String(contentsOfFile: "\(common)/ghp/keys/lead", encoding: .utf8)
    // The person's home: a token in a start-up file, an X cookie, an ssh key.
    let home = bench.scratch + "/person"
    let personal = [
      ".bashrc": "export GHP_SERVE_TOKEN=rc-token-4321\n", ".Xauthority": "x-cookie-8765\n",
      ".ssh/id_ed25519": "ssh-private-key-2468\n",
    ]
    for (name, text) in personal {
      try FileManager.default.createDirectory(
        atPath: (home + "/" + name as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try text.write(toFile: home + "/" + name, atomically: true, encoding: .utf8)
    }
    #expect(try bench.repo.ghp(["config", "set", "agent.env", "[\"PERSON_HOME\"]"], agent: "lead").status == 0)
    let secrets = [
      "GHP_SERVE_TOKEN": "page-token-1234", "GHP_GIT_TOKEN": "git-token-5678", "SSH_AUTH_SOCK": "/tmp/agent.sock-9",
      "HOME": home, "PERSON_HOME": home,
    ]
    let (result, events) = try bench.run(["-w", "1", "--agent-command", bench.agent("attacker")], environment: secrets)
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    let log = try Self.log(bench, agent: "worker-1")
    // The attacks ran: plain git moved the refs of the worker's own repository...
    #expect(log.contains("ATTACK update-ref-main: moved"), "\(log)")
    #expect(log.contains("ATTACK push-state: pushed"), "\(log)")
    #expect(log.contains("ATTACK push-other: pushed"), "\(log)")
    // ...and nothing else: main, ghp/state (but for the run's own records) and the bystander's branch.
    let after = try refs.map { try bench.repo.git("rev-parse", $0) }
    #expect(after[0] == before[0], "main moved")
    #expect(after[2] == before[2], "agent/bystander moved")
    #expect(try bench.repo.git("rev-parse", "agent/worker-1") != before[0], "the work did not arrive on agent/worker-1")
    let subjects = try bench.history()
    #expect(!subjects.contains { $0.contains("approve") }, "\(subjects)")
    #expect(!subjects.contains { $0.contains("I am lead") }, "\(subjects)")
    #expect(!subjects.contains { $0.contains("config") && $0.contains("worker-1") }, "\(subjects)")
    #expect(try bench.repo.ghp(["config", "get", "roles.orchestrators"], agent: "lead").stdout == orchestratorsBefore)
    for line in log.split(separator: "\n") where line.hasPrefix("ATTACK ") {
      let outcome = line.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
      if line.contains("push-main") || line.contains("approve") || line.contains("promote")
        || line.contains("impersonate") || line.contains("plan-from-key") || line.contains("unsandbox")
      {
        #expect(outcome == "failed", "\(line)")
      }
    }
    // No key, no secret of the supervisor's, no process of its own in sight.
    let keyBody = leadKey.split(separator: "\n").dropFirst().first.map(String.init) ?? leadKey
    #expect(!log.contains(keyBody), "the lead's key was read")
    for name in ["GHP_SERVE_TOKEN", "GHP_GIT_TOKEN", "SSH_AUTH_SOCK"] {
      #expect(!log.contains(secrets[name]!), "the worker saw \(name)")
    }
    for secret in ["rc-token-4321", "x-cookie-8765", "ssh-private-key-2468"] {
      #expect(!log.contains(secret), "the worker read \(secret) in the person's home")
    }
    #expect(log.contains("HOME .bashrc"), "the home attack did not run: \(log)")
    #expect(log.contains("ENV GHP_AGENT=worker-1"), "\(log)")
    // Its work: done as worker-1, and the commit on the repository's agent/worker-1 is its own.
    #expect(try bench.issue("1")["status"]?.stringValue == "done")
    #expect(try bench.repo.git("log", "-1", "--format=%s", "agent/worker-1").contains("worker-1: #1"))
    #expect(!events.contains { $0["event"]?.stringValue == "refused" }, "\(events)")
  }

  @Test("a contained worker's --no-verify edit of a shared file is not taken, and its ghp done is refused")
  func smuggledSharedEdit() throws {
    let bench = try RunBench(issues: 1, settings: ["agent.sandbox": "on", "maxAttempts": "1"])
    let smuggler = bench.scratch + "/smuggler"
    try """
    #!/bin/sh
    cat > /dev/null
    echo "pwned" >> README.md
    git commit -q --no-verify -am "worker: a small README fix" || exit 1
    ghp done "$GHP_ISSUE" --result "fixed the README"
    exit $?

    """.write(toFile: smuggler, atomically: true, encoding: .utf8)
    chmod(smuggler, 0o755)
    let tip = try bench.repo.git("rev-parse", "main")
    let (result, events) = try bench.run(["-w", "1", "--agent-command", smuggler])
    #expect(result.status == 1, "\(result.stdout)")
    #expect(try bench.repo.git("rev-parse", "agent/worker-1") == tip, "the shared-file edit reached agent/worker-1")
    #expect(try bench.issue("1")["status"]?.stringValue != "done")
    let log = try Self.log(bench, agent: "worker-1")
    #expect(log.contains("cannot be handed over") && log.contains("README.md"), "\(log)")
    #expect(
      events.contains { $0["event"]?.stringValue == "refused" && ($0["text"]?.stringValue ?? "").contains("README.md") }
    )
  }

  @Test("a contained worker's ghp and ghp-mcp act as its agent through the supervisor; ghp outside the socket refuses")
  func stateChangesGoThroughTheSupervisor() throws {
    let bench = try RunBench(issues: 1, settings: ["agent.sandbox": "on"])
    let reporter = bench.scratch + "/reporter"
    try """
    #!/bin/sh
    cat > /dev/null
    ghp agent-status update --status working --action "in the sandbox" > /dev/null || exit 1
    echo "found in the sandbox" | ghp discover - > /dev/null || exit 1
    env -u GHP_WORKER_SOCKET ghp agent-heartbeat > /dev/null 2> outside.txt && echo "OUTSIDE WROTE" || echo "OUTSIDE: $(cat outside.txt)"
    init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"fixture","version":"1"}}}'
    ready='{"jsonrpc":"2.0","method":"notifications/initialized"}'
    call='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"heartbeat","arguments":{"action":"beat through ghp-mcp"}}}'
    (printf '%s\\n' "$init" "$ready" "$call"; sleep 2) | ghp-mcp | grep '"id":2' | sed 's/^/MCP /'
    echo "work" > work.txt && git add work.txt && git commit -q -m "worker-1: work" || exit 1
    echo "a result written in the sandbox" > /tmp/result.md
    ghp done "$GHP_ISSUE" --result-file /tmp/result.md > /dev/null || exit 1

    """.write(toFile: reporter, atomically: true, encoding: .utf8)
    chmod(reporter, 0o755)
    let (result, _) = try bench.run(["-w", "1", "--agent-command", reporter])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    let log = try Self.log(bench, agent: "worker-1")
    #expect(log.contains("OUTSIDE: ghp: this is a contained ghp run worker's repository"), "\(log)")
    let status = try JSON.parse(try bench.repo.stateFile(".ghp/agent-status.json"))
    #expect(status["agents"]?["worker-1"] != nil)
    let history = try bench.history()
    #expect(history.contains { $0.contains("worker-1") && $0.contains("in the sandbox") }, "\(history)")
    #expect(log.contains("MCP ") && !log.contains("\"isError\":true"), "\(log)")
    #expect(history.contains { $0.contains("worker-1") && $0.contains("beat through ghp-mcp") }, "\(history)")
    let issue = try bench.issue("1")
    #expect(issue["status"]?.stringValue == "done")
    #expect(issue["result"]?.stringValue?.contains("a result written in the sandbox") == true, "\(issue)")
    let discoveries = try bench.repo.ghp(["discoveries", "--json"], agent: "lead").stdout
    #expect(discoveries.contains("found in the sandbox") && discoveries.contains("worker-1"), "\(discoveries)")
  }

  @Test("agent.sandbox on where bubblewrap cannot run refuses in one line; off runs uncontained and says so")
  func withoutBubblewrap() throws {
    let bench = try RunBench(issues: 1, settings: ["agent.sandbox": "on"])
    let empty = bench.scratch + "/empty-path"
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
    let refused = try bench.repo.ghp(
      ["run", "-w", "1", "--agent-command", bench.agent("good")], agent: "lead", environment: ["PATH": empty])
    #expect(refused.status == 3, "\(refused.stderr)")
    #expect(refused.stderr.contains("bubblewrap (bwrap) is not installed"), "\(refused.stderr)")
    #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
    #expect(try bench.repo.ghp(["config", "set", "agent.sandbox", "off"], agent: "lead").status == 0)
    let (result, events) = try bench.run(["-w", "1", "--agent-command", bench.agent("good")])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      events.contains { ($0["text"]?.stringValue ?? "").contains("Workers run uncontained (agent.sandbox = off)") })
    #expect(try bench.issue("1")["status"]?.stringValue == "done")
  }

  @Test("a worker whose sandbox bubblewrap could not make (a mount went away meanwhile) is started again")
  func aSandboxThatCouldNotBeMadeIsMadeAgain() throws {
    let bench = try RunBench(issues: 1, settings: ["agent.sandbox": "on"])
    let bwrap = try FlakyBubblewrap(in: bench.scratch + "/bwrap-bin", matching: "worker.sock", failures: 1)
    let (result, events) = try bench.run(
      ["-w", "1", "--agent-command", bench.agent("good")], environment: ["PATH": bwrap.path])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    #expect(bwrap.runs == 2)
    #expect(try Self.log(bench, agent: "worker-1").contains("could not make worker-1's sandbox; trying again"))
    // Not a failed attempt: none is counted against the issue or the run's breaker.
    #expect(!events.contains { $0["event"]?.stringValue == "failed" }, "\(events)")
    #expect(try bench.issue("1")["status"]?.stringValue == "done")
    #expect(!events.contains { $0["event"]?.stringValue == "refused" }, "\(events)")
  }

  @Test(
    "the claude and codex presets run contained: each finds its login in a home of its own and writes there, not in the person's"
  )
  func presetsRunContained() throws {
    let presets = TemplateTests.root.appendingPathComponent("Tests/Fixtures/presets").path
    for preset in ["claude", "codex"] {
      let bench = try RunBench(issues: 1, settings: ["agent.sandbox": "on"])
      let home = bench.scratch + "/home"
      let files = [
        ".claude/.credentials.json": #"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-fixture"}}"#,
        ".claude.json": #"{"person": true}"#, ".codex/auth.json": #"{"OPENAI_API_KEY":null,"tokens":{}}"#,
      ]
      for (name, text) in files {
        let path = home + "/" + name
        try FileManager.default.createDirectory(
          atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
      }
      let path = presets + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
      let (result, events) = try bench.run(
        ["-w", "1", "--agent-command", preset], environment: ["HOME": home, "PATH": path])
      #expect(result.status == 0, "\(preset): \(result.stderr)\n\(result.stdout)")
      // The command line follows the installed tool: today's codex has no --full-auto, and inside
      // ghp run's own sandbox its sandbox stays out of the way.
      let line = events.first { $0["event"]?.stringValue == "agent" }?["text"]?.stringValue ?? ""
      if preset == "codex" {
        #expect(line.contains("codex-cli 0.147.0") && line.contains("--sandbox danger-full-access"), "\(line)")
        #expect(!line.contains("--full-auto"), "\(line)")
      } else {
        #expect(line.contains("2.1.30 (Claude Code)"), "\(line)")
      }
      #expect(try bench.issue("1")["status"]?.stringValue == "done", "\(preset)")
      // The person's files are as they were; the worker wrote in its own home.
      #expect(try String(contentsOfFile: home + "/.claude.json", encoding: .utf8) == #"{"person": true}"#)
      #expect(!FileManager.default.fileExists(atPath: home + "/.claude/projects"))
      #expect(!FileManager.default.fileExists(atPath: home + "/.codex/sessions"))
      let common = try bench.repo.git("rev-parse", "--path-format=absolute", "--git-common-dir")
        .trimmingCharacters(in: .whitespacesAndNewlines)
      let own = common + "/ghp/workers/worker-1/home"
      if preset == "claude" {
        let written = try String(contentsOfFile: own + "/.claude.json", encoding: .utf8)
        #expect(written.contains("sk-ant-"), "\(written)")
        #expect(FileManager.default.fileExists(atPath: own + "/.claude/projects/fixture/session.jsonl"))
      } else {
        #expect(FileManager.default.fileExists(atPath: own + "/.codex/sessions/rollout.jsonl"))
      }
    }
  }

  @Test(
    "capabilities: a codex issue goes only to the worker that can codex, started with the codex preset; a swift one to the claude worker"
  )
  func capabilitiesChooseWorkerAndPreset() throws {
    let presets = TemplateTests.root.appendingPathComponent("Tests/Fixtures/presets").path
    let bench = try RunBench(settings: ["agent.sandbox": "on", "commands.codex": "codex"])
    let home = bench.scratch + "/home"
    for (name, text) in [
      ".claude/.credentials.json": #"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-fixture"}}"#,
      ".codex/auth.json": #"{"OPENAI_API_KEY":null,"tokens":{}}"#,
    ] {
      let path = home + "/" + name
      try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    for (agent, can) in [("worker-1", "swift"), ("worker-2", "codex")] {
      #expect(try bench.repo.ghp(["agent", "add", agent, "--can", can], agent: "lead").status == 0)
    }
    #expect(try bench.repo.ghp(["issue", "add", "Codex work", "--needs", "codex"], agent: "lead").status == 0)
    #expect(try bench.repo.ghp(["issue", "add", "Swift work", "--needs", "swift"], agent: "lead").status == 0)
    let path = presets + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    let (result, events) = try bench.run(
      ["-w", "2", "--agent-command", "claude"], environment: ["HOME": home, "PATH": path])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    let agentLines = events.filter { $0["event"]?.stringValue == "agent" }.compactMap { $0["text"]?.stringValue }
    #expect(agentLines.contains { $0.contains("codex-cli 0.147.0") }, "\(agentLines)")
    #expect(agentLines.contains { $0.contains("(Claude Code)") }, "\(agentLines)")
    #expect(try bench.issue("1")["assignee"]?.stringValue == "worker-2")
    #expect(try bench.issue("2")["assignee"]?.stringValue == "worker-1")
    #expect(try bench.issue("1")["status"]?.stringValue == "done" && bench.issue("2")["status"]?.stringValue == "done")
    let common = try bench.repo.git("rev-parse", "--path-format=absolute", "--git-common-dir")
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let workers = common + "/ghp/workers"
    // Each ran its own preset: codex wrote its session in the codex worker's home only.
    #expect(FileManager.default.fileExists(atPath: workers + "/worker-2/home/.codex/sessions/rollout.jsonl"))
    #expect(!FileManager.default.fileExists(atPath: workers + "/worker-2/home/.claude/projects"))
    #expect(FileManager.default.fileExists(atPath: workers + "/worker-1/home/.claude/projects/fixture/session.jsonl"))
    #expect(!FileManager.default.fileExists(atPath: workers + "/worker-1/home/.codex/sessions"))
  }

  @Test("the leader, an orchestrator, cannot loosen the sandbox of later runs from inside its own")
  func theLeaderCannotLoosenTheSandbox() throws {
    let bench = try RunBench(settings: ["agent.sandbox": "on"])
    let planner = bench.scratch + "/planner"
    try """
    #!/bin/sh
    cat > /dev/null
    if [ -z "$GHP_ISSUE" ]; then
      common=$(git rev-parse --path-format=absolute --git-common-dir)
      ghp config set agent.sandbox off 2>&1 | sed 's/^/LEADER /'
      ghp config set agent.writable "[\\"${common%/.git*}/.git\\"]" 2>&1 | sed 's/^/LEADER /'
      ghp issue add "Plan step one" > /dev/null
      exit 0
    fi
    exec \(bench.agent("good")) < /dev/null

    """.write(toFile: planner, atomically: true, encoding: .utf8)
    chmod(planner, 0o755)
    let (result, _) = try bench.run(["Build a thing", "-w", "1", "--agent-command", planner])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    let log = try Self.log(bench, agent: "leader")
    #expect(log.contains("LEADER ghp: `ghp config set` is not available to a contained worker"), "\(log)")
    let config = try bench.repo.stateFile(".ghp/config.toml")
    #expect(config.contains("sandbox = \"on\""), "\(config)")
    #expect(!config.contains("writable"), "\(config)")
    #expect(try bench.issue("1")["status"]?.stringValue == "done")
  }

  @Test("a worker that leaves a FIFO or a foreign alternate in its repository stalls nothing and gets nothing taken")
  func aTamperedRepositoryIsNotRead() throws {
    for tamper in [
      #"rm "$d/config" && mkfifo "$d/config""#, #"echo /etc >> "$d/objects/info/alternates""#,
      #"ln -s /etc/passwd "$d/refs/heads/agent/stolen""#,
    ] {
      let bench = try RunBench(issues: 1, settings: ["agent.sandbox": "on", "maxAttempts": "1"])
      let tamperer = bench.scratch + "/tamperer"
      try """
      #!/bin/sh
      cat > /dev/null
      echo work > work.txt && git add work.txt && git commit -qm work || exit 1
      d=$(git rev-parse --absolute-git-dir)
      \(tamper)
      exit 0

      """.write(toFile: tamperer, atomically: true, encoding: .utf8)
      chmod(tamperer, 0o755)
      let base = try bench.repo.git("rev-parse", "main")
      let (result, events) = try bench.run(["-w", "1", "--agent-command", tamperer])
      #expect(result.status == 0 || result.status == 1, "\(tamper): \(result.stderr)")
      #expect(
        events.contains { ($0["text"]?.stringValue ?? "").contains("was tampered with") }, "\(tamper): \(events)")
      #expect(try bench.repo.git("rev-parse", "agent/worker-1") == base, "\(tamper): its commit was taken")
    }
  }

  /// A bench whose person has a claude and codex login, and PATH with `folder` first.
  static func presetBench(_ folder: String, settings: [String: String] = [:], at path: String? = nil) throws -> (
    RunBench, [String: String]
  ) {
    let bench = try RunBench(issues: 1, settings: settings, at: path)
    let home = bench.scratch + "/home"
    for (name, text) in [".claude/.credentials.json": "{}", ".codex/auth.json": "{}"] {
      try FileManager.default.createDirectory(
        atPath: (home + "/" + name as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try text.write(toFile: home + "/" + name, atomically: true, encoding: .utf8)
    }
    let path = folder + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    return (bench, ["HOME": home, "PATH": path])
  }

  @Test("an older codex that only takes --full-auto gets it; one that takes neither is refused before any issue")
  func theCodexPresetFollowsTheInstalledVersion() throws {
    let old = TemplateTests.root.appendingPathComponent("Tests/Fixtures/presets-old").path
    let (bench, environment) = try Self.presetBench(old)
    let (result, events) = try bench.run(["-w", "1", "--agent-command", "codex"], environment: environment)
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    let line = events.first { $0["event"]?.stringValue == "agent" }?["text"]?.stringValue ?? ""
    #expect(line.contains("codex-cli 0.46.0") && line.contains("--full-auto"), "\(line)")
    #expect(try bench.issue("1")["status"]?.stringValue == "done")

    let bin = bench.scratch + "/ancient"
    try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
    try """
    #!/bin/sh
    [ "$1" = "--version" ] && { echo "codex-cli 0.1.0"; exit 0; }
    echo "Usage: codex exec [OPTIONS] [PROMPT]"; echo "      --json  Print events"; exit 0

    """.write(toFile: bin + "/codex", atomically: true, encoding: .utf8)
    chmod(bin + "/codex", 0o755)
    let (stale, staleEnvironment) = try Self.presetBench(bin)
    let refused = try stale.repo.ghp(
      ["run", "-w", "1", "--agent-command", "codex"], agent: "lead", environment: staleEnvironment)
    #expect(refused.status == 3, "\(refused.stderr)")
    #expect(
      refused.stderr.contains("codex-cli 0.1.0") && refused.stderr.contains("neither --sandbox nor --full-auto"),
      "\(refused.stderr)")
    #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
    let issue = try stale.issue("1")
    #expect(issue["status"]?.stringValue == "open" && (issue["attempts"]?.intValue ?? 0) == 0, "\(issue)")
  }

  @Test("a dollar budget reaches claude as --max-budget-usd, and is refused for codex, which reports no cost")
  func budgetsAsTheToolsTakeThem() throws {
    let presets = TemplateTests.root.appendingPathComponent("Tests/Fixtures/presets").path
    let (bench, environment) = try Self.presetBench(presets)
    let seen = bench.scratch + "/seen"
    try FileManager.default.createDirectory(atPath: seen, withIntermediateDirectories: true)
    for (key, value) in ["agent.env": "[\"CLAUDE_BUDGET_SEEN\"]", "agent.writable": "[\"\(seen)\"]"] {
      #expect(try bench.repo.ghp(["config", "set", key, value], agent: "lead").status == 0)
    }
    let (result, _) = try bench.run(
      ["-w", "1", "--agent-command", "claude", "--budget-usd", "2"],
      environment: environment.merging(["CLAUDE_BUDGET_SEEN": seen + "/budget"]) { _, new in new })
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
    #expect(
      try String(contentsOfFile: seen + "/budget", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        == "2.00")

    let (codex, codexEnvironment) = try Self.presetBench(presets)
    let refused = try codex.repo.ghp(
      ["run", "-w", "1", "--agent-command", "codex", "--budget-usd", "1"], agent: "lead", environment: codexEnvironment)
    #expect(refused.status == 3, "\(refused.stderr)")
    #expect(refused.stderr.contains("codex reports no dollar cost"), "\(refused.stderr)")
  }
}
