import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// The surfaces are adapters of one application layer: each action taken through the CLI in one
/// repository and through MCP in its twin leaves the same `ghp/state` documents and the same
/// branches, and answers the same JSON.
@Suite(.serialized) struct ParityTests {
  /// Every clock the twins read: ghp's (`GHP_NOW`) and git's, so that their commits are the same.
  static let time = "2026-03-01T09:00:00Z"
  static let clocks = ["GHP_NOW": time, "GIT_AUTHOR_DATE": time, "GIT_COMMITTER_DATE": time]

  /// A repository with the same `main` commit as every other twin, ghp initialised by `lead`, two
  /// issues and two workers with their worktrees.
  static func twin() throws -> ScratchRepository {
    let repo = try ScratchRepository()
    try repo.git(["commit", "--amend", "-q", "--no-edit", "--reset-author"], environment: clocks)
    try #require(try repo.ghp(["init", "--goal", "Parity"], agent: "lead", environment: clocks).status == 0)
    for name in ["w1", "w2"] {
      let added = try repo.ghp(["agent", "add", name], agent: "lead", environment: clocks)
      try #require(added.status == 0, "\(added.stderr)")
    }
    return repo
  }

  /// One step, as the CLI spells it and as the MCP tool does.
  struct Step {
    var agent: String
    var cli: [String]
    var tool: String
    var arguments: JSON
  }

  /// Text with the twin's own folder named the same way in both.
  static func normalised(_ text: String, _ repo: ScratchRepository) -> String {
    text.replacing(repo.root.deletingLastPathComponent().path, with: "<twin>")
  }

  /// Every document on `ghp/state`, with what differs between twins by design taken out: their
  /// folders, and the signing keys each `agent add` makes.
  static func documents(_ repo: ScratchRepository) throws -> [String: String] {
    var out: [String: String] = [:]
    for path in try repo.git("ls-tree", "-r", "--name-only", "ghp/state").split(separator: "\n") {
      let text = try repo.stateFile(String(path))
      out[String(path)] = normalised(text, repo).split(separator: "\n", omittingEmptySubsequences: false)
        .filter { !$0.contains("\"signingKey\"") }.joined(separator: "\n")
    }
    return out
  }

  /// Every branch but `ghp/state` (whose commits are signed with each twin's own keys), and its tip.
  static func branches(_ repo: ScratchRepository) throws -> [String] {
    try repo.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/").split(separator: "\n")
      .map(String.init).filter { !$0.hasPrefix("refs/heads/ghp/state ") }
  }

  /// An answer without what differs between twins by design: state commit ids and folders.
  static func comparable(_ value: JSON, _ repo: ScratchRepository) -> JSON {
    switch value {
    case .object(let fields):
      return .object(fields.filter { $0.key != "commit" }.mapValues { comparable($0, repo) })
    case .array(let items): return .array(items.map { comparable($0, repo) })
    case .string(let text): return .string(normalised(text, repo))
    default: return value
    }
  }

  /// The same code change in a worktree of each twin, committed with the twins' clock.
  static func commit(_ file: String, _ text: String, as agent: String, in repo: ScratchRepository) throws {
    let worktree = repo.worktree(agent)
    try text.write(toFile: worktree + "/" + file, atomically: true, encoding: .utf8)
    for arguments in [["add", file], ["commit", "-q", "-m", "\(agent): \(file)"]] {
      let result = try ProcessRunner.run(
        "/usr/bin/git", ["-C", worktree] + arguments, in: worktree, environment: clocks)
      try #require(result.status == 0, "\(result.stderr)")
    }
  }

