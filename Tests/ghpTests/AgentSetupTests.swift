import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// `ghp setup claude|codex`, the hooks it writes run as Claude Code runs them, and the formats checked
/// by parsers ghp did not write.
@Suite struct AgentSetupTests {
  static let formats = TemplateTests.root.appendingPathComponent("Tests/setup/formats.py").path

  /// A lead and `worker-1` with its worktree; returns the worktree.
  func team() throws -> (ScratchRepository, String) {
    let repo = try ScratchRepository()
    #expect(try repo.ghp(["init", "--goal", "Ship it"], agent: "lead").status == 0)
    #expect(
      try repo.ghp(["issue", "add", "Write the parser", "--scope", "Sources/Parser/**"], agent: "lead").status == 0)
    let added = try repo.ghp(["agent", "add", "worker-1", "--json"], agent: "lead")
    #expect(added.status == 0, "\(added.stderr)")
    return (repo, try added.json()["worktree"]?.stringValue ?? "")
  }

  func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

  /// Runs a hook's command as Claude Code does: by a shell in the project, the event JSON on stdin.
  func runHook(_ command: String, event: String, in folder: String, now: String) throws -> ProcessRunner.Result {
    try ProcessRunner.run(
      "/bin/sh", ["-c", command], in: folder, environment: ["GHP_NOW": now],
      input: #"{"session_id": "s1", "hook_event_name": "\#(event)", "cwd": "\#(folder)"}"#)
  }

  @Test func claudeSetupMergesIdempotentlyAndFollowsTheDocumentedFormat() throws {
    let (repo, worktree) = try team()
    // What a person had there: another MCP server, their own hooks, other settings.
    try FileManager.default.createDirectory(atPath: worktree + "/.claude", withIntermediateDirectories: true)
    let mine =
      #"{"permissions": {"allow": ["Bash(npm test)"]}, "hooks": {"PostToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "npm run lint"}]}]}}"#
    try mine.write(toFile: worktree + "/.claude/settings.local.json", atomically: true, encoding: .utf8)
    try #"{"mcpServers": {"db": {"command": "db-mcp"}}}"#.write(
      toFile: worktree + "/.mcp.json", atomically: true, encoding: .utf8)

    let dry = try repo.ghp(["setup", "claude", "--dry-run"], in: worktree)
    #expect(dry.status == 0, "\(dry.stderr)")
    #expect(
      dry.stdout.contains("+++ b/.claude/settings.local.json") && dry.stdout.contains("+        \"matcher\": \"*\""),
      "\(dry.stdout)")
    #expect(dry.stdout.contains("Dry run: nothing was written."))
    #expect(read(worktree + "/.claude/settings.local.json") == mine, "a dry run wrote")

    let first = try repo.ghp(["setup", "claude"], in: worktree)
    #expect(first.status == 0, "\(first.stderr)")
    let settings = try JSON.parse(read(worktree + "/.claude/settings.local.json") ?? "")
    #expect(settings["permissions"]?["allow"] == .array([.string("Bash(npm test)")]), "another setting was lost")
    let post = settings["hooks"]?["PostToolUse"]?.arrayValue ?? []
    #expect(
      post.count == 2 && post[0]["hooks"]?.arrayValue?.first?["command"] == .string("npm run lint"),
      "the person's hook was lost")
    let mcp = try JSON.parse(read(worktree + "/.mcp.json") ?? "")
    #expect(mcp["mcpServers"]?["db"]?["command"] == .string("db-mcp"))
    #expect(mcp["mcpServers"]?["ghp"]?["args"] == .array([.string("mcp")]))

    let before = (read(worktree + "/.claude/settings.local.json"), read(worktree + "/.mcp.json"))
    let again = try repo.ghp(["setup", "claude", "--json"], in: worktree)
    #expect(again.status == 0)
    #expect(
      try again.json()["files"]?.arrayValue?.allSatisfy { $0["changed"] == .bool(false) } == true, "\(again.stdout)")
    #expect(read(worktree + "/.claude/settings.local.json") == before.0 && read(worktree + "/.mcp.json") == before.1)

    let checked = try ProcessRunner.run(
      "/usr/bin/env",
      [TestPython.path, Self.formats, "claude", worktree + "/.claude/settings.local.json", worktree + "/.mcp.json"],
      in: worktree)
    #expect(checked.status == 0 && checked.stdout.contains("0 failed"), "\(checked.stdout)\(checked.stderr)")
  }

  /// What setup writes stays out of git: the worktree is clean after it, `done` takes the work
  /// with landing on, and the hooks an earlier ghp put in the committed settings move out of them.
  @Test func claudeSetupLeavesNothingInTheTree() throws {
    let (repo, worktree) = try team()
    #expect(try repo.ghp(["config", "set", "landing.gate", "[\"true\"]"], agent: "lead").status == 0)
    // An earlier ghp's hook, committed in the shared settings beside the team's own.
    try FileManager.default.createDirectory(atPath: worktree + "/.claude", withIntermediateDirectories: true)
    let shared =
      #"{"hooks": {"PostToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "npm run lint"}]}, {"matcher": "*", "hooks": [{"type": "command", "command": "ghp agent-heartbeat --auto --hook claude # ghp setup"}]}]}}"#
    try shared.write(toFile: worktree + "/.claude/settings.json", atomically: true, encoding: .utf8)
    _ = try ProcessRunner.run("/usr/bin/git", ["add", ".claude/settings.json"], in: worktree)
    _ = try ProcessRunner.run("/usr/bin/git", ["commit", "-qm", "team settings"], in: worktree)
    #expect(try repo.ghp(["setup", "claude"], in: worktree).status == 0)
    let moved = try JSON.parse(read(worktree + "/.claude/settings.json") ?? "")
    #expect(moved["hooks"]?["PostToolUse"]?.arrayValue?.count == 1, "\(moved.compact())")
    #expect(!(read(worktree + "/.claude/settings.json") ?? "").contains("# ghp setup"))
    _ = try ProcessRunner.run(
      "/usr/bin/git", ["commit", "-qam", "ghp's hooks leave the shared settings"], in: worktree)
    let status = try ProcessRunner.run("/usr/bin/git", ["status", "--porcelain"], in: worktree)
    #expect(status.stdout.isEmpty, "setup left files git sees: \(status.stdout)")
    #expect(try repo.ghp(["claim", "1"], in: worktree).status == 0)
    try "parser\n".write(toFile: worktree + "/parser.txt", atomically: true, encoding: .utf8)
    _ = try ProcessRunner.run("/usr/bin/git", ["add", "parser.txt"], in: worktree)
    _ = try ProcessRunner.run("/usr/bin/git", ["commit", "-qm", "the parser"], in: worktree)
    let done = try repo.ghp(["done", "1", "--result", "parsed"], in: worktree)
    #expect(done.status == 0, "\(done.stderr)")
  }

  @Test func aSettingsFileThatIsNotJSONIsRefusedAndKept() throws {
    let (repo, worktree) = try team()
    try FileManager.default.createDirectory(atPath: worktree + "/.claude", withIntermediateDirectories: true)
    try "{ \"hooks\": [ oops".write(
      toFile: worktree + "/.claude/settings.local.json", atomically: true, encoding: .utf8)
    let result = try repo.ghp(["setup", "claude"], in: worktree)
    #expect(result.status == 2 && result.stderr.contains("not valid JSON"), "\(result.stderr)")
    #expect(result.stderr.split(separator: "\n").count == 1)
    #expect(read(worktree + "/.claude/settings.local.json") == "{ \"hooks\": [ oops")
    #expect(read(worktree + "/.mcp.json") == nil, "nothing is written when one file is bad")
  }

  /// The hooks as written, run by a shell with the event on stdin: session start gives the context,
  /// tool use commits at most once a minute and tells an answer once, stop tells a lost claim once.
  @Test func theClaudeHooksKeepAnAgentAliveAndTellItWhatChanged() throws {
    let (repo, worktree) = try team()
    #expect(try repo.ghp(["setup", "claude"], in: worktree).status == 0)
    let settings = try JSON.parse(read(worktree + "/.claude/settings.local.json") ?? "")
    func command(_ event: String) -> String {
      settings["hooks"]?[event]?.arrayValue?.first?["hooks"]?.arrayValue?.first?["command"]?.stringValue ?? "false"
    }
    #expect(try repo.ghp(["claim", "1"], in: worktree).status == 0)

    let start = try runHook(command("SessionStart"), event: "SessionStart", in: worktree, now: "2026-01-01T10:00:00Z")
    #expect(start.status == 0, "\(start.stderr)")
    for part in [
      "You are worker-1", "You hold #1 Write the parser", "scope Sources/Parser/**", "ghp claim-check 1 --epoch 1",
    ] {
      #expect(start.stdout.contains(part), "session context lacks \(part): \(start.stdout)")
    }
    let commits = { try repo.stateSubjects().count }
    let afterStart = try commits()
    #expect(try repo.stateSubjects().first?.contains("worker-1: heartbeat") == true)

    // A busy minute: twelve tool uses, no commit, nothing printed.
    for second in stride(from: 5, to: 60, by: 5) {
      let used = try runHook(
        command("PostToolUse"), event: "PostToolUse", in: worktree,
        now: "2026-01-01T10:00:\(second < 10 ? "0" : "")\(second)Z")
      #expect(used.status == 0 && used.stdout.isEmpty, "\(used.stdout)\(used.stderr)")
    }
    #expect(try commits() == afterStart, "throttled heartbeats committed")

    // An answer arrives: the next tool use tells it to the model, once.
    #expect(try repo.ghp(["agent-escalate", "Which grammar?", "--issue", "1"], in: worktree).status == 0)
    #expect(try repo.ghp(["resolve", "1", "--answer", "PEG"], agent: "lead").status == 0)
    let told = try runHook(command("PostToolUse"), event: "PostToolUse", in: worktree, now: "2026-01-01T10:00:58Z")
    let context = try JSON.parse(told.stdout)["hookSpecificOutput"]
    #expect(context?["hookEventName"] == .string("PostToolUse"))
    #expect(context?["additionalContext"]?.stringValue?.contains("answered by lead: PEG") == true, "\(told.stdout)")
    let quiet = try runHook(command("PostToolUse"), event: "PostToolUse", in: worktree, now: "2026-01-01T10:00:59Z")
    #expect(quiet.stdout.isEmpty, "told twice: \(quiet.stdout)")

    // A new session is given the answer again: it remembers nothing of the last one.
    let restart = try runHook(command("SessionStart"), event: "SessionStart", in: worktree, now: "2026-01-01T10:01:00Z")
    #expect(restart.stdout.contains("Answered (1, #1): Which grammar? -> PEG (lead)."), "\(restart.stdout)")

    // The claim is taken while the agent works: its stop is blocked once with the reason, then goes through.
    #expect(try repo.ghp(["release", "1", "--reason", "reassigned"], agent: "lead").status == 0)
    let stop = try runHook(command("Stop"), event: "Stop", in: worktree, now: "2026-01-01T10:02:00Z")
    let blocked = try JSON.parse(stop.stdout)
    #expect(stop.status == 0 && blocked["decision"] == .string("block"), "\(stop.stdout)\(stop.stderr)")
    #expect(blocked["reason"]?.stringValue?.contains("your claim on #1") == true)
    let second = try runHook(command("Stop"), event: "Stop", in: worktree, now: "2026-01-01T10:02:30Z")
    #expect(second.status == 0 && second.stdout.isEmpty, "\(second.stdout)")
    #expect(
      try repo.stateSubjects().first == "worker-1: heartbeat Stopped: waiting for input",
      "a stop records a final status")
  }

  /// A failed tool use is told like a successful one; a stop that a hook already sent back to work
  /// (`stop_hook_active`) goes through, its notice shown to the person; a busy state is skipped by
  /// an --auto heartbeat rather than waited out past the hook's timeout.
  @Test func failedToolsRepeatedStopsAndABusyStateAsClaudeSendsThem() throws {
    let (repo, worktree) = try team()
    #expect(try repo.ghp(["setup", "claude"], in: worktree).status == 0)
    let settings = try JSON.parse(
      try String(contentsOfFile: worktree + "/.claude/settings.local.json", encoding: .utf8))
    func command(_ event: String) -> String {
      settings["hooks"]?[event]?.arrayValue?.compactMap { $0["hooks"]?.arrayValue?.first?["command"]?.stringValue }
        .first { $0.hasSuffix(AgentSetup.mark) } ?? "false"
    }
    #expect(try repo.ghp(["claim", "1"], in: worktree).status == 0)
    #expect(try repo.ghp(["agent-escalate", "Which grammar?", "--issue", "1"], in: worktree).status == 0)
    #expect(try repo.ghp(["resolve", "1", "--answer", "PEG"], agent: "lead").status == 0)
    let failed = try ProcessRunner.run(
      "/bin/sh", ["-c", command("PostToolUseFailure")], in: worktree,
      input: #"{"session_id": "s1", "hook_event_name": "PostToolUseFailure", "tool_name": "Bash", "error": "exit 1"}"#)
    let context = try JSON.parse(failed.stdout)["hookSpecificOutput"]
    #expect(context?["hookEventName"] == .string("PostToolUseFailure"), "\(failed.stdout)\(failed.stderr)")
    #expect(context?["additionalContext"]?.stringValue?.contains("PEG") == true)

    #expect(try repo.ghp(["release", "1", "--reason", "reassigned"], agent: "lead").status == 0)
    let again = try ProcessRunner.run(
      "/bin/sh", ["-c", command("Stop")], in: worktree,
      input: #"{"session_id": "s1", "hook_event_name": "Stop", "stop_hook_active": true}"#)
    let answer = try JSON.parse(again.stdout)
    #expect(answer["decision"] == nil, "a second block: \(again.stdout)")
    #expect(answer["systemMessage"]?.stringValue?.contains("your claim on #1") == true, "\(again.stdout)")

    // Another writer holds the state: the hook gives up at once instead of waiting its 30 s.
    let lock = repo.path + "/.git/ghp/writer.lock"
    let holder = try ProcessRunner.start("/usr/bin/flock", [lock, "sleep", "60"], in: "/")
    defer { kill(holder.pid, SIGKILL) }
    usleep(300_000)
    let script =
      "echo '{\"hook_event_name\": \"PostToolUse\"}' | GHP_LOCK_TIMEOUT=30 timeout 10 \(command("PostToolUse"))\necho rc=$?"
    let busy = try ProcessRunner.run(
      "/bin/bash", ["-c", script], in: worktree, environment: ["GHP_NOW": "2026-01-01T11:00:00Z"])
    #expect(busy.stdout.contains("rc=0"), "\(busy.stdout)\(busy.stderr)")
  }

  /// A caller that writes the event and keeps the hook's standard input open does not hang it: the
  /// read ends at the whole JSON object (exit 124 from `timeout` would mean it hung).
  @Test func aHookWhoseInputStaysOpenStillEnds() throws {
    let (repo, worktree) = try team()
    let script =
      #"exec 3< <(echo '{"hook_event_name": "PostToolUse"}'; sleep 30); "#
      + "timeout 20 '\(GHPBinary.path)' agent-heartbeat --hook claude --action held <&3; echo \"rc=$?\""
    let result = try ProcessRunner.run("/bin/bash", ["-c", script], in: worktree)
    #expect(result.stdout.contains("rc=0"), "\(result.stdout)\(result.stderr)")
    #expect(try repo.stateSubjects().first == "worker-1: heartbeat held")
  }

  @Test func codexSetupWritesItsTOMLAndAGENTSmdAroundWhatIsThere() throws {
    let (repo, worktree) = try team()
    let home = worktree + "/codex-home"
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    let config = "# my settings\nmodel = \"o4\"\n\n[mcp_servers.db]\ncommand = \"db-mcp\"\n"
    try config.write(toFile: home + "/config.toml", atomically: true, encoding: .utf8)
    try "# Project\n\nUse tabs.\n".write(toFile: worktree + "/AGENTS.md", atomically: true, encoding: .utf8)

    let environment = ["CODEX_HOME": home]
    #expect(
      try repo.ghp(["setup", "codex", "--dry-run"], environment: environment, in: worktree).stdout.contains(
        "+[mcp_servers.ghp]"))
    #expect(read(home + "/config.toml") == config)
    let result = try repo.ghp(["setup", "codex"], environment: environment, in: worktree)
    #expect(result.status == 0, "\(result.stderr)")
    let written = read(home + "/config.toml") ?? ""
    #expect(written.hasPrefix(config), "the person's lines were changed: \(written)")
    let agents = read(worktree + "/AGENTS.md") ?? ""
    #expect(
      agents.hasPrefix("# Project\n\nUse tabs.\n") && agents.contains("ghp claim --next")
        && !agents.contains("worker-1"))

    let again = try repo.ghp(["setup", "codex"], environment: environment, in: worktree)
    #expect(
      again.stdout.contains("config.toml: unchanged") && again.stdout.contains("AGENTS.md: unchanged"),
      "\(again.stdout)")
    #expect(read(home + "/config.toml") == written && read(worktree + "/AGENTS.md") == agents)

    let checked = try ProcessRunner.run(
      "/usr/bin/env", [TestPython.path, Self.formats, "codex", home + "/config.toml"], in: worktree)
    #expect(checked.status == 0 && checked.stdout.contains("0 failed"), "\(checked.stdout)\(checked.stderr)")
    #expect(checked.stdout.contains(#""db": {"command": "db-mcp"}"#) && checked.stdout.contains(#""model": "o4""#))
  }

  @Test func setupWithNoAgentExplainsBoth() throws {
    let repo = try ScratchRepository()
    let result = try repo.ghp(["setup"])
    #expect(result.status == 0)
    #expect(
      result.stdout.contains("ghp setup claude") && result.stdout.contains("ghp setup codex")
        && result.stdout.contains("--dry-run"))
  }
}

