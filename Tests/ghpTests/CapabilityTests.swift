import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// Capabilities: what agents can do, what issues need, and who is given what.
@Suite(.serialized) struct CapabilityTests {
  func ids(_ result: ProcessRunner.Result) throws -> [Int] {
    try result.json()["issues"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
  }

  @Test func anAgentIsGivenOnlyWhatItCanDoAndWorkNobodyCanDoIsShown() throws {
    let repo = try ScratchRepository()
    try repo.initialise()
    for (name, can) in [("w1", ["--can", "swift,docs"]), ("w2", ["--can", "codex"]), ("w3", [])] {
      let added = try repo.ghp(["agent", "add", name] + can, agent: "lead")
      #expect(added.status == 0, "\(added.stderr)")
    }
    #expect(try repo.ghp(["agent", "add", "w4", "--can", "Swift!"], agent: "lead").status == 2)
    for (title, needs) in [("Swift work", "swift"), ("Codex work", "codex"), ("Rust work", "rust"), ("Any", "")] {
      let added = try repo.ghp(["issue", "add", title] + (needs.isEmpty ? [] : ["--needs", needs]), agent: "lead")
      #expect(added.status == 0, "\(added.stderr)")
    }
    // The agents' document, as git shows it, says what each can do.
    let document = try JSON.parse(try repo.stateFile(".ghp/agent-status.json"))
    #expect(document["agents"]?["w1"]?["can"] == .array([.string("docs"), .string("swift")]))
    #expect(document["agents"]?["w3"]?["can"] == nil)
    // The tables show it too, in a column of its own.
    for command in [["agent", "list"], ["agent-status"]] {
      let lines = try repo.ghp(command).stdout.split(separator: "\n").map(String.init)
      #expect(lines.first?.contains(" CAN ") == true, "\(command): \(lines.first ?? "")")
      #expect(lines.contains { $0.hasPrefix("w1 ") && $0.contains("docs,swift") }, "\(command): \(lines)")
    }
    #expect(try ids(repo.ghp(["ready", "--for", "w1", "--json"])) == [1, 4])
    #expect(try ids(repo.ghp(["ready", "--for", "w2", "--json"])) == [2, 4])
    #expect(try ids(repo.ghp(["ready", "--for", "w3", "--json"])) == [4])
    let all = try repo.ghp(["ready", "--json"]).json()["issues"]?.arrayValue ?? []
    #expect(all.filter { $0["nobodyCan"] == .bool(true) }.compactMap { $0["id"]?.intValue } == [3], "\(all)")
    #expect(try repo.ghp(["ready"]).stdout.contains("#3 needs rust: no registered agent can do it"))
    #expect(try repo.ghp(["status"]).stdout.contains("Nobody can do #3: it needs rust"))
    #expect(try repo.ghp(["status", "--json"]).json()["nobodyCan"]?.arrayValue?.first?["issue"]?.intValue == 3)
    #expect(try repo.ghp(["report", "--html", "-"]).stdout.contains("nobody can do it"))
    // Claims: only what it can do.
    let refused = try repo.ghp(["claim", "1"], agent: "w3")
    #expect(
      refused.status == 3 && refused.stderr.contains("#1 needs swift, and w3 has no capability"), "\(refused.stderr)")
    #expect(try repo.ghp(["claim", "--next", "--json"], agent: "w2").json()["issue"]?["id"]?.intValue == 2)
    #expect(try repo.ghp(["claim", "--next", "--json"], agent: "w3").json()["issue"]?["id"]?.intValue == 4)
    #expect(try repo.ghp(["claim", "--next", "--json"], agent: "w1").json()["issue"]?["id"]?.intValue == 1)
    let nothing = try repo.ghp(["claim", "--next"], agent: "w1")
    #expect(nothing.status == 4, "only #3 is left, and w1 cannot do it")
    #expect(
      nothing.stderr.contains("nothing ready is for w1") && nothing.stderr.contains("#3 needs rust"),
      "\(nothing.stderr)")
    let unknown = try repo.ghp(["ready", "--for", "nobody"])
    #expect(unknown.status == 2 && unknown.stderr.contains("no agent is registered as nobody"), "\(unknown.stderr)")
    let assigned = try repo.ghp(["assign", "3", "w1"], agent: "lead")
    #expect(assigned.status == 3 && assigned.stderr.contains("--can docs,rust,swift"), "\(assigned.stderr)")
    #expect(try repo.ghp(["agent", "add", "w1", "--can", "swift,docs,rust"], agent: "lead").status == 0)
    #expect(try repo.ghp(["ready", "--json"]).json()["issues"]?.arrayValue?.first?["nobodyCan"] == nil)
    #expect(try repo.ghp(["assign", "3", "w1"], agent: "lead").status == 0)
    #expect(try repo.ghp(["issue", "edit", "3", "--needs", ""], agent: "lead").status == 0)
    #expect(try repo.ghp(["issue", "show", "3", "--json"]).json()["issue"]?["needs"] == nil)
    #expect(try repo.ghp(["verify"]).status == 0)
  }
}
