import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// The README and `docs/` as a newcomer uses them: the quick start runs top to bottom as written,
/// and every command line shown runs as written — none is a synopsis that fails when pasted.
@Suite("the README and docs", .serialized)
struct DocsTests {
  static let root = TemplateTests.root.path

  /// The lines of every ```sh block of a Markdown file: (line number, command).
  static func commands(in file: String) throws -> [(line: Int, text: String)] {
    let text = try String(contentsOfFile: file, encoding: .utf8)
    var out: [(Int, String)] = []
    var inside = false
    var pending = ""
    var quickStart = false
    for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = String(raw)
      // The quick start runs whole, as one script (quickStartRunsAsWritten).
      if line == "<!-- quick-start -->" { quickStart = true }
      if line == "<!-- end -->" { quickStart = false }
      if line.hasPrefix("```") {
        inside = line == "```sh" && !quickStart
        continue
      }
      guard inside else { continue }
      // A line that ends with a backslash goes on; a comment-only line is prose.
      let joined = pending + line
      if joined.hasSuffix("\\") {
        pending = String(joined.dropLast()) + " "
        continue
      }
      pending = ""
      let trimmed = joined.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
      out.append((index + 1, joined))
    }
    return out
  }

  /// A shell with ghp (the built one) first on PATH, a home of its own (no git identity: a fresh
  /// machine), and no GHP_AGENT.
  static func environment(home: String) -> [String: String] {
    let bin = (GHPBinary.path as NSString).deletingLastPathComponent
    return [
      "PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"), "HOME": home,
      "GHP_AGENT": "", "GIT_CONFIG_GLOBAL": home + "/.gitconfig",
    ]
  }

  /// Runs the README's quick start in `folder`; its output.
  static func quickStart(in folder: String) throws -> ProcessRunner.Result {
    let readme = try String(contentsOfFile: root + "/README.md", encoding: .utf8)
    let start = try #require(readme.range(of: "<!-- quick-start -->\n```sh\n"))
    let end = try #require(readme.range(of: "```\n<!-- end -->", range: start.upperBound..<readme.endIndex))
    let script = "set -e\nunset GHP_AGENT\n" + String(readme[start.upperBound..<end.lowerBound])
    return try ProcessRunner.run(
      "/bin/bash", ["-c", script], in: folder, environment: environment(home: folder + "/home"))
  }

  @Test("the quick start runs as written, on a machine with no git identity, and lands the work")
  func quickStartRunsAsWritten() throws {
    let folder = NSTemporaryDirectory() + "ghp-docs-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: folder + "/home", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let result = try Self.quickStart(in: folder)
    #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
    for expected in [
      "lead is an orchestrator", "Claimed #1 Create the User model", "Landed #1 Create the User model on main",
      "Goal: Build a REST API", "w1: done #1",
    ] {
      #expect(result.stdout.contains(expected), "missing \(expected): \(result.stdout)")
    }
    let main = try ProcessRunner.run("/usr/bin/git", ["show", "main:User.swift"], in: folder + "/demo")
    #expect(main.stdout == "struct User {}\n")
  }

  /// Lines that need what a test machine does not give: a server, a terminal, an agent CLI, a
  /// command that runs until stopped. Each is named with why; everything else runs.
  static func skipped(_ command: String) -> String? {
    let words = command.split(separator: " ").map(String.init)
    let first = words.first ?? ""
    if first.hasPrefix("scripts/") || first == "swift" || first == "sudo" || first == "apt-get" {
      return "builds or installs"
    }
    if first.hasPrefix(".build/") { return "runs what a build made (the benchmark)" }
    if command.contains("# needs ") { return "marked" }
    guard first == "ghp" || first.hasPrefix("GHP_") || first.hasPrefix("PREFIX=") else { return nil }
    let rest = words.drop { $0 != "ghp" }.dropFirst()
    switch rest.first {
    case "serve"?: return "a server that runs until stopped"
    case "watch"?: return "waits for changes to come"
    case "mcp"?: return "reads MCP from stdin"
    case "land"?: return rest.contains("--once") ? nil : "lands until interrupted"
    case "run"?: return ["status", "stop"].contains(rest.dropFirst().first ?? "") ? nil : "starts agents"
    case "remote"?, "sync"?: return "needs a git server"
    default: return nil
    }
  }

  @Test("every command line of the README and docs/ runs as written: none fails as a usage error")
  func everyCommandLineRuns() throws {
    let folder = NSTemporaryDirectory() + "ghp-docs-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: folder + "/home", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // The scene every example is run in: the quick start's repository, as the lead.
    #expect(try Self.quickStart(in: folder).status == 0)
    let repo = folder + "/demo"
    let docs = (try? FileManager.default.contentsOfDirectory(atPath: Self.root + "/docs")) ?? []
    let files = ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    var failures: [String] = []
    var ran = 0
    for file in files {
      for (line, command) in try Self.commands(in: Self.root + "/" + file) {
        guard Self.skipped(command) == nil else { continue }
        var environment = Self.environment(home: folder + "/home")
        environment["GHP_AGENT"] = "lead"
        let result = try ProcessRunner.run(
          "/usr/bin/timeout", ["20", "/bin/bash", "-c", command + " </dev/null"], in: repo, environment: environment)
        ran += 1
        // 2 is a usage error (a synopsis pasted), 124 a hang, 126/127 no such command.
        // A line that shows a failure says so: `# exit 2: …`.
        let expected = command.contains("# exit \(result.status)")
        if [2, 124, 126, 127].contains(result.status) && !expected {
          failures.append("\(file):\(line): exit \(result.status): \(command)\n    \(result.stderr.prefix(300))")
        }
      }
    }
    #expect(ran > 50, "only \(ran) lines ran")
    #expect(failures.isEmpty, "\(failures.count) lines fail as written:\n\(failures.joined(separator: "\n"))")
  }
}

