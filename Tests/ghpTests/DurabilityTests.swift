import Foundation
import GHPTestSupport
import Testing

/// What a power cut may take: whatever was not flushed. A write is reported landed once
/// `ghp/state` moved, so every object the new tip needs must be on disk before the ref's `.lock` is
/// renamed over it, and the ref's own file before that rename. Checked on the system calls a
/// real ghp process makes (strace), with the rules a journalling filesystem keeps: a file's data
/// is on disk after its own fsync, or after a writeback it waited for followed by any fsync (whose
/// journal commit and cache flush cover it), as git's `core.fsyncMethod=batch` relies on.
@Suite("durability", .serialized)
struct DurabilityTests {
  /// One traced command: the fsyncs it made, and the object files the ref moved over unflushed.
  struct Trace {
    var fsyncs = 0
    var refMoves = 0
    var unflushedAtRefMove: [String] = []
    var refLockNotSynced = 0
    /// Moves of `ghp/state` whose folder was not fsynced after them (a power cut could undo them).
    var refMovesNotDurable = 0
    /// Moves of `refs/heads/<base>` and the objects not yet on disk at each, the moves whose lock
    /// file was not on disk before it was renamed, and those whose folder was not fsynced after.
    var baseMoves = 0
    var unflushedAtBaseMove: [String] = []
    var baseLockNotSynced = 0
    var baseMovesNotDurable = 0

    init(_ calls: [Substring], base: String = "main") {
      var paths: [Int: String] = [:]  // open descriptors of interest, by number
      var objects: [String: (writtenOut: Bool, flushed: Bool)] = [:]  // by temporary path
      var synced: Set<String> = []  // ref lock files fsynced
      var lockWrittenOut = false  // the ref's lock file written out and waited for
      var moveToSync = false  // ghp/state renamed, its folder not fsynced since
      let baseLock = "refs/heads/\(base).lock"
      var baseLockWrittenOut = false
      var baseLockSynced = false
      var baseMoveToSync = false
      func fd(_ line: Substring, after call: String) -> Int? {
        guard let start = line.range(of: call + "(") else { return nil }
        return Int(line[start.upperBound...].prefix { $0.isNumber })
      }
      for line in calls {
        if line.hasPrefix("openat("), line.contains("O_CREAT"),
          let quote = line.split(separator: "\"").dropFirst().first,
          let result = line.split(separator: "=").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
          result >= 0
        {
          let path = String(quote)
          if path.contains("/objects/") && !path.contains("/pack/") {
            paths[result] = path
            objects[path] = (false, false)
          } else if path.hasSuffix("refs/heads/ghp/state.lock") {
            paths[result] = path
            lockWrittenOut = false
          } else if path.hasSuffix(baseLock) {
            paths[result] = baseLock
            baseLockWrittenOut = false
            baseLockSynced = false
          }
        } else if line.hasPrefix("openat("), line.contains("O_DIRECTORY"), line.contains("/refs/heads/ghp\""),
          let result = line.split(separator: "=").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
          result >= 0
        {
          paths[result] = "refs/heads/ghp/"
        } else if line.hasPrefix("openat("), line.contains("O_DIRECTORY"), line.contains("/refs/heads\""),
          let result = line.split(separator: "=").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
          result >= 0
        {
          paths[result] = "refs/heads/"
        } else if line.hasPrefix("sync_file_range("), line.contains("SYNC_FILE_RANGE_WAIT_AFTER"),
          let number = fd(line, after: "sync_file_range"), paths[number]?.hasSuffix("ghp/state.lock") == true
        {
          lockWrittenOut = true
        } else if line.hasPrefix("sync_file_range("), line.contains("SYNC_FILE_RANGE_WAIT_AFTER"),
          let number = fd(line, after: "sync_file_range"), paths[number] == baseLock
        {
          baseLockWrittenOut = true
        } else if line.hasPrefix("sync_file_range("), line.contains("SYNC_FILE_RANGE_WAIT_AFTER"),
          let number = fd(line, after: "sync_file_range"), let path = paths[number]
        {
          objects[path]?.writtenOut = true
        } else if line.hasPrefix("fsync(") || line.hasPrefix("fdatasync(") {
          fsyncs += 1
          let number = fd(line, after: line.hasPrefix("fsync(") ? "fsync" : "fdatasync")
          if let number, let path = paths[number] {
            objects[path]?.flushed = true
            if path.hasSuffix(".lock") { synced.insert(path) }
            if path == "refs/heads/ghp/" { moveToSync = false }
            if path == "refs/heads/" { baseMoveToSync = false }
            if path == baseLock { baseLockSynced = true }
          }
          if lockWrittenOut { synced.insert("refs/heads/ghp/state.lock") }
          if baseLockWrittenOut { baseLockSynced = true }
          // The journal commit of any fsync carries every file whose writeback finished before it.
          for (path, state) in objects where state.writtenOut { objects[path]?.flushed = true }
        } else if line.hasPrefix("close("), let number = fd(line, after: "close") {
          paths[number] = nil
        } else if line.hasPrefix("rename("), line.contains("refs/heads/ghp/state.lock\""), line.hasSuffix("= 0") {
          refMoves += 1
          unflushedAtRefMove += objects.filter { !$0.value.flushed }.map(\.key)
          if synced.isEmpty { refLockNotSynced += 1 }
          synced.removeAll()
          if moveToSync { refMovesNotDurable += 1 }
          moveToSync = true
        } else if line.hasPrefix("rename("), line.contains("refs/heads/\(base).lock\""), line.hasSuffix("= 0") {
          baseMoves += 1
          unflushedAtBaseMove += objects.filter { !$0.value.flushed }.map(\.key)
          if !baseLockSynced { baseLockNotSynced += 1 }
          if baseMoveToSync { baseMovesNotDurable += 1 }
          baseMoveToSync = true
        }
      }
      if moveToSync { refMovesNotDurable += 1 }
      if baseMoveToSync { baseMovesNotDurable += 1 }
    }
  }

