import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// SIGKILL at random moments, as a machine that loses power or an impatient person would deal it,
/// and then the next command with no hand on any file: everything lands or is done exactly once,
/// and no lock or stray file is left.
@Suite("storms", .serialized)
struct StormTests {
  /// The lock files under the repository's git folder.
  static func locks(_ repo: ScratchRepository) -> [String] {
    let root = repo.path + "/.git"
    let walker = FileManager.default.enumerator(atPath: root)
    var found: [String] = []
    while let path = walker?.nextObject() as? String {
      if path.hasSuffix(".lock") && !path.hasPrefix("ghp/") { found.append(path) }
    }
    return found
  }

  @Test func landersKilledAtRandomLandEveryIssueOnce() throws {
    let team = try LandingTeam(agents: ["w1", "w2"])
    // A gate that takes a random 100 to 400 ms, so that kills fall before, in and after it.
    #expect(try team.lead("config", "set", "landing.gate", #"["sleep 0.$(shuf -i 1-4 -n 1)"]"#).status == 0)
    var ids: [String] = []
    for index in 1...8 {
      let agent = index % 2 == 0 ? "w2" : "w1"
      let work = try team.work(agent, title: "Storm \(index)", file: "storm-\(index).txt", text: "storm \(index)\n")
      #expect(work.done.status == 0, "\(work.done.stderr)")
      ids.append(work.id)
    }
    var kills = 0
    for _ in 0..<40 {
      let lander = try team.repo.startGHP(["land", "--once"], agent: "lead", environment: team.environment)
      usleep(UInt32.random(in: 50_000...700_000))
      if kill(lander.pid, SIGKILL) == 0 { kills += 1 }
      _ = lander.wait()
      if try ids.allSatisfy({ try team.issue($0)["status"]?.stringValue == "done" }) { break }
    }
    // Then landers left alone, as many as it takes (each lands what it can).
    for _ in 0..<8 {
      let landed = try team.land()
      #expect(landed.status == 0, "\(landed.stderr)")
      if try ids.allSatisfy({ try team.issue($0)["status"]?.stringValue == "done" }) { break }
    }
    #expect(kills > 0)
    let subjects = try team.repo.git("log", "--format=%s", "ghp/state")
    for (index, id) in ids.enumerated() {
      // Everything about one that did not land, for the failure to explain itself.
      let issue = try team.issue(id)
      #expect(issue["status"]?.stringValue == "done", "#\(id): \(issue.compact())")
      #expect(try team.repo.git("show", "main:storm-\(index + 1).txt").contains("storm \(index + 1)"))
      let landings = subjects.split(separator: "\n").filter { $0.contains("landed") && $0.contains("#\(id) ") }
      #expect(landings.count == 1, "#\(id) landed \(landings.count) times")
    }
    #expect(Self.locks(team.repo).isEmpty, "\(Self.locks(team.repo))")
    #expect(try team.repo.ghp(["verify"], agent: "lead").status == 0)
  }

  @Test func supervisorsKilledMidAttemptLeaveNoFileInAnotherIssue() throws {
    let bench = try RunBench(issues: 6, settings: ["maxAttempts": "10", "agent.breaker": "100"])
    // Stages its issue's file slowly, a piece at a time, then commits and says done.
    let slow = bench.scratch + "/slow-stager"
    try """
    #!/bin/sh
    cat > /dev/null
    file="work-$GHP_ISSUE.txt"
    for piece in 1 2 3 4; do echo "#$GHP_ISSUE piece $piece" >> "$file"; git add "$file"; sleep 0.1; done
    git commit -q -m "$GHP_AGENT: #$GHP_ISSUE" || exit 1
    ghp done "$GHP_ISSUE" --result "wrote $file" > /dev/null || exit 1

    """.write(toFile: slow, atomically: true, encoding: .utf8)
    chmod(slow, 0o755)
    var kills = 0
    for _ in 0..<12 {
      let running = try bench.repo.startGHP(
        ["run", "--json", "-w", "2", "--agent-command", slow], agent: "lead", environment: [:])
      usleep(UInt32.random(in: 200_000...900_000))
      if kill(running.pid, SIGKILL) == 0 { kills += 1 }
      _ = running.wait()
    }
    // Bounded: a leftover that wedged the run would show as timeout's 124, not as a hung suite.
    let result = try ProcessRunner.run(
      "/usr/bin/timeout", ["120", GHPBinary.path, "run", "--json", "-w", "2", "--agent-command", slow],
      in: bench.repo.path, environment: ["GHP_AGENT": "lead"])
    #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(1500))")
    #expect(kills > 0)
    for id in 1...6 {
      #expect(try bench.issue("\(id)")["status"]?.stringValue == "done", "#\(id)")
    }
    // Every commit on a worker's branch holds its own issue's file and no other.
    for worker in ["worker-1", "worker-2"] {
      let log = try bench.repo.git("log", "--format=%s%n%(trailers:key=Ghp-Issue)", "--name-only", "agent/\(worker)")
      var issue: String?
      for line in log.split(separator: "\n").map(String.init) {
        if line.hasPrefix("\(worker): #") { issue = String(line.dropFirst("\(worker): #".count)) }
        if line.hasPrefix("work-"), let issue {
          #expect(line == "work-\(issue).txt", "\(worker)'s commit for #\(issue) holds \(line)")
        }
      }
    }
    let left = bench.leftovers(try bench.runRecord()["id"]?.stringValue ?? "")
    #expect(left.isEmpty)
  }
}
