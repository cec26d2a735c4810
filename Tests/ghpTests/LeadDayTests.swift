import Foundation
import GHPKit
import GHPTestSupport
import Testing

/// What a lead met in a day with three agents, each a test that failed first.
@Suite struct LeadDayTests {
  @Test("plan set keeps the goal init gave, unless the new plan says one of its own")
  func planSetKeepsTheGoal() throws {
    let repo = try ScratchRepository()
    #expect(try repo.inProcess(["init", "--goal", "Build a REST API"], agent: "lead").status == 0)
    try repo.write("plan.md", "# Plan\n\n1. Users\n2. Login\n")
    #expect(try repo.inProcess(["plan", "set", "plan.md"], agent: "lead").status == 0)
    let plan = try repo.inProcess(["plan", "show"]).stdout
    #expect(plan.contains("Goal: Build a REST API") && plan.contains("1. Users"), "\(plan)")
    #expect(try repo.inProcess(["status"]).stdout.contains("Build a REST API"))
    // A plan with a goal of its own sets that goal.
    try repo.write("plan.md", "Goal: Ship the API\n\n1. Users\n")
    #expect(try repo.inProcess(["plan", "set", "plan.md"], agent: "lead").status == 0)
    let second = try repo.inProcess(["plan", "show"]).stdout
    #expect(second.contains("Goal: Ship the API") && !second.contains("REST"), "\(second)")
    #expect(try repo.inProcess(["verify"]).status == 0)
  }
}
