import Foundation
import GHPKit
import GHPTestSupport
import Testing

@Suite("ghp agent-heartbeat --auto")
struct AutoHeartbeatTests {
  @Test("commits at most once per heartbeatMinimum while nothing changes, and never hides what the agent must be told")
  func coalescing() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 1)
    let t0 = Int64(Date().timeIntervalSince1970)
    func at(_ seconds: Int64) -> [String: String] { ["GHP_NOW": RFC3339.format(t0 + seconds)] }
    #expect(try repo.ghp(["agent", "add", "w1"], agent: "lead", environment: at(0)).status == 0)
    func beat(_ seconds: Int64, _ extra: [String] = []) throws -> (ProcessRunner.Result, Int) {
      let before = Int(try repo.git("rev-list", "--count", "ghp/state")) ?? -1
      let result = try repo.ghp(["agent-heartbeat", "--auto", "--json"] + extra, agent: "w1", environment: at(seconds))
      return (result, (Int(try repo.git("rev-list", "--count", "ghp/state")) ?? -1) - before)
    }
    var (result, commits) = try beat(10)
    #expect(result.status == 0 && commits == 0, "a heartbeat 10s after the last one made a commit")
    #expect(try result.json()["skipped"]?.boolValue == true)
    (result, commits) = try beat(61)
    #expect(result.status == 0 && commits == 1)
    (result, commits) = try beat(70, ["--action", "Wrote the parser"])
    #expect(commits == 1, "a new action is news: it is recorded")
    (result, commits) = try beat(80, ["--action", "Wrote the parser"])
    #expect(commits == 0)
    // Without --auto every heartbeat is a commit, as before.
    #expect(try repo.ghp(["agent-heartbeat"], agent: "w1", environment: at(81)).status == 0)
    #expect(try repo.git("log", "-1", "--format=%s", "ghp/state").hasPrefix("w1: heartbeat"))
    // An answer to its escalation must be told at once, recent heartbeat or not, and only once.
    #expect(try repo.ghp(["agent-escalate", "Which database?"], agent: "w1", environment: at(82)).status == 0)
    #expect(try repo.ghp(["resolve", "1", "--answer", "Use SQLite"], agent: "lead", environment: at(83)).status == 0)
    (result, commits) = try beat(84)
    #expect(commits == 1)
    #expect(result.stdout.contains("Use SQLite"), "\(result.stdout)")
    (result, commits) = try beat(90)
    #expect(commits == 0)
    #expect(!result.stdout.contains("Use SQLite"))
    // Every commit made is an ordinary heartbeat that verify re-executes.
    #expect(try repo.ghp(["verify"], agent: "lead").status == 0)
  }
}
