import Foundation
import GHPKit
import GHPTestSupport
import Testing

@Suite struct CommandLineTests {
  @Test func theFirstSessionFlow() throws {
    let repo = try ScratchRepository()
    let initResult = try repo.ghp("init", "--goal", "Build a REST API", "--unknown-agents", "register")
    #expect(initResult.status == 0, "\(initResult.stderr)")
    #expect(initResult.stdout.contains("test-human is an orchestrator"))
    // The human's later commands need no flag: init recorded ghp.agent in this worktree.
    let added = try repo.ghp("issue", "add", "Create User model")
    #expect(added.status == 0)
    #expect(added.stdout == "1\n")

    let claimed = try repo.ghp("claim", "1", agent: "worker-1")
    #expect(claimed.status == 0)
    #expect(claimed.stdout.contains("Claimed #1 Create User model (epoch 1)"))
    let refused = try repo.ghp("claim", "1", agent: "worker-2")
    #expect(refused.status == 3)
    #expect(refused.stderr.contains("held by worker-1"))
    #expect(refused.stdout.isEmpty)

    let beat = try repo.ghp(
      "agent-heartbeat", "--action", "Wrote the model", "--status", "implementing", agent: "worker-1")
    #expect(beat.status == 0, "\(beat.stderr)")
    let update = try repo.ghp(
      ["agent-status", "update", "--status", "blocked", "--action", "Waiting for #2", "--issue", "1"], agent: "worker-1"
    )
    #expect(update.status == 0, "\(update.stderr)")

    let table = try repo.ghp("agent-status")
    #expect(table.status == 0)
    let workerLine = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("worker-1") })
    #expect(workerLine.contains("#1") && workerLine.contains("blocked") && workerLine.contains("Waiting for #2"))

    let json = try JSON.parse(try repo.ghp("agent-status", "--json").stdout)
    #expect(json["agents"]?["worker-1"]?["issue"] == .int(1))
    #expect(json["agents"]?["worker-1"]?["status"] == .string("blocked"))
    #expect(json["agents"]?["worker-1"]?["stale"] == .bool(false))
    #expect(json["agents"]?["test-human"]?["role"] == .string("orchestrator"))

    // The document on the branch is the seed's shape, readable with plain git.
    let document = try JSON.parse(try repo.stateFile(".ghp/agent-status.json"))
    #expect(document["agents"]?["worker-1"]?["lastAction"] == .string("Waiting for #2"))
    #expect(document["agents"]?["worker-1"]?["timestamp"]?.stringValue.flatMap(RFC3339.parse) != nil)

    let released = try repo.ghp("release", "1", agent: "worker-1")
    #expect(released.status == 0)

    let log = try repo.ghp("log")
    // A header, then each line: short commit, time, subject, separated by two spaces.
    #expect(log.stdout.hasPrefix("COMMIT      TIME                  EVENT\n"))
    let subjects = log.stdout.split(separator: "\n").dropFirst().map {
      $0.components(separatedBy: "  ").dropFirst(2).joined(separator: "  ")
    }
    #expect(
      subjects == [
        "worker-1: release #1 Create User model", "worker-1: status blocked: Waiting for #2",
        "worker-1: heartbeat implementing: Wrote the model", "worker-1: claim #1 Create User model",
        "test-human: add #1 Create User model", "test-human: init Build a REST API",
      ])
    #expect(try repo.stateSubjects().count == 6)
    #expect(try repo.git("log", "--author=worker-1", "--format=%s", "ghp/state").split(separator: "\n").count == 4)
  }

  @Test func logFiltersAndJSON() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 2)
    try repo.inProcess("claim", "1", agent: "w1")
    try repo.inProcess("claim", "2", agent: "w2")
    try repo.inProcess("agent-heartbeat", "--status", "testing", agent: "w1")
    let byAgent = try JSON.parse(try repo.inProcess("log", "--author", "w1", "--json").stdout)
    #expect(byAgent["events"]?.arrayValue?.map { $0["op"]?.stringValue } == ["heartbeat", "claim"])
    // The old --agent still filters here, and says to use --author.
    let old = try repo.inProcess("log", "--agent", "w1", "--json")
    #expect(try JSON.parse(old.stdout) == byAgent && old.stderr.contains("use --author"), "\(old.stderr)")
    let byIssue = try JSON.parse(try repo.inProcess("log", "--issue", "2", "--json").stdout)
    #expect(byIssue["events"]?.arrayValue?.compactMap { $0["op"]?.stringValue } == ["claim", "issue-add"])
    #expect(byIssue["events"]?.arrayValue?.first?["epoch"] == .int(1))
    let limited = try repo.inProcess("log", "-n", "1")
    #expect(limited.stdout.split(separator: "\n").count == 2, "the header and one event")
    #expect(try repo.inProcess("log", "-n", "-1").status == 2)
  }

  /// Commit times are the writers' clocks: one writer whose clock is two days behind does not end
  /// `--since` at its commit; what came after it is still in the period, and it is not.
  @Test func aClockBehindDoesNotEndThePeriod() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 2)
    try repo.inProcess("claim", "1", agent: "w1")
    let behind = RFC3339.format(Int64(Date().timeIntervalSince1970) - 2 * 86_400)
    #expect(try repo.inProcess(["claim", "2"], agent: "w2", environment: ["GHP_NOW": behind]).status == 0)
    try repo.inProcess("agent-heartbeat", "--action", "after the skewed one", agent: "w1")
    let events = try JSON.parse(try repo.inProcess("log", "--since", "1h", "--json").stdout)["events"]?.arrayValue
    let seen = events?.map { "\($0["agent"]?.stringValue ?? "") \($0["op"]?.stringValue ?? "")" }
    #expect(seen == ["w1 heartbeat", "w1 claim", "lead issue-add", "lead issue-add", "lead init"], "\(seen ?? [])")
  }

  @Test func staleAgentsShowUnderGHPNow() throws {
    let repo = try ScratchRepository()
    try repo.inProcess(
      ["init", "--unknown-agents", "register"], agent: "lead", environment: ["GHP_NOW": "2025-01-25T10:20:00Z"])
    // w1 holds an issue (someone waits on it); w2 does not, and is never stale.
    try repo.inProcess(["issue", "add", "W1's work"], agent: "lead", environment: ["GHP_NOW": "2025-01-25T10:20:10Z"])
    try repo.inProcess(["claim", "1"], agent: "w1", environment: ["GHP_NOW": "2025-01-25T10:20:20Z"])
    try repo.inProcess(
      "agent-heartbeat", "--status", "implementing", agent: "w1", environment: ["GHP_NOW": "2025-01-25T10:30:00Z"])
    try repo.inProcess(
      "agent-heartbeat", "--status", "implementing", agent: "w2", environment: ["GHP_NOW": "2025-01-25T10:38:00Z"])
    let later = ["GHP_NOW": "2025-01-25T10:41:00Z"]
    let stale = try repo.inProcess(["agent-status", "--stale", "--json"], environment: later)
    let names = try JSON.parse(stale.stdout)["agents"]?.objectValue?.keys.sorted()
    // The orchestrator, silent as long but holding nothing, is not stale: nobody waits on it.
    #expect(names == ["w1"])
    let table = try repo.inProcess(["agent-status"], environment: later).stdout
    #expect(table.contains("STALE"))
    #expect(table.split(separator: "\n").first { $0.hasPrefix("w2") }?.contains("STALE") == false)
    #expect(table.split(separator: "\n").first { $0.hasPrefix("lead") }?.contains("STALE") == false)
    #expect(table.contains("1 stale worker (no heartbeat"))
    // An orchestrator that holds a claim and goes silent is stale (someone waits on that work),
    // though `ghp reap` leaves orchestrators to people: the footer counts only workers.
    try repo.inProcess(
      ["issue", "add", "Lead's own work"], agent: "lead", environment: ["GHP_NOW": "2025-01-25T10:20:30Z"])
    try repo.inProcess(["claim", "2"], agent: "lead", environment: ["GHP_NOW": "2025-01-25T10:21:00Z"])
    let holding = try repo.inProcess(["agent-status"], environment: later).stdout
    #expect(holding.split(separator: "\n").first { $0.hasPrefix("lead") }?.contains("STALE") == true)
    #expect(holding.contains("1 stale worker (no heartbeat"))
  }

  @Test func globalOptionsGoBeforeOrAfterTheSubcommand() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    let elsewhere = FileManager.default.temporaryDirectory.path
    let before = try repo.ghp(["-C", repo.path, "--agent", "w1", "claim", "1"], in: elsewhere)
    #expect(before.status == 0, "\(before.stderr)")
    let after = try repo.ghp(["claim", "1", "-C", repo.path, "--agent", "w2", "--json"], in: elsewhere)
    #expect(after.status == 3)
    // A file named relative to -C is read there, as `git -C` reads it (it was read from the folder
    // ghp was started in); -V and man take global options as every command does.
    try repo.write("plan.md", "# Plan from the repository\n")
    let plan = try repo.ghp(["-C", repo.path, "plan", "set", "plan.md"], agent: "lead", in: elsewhere)
    #expect(plan.status == 0, "\(plan.stderr)")
    #expect(try repo.stateFile(".ghp/plan.md") == "# Plan from the repository\n\nGoal: Test goal")
    #expect(try repo.ghp(["-C", repo.path, "-V"], in: elsewhere).status == 0)
    #expect(try repo.ghp(["-C", repo.path, "man"], in: elsewhere).stdout.hasPrefix(".TH GHP 1"))
  }

  @Test func exitCodesForUsage() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    #expect(try repo.inProcess("no-such-command").status == 2)
    #expect(try repo.inProcess("claim").status == 2)
    #expect(try repo.inProcess("claim", "a/b").status == 2)
    #expect(try repo.inProcess("agent-status", "update").status == 2)
    #expect(try repo.inProcess(["agent-heartbeat", "--status", "Not A Word"], agent: "w1").status == 2)
    let help = try repo.inProcess("--help")
    #expect(help.status == 0)
    #expect(help.stdout.contains("agent-heartbeat"))
  }
}