  static func traced(_ repo: ScratchRepository, _ arguments: [String], agent: String) throws -> (Int32, Trace) {
    let (status, calls) = try Strace.ghp(
      arguments, calls: "openat,close,rename,fsync,fdatasync,sync_file_range", in: repo.path,
      environment: ["GHP_AGENT": agent])
    return (status, Trace(calls))
  }

  @Test(.enabled(if: Strace.available))
  func everyObjectIsOnDiskBeforeTheStateRefPointsAtIt() throws {
    let repo = try ScratchRepository()
    try repo.initialise(issues: 3)
    #expect(try repo.ghp(["agent", "add", "w1"], agent: "lead").status == 0)
    for (arguments, agent) in [
      (["claim", "1"], "w1"),
      (["agent-heartbeat", "--status", "testing", "--action", "ran the tests"], "w1"),
      (["release", "1"], "w1"),
      (["issue", "add", "A fourth", "--scope", "src/**"], "lead"),
    ] {
      let (status, trace) = try Self.traced(repo, arguments, agent: agent)
      #expect(status == 0, "\(arguments)")
      #expect(trace.refMoves == 1, "\(arguments): ghp/state moved \(trace.refMoves) times")
      #expect(trace.unflushedAtRefMove.isEmpty, "\(arguments): the ref moved over \(trace.unflushedAtRefMove)")
      #expect(trace.refLockNotSynced == 0, "\(arguments): the ref's .lock was renamed before its fsync")
      #expect(trace.refMovesNotDurable == 0, "\(arguments): the ref's folder was not fsynced after it moved")
      // One flush for the objects and the ref's lock file together, one for the ref's folder.
      #expect(trace.fsyncs <= 2, "\(arguments): \(trace.fsyncs) fsyncs")
    }
    #expect(try repo.ghp(["verify"], agent: "lead").status == 0)
    #expect(try repo.git("fsck", "--no-progress", "--no-dangling").isEmpty)
  }

  /// A landing writes the merge before the base may point at it: its objects are flushed as a
  /// state write's are (one fsync for them all), and the landing worktree's HEAD, a scratch, is
  /// not fsynced at all; what is fsynced is the lease, the two records and the base.
  @Test(.enabled(if: Strace.available))
  func aLandingsMergeIsOnDiskBeforeTheBaseMovesForFewFsyncs() throws {
    let team = try LandingTeam(agents: ["w1"])
    try #require(team.lead("config", "set", "landing.mode", "merge").status == 0)
    // Two, so that the second checks out over the first in the landing worktree.
    let (first, firstDone) = try team.work("w1", title: "Part", file: "part.txt", text: "part\n")
    let (second, secondDone) = try team.work("w1", title: "More", file: "more.txt", text: "more\n")
    try #require(firstDone.status == 0 && secondDone.status == 0)
    let (status, calls) = try Strace.ghp(
      ["land", "--once", "--json"], calls: "openat,close,rename,fsync,fdatasync,sync_file_range",
      in: team.repo.path, environment: team.environment.merging(["GHP_AGENT": "lead"]) { _, new in new })
    let trace = Trace(calls)
    #expect(status == 0)
    #expect(try team.issue(first)["status"]?.stringValue == "done")
    #expect(try team.issue(second)["status"]?.stringValue == "done")
    #expect(trace.baseMoves == 2)
    #expect(trace.unflushedAtBaseMove.isEmpty, "main moved over \(trace.unflushedAtBaseMove)")
    #expect(trace.baseLockNotSynced == 0, "main's .lock was renamed before it was on disk")
    #expect(trace.baseMovesNotDurable == 0, "main's folder was not fsynced after it moved")
    #expect(trace.unflushedAtRefMove.isEmpty, "ghp/state moved over \(trace.unflushedAtRefMove)")
    // Six state writes (the lease, each landing's two records, the lease given back) of 2; for
    // each landing a flush for the merge and the gate's log, then main moved as ghp/state is (its
    // lock file flushed with anything left, then its folder): 19, where libgit2 moving main (its
    // file, its reflog and HEAD's, and their folders) made it 27, and libgit2's own writes 54.
    #expect(trace.fsyncs <= 19, "\(trace.fsyncs) fsyncs")
    // Both moves are in main's reflog and, main being checked out here, in HEAD's, as git writes
    // them: git reads each back, newest first, naming the commit main is at.
    #expect(try team.repo.git("symbolic-ref", "HEAD") == "refs/heads/main")
    for log in ["main", "HEAD"] {
      let lines = try team.repo.git("reflog", "show", "--format=%H %gs", log).split(separator: "\n")
      #expect(lines.prefix(2).allSatisfy { $0.contains(" ghp land: #") }, "\(log): \(lines.prefix(3))")
      #expect(lines.first?.hasPrefix(try team.repo.git("rev-parse", "main")) == true, "\(log): \(lines.prefix(1))")
    }
    #expect(try team.repo.ghp(["verify"], agent: "lead").status == 0)
  }
}