/// Who may write: a name no agent is registered under is refused by default (a typo must not make an
/// agent), on every surface, and nothing is written.
@Suite struct UnknownAgentTests {
  @Test func aMisspeltAgentIsRefusedNamingTheClosestAndNewRegisters() throws {
    let repo = try ScratchRepository()
    #expect(try repo.inProcess(["init", "--goal", "Ship it"], agent: "lead").status == 0)
    #expect(try repo.stateFile(".ghp/config.toml").contains("unknownAgents = \"refuse\""))
    #expect(try repo.inProcess(["issue", "add", "One"], agent: "lead").status == 0)
    #expect(try repo.inProcess(["agent", "add", "worker-1"], agent: "lead").status == 0)
    let tip = try repo.git("rev-parse", "ghp/state")
    for command in [
      ["claim", "1"], ["agent-heartbeat", "--action", "hi"], ["agent-heartbeat", "--auto"], ["discover", "x"],
    ] {
      let refused = try repo.inProcess(command, agent: "wroker-1")
      #expect(refused.status == 2, "\(command): \(refused.stderr)")
      #expect(
        refused.stderr.contains("did you mean worker-1?") && refused.stderr.contains("--new"), "\(refused.stderr)")
      #expect(refused.stderr.split(separator: "\n").count == 1)
    }
    #expect(try repo.git("rev-parse", "ghp/state") == tip, "a refused write wrote")
    // Reads stay open to anyone.
    #expect(try repo.inProcess(["agent-status"], agent: "wroker-1").status == 0)
    // Said to be new: registered by its write.
    #expect(try repo.inProcess(["agent-heartbeat", "--new", "--action", "hello"], agent: "helper").status == 0)
    #expect(try repo.inProcess(["claim", "1"], agent: "helper").status == 0)
    // The policy can open the door for a team that does not keep a roster.
    #expect(try repo.inProcess(["config", "set", "unknownAgents", "register"], agent: "lead").status == 0)
    #expect(try repo.inProcess(["discover", "open door"], agent: "drifter").status == 0)
    #expect(try repo.inProcess(["config", "set", "unknownAgents", "maybe"], agent: "lead").status == 2)
    #expect(try repo.inProcess(["verify"]).status == 0)
  }
}

