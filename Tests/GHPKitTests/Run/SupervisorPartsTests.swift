import Testing

@testable import GHPKit

/// The supervisor's decisions, in process: the breaker, the retry schedule and how an attempt ended.
@Suite struct RunBreakerTests {
  func breaker(threshold: Int = 3) -> RunBreaker {
    RunBreaker(RunRecord.Breaker(), threshold: threshold, window: 600, cooldown: 300)
  }

  @Test func itOpensAfterThresholdFailuresInARowWithinTheWindow() {
    var machine = breaker()
    #expect(machine.failed(at: 1000, reason: "a") == nil)
    #expect(machine.failed(at: 1100, reason: "b") == nil)
    #expect(machine.failed(at: 1200, reason: "c") == .opened)
    #expect(machine.record.state == .open && machine.record.openedAt == 1200)
    #expect(machine.record.failures.map(\.reason) == ["a", "b", "c"])
    #expect(machine.allows(now: 1499, running: 0) == (false, nil))
  }

  @Test func failuresOutsideTheWindowDoNotCount() {
    var machine = breaker()
    _ = machine.failed(at: 0, reason: "old")
    _ = machine.failed(at: 100, reason: "old too")
    #expect(machine.failed(at: 650, reason: "new") == nil, "the first fell out of the 600 s window")
    #expect(machine.record.state == .closed && machine.record.failures.map(\.reason) == ["old too", "new"])
  }

  @Test func afterTheCooldownOneTrialRunsAndItsOutcomeDecides() {
    var machine = breaker(threshold: 1)
    #expect(machine.failed(at: 1000, reason: "x") == .opened)
    let (allowed, move) = machine.allows(now: 1300, running: 0)
    #expect(allowed && move == .halfOpened && machine.record.state == .halfOpen)
    #expect(machine.allows(now: 1301, running: 1) == (false, nil), "only one trial at a time")
    var failing = machine
    #expect(failing.failed(at: 1302, reason: "again") == .reopened)
    #expect(failing.record.state == .open && failing.record.openedAt == 1302)
    #expect(machine.succeeded() == .closed)
    #expect(machine.record.state == .closed && machine.record.failures.isEmpty && machine.record.openedAt == nil)
    #expect(machine.succeeded() == nil, "closing a closed breaker is no news")
  }

  @Test func aCommandThatCannotStartOpensItAtOnce() {
    var machine = breaker()
    machine.cannotStart(at: 50, reason: "no such program")
    #expect(machine.record.state == .open && machine.record.failures.count == 1)
    #expect(machine.allows(now: 349, running: 0).allowed == false)
    #expect(machine.allows(now: 350, running: 0).allowed == true)
  }
}

@Suite struct RetryScheduleTests {
  @Test func theCeilingDoublesPerFailureUpToTheMaximum() {
    let ceilings = (1...7).map { RetrySchedule.ceiling(attempts: $0, backoff: 10, backoffMax: 300) }
    #expect(ceilings == [10, 20, 40, 80, 160, 300, 300])
    #expect(RetrySchedule.ceiling(attempts: 0, backoff: 10, backoffMax: 300) == 10)
    #expect(RetrySchedule.ceiling(attempts: 5000, backoff: 10, backoffMax: 300) == 300, "no overflow")
    #expect(RetrySchedule.ceiling(attempts: 3, backoff: 0, backoffMax: 300) == 0)
  }

  @Test func theDelayIsDrawnFromZeroToTheCeiling() {
    var asked: [ClosedRange<Double>] = []
    let delay = RetrySchedule.delay(attempts: 3, backoff: 10, backoffMax: 300) { range in
      asked.append(range)
      return range.upperBound / 2
    }
    #expect(asked == [0...40] && delay == 20)
    for _ in 0..<100 {
      let drawn = RetrySchedule.delay(attempts: 2, backoff: 10, backoffMax: 300)
      #expect((0...20).contains(drawn))
    }
  }
}

@Suite struct AttemptExitTests {
  func issue(_ status: GHPKit.Issue.Status, assignee: String? = "w1", epoch: Int = 2) -> GHPKit.Issue {
    var issue = GHPKit.Issue(id: "4", title: "Router", createdAt: 0, createdBy: "lead")
    issue.status = status
    issue.assignee = assignee
    issue.epoch = epoch
    return issue
  }

  func judge(_ issue: GHPKit.Issue, code: Int = 0, kill: String? = nil, outcome: RunOperation.Outcome = .failed)
    -> AttemptExit
  {
    AttemptExit.judge(
      issue: issue, agent: "w1", epoch: 2, code: code, killReason: kill, killOutcome: outcome, outputTail: "bye")
  }

  @Test func doneOrSubmittedUnderItsEpochIsFinished() {
    #expect(judge(issue(.done)).outcome == .finished)
    #expect(judge(issue(.landing), code: 1).outcome == .finished)
    #expect(judge(issue(.done, epoch: 3)).outcome != .finished, "done under another claim is not this attempt's")
  }

  @Test func stillHeldAfterTheExitIsAFailureOfTheCommand() {
    let exit = judge(issue(.claimed), code: 2)
    #expect(exit.outcome == .failed && exit.commandFailed)
    #expect(exit.reason == "the agent exited 2 without `ghp done` or `ghp fail`; its output ended: bye")
    let timedOut = judge(issue(.claimed), code: -15, kill: "timed out after 30m")
    #expect(timedOut.outcome == .failed && timedOut.reason == "timed out after 30m" && timedOut.commandFailed)
  }

  @Test func stoppedByTheRunIsGivenBackUncounted() {
    let exit = judge(issue(.claimed), code: -15, kill: "the run stopped", outcome: .released)
    #expect(exit == AttemptExit(outcome: .released, reason: "the run stopped", commandFailed: false))
  }

  @Test func aFailureTheAgentReportedIsItsOwnNotTheCommands() {
    var failed = issue(.open, assignee: nil, epoch: 3)
    failed.failures = [GHPKit.Issue.Failure(agent: "w1", at: 10, reason: "needs a database")]
    let exit = judge(failed)
    #expect(
      exit == AttemptExit(outcome: .failed, reason: "reported by the agent: needs a database", commandFailed: false))
    let released = judge(issue(.open, assignee: nil, epoch: 3), code: 1)
    #expect(released.outcome == .released && released.reason == "the issue is open now" && released.commandFailed)
  }
}