extension DocsTests {
  @Test("every command's --json, and an error, follow their schema in docs/schemas and the one grammar")
  func outputsFollowTheirSchemas() throws {
    let folder = NSTemporaryDirectory() + "ghp-docs-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: folder + "/home", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    #expect(try Self.quickStart(in: folder).status == 0)
    let repo = folder + "/demo"
    var environment = Self.environment(home: folder + "/home")
    let schemas = Self.root + "/docs/schemas/"
    let checker = Self.root + "/Tests/setup/schemas.py"
    var checked = Set<String>()
    // A day after the quick start, each answer checked as it comes: issues made, edited, claimed,
    // released, failed and assigned; questions asked and answered; approvals given and revoked;
    // w2's submission bounced by a failing gate; a handoff; every list and report. Exit -1: any
    // (doctor's depends on what this machine has installed).
    let steps: [(schema: String?, command: String, agent: String, exit: Int32)] = [
      (nil, "ghp issue add Y && ghp issue add Z --after 1 -p 1 --scope 'Sources/**'", "lead", 0),
      ("status", "ghp status --json", "lead", 0),
      ("issue-show", "ghp issue show 1 --json", "lead", 0),
      ("issue", "ghp issue add W --after 1 --json", "lead", 0),
      ("issue", "ghp issue edit 2 -p 1 --json", "lead", 0),
      ("claim", "ghp claim 4 --json", "lead", 0),
      ("claim-check", "ghp claim-check 4 --epoch 1 --json", "lead", 0),
      ("issue-answer", "ghp release 4 --reason later --json", "lead", 0),
      (nil, "ghp claim 4", "lead", 0),
      ("issue-answer", "ghp fail 4 --reason broken --json", "lead", 0),
      ("issue-answer", "ghp assign 4 w2 --json", "lead", 0),
      ("heartbeat", "ghp agent-heartbeat --action x --status testing --json", "lead", 0),
      ("heartbeat", "ghp agent-heartbeat --auto --json", "lead", 0),
      ("escalation", "ghp agent-escalate Which? --severity high --issue 4 --context ctx --json", "lead", 0),
      ("escalation", "ghp agent-escalate 'Approval needed to edit README.md' --json", "w2", 0),
      ("resolution", "ghp resolve 1 --answer This --json", "lead", 0),
      ("escalation", "ghp escalations show 1 --json", "lead", 0),
      ("approval", "ghp approve w2 README.md --once --note n --json", "lead", 0),
      ("approval", "ghp approve w1 README.md --json", "lead", 0),
      ("approval", "ghp revoke 2 --json", "lead", 0),
      ("agent-status", "ghp agent-status --json", "lead", 0),
      ("status", "ghp status --json", "lead", 0),
      (
        nil,
        "cd ../demo.worktrees/w2 && echo x > W.txt && git add W.txt && git commit -qm w && env -u GHP_AGENT ghp done 4 --result r",
        "lead", 0
      ),
      (nil, "ghp config set landing.gate '[\"test -s NOPE\"]'", "lead", 0),
      ("queue", "ghp queue --json", "lead", 0),
      ("land", "ghp land --once --json", "lead", 1),
      ("issue-show", "ghp issue show 4 --json", "lead", 0),
      ("conflicts", "ghp conflicts --json", "lead", 0),
      ("verify", "ghp verify --json", "lead", 0),
      ("report", "ghp report --json", "lead", 0),
      ("doctor", "ghp doctor --json", "lead", -1),
      (nil, "ghp claim 3", "lead", 0),
      ("handoff", "ghp agent-handoff --issue 3 --to w1 --note n --json", "lead", 0),
      ("handoff-list", "ghp handoff list --json", "lead", 0),
      ("run-status", "ghp run status --json", "lead", 0),
      ("config", "ghp config list --json", "lead", 0),
      ("reap", "ghp reap --dry-run --json", "lead", 0),
      ("discovery", "ghp discover found --json", "lead", 0),
      ("plan", "ghp plan show --json", "lead", 0),
      // An epic, its manager and a sub-issue, so the lists below hold both kinds.
      (
        nil,
        "e=$(ghp epic add E --scope 'Sources/**') && echo $e > .git/epic-id && ghp agent add m9 --role manager >/dev/null"
          + " && ghp assign $e m9 >/dev/null && GHP_AGENT=m9 ghp issue add S --epic $e >/dev/null", "lead", 0
      ),
      ("epic-show", "ghp epic show $(cat .git/epic-id) --json", "lead", 0),
      // What agents can do and issues need, and an issue nobody can do.
      (
        nil,
        "ghp agent add w8 --can swift >/dev/null && ghp issue add N --needs swift >/dev/null"
          + " && ghp issue add R --needs rust >/dev/null", "lead", 0
      ),
      ("ready", "ghp ready --for w8 --json", "lead", 0), ("status", "ghp status --json", "lead", 0),
      // An issue attempted twice independently, one attempt claimed: the lists below hold it.
      (
        "issue",
        "ghp config set landing.score 'echo 1' >/dev/null && ghp issue add B --attempts 2 --json | tee .git/b.json",
        "lead", 0
      ),
      (nil, "python3 -c 'import json; print(json.load(open(\".git/b.json\"))[\"id\"])' > .git/b-id", "lead", 0),
      (nil, "ghp claim $(cat .git/b-id).1", "lead", 0),
      ("vote-show", "ghp vote show $(cat .git/b-id) --json", "lead", 0),
      ("issue-show", "ghp issue show $(cat .git/b-id).1 --json", "lead", 0),
      ("vote-list", "ghp vote list --json", "lead", 0), ("report", "ghp report --json", "lead", 0),
      ("status", "ghp status --json", "lead", 0),
      ("epic-list", "ghp epic list --json", "lead", 0),
      ("agent-add", "ghp agent add rv --role reviewer --json", "lead", 0),
      // w1's landing waits for a review.
      (
        nil,
        "ghp config set landing.gate '[\"true\"]' >/dev/null && ghp config set landing.review agent >/dev/null"
          + " && ghp issue add Reviewed --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"id\"])' > .git/r-id"
          + " && cd ../demo.worktrees/w1 && env -u GHP_AGENT ghp claim $(cat ../../demo/.git/r-id) >/dev/null"
          + " && echo r > R.txt && git add R.txt && git commit -qm r"
          + " && env -u GHP_AGENT ghp done $(cat ../../demo/.git/r-id) --result r >/dev/null"
          + " && cd ../../demo && ghp land --once >/dev/null", "lead", 0
      ),
      ("review-list", "ghp review list --json", "rv", 0),
      ("review-show", "ghp review show $(cat .git/r-id) --json", "rv", 0),
      // Every list.
      ("ready", "ghp ready --json", "lead", 0), ("issue-list", "ghp issue list --json", "lead", 0),
      ("log", "ghp log --json -n 0", "lead", 0), ("escalations", "ghp escalations --json", "lead", 0),
      ("approvals", "ghp approvals --all --json", "lead", 0), ("discoveries", "ghp discoveries --json", "lead", 0),
      ("agent-list", "ghp agent list --json", "lead", 0),
      ("error", "ghp claim 1 --json", "lead", 3),
    ]
    for (index, step) in steps.enumerated() {
      environment["GHP_AGENT"] = step.agent
      let output = try ProcessRunner.run("/bin/bash", ["-c", step.command], in: repo, environment: environment)
      #expect(step.exit == -1 || output.status == step.exit, "\(step.command): exit \(output.status)\n\(output.stderr)")
      guard let schema = step.schema else { continue }
      checked.insert(schema)
      let file = folder + "/\(index)-\(schema).out.json"
      try output.stdout.write(toFile: file, atomically: true, encoding: .utf8)
      let result = try ProcessRunner.run(
        "/usr/bin/env", [TestPython.path, checker, schemas + schema + ".json", file], in: folder)
      #expect(
        result.status == 0 && result.stdout.contains("0 failed"),
        "\(step.command):\n\(result.stdout)\(result.stderr)")
    }
    // Every schema in docs/schemas was checked against a real output.
    let files = try FileManager.default.contentsOfDirectory(atPath: schemas).filter { $0.hasSuffix(".json") }
    #expect(Set(files.map { String($0.dropLast(".json".count)) }) == checked)
  }
}
