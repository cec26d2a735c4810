import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// `ghp serve` and `ghp report --html`, over real HTTP and in a real browser (Debian's headless
/// Chromium), on a repository where work went on: a landing through the gate, an agent asking
/// approval with markup in what it wrote, an agent gone silent holding a claim.
@Suite struct PageTests {
  /// The scene. w1 landed "Landed work" through `./gate.sh`, and `./gate.sh` sent "Bad gate" back to
  /// it; w4's "Waiting to land" is in the landing queue; w2 holds an issue titled with a script
  /// tag, after the landed one, and asks (high) approval to edit README.md with markup in its
  /// context; w3 claimed an issue and asked a (low) question 30 minutes ago, and has been silent
  /// since; w3's branch adds the file w2's adds, with other content, so the two conflict. Escalation
  /// 1 is w3's, 2 is w2's. The plan's goal is "Ship the page"; the lead made a discovery two days ago.
  static func scene() throws -> LandingTeam {
    let team = try LandingTeam(agents: ["w1", "w2", "w3", "w4"])
    // The file w2 will ask approval for is on main (the approve form offers only files that exist).
    try team.repo.write("README.md", "# The project\n")
    try team.repo.git("add", "README.md")
    try team.repo.git("commit", "-qm", "readme")
    let landed = try team.work("w1", title: "Landed work", file: "one.txt", text: "one\n")
    #expect(landed.done.status == 0, "\(landed.done.stderr)")
    let bad = try team.work("w1", title: "Bad gate", file: "bad.txt", text: "BAD\n")
    #expect(bad.done.status == 0, "\(bad.done.stderr)")
    let land = try team.land()
    #expect(land.status == 1, "a pass that bounced: \(land.stderr)")
    #expect(try team.issue(bad.id)["bounced"] != nil, "the gate sent Bad gate back")
    let waiting = try team.work("w4", title: "Waiting to land", file: "four.txt", text: "four\n")
    #expect(waiting.done.status == 0, "\(waiting.done.stderr)")

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
    // The goal heads the page; two days ago the lead noted something (an older day of the timeline).
    #expect(
      try team.repo.ghp(["plan", "set", "-"], agent: "lead", input: "Goal: Ship the page\n\n1. Land\n").status == 0)
    let twoDaysAgo = RFC3339.format(Int64(Date().timeIntervalSince1970) - 2 * 86_400)
    let noted = try team.repo.ghp(
      ["discover", "The gate runs ./gate.sh"], agent: "lead", environment: ["GHP_NOW": twoDaysAgo])
    #expect(noted.status == 0, "\(noted.stderr)")
    // w3 wrote the same new file as w2, differently: their branches conflict.
    #expect(try team.team.commit("w3", "two.txt", "three\n", "w3: its own two").status == 0)
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
    #expect(result.stdout.contains("86 passed, 0 failed"), "\(result.stdout)\(result.stderr)")
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
    #expect(result.stdout.contains("44 passed, 0 failed"), "\(result.stdout)\(result.stderr)")
  }
}

