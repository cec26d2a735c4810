// What the landing operations share (`LandingLeaseOperation`, `PendingLandingOperation`,
// `LandedOperation`, `BounceOperation`): where their documents live and the checks each makes first.

extension StatePaths {
  /// The folder of the landing leases on `ghp/state`.
  public static let landingFolder = ".ghp/landing"
  /// `.ghp/landing/<base>.lease.json`: who lands on that base now.
  public static func landingLease(_ base: String) -> String { "\(landingFolder)/\(BranchName.flat(base)).lease.json" }
  /// The whole output of the last gate run that judged the issue.
  public static func gateLog(_ issue: String) -> String { "\(resultsFolder)/\(issue).gate.log" }
}

extension StateSnapshot {
  /// The landing lease of `base`, or nil when nobody lands there.
  public func landingLease(_ base: String) throws(GHPError) -> LandingLease? {
    let path = StatePaths.landingLease(base)
    guard let value = try json(path) else { return nil }
    do { return try LandingLease(json: value) } catch {
      throw .corruptDocument(path: path, commit: shortCommit, detail: error.detail)
    }
  }
}

/// Checks that `actor` may act as the lander of `base` now: an orchestrator holding its lease.
func requireLandingLease(_ state: StateSnapshot, base: String, token: String, actor: String) throws(GHPError) {
  try state.requireOrchestrator(actor, toDo: "land work")
  guard let lease = try state.landingLease(base), lease.token == token else {
    let holder = try state.landingLease(base).map { " (it is held by \($0.description))" } ?? ""
    throw .refused("this lander no longer holds the landing lease of \(base)\(holder); nothing was recorded")
  }
}

/// Reads the issue a landing operation names and checks it waits to land that exact tip.
func requireSubmitted(_ state: StateSnapshot, _ id: String, tip: ObjectID) throws(GHPError) -> Issue {
  let issue = try state.requireIssue(id)
  guard issue.status == .landing, let submission = issue.submission else {
    throw .refused("#\(issue.id) is \(issue.status.rawValue), not landing")
  }
  guard submission.tip == tip else {
    throw .refused("#\(issue.id) was submitted at \(submission.tip.short), not \(tip.short)")
  }
  return issue
}