  func step(_ step: Step, cliTwin: ScratchRepository, mcpTwin: ScratchRepository) throws {
    let cli = try cliTwin.ghp(step.cli + ["--json"], agent: step.agent, environment: Self.clocks)
    #expect(cli.status == 0, "ghp \(step.cli.joined(separator: " ")): \(cli.stderr)")
    let mcp = try MCPClient.call(
      step.tool, step.arguments, agent: step.agent, in: mcpTwin.path, environment: Self.clocks)
    #expect(!mcp.isError, "\(step.tool): \(mcp.text)")
    #expect(
      Self.comparable(try JSON.parse(cli.stdout), cliTwin) == Self.comparable(try mcp.json(), mcpTwin),
      "\(step.tool) answers otherwise than ghp \(step.cli.joined(separator: " "))")
    let (documents, theirs) = (try Self.documents(cliTwin), try Self.documents(mcpTwin))
    for path in Set(documents.keys).union(theirs.keys).sorted() where documents[path] != theirs[path] {
      Issue.record(
        "after \(step.tool): \(path) differs\n--- CLI\n\(documents[path] ?? "(none)")\n--- MCP\n\(theirs[path] ?? "(none)")"
      )
    }
    #expect(try Self.branches(cliTwin) == Self.branches(mcpTwin), "after \(step.tool) the branches differ")
  }

  @Test func theCLIAndMCPLeaveTheSameStateAndBranches() throws {
    let cliTwin = try Self.twin()
    let mcpTwin = try Self.twin()
    #expect(try Self.branches(cliTwin) == Self.branches(mcpTwin))
    let steps: [Step] = [
      Step(
        agent: "lead", cli: ["issue", "add", "Router", "-p", "1", "--scope", "Sources/Router/**"],
        tool: "create_task",
        arguments: .object([
          "title": .string("Router"), "priority": .int(1), "scope": .array([.string("Sources/Router/**")]),
        ])),
      Step(
        agent: "lead", cli: ["issue", "add", "Docs"], tool: "create_task",
        arguments: .object(["title": .string("Docs")])),
      Step(
        agent: "lead", cli: ["issue", "add", "Parser", "--needs", "swift"], tool: "create_task",
        arguments: .object(["title": .string("Parser"), "needs": .array([.string("swift")])])),
      // w1 cannot do swift: #3 is not its to take, and nobody registered can.
      Step(agent: "w1", cli: ["ready", "--for", "w1"], tool: "ready_tasks", arguments: .object(["mine": .bool(true)])),
      Step(agent: "w1", cli: ["ready"], tool: "ready_tasks", arguments: .object([:])),
      Step(agent: "w1", cli: ["claim", "1"], tool: "claim_task", arguments: .object(["id": .int(1)])),
    ]
    for one in steps { try step(one, cliTwin: cliTwin, mcpTwin: mcpTwin) }
    for twin in [cliTwin, mcpTwin] { try Self.commit("Router.swift", "struct Router {}\n", as: "w1", in: twin) }
    let more: [Step] = [
      Step(
        agent: "w1",
        cli: ["agent-heartbeat", "--action", "Wrote the router", "--status", "implementing", "--issue", "1"],
        tool: "heartbeat",
        arguments: .object([
          "action": .string("Wrote the router"), "status": .string("implementing"), "issue": .string("1"),
        ])),
      Step(
        agent: "w1", cli: ["discover", "The router needs a table"], tool: "add_discovery",
        arguments: .object(["text": .string("The router needs a table")])),
      Step(
        agent: "w1", cli: ["agent-escalate", "Which table?", "--issue", "1", "--severity", "high"], tool: "escalate",
        arguments: .object(["question": .string("Which table?"), "issue": .int(1), "severity": .string("high")])),
      // The handoff passes the claim and the code: agent/w2 continues from w1's tip.
      Step(
        agent: "w1", cli: ["agent-handoff", "--issue", "1", "--to", "w2", "--note", "Tests remain"], tool: "handoff",
        arguments: .object(["issue": .string("1"), "to": .string("w2"), "note": .string("Tests remain")])),
      Step(agent: "w1", cli: ["claim", "--next"], tool: "claim_task", arguments: .object([:])),
      Step(
        agent: "w1", cli: ["release", "2", "--reason", "later"], tool: "release_task",
        arguments: .object(["id": .int(2), "reason": .string("later")])),
      Step(
        agent: "w2", cli: ["fail", "1", "--reason", "needs a database"], tool: "fail_task",
        arguments: .object(["id": .int(1), "reason": .string("needs a database")])),
      Step(agent: "w2", cli: ["claim", "1"], tool: "claim_task", arguments: .object(["id": .string("1")])),
      Step(
        agent: "w2", cli: ["done", "1", "--result", "Router and its tests"], tool: "complete_task",
        arguments: .object(["id": .int(1), "result": .string("Router and its tests")])),
    ]
    for one in more { try step(one, cliTwin: cliTwin, mcpTwin: mcpTwin) }
    for twin in [cliTwin, mcpTwin] {
      #expect(try twin.git("rev-parse", "agent/w2") == twin.git("rev-parse", "agent/w1"), "the code was handed over")
    }
  }

  /// `get_status` and `ghp://status` show what `ghp agent-status` shows, conflicts included.
  @Test func theStatusOverMCPShowsTheConflictsTheCLIShows() throws {
    let repo = try Self.twin()
    try Self.commit("Shared.swift", "let a = 1\n", as: "w1", in: repo)
    try Self.commit("Shared.swift", "let a = 2\n", as: "w2", in: repo)
    let cli = try repo.ghp(["agent-status", "--json"], agent: "lead", environment: Self.clocks)
    #expect(cli.status == 0, "\(cli.stderr)")
    let expected = try JSON.parse(cli.stdout)
    #expect(expected["conflicts"]?.arrayValue?.isEmpty == false, "\(cli.stdout)")
    let mcp = try MCPClient.call("get_status", agent: "lead", in: repo.path, environment: Self.clocks)
    #expect(!mcp.isError, "\(mcp.text)")
    #expect(try mcp.json() == expected)
  }
}