@Suite struct BadInputTests {
  /// Each bad input: one line on stderr, a non-zero exit, and `ghp/state` unchanged.
  func expectOneLineFailure(_ result: ProcessRunner.Result, code: Int32 = 1, mentioning words: [String]) {
    #expect(result.status == code, "\(result.stderr)")
    #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    for word in words { #expect(result.stderr.contains(word), "\(result.stderr)") }
  }

  @Test func notARepository() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ghp-norepo-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let result = try ProcessRunner.run(GHPBinary.path, ["agent-status"], in: folder.path)
    expectOneLineFailure(result, mentioning: ["not a git repository"])
    let missing = try ProcessRunner.run(GHPBinary.path, ["-C", "/no/such/place", "agent-status"], in: folder.path)
    expectOneLineFailure(missing, mentioning: ["not a git repository", "/no/such/place"])
  }

  @Test func notInitialised() throws {
    let repo = try ScratchRepository()
    expectOneLineFailure(try repo.inProcess("agent-status"), mentioning: ["ghp init"])
    expectOneLineFailure(try repo.inProcess("claim", "1", agent: "w1"), mentioning: ["ghp init"])
    #expect(throws: (any Error).self) { try repo.git("rev-parse", "--verify", "-q", "ghp/state") }
  }

  @Test func badNamesTitlesAndIssues() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    let tip = try repo.git("rev-parse", "ghp/state")
    expectOneLineFailure(try repo.inProcess("claim", "7", agent: "w1"), code: 2, mentioning: ["no issue #7"])
    expectOneLineFailure(
      try repo.inProcess("claim", "1", agent: "bad name"), code: 2, mentioning: ["invalid agent name", "space"])
    expectOneLineFailure(
      try repo.inProcess(["claim", "1", "--agent", "../x"]), code: 2, mentioning: ["invalid agent name"])
    expectOneLineFailure(
      try repo.inProcess("issue", "add", "  ", agent: "lead"), code: 2, mentioning: ["title is empty"])
    expectOneLineFailure(
      try repo.inProcess("issue", "add", "x", agent: "w1"), code: 3, mentioning: ["not an orchestrator"])
    expectOneLineFailure(
      try repo.inProcess(["agent-status"], environment: ["GHP_NOW": "tomorrow"]), code: 2,
      mentioning: ["GHP_NOW", "RFC 3339"])
    #expect(try repo.git("rev-parse", "ghp/state") == tip)
  }

  @Test func noIdentityExplainsHowToSetOne() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    try repo.git("config", "--worktree", "--unset", "ghp.agent")
    let tip = try repo.git("rev-parse", "ghp/state")
    expectOneLineFailure(
      try repo.inProcess("claim", "1"), code: 2, mentioning: ["GHP_AGENT", "git config ghp.agent", "agent/NAME"])
    #expect(try repo.git("rev-parse", "ghp/state") == tip)
  }

  @Test func aCorruptDocumentIsNamedAndNothingIsWritten() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    // A person edits issue 1 on ghp/state by hand and breaks it.
    let worktree = repo.root.deletingLastPathComponent().appendingPathComponent("state-edit").path
    try repo.git("worktree", "add", "-q", worktree, "ghp/state")
    try "{\"id\": 1, \"title\": ".write(toFile: worktree + "/.ghp/issues/01/1.json", atomically: true, encoding: .utf8)
    _ = try ProcessRunner.run("/usr/bin/git", ["commit", "-qam", "hand edit"], in: worktree)
    let broken = try repo.git("rev-parse", "--short=10", "ghp/state")

    expectOneLineFailure(try repo.inProcess("claim", "1", agent: "w1"), mentioning: [".ghp/issues/01/1.json", broken])
    #expect(try repo.git("rev-parse", "--short=10", "ghp/state") == broken)
    // The status table still shows the agents, with the broken document named beside it.
    let status = try repo.inProcess("agent-status")
    #expect(status.status == 0)
    #expect(status.stdout.contains("warning: .ghp/issues/01/1.json at ghp/state \(broken)"))
    expectOneLineFailure(try repo.inProcess("ready"), mentioning: [".ghp/issues/01/1.json"])
  }
}

