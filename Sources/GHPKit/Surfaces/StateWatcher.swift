/// Follows `ghp/state` as it moves, whoever moves it (this machine, another agent's server, a
/// sync). Each look reads only the ref; when it moved, every commit between the last seen tip and
/// the new one is returned, oldest first, so that no event is missed when several land at once.
public final class StateWatcher {
  let repository: Repository
  /// The tip of `ghp/state` at the last look, nil while the branch does not exist.
  public private(set) var last: ObjectID?

  /// Starts from the current tip (events before it are not reported).
  public init(repository: Repository) throws(GHPError) {
    self.repository = repository
    do { last = try repository.referenceTarget(StatePaths.branch) } catch { throw .git(error) }
  }

  /// The events that landed since the last look, oldest first.
  public func poll() throws(GHPError) -> [LogEntry] {
    let tip: ObjectID?
    do { tip = try repository.referenceTarget(StatePaths.branch) } catch { throw .git(error) }
    guard let tip, tip != last else { return [] }
    let commits: [Commit]
    do {
      // If the history was rewritten (the old tip is gone from it), report from the merge base.
      commits = try repository.newCommits(
        tip: tip, hiding: last.map { [$0] } ?? [], hidingGlobs: [], firstParent: true)
    } catch {
      throw .git(error)
    }
    last = tip
    return commits.map {
      LogEntry(
        commit: $0.id, time: $0.time, subject: $0.summary, message: CommitMessage.parse($0.message),
        author: $0.authorName)
    }
  }
}