extension ParityTests {
  /// One long-lived server answers `get_status` from what it made last while nothing it was read
  /// from changed (`StatusAnswers`): after a state write, after a branch moved outside the state,
  /// and after an agent went stale with no ref moving, it answers what `ghp agent-status --json`
  /// answers then, text and structured content alike.
  @Test(.timeLimit(.minutes(1))) func oneServerAnswersTheStatusAsItIsNow() throws {
    let repo = try Self.twin()
    #expect(try repo.ghp(["config", "set", "staleAfter", "5s"], agent: "lead").status == 0)
    #expect(try repo.ghp(["issue", "add", "Work"], agent: "lead").status == 0)
    #expect(try repo.ghp(["claim", "1"], agent: "w1").status == 0)
    let session = try MCPClient.Session(agent: "lead", in: repo.path)
    func same(_ step: String) throws -> JSON {
      let (answer, structured) = try session.call("get_status")
      let cli = try repo.ghp(["agent-status", "--json"], agent: "lead")
      #expect(!answer.isError && cli.status == 0, "\(step): \(answer.text) \(cli.stderr)")
      let expected = try JSON.parse(cli.stdout)
      #expect(try answer.json() == expected, "\(step)")
      #expect(structured == expected, "\(step)")
      return expected
    }
    #expect(try same("claimed")["agents"]?["w1"]?["stale"] == .bool(false))
    #expect(try same("asked again")["agents"]?["w1"]?["status"]?.stringValue == "claimed")
    // A write to the state.
    #expect(try repo.ghp(["agent-heartbeat", "--action", "half way"], agent: "w1").status == 0)
    #expect(try same("after a heartbeat")["agents"]?["w1"]?["lastAction"]?.stringValue == "half way")
    // Branches that move outside the state: the two workers' edits now conflict.
    try Self.commit("Shared.swift", "let a = 1\n", as: "w1", in: repo)
    try Self.commit("Shared.swift", "let a = 2\n", as: "w2", in: repo)
    #expect(try same("after the branches moved")["conflicts"]?.arrayValue?.isEmpty == false)
    // Its arguments are checked as every tool's are.
    let wrong = try session.call("get_status", .object(["stale_only": .string("yes")])).answer
    #expect(wrong.isError && wrong.text.contains("stale_only"), "\(wrong.text)")
    // Time alone: w1 holds its issue and says nothing for longer than staleAfter.
    usleep(6_500_000)
    #expect(try same("after w1 went silent")["agents"]?["w1"]?["stale"] == .bool(true))
  }
}