@Suite struct SubcommandSuggestionTests {
  @Test("a mistyped or half-remembered command is named, with the closest commands, exit 2")
  func didYouMean() throws {
    let repo = try ScratchRepository()
    for (typed, meant) in [
      ("heartbeat", "agent-heartbeat"), ("isue", "issue"), ("escalate", "agent-escalate"), ("relase", "release"),
    ] {
      let result = try repo.inProcess([typed])
      #expect(result.status == 2)
      #expect(result.stderr.contains("'\(typed)' is not a ghp command"))
      #expect(result.stderr.contains("`ghp \(meant)`"), "\(typed): \(result.stderr)")
      #expect(result.stderr.split(separator: "\n").count == 1)
    }
    let nothing = try repo.inProcess(["xyzzy"])
    #expect(nothing.status == 2 && !nothing.stderr.contains("Did you mean"))
    // Global options first still find the command; a real one is not second-guessed.
    #expect(try repo.inProcess(["-C", repo.path, "--json", "heartbeat"]).stderr.contains("`ghp agent-heartbeat`"))
    #expect(try repo.inProcess(["ready"]).stderr.contains("is not a ghp command") == false)
    let version = try repo.inProcess(["-V"])
    let long = try repo.inProcess(["--version"])
    #expect(version.status == 0 && !version.stdout.isEmpty && version.stdout == long.stdout)
  }
}

