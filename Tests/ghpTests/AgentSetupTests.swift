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

  /// Checks a hook's output against the schema its tool documents for the event (formats.py).
  func validOutput(_ output: String, tool: String, event: String) throws {
    let file = NSTemporaryDirectory() + "/hook-output-\(UUID().uuidString).json"
    try output.write(toFile: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: file) }
    let checked = try ProcessRunner.run(
      "/usr/bin/env", [TestPython.path, Self.formats, "hook-output", tool, event, file], in: "/")
    #expect(checked.status == 0 && checked.stdout.contains("0 failed"), "\(output)\n\(checked.stdout)\(checked.stderr)")
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

    // The claim is taken while the agent works: its stop is told the reason once, as context Claude
    // Code goes on with (no error), then goes through.
    #expect(try repo.ghp(["release", "1", "--reason", "reassigned"], agent: "lead").status == 0)
    let stop = try runHook(command("Stop"), event: "Stop", in: worktree, now: "2026-01-01T10:02:00Z")
    let stopContext = try JSON.parse(stop.stdout)["hookSpecificOutput"]
    #expect(stop.status == 0 && stopContext?["hookEventName"] == .string("Stop"), "\(stop.stdout)\(stop.stderr)")
    #expect(stopContext?["additionalContext"]?.stringValue?.contains("your claim on #1") == true)
    try validOutput(stop.stdout, tool: "claude", event: "Stop")
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

  /// Codex's setup lives in the worktree's `.codex/` (its project layer), out of git; the
  /// user-wide entry an earlier setup wrote (every Codex session on the machine started `ghp mcp`)
  /// goes, the person's own lines stay; the formats are Codex's.
  @Test func codexSetupWritesItsProjectFilesOutOfGitAndMovesTheOldEntryOut() throws {
    let (repo, worktree) = try team()
    #expect(try repo.ghp(["config", "set", "landing.gate", "[\"true\"]"], agent: "lead").status == 0)
    let home = repo.path + "-codex-home"
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    let mine = "# my settings\nmodel = \"o4\"\n\n[mcp_servers.db]\ncommand = \"db-mcp\"\n"
    let old =
      "\n[mcp_servers.ghp]\n# Written by `ghp setup codex`: ghp's coordination tools (claim, heartbeat, escalate, ...).\ncommand = \"ghp\"\nargs = [\"mcp\"]\n"
    try (mine + old).write(toFile: home + "/config.toml", atomically: true, encoding: .utf8)
    try "# Project\n\nUse tabs.\n".write(toFile: worktree + "/AGENTS.md", atomically: true, encoding: .utf8)
    _ = try ProcessRunner.run("/usr/bin/git", ["add", "AGENTS.md"], in: worktree)
    _ = try ProcessRunner.run("/usr/bin/git", ["commit", "-qm", "the project's AGENTS.md"], in: worktree)

    let environment = ["CODEX_HOME": home]
    let dry = try repo.ghp(["setup", "codex", "--dry-run"], environment: environment, in: worktree)
    #expect(
      dry.stdout.contains("+[mcp_servers.ghp]") && dry.stdout.contains("+++ b/.codex/hooks.json"), "\(dry.stdout)")
    #expect(read(worktree + "/.codex/config.toml") == nil, "a dry run wrote")
    let result = try repo.ghp(["setup", "codex"], environment: environment, in: worktree)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("Next: Codex reads .codex/ only in a trusted project"), "\(result.stdout)")
    #expect(read(home + "/config.toml") == mine, "the old entry was not taken out, or the person's lines changed")
    #expect(read(worktree + "/AGENTS.md") == "# Project\n\nUse tabs.\n", "a tracked AGENTS.md was changed")
    let config = read(worktree + "/.codex/config.toml") ?? ""
    #expect(config.contains("ghp claim --next") && config.contains("GHP_AGENT = \"worker-1\""), "\(config)")

    let checked = try ProcessRunner.run(
      "/usr/bin/env",
      [TestPython.path, Self.formats, "codex", worktree + "/.codex/config.toml", worktree + "/.codex/hooks.json"],
      in: worktree)
    #expect(checked.status == 0 && checked.stdout.contains("0 failed"), "\(checked.stdout)\(checked.stderr)")
    let common = try repo.git("rev-parse", "--path-format=absolute", "--git-common-dir").trimmingCharacters(
      in: .whitespacesAndNewlines)
    #expect(checked.stdout.contains(#""writable_roots": ["\#(common)"]"#), "\(checked.stdout)")

    // Nothing in the tree: the worktree is clean and `done` takes the work with landing on.
    let status = try ProcessRunner.run("/usr/bin/git", ["status", "--porcelain"], in: worktree)
    #expect(status.stdout.isEmpty, "setup left files git sees: \(status.stdout)")
    #expect(try repo.ghp(["claim", "1"], in: worktree).status == 0)
    try "parser\n".write(toFile: worktree + "/parser.txt", atomically: true, encoding: .utf8)
    _ = try ProcessRunner.run("/usr/bin/git", ["add", "-A"], in: worktree)
    _ = try ProcessRunner.run("/usr/bin/git", ["commit", "-qm", "the parser"], in: worktree)
    #expect(try repo.git("show", "--stat", "--format=", "agent/worker-1").contains("parser.txt"))
    #expect(!(try repo.git("show", "--stat", "--format=", "agent/worker-1")).contains(".codex"), "git add -A took it")
    let done = try repo.ghp(["done", "1", "--result", "parsed"], in: worktree)
    #expect(done.status == 0, "\(done.stderr)")

    // --check: the files are current, the trust is not yet; once trusted, all is.
    let todo = try repo.ghp(["setup", "codex", "--check"], environment: environment, in: worktree)
    #expect(todo.status == 1 && todo.stdout.contains("todo Codex's trust of \(worktree)"), "\(todo.stdout)")
    #expect(todo.stdout.contains("ok   .codex/config.toml"), "\(todo.stdout)")
    try (mine + "\n[projects.\"\(worktree)\"]\ntrust_level = \"trusted\"\n").write(
      toFile: home + "/config.toml", atomically: true, encoding: .utf8)
    let current = try repo.ghp(["setup", "codex", "--check", "--json"], environment: environment, in: worktree)
    #expect(try current.status == 0 && current.json()["current"] == .bool(true), "\(current.stdout)")
    let again = try repo.ghp(["setup", "codex"], environment: environment, in: worktree)
    #expect(!again.stdout.contains("created") && !again.stdout.contains("updated"), "\(again.stdout)")

    // --remove takes out exactly what setup wrote.
    let excludeBefore = read(common + "/info/exclude") ?? ""
    let removed = try repo.ghp(["setup", "codex", "--remove"], environment: environment, in: worktree)
    #expect(removed.status == 0, "\(removed.stderr)")
    #expect(!FileManager.default.fileExists(atPath: worktree + "/.codex"), "\(removed.stdout)")
    let excludeAfter = read(common + "/info/exclude") ?? ""
    #expect(!excludeAfter.contains(".codex") && excludeBefore.contains("/.codex/config.toml"))
    let stale = try repo.ghp(["setup", "codex", "--check"], environment: environment, in: worktree)
    #expect(stale.status == 1 && stale.stdout.contains("todo .codex/config.toml: not current"), "\(stale.stdout)")
  }

  /// A project that has its own `.codex/config.toml` keeps it: setup refuses in one line.
  @Test func codexSetupRefusesAProjectConfigItDidNotWrite() throws {
    let (repo, worktree) = try team()
    try FileManager.default.createDirectory(atPath: worktree + "/.codex", withIntermediateDirectories: true)
    try "model = \"o4\"\n".write(toFile: worktree + "/.codex/config.toml", atomically: true, encoding: .utf8)
    let result = try repo.ghp(["setup", "codex"], environment: ["CODEX_HOME": repo.path + "-h"], in: worktree)
    #expect(result.status == 2 && result.stderr.contains("ghp did not write it"), "\(result.stderr)")
    #expect(result.stderr.split(separator: "\n").count == 1)
    #expect(read(worktree + "/.codex/config.toml") == "model = \"o4\"\n")
    #expect(read(worktree + "/.codex/hooks.json") == nil)
  }

  /// Codex's hooks, run as Codex runs them (a shell, the event on stdin with its documented fields):
  /// the same heartbeats and notices as Claude Code's, each output in Codex's schema for the event.
  @Test func theCodexHooksKeepAnAgentAliveAndTellItWhatChanged() throws {
    let (repo, worktree) = try team()
    #expect(try repo.ghp(["setup", "codex"], environment: ["CODEX_HOME": repo.path + "-h"], in: worktree).status == 0)
    let hooks = try JSON.parse(read(worktree + "/.codex/hooks.json") ?? "")
    func command(_ event: String) -> String {
      hooks["hooks"]?[event]?.arrayValue?.first?["hooks"]?.arrayValue?.first?["command"]?.stringValue ?? "false"
    }
    func input(_ event: String, _ extra: String = "") -> String {
      #"{"session_id": "0199a213-81c0-7800-8aa1-bbab2a035a53", "transcript_path": null, "cwd": "\#(worktree)", "hook_event_name": "\#(event)", "model": "gpt-5.5-codex", "permission_mode": "default"\#(extra)}"#
    }
    func run(_ event: String, _ extra: String = "", now: String) throws -> ProcessRunner.Result {
      try ProcessRunner.run(
        "/bin/sh", ["-c", command(event)], in: worktree, environment: ["GHP_NOW": now], input: input(event, extra))
    }
    #expect(try repo.ghp(["claim", "1"], in: worktree).status == 0)
    let start = try run("SessionStart", #", "source": "startup""#, now: "2026-01-01T10:00:00Z")
    #expect(
      start.status == 0 && start.stdout.contains("You hold #1 Write the parser"), "\(start.stdout)\(start.stderr)")
    #expect(try repo.stateSubjects().first?.contains("worker-1: heartbeat") == true)

    #expect(try repo.ghp(["agent-escalate", "Which grammar?", "--issue", "1"], in: worktree).status == 0)
    #expect(try repo.ghp(["resolve", "1", "--answer", "PEG"], agent: "lead").status == 0)
    let tool =
      #", "turn_id": "t1", "tool_name": "Bash", "tool_input": {"command": "swift build"}, "tool_use_id": "call_1", "tool_response": {"exit_code": 0}"#
    let told = try run("PostToolUse", tool, now: "2026-01-01T10:00:30Z")
    #expect(told.stdout.contains("answered by lead: PEG"), "\(told.stdout)\(told.stderr)")
    try validOutput(told.stdout, tool: "codex", event: "PostToolUse")
    let quiet = try run("PostToolUse", tool, now: "2026-01-01T10:00:40Z")
    #expect(quiet.status == 0 && quiet.stdout.isEmpty, "told twice: \(quiet.stdout)")

    // A lost claim at a stop: Codex takes a block, whose reason is the agent's next prompt; once.
    #expect(try repo.ghp(["release", "1", "--reason", "reassigned"], agent: "lead").status == 0)
    let stopFields = #", "turn_id": "t2", "stop_hook_active": false, "last_assistant_message": "Done.""#
    let stop = try run("Stop", stopFields, now: "2026-01-01T10:02:00Z")
    let blocked = try JSON.parse(stop.stdout)
    #expect(blocked["decision"] == .string("block"), "\(stop.stdout)\(stop.stderr)")
    #expect(blocked["reason"]?.stringValue?.contains("your claim on #1") == true)
    try validOutput(stop.stdout, tool: "codex", event: "Stop")
    let second = try run("Stop", stopFields, now: "2026-01-01T10:02:30Z")
    #expect(second.status == 0 && second.stdout.isEmpty, "\(second.stdout)")
    #expect(try repo.stateSubjects().first == "worker-1: heartbeat Stopped: waiting for input")
  }

  /// Claude Code's setup, checked and removed: the person's own entries stay where they were.
  @Test func claudeSetupChecksAndRemovesOnlyItsOwn() throws {
    let (repo, worktree) = try team()
    try "# Project\n".write(toFile: worktree + "/AGENTS.md", atomically: true, encoding: .utf8)
    try #"{"mcpServers": {"db": {"command": "db-mcp"}}}"#.write(
      toFile: worktree + "/.mcp.json", atomically: true, encoding: .utf8)
    let missing = try repo.ghp(["setup", "claude", "--check"], in: worktree)
    #expect(missing.status == 1 && missing.stdout.contains("todo .mcp.json: not current"), "\(missing.stdout)")
    #expect(try repo.ghp(["setup", "claude"], in: worktree).status == 0)
    #expect(read(worktree + "/CLAUDE.local.md")?.contains("\n@AGENTS.md\n") == true)
    let settings = try JSON.parse(read(worktree + "/.claude/settings.local.json") ?? "")
    #expect(settings["enabledMcpjsonServers"] == .array([.string("ghp")]))
    let common = try repo.git("rev-parse", "--path-format=absolute", "--git-common-dir").trimmingCharacters(
      in: .whitespacesAndNewlines)
    #expect(settings["sandbox"]?["filesystem"]?["allowWrite"] == .array([.string(common)]))
    #expect(try repo.ghp(["setup", "claude", "--check"], in: worktree).status == 0)
    let removed = try repo.ghp(["setup", "claude", "--remove"], in: worktree)
    #expect(removed.status == 0, "\(removed.stderr)")
    let kept = try JSON.parse(read(worktree + "/.mcp.json") ?? "")
    #expect(kept == (try JSON.parse(#"{"mcpServers": {"db": {"command": "db-mcp"}}}"#)), "\(kept.compact())")
    #expect(read(worktree + "/.claude/settings.local.json") == nil && read(worktree + "/CLAUDE.local.md") == nil)
    #expect(!(read(common + "/info/exclude") ?? "").contains("settings.local.json"))
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
      refusal["holder"] == .string("w1") && refusal["claimedAt"] == .string("2026-01-01T10:00:00Z")
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
    #expect(try repo.inProcess(["approvals", "--json"]).json()["approvals"] == .array([]))
    let all = try repo.inProcess(["approvals", "--all", "--json"]).json()["approvals"]?.arrayValue ?? []
    #expect(all.count == 1 && all[0]["revokedBy"] == .string("lead"))
    let table = try repo.inProcess(["approvals", "--all"]).stdout
    #expect(table.hasPrefix("ID") && table.contains("revoked"), "\(table)")
    // A revoked approval keeps its number: the next is 2, never a second 1.
    #expect(try repo.inProcess(["approve", "w1", "docs/**", "--new"], agent: "lead").status == 0)
    let ids = (try repo.inProcess(["approvals", "--all", "--json"]).json()["approvals"]?.arrayValue ?? []).compactMap {
      $0["id"]?.stringValue ?? $0["id"]?.intValue.map(String.init)
    }
    #expect(ids.sorted() == ["1", "2"], "\(ids)")
    #expect(try repo.inProcess(["verify"]).status == 0)
  }
}
