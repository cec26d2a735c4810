/// The closed set of operations a commit on `ghp/state` may record, and how each is rebuilt from
/// its record. `ghp verify`, `ghp sync` and the server's `pre-receive` read operations only here.
public enum OperationCatalog {
  /// Every operation a state commit may record, one line each.
  public static let operations: [any RecordedOperation.Type] = [
    InitOperation.self, StatusUpdateOperation.self, ClaimOperation.self, ReleaseOperation.self, DoneOperation.self,
    FailOperation.self, RetryOperation.self, AssignOperation.self, AddIssueOperation.self, EditIssueOperation.self,
    ImportIssuesOperation.self, SetPlanOperation.self, DiscoverOperation.self, EscalateOperation.self,
    ResolveOperation.self, ApproveOperation.self, RevokeOperation.self, UseApprovalsOperation.self,
    HandoffOperation.self, ReapOperation.self, RegisterAgentOperation.self, UnregisterAgentOperation.self,
    SetRemoteOperation.self, SetConfigOperation.self, NoticeLostClaimsOperation.self, LandingLeaseOperation.self,
    PendingLandingOperation.self, LandedOperation.self, BounceOperation.self, RunOperation.self,
    ReviewRequestOperation.self, ReviewOperation.self, TrialOperation.self, VoteOperation.self,
    DecideOperation.self,
  ]

  /// Each operation's type by the name of its records.
  static let byName: [String: any RecordedOperation.Type] = {
    var out: [String: any RecordedOperation.Type] = [:]
    for type in operations {
      precondition(out[type.name] == nil, "two operations are named \(type.name)")
      out[type.name] = type
    }
    return out
  }()

  static func read<Operation: RecordedOperation>(
    _ type: Operation.Type, _ record: OperationRecord
  ) throws(GHPError) -> any RecordedOperation {
    try JSONDecoding.arguments(Operation.self, from: record.arguments, operation: record.name)
  }

  /// Every operation's name, as `Ghp-Op` and `ghp log --op` spell it.
  public static var names: [String] { Array(byName.keys) + [StatusUpdateOperation.statusName] }

  /// What is wrong with `name` as an operation filter (`ghp log --op`, `/api/timeline?op=`): nil
  /// for an operation ghp records.
  public static func unknown(_ name: String) -> String? {
    guard !names.contains(name) else { return nil }
    let close = names.sorted().filter { EditDistance.between($0, name) <= (name.count <= 4 ? 1 : 2) }
    return close.isEmpty
      ? "no such operation (one of \(names.sorted().joined(separator: ", ")))"
      : "no such operation; \(EditDistance.didYouMean(close))(`ghp log --help` lists them all)"
  }

  /// The operation a record describes; an unknown name or a malformed argument is an error naming it.
  public static func decode(_ record: OperationRecord) throws(GHPError) -> any RecordedOperation {
    if record.name == StatusUpdateOperation.statusName {
      // The one operation recorded under a second name: a status update is a heartbeat that is not one.
      var update = try JSONDecoding.arguments(
        StatusUpdateOperation.self, from: record.arguments, operation: record.name)
      update.isHeartbeat = false
      return update
    }
    guard let type = byName[record.name] else {
      throw .invalidValue("operation '\(record.name)'", "ghp knows no such operation")
    }
    return try read(type, record)
  }

  /// The ids a record says its operation made, in order (see `IDRenames`): none for a record
  /// that does not decode (it is refused where it matters).
  static func minted(_ record: OperationRecord) -> MintedIDs {
    (try? decode(record))?.mintedIDs ?? MintedIDs()
  }
}