extension PageTests {
  /// `ghp report` on the command line: the totals, the JSON view, the file; and bad input as one
  /// line with a non-zero exit that writes nothing.
  @Test func reportOnTheCommandLine() throws {
    let team = try Self.scene()
    let repo = team.repo
    let text = try repo.ghp(["report"])
    #expect(text.status == 0, "\(text.stderr)")
    // w1: two issues submitted, one sent back by the gate.
    #expect(text.stdout.contains("AGENT") && text.stdout.contains("w1     2     1"), "\(text.stdout)")
    let view = try repo.ghp(["report", "--json", "--since", "1h"]).json()
    let summary = view["summary"]?.arrayValue ?? []
    let w3 = summary.first { $0["agent"]?.stringValue == "w3" }
    // w3 claimed 30 minutes ago and still holds it: about 1800 s of claim (the clock moved a little).
    let claimed = w3?["claimedSeconds"]?.intValue ?? 0
    #expect(claimed >= 1795 && claimed <= 2400, "\(String(describing: w3))")
    #expect(view["escalations"]?.arrayValue?.count == 2)

    let file = repo.root.deletingLastPathComponent().appendingPathComponent("day.html").path
    let written = try repo.ghp(["report", "--html", file, "--since", "2026-01-01T00:00:00Z", "--json"])
    #expect(written.status == 0, "\(written.stderr)")
    let html = try String(contentsOfFile: file, encoding: .utf8)
    #expect(html.hasPrefix("<!doctype html>") && html.contains("Title &lt;script&gt;alert(1)&lt;/script&gt;"))
    #expect(!html.contains("<script>alert(1)") && html.contains("<body data-live=\"\""), "a static page, not live")
    #expect(!html.contains("http://") && !html.contains("https://"), "the report needs no network")
    let standardOutput = try repo.ghp(["report", "--html", "-"])
    #expect(standardOutput.status == 0 && standardOutput.stdout.hasPrefix("<!doctype html>"))

    let before = try repo.git("rev-parse", "ghp/state")
    // (A mistake the parser sees is its line, the usage and a pointer to --help, as in every command.)
    for (arguments, code, words, oneLine) in [
      (["report", "--since", "last tuesday"], Int32(2), "--since takes a time", false),
      (["report", "--html", ""], 2, "--html takes a file", false),
      (["report", "--since", "1h", "--until", "2h"], 2, "--since is after --until", true),
      (["report", "--html", "/nonexistent-folder/day.html"], 1, "/nonexistent-folder/day.html", true),
    ] {
      let result = try repo.ghp(arguments)
      #expect(result.status == code, "\(arguments): \(result.status) \(result.stderr)")
      #expect(result.stderr.contains(words), "\(arguments): \(result.stderr)")
      if oneLine {
        #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): one line, not \(result.stderr)")
      }
    }
    #expect(try repo.git("rev-parse", "ghp/state") == before, "a report writes nothing to the state")
  }

  /// The web server's libraries are in ghp-serve, never in ghp: `ghp serve` execs the other program.
  @Test func theWebServerStaysOutOfGhp() throws {
    let ghp = try Data(contentsOf: URL(fileURLWithPath: GHPBinary.path))
    let serve = try Data(contentsOf: URL(fileURLWithPath: GHPBinary.path + "-serve"))
    let marker = Data("NIOPosix".utf8)
    #expect(serve.range(of: marker) != nil, "the marker names SwiftNIO in the server")
    #expect(ghp.range(of: marker) == nil, "ghp links SwiftNIO")
    #expect(ghp.range(of: Data("Hummingbird".utf8)) == nil, "ghp links Hummingbird")
  }
}

/// The report counts the claims `ghp run` makes for its workers (a `run` operation's `assign`), not
/// only those made with `ghp claim`.
@Suite struct ReportOfARunTests {
  @Test func theTimeAWorkerOfARunHeldItsIssueIsCounted() throws {
    let bench = try RunBench(issues: 1)
    let (result, _) = try bench.run(
      ["-w", "1", "--agent-command", bench.agent("slow")], environment: ["SLOW_SECONDS": "2"])
    #expect(result.status == 0, "\(result.stderr)")
    let view = try bench.repo.ghp(["report", "--json", "--since", "1h"]).json()
    let workers = (view["summary"]?.arrayValue ?? []).filter { $0["done"]?.intValue == 1 }
    #expect(workers.count == 1, "\(view["summary"] ?? .null)")
    // The slow worker works two seconds between the run's claim and its `ghp done`.
    #expect((workers.first?["claimedSeconds"]?.intValue ?? 0) >= 2, "\(workers)")
  }
}

extension ReportOfARunTests {
  /// A worker of a run that hands its issue on before it exits: the exit the supervisor records
  /// ends nothing of the receiver's claim, which goes on being counted.
  @Test func aHandoffInsideARunKeepsTheReceiversClaim() throws {
    let bench = try RunBench(issues: 1)
    #expect(try bench.repo.ghp(["agent", "add", "other"], agent: "lead").status == 0)
    let giver = bench.scratch + "/giver"
    try """
    #!/bin/sh
    cat > /dev/null
    ghp agent-handoff --issue "$GHP_ISSUE" --to other --note "yours" > /dev/null || exit 1
    exit 0
    """.write(toFile: giver, atomically: true, encoding: .utf8)
    chmod(giver, 0o755)
    let (result, _) = try bench.run(["-w", "1", "--agent-command", giver])
    #expect(try bench.issue("1")["assignee"] == .string("other"), "\(result.stdout)\(result.stderr)")
    sleep(2)
    let view = try bench.repo.ghp(["report", "--json", "--since", "1h"]).json()
    let other = (view["summary"]?.arrayValue ?? []).first { $0["agent"] == .string("other") }
    #expect((other?["claimedSeconds"]?.intValue ?? 0) >= 2, "\(view["summary"] ?? .null)")
  }
}