/// With `--json`, an error is one JSON object on stdout (and its line on stderr), with the facts.
@Suite struct JSONErrorTests {
  @Test func refusalsAndUsageErrorsPrintOneJSONObject() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    #expect(
      try repo.inProcess(["claim", "1"], agent: "w1", environment: ["GHP_NOW": "2026-01-01T10:00:00Z"]).status == 0)
    let taken = try repo.inProcess(["claim", "1", "--json"], agent: "w2")
    #expect(taken.status == 3 && taken.stderr.contains("held by w1"))
    let refusal = try taken.json()
    #expect(refusal["code"] == .int(3) && refusal["kind"] == .string("refused"))
    #expect(
      refusal["holder"] == .string("w1") && refusal["since"] == .string("2026-01-01T10:00:00Z")
        && refusal["epoch"] == .int(1))
    #expect(refusal["error"]?.stringValue?.contains("held by w1") == true)

    let missing = try repo.inProcess(["claim", "9", "--json"], agent: "w2")
    let missingError = try missing.json()
    #expect(missing.status == 2 && missingError["code"] == .int(2) && missingError["kind"] == .string("usage"))
    let parse = try repo.inProcess(["claim", "--json"], agent: "w2")
    let parseError = try parse.json()
    #expect(parse.status == 2 && parseError["code"] == .int(2), "\(parse.stdout)")
    let done = try repo.inProcess(["done", "1", "--result", "x", "--json"], agent: "w2")
    let doneError = try done.json()
    #expect(done.status == 3 && doneError["holder"] == .string("w1"))
    // Without --json, stdout stays empty.
    #expect(try repo.inProcess(["claim", "1"], agent: "w2").stdout.isEmpty)
  }

  @Test func revokedApprovalsShowWithAll() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    #expect(try repo.inProcess(["approve", "w1", "README.md", "--new"], agent: "lead").status == 0)
    #expect(try repo.inProcess(["revoke", "1"], agent: "lead").status == 0)
    #expect(try repo.inProcess(["approvals", "--json"]).json() == .array([]))
    let all = try repo.inProcess(["approvals", "--all", "--json"]).json().arrayValue ?? []
    #expect(all.count == 1 && all[0]["revokedBy"] == .string("lead"))
    let table = try repo.inProcess(["approvals", "--all"]).stdout
    #expect(table.hasPrefix("ID") && table.contains("revoked"), "\(table)")
    #expect(try repo.inProcess(["verify"]).status == 0)
  }
}