@Suite struct CompletionTests {
  @Test("completion scripts for bash, zsh and fish come from the parser and know every command")
  func completions() throws {
    let repo = try ScratchRepository()
    for shell in ["bash", "zsh", "fish"] {
      let script = try repo.inProcess(["--generate-completion-script", shell])
      #expect(script.status == 0)
      for command in ["agent-heartbeat", "agent-status", "land", "run", "status"] {
        #expect(script.stdout.contains(command), "\(shell) completion lacks \(command)")
      }
    }
  }
}

@Suite struct ColourTests {
  @Test("colour marks STALE and errors on a terminal only; NO_COLOR and pipes get none")
  func colourOnATerminalOnly() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    let old = ["GHP_NOW": RFC3339.format(Int64(Date().timeIntervalSince1970) - 3600)]
    #expect(try repo.ghp(["agent", "add", "w1"], agent: "lead", environment: old).status == 0)
    #expect(try repo.ghp(["issue", "add", "Work"], agent: "lead", environment: old).status == 0)
    #expect(try repo.ghp(["claim", "1"], agent: "w1", environment: old).status == 0)
    func onTerminal(_ command: String, _ environment: [String: String] = [:]) throws -> String {
      try ProcessRunner.run(
        "/usr/bin/script", ["-qec", "\(GHPBinary.path) \(command)", "/dev/null"], in: repo.path,
        environment: environment.merging(["GHP_AGENT": "lead", "TERM": "xterm"]) { a, _ in a }
      ).stdout
    }
    #expect(try onTerminal("agent-status").contains("\u{1B}[31mSTALE\u{1B}[0m"))
    #expect(try onTerminal("claim 9").contains("\u{1B}[31mghp:\u{1B}[0m"))
    #expect(try !onTerminal("agent-status", ["NO_COLOR": "1"]).contains("\u{1B}["))
    let piped = try repo.ghp(["agent-status"], agent: "lead")
    #expect(piped.stdout.contains("STALE") && !piped.stdout.contains("\u{1B}"))
    #expect(!piped.stderr.contains("\u{1B}"))
  }
}

