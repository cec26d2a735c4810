import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// `ghp serve` and `ghp report --html`, over real HTTP and in a real browser (Debian's headless
/// Chromium), on a repository where work went on: a landing through the gate, an agent asking
/// approval with markup in what it wrote, an agent gone silent holding a claim.
@Suite struct PageTests {
  /// The scene. w1 landed "Landed work" through `./gate.sh`; w2 holds an issue titled with a script
  /// tag, after the landed one, and asks (high) approval to edit README.md with markup in its
  /// context; w3 claimed an issue and asked a (low) question 30 minutes ago, and has been silent
  /// since. Escalation 1 is w3's, 2 is w2's.
  static func scene() throws -> LandingTeam {
    let team = try LandingTeam(agents: ["w1", "w2", "w3"])
    let landed = try team.work("w1", title: "Landed work", file: "one.txt", text: "one\n")
    #expect(landed.done.status == 0, "\(landed.done.stderr)")
    let land = try team.land()
    #expect(land.status == 0, "\(land.stderr)")

    let past = RFC3339.format(Int64(Date().timeIntervalSince1970) - 1800)
    let silent = try team.repo.ghp(["issue", "add", "Schema migration", "-p", "1", "--json"], agent: "lead")
    let silentID = try #require(silent.json()["id"]?.intValue)
    for arguments in [
      ["agent-heartbeat", "--action", "starting"], ["claim", "\(silentID)"],
      ["agent-escalate", "Which schema version?", "--severity", "low", "--issue", "\(silentID)"],
    ] {
      let result = try ProcessRunner.run(
        GHPBinary.path, arguments, in: team.team.worktrees["w3"]!, environment: ["GHP_NOW": past])
      #expect(result.status == 0, "\(arguments): \(result.stderr)")
    }

    let markup = try team.repo.ghp(
      ["issue", "add", "Title <script>alert(1)</script>", "--after", landed.id, "--json"], agent: "lead")
    let markupID = try #require(markup.json()["id"]?.intValue)
    #expect(
      try team.repo.ghp(["issue", "add", "After the markup one", "--after", "\(markupID)"], agent: "lead").status == 0)
    #expect(try team.team.ghp("w2", "claim", "\(markupID)").status == 0)
    #expect(try team.team.commit("w2", "two.txt", "two\n", "w2: start").status == 0)
    let asked = try team.team.ghp(
      "w2", "agent-escalate", "Approval needed to edit README.md", "--severity", "high", "--context",
      "<img src=x onerror=alert(2)> wants the install line changed")
    #expect(asked.status == 0, "\(asked.stderr)")
    return team
  }

  static func script(_ name: String) -> String {
    TemplateTests.root.appendingPathComponent("Tests/page/\(name)").path
  }

  @Test func everyRouteOverHTTP() throws {
    let team = try Self.scene()
    let result = try ProcessRunner.run(
      "/usr/bin/env", [TestPython.path, Self.script("routes.py"), GHPBinary.path, team.repo.path], in: team.repo.path)
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("77 passed, 0 failed"), "\(result.stdout)\(result.stderr)")
    // What the page wrote is in the state, for plain git to see.
    let subjects = try team.repo.stateSubjects()
    #expect(subjects.contains { $0.hasPrefix("lead: resolve 1 for w3") }, "\(subjects.prefix(5))")
    #expect(subjects.contains { $0.hasPrefix("lead: approve w2 to edit README.md (once)") }, "\(subjects.prefix(5))")
  }
}

extension PageTests {
  /// The page in Debian's headless Chromium; its screenshots stay in .build/test-artifacts.
  @Test func aPersonSeesTheStateInARealBrowser() throws {
    let team = try Self.scene()
    let artifacts = TemplateTests.root.appendingPathComponent(".build/test-artifacts").path
    let result = try ProcessRunner.run(
      "/usr/bin/env", [TestPython.path, Self.script("browser.py"), GHPBinary.path, team.repo.path, artifacts],
      in: team.repo.path)
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("31 passed, 0 failed"), "\(result.stdout)\(result.stderr)")
  }
}