@Suite struct ReadingLikeGitTests {
  /// Every table a person reads starts with its column names.
  @Test func everyTableHasAHeader() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 2)
    #expect(try repo.inProcess(["claim", "1"], agent: "w1").status == 0)
    #expect(try repo.inProcess(["agent-escalate", "Which?", "--issue", "1"], agent: "w1").status == 0)
    #expect(try repo.inProcess(["agent-handoff", "--issue", "1", "--note", "n"], agent: "w1").status == 0)
    #expect(try repo.inProcess(["approve", "w1", "README.md"], agent: "lead").status == 0)
    let tables: [([String], String)] = [
      (["ready"], "ID"), (["issue", "list"], "ID"), (["escalations"], "ID"), (["handoff", "list"], "ISSUE"),
      (["log", "-n", "3"], "COMMIT"), (["agent", "list"], "AGENT"), (["approvals", "--all"], "ID"),
    ]
    for (command, first) in tables {
      let out = try repo.inProcess(command).stdout
      let header = out.split(separator: "\n").first.map(String.init) ?? ""
      #expect(header.hasPrefix(first) && header == header.uppercased(), "\(command): \(out)")
    }
    // agent-status leads with the open escalations, each section under its own header.
    let status = try repo.inProcess(["agent-status"]).stdout.split(separator: "\n").map(String.init)
    #expect(
      status.contains { $0.hasPrefix("AGENT ") }
        && status.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("ID  SEVERITY") })
  }

  @Test func configSetRefusesAKeyThePolicyDoesNotRead() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    let tip = try repo.git("rev-parse", "ghp/state")
    let typo = try repo.inProcess(["config", "set", "stalAfter", "5m"], agent: "lead")
    #expect(typo.status == 2 && typo.stderr.contains("did you mean staleAfter?"), "\(typo.stderr)")
    let bare = try repo.inProcess(["config", "set", "gate", "true"], agent: "lead")
    #expect(bare.status == 2 && bare.stderr.contains("did you mean landing.gate?"), "\(bare.stderr)")
    #expect(try repo.git("rev-parse", "ghp/state") == tip)
    #expect(try repo.inProcess(["config", "set", "pushers.alice", "[\"w1\"]"], agent: "lead").status == 0)
    #expect(try repo.inProcess(["config", "get", "agent.taskTimeout"]).stdout == "30m\n")
    let unset = try repo.inProcess(["config", "get", "landing.gate"])
    #expect(unset.status == 2 && unset.stderr.contains("its default applies"))
    #expect(try repo.inProcess(["config", "get", "landing.gat"]).stderr.contains("did you mean landing.gate?"))
  }
}

@Suite struct ManualTests {
  /// `ghp man` is made from the parser: every command is in it, and groff reads it without a warning.
  @Test func theManualPageHasEveryCommandAndRenders() throws {
    let repo = try ScratchRepository()
    let page = try repo.inProcess(["man"])
    #expect(page.status == 0 && page.stdout.hasPrefix(".TH GHP 1"))
    let commands = [
      "agent-heartbeat", "agent-status", "agent-escalate", "agent-handoff", "agent add", "setup claude", "config set",
      "run",
    ]
    for command in commands {
      #expect(page.stdout.contains(".SS \"ghp \(command)\""), "the page lacks ghp \(command)")
    }
    let file = repo.path + "/ghp.1"
    try page.stdout.write(toFile: file, atomically: true, encoding: .utf8)
    let rendered = try ProcessRunner.run("/usr/bin/groff", ["-man", "-Tutf8", "-ww", "-P-cbou", file], in: repo.path)
    #expect(rendered.status == 0 && rendered.stderr.isEmpty, "\(rendered.stderr)")
    #expect(rendered.stdout.contains("EXIT STATUS") && rendered.stdout.contains("--dry-run"))
  }
}

@Suite struct NamedCommandsTests {
  /// The prompts, the AGENTS.md section and the generated policy teach commands: each `ghp ...` they
  /// name must be one the parser knows (its help exits 0), subcommand included.
  @Test func everyCommandTheTextsNameExists() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    var texts = try ["worker", "leader", "agents-md"].map { try repo.inProcess(["prompt", $0], agent: "lead").stdout }
    texts.append(try repo.inProcess(["config", "list"]).stdout)
    var named = Set<[String]>()
    for text in texts {
      for piece in text.components(separatedBy: "`").enumerated() where piece.offset % 2 == 1 {
        let words = piece.element.split(whereSeparator: \.isWhitespace).map(String.init)
        guard words.first == "ghp", words.count > 1 else { continue }
        let command = Array(
          words.dropFirst().prefix { !$0.hasPrefix("-") && $0.first?.isLowercase == true && !$0.contains(".") }.prefix(
            2))
        if !command.isEmpty { named.insert(command) }
      }
    }
    #expect(named.count > 20, "\(named)")
    for command in named.sorted(by: { $0.joined() < $1.joined() }) {
      var words = command
      var help = try repo.inProcess(words + ["--help"])
      // A second word may be an argument (`ghp claim-check ID`), not a subcommand: the first must stand.
      if help.status != 0 && words.count == 2 {
        words.removeLast()
        help = try repo.inProcess(words + ["--help"])
      }
      #expect(help.status == 0, "`ghp \(command.joined(separator: " "))` is named but is no command: \(help.stderr)")
    }
  }
}

@Suite struct HelpProseTests {
  /// Every command's help, on a terminal wide enough that the parser wraps nothing: its paragraphs
  /// are one line each (the terminal wraps them, never the source mid-sentence), and examples are
  /// one command per line under their own "Examples:" line. `ghp serve --help` is the server's own.
  @Test func paragraphsAreUnwrappedAndExamplesOnePerLine() throws {
    let repo = try ScratchRepository()
    let manual = try repo.inProcess(["man"]).stdout
    let commands = manual.split(separator: "\n").compactMap { line -> [String]? in
      guard line.hasPrefix(".SS \"ghp") else { return nil }
      return line.dropFirst(".SS \"".count).dropLast().split(separator: " ").dropFirst().map(String.init)
    }
    #expect(commands.count > 50, "\(commands)")
    for command in [[]] + commands {
      let help = try repo.ghp(command + ["--help"], environment: ["COLUMNS": "1000"])
      let name = (["ghp"] + command).joined(separator: " ")
      #expect(help.status == 0, "\(name) --help: \(help.stderr)")
      let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      let prose = Array(lines.prefix { !$0.hasPrefix("USAGE:") })
      for (index, line) in prose.enumerated() where !line.isEmpty {
        #expect(
          line.wholeMatch(of: /Examples?:\s+\S.*/) == nil, "\(name): examples belong one per line below: \(line)")
        if line.hasPrefix(" ") {
          #expect(
            !line.trimmingCharacters(in: .whitespaces).contains("   "), "\(name): two examples on one line: \(line)")
          continue
        }
        let next = index + 1 < prose.count ? prose[index + 1] : ""
        #expect(
          next.isEmpty || next.hasPrefix(" ") || line.hasSuffix(":"),
          "\(name): a paragraph broken by hand after \"\(line)\"")
      }
    }
    let serve = try repo.ghp(["serve", "--help"], environment: ["COLUMNS": "1000"])
    #expect(serve.stdout.contains("--read-only") && !serve.stdout.contains("<arguments>"), "\(serve.stdout)")
  }
}
