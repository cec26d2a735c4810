import Glibc

/// Every issue of one `.ghp/issues` tree as fixed-size binary records, cached in
/// `<git common dir>/ghp/cache/issues.idx`.
///
/// The cache is keyed by the tree id and holds each issue's blob id, so it is always correct:
/// trees and blobs are content-addressed. When the tree moved, libgit2's tree diff names the
/// documents that changed and only their records are replaced. The ready queue is computed by
/// scanning records (dependencies are record indices), so no string is made for an issue that is
/// not shown. A missing, old or damaged cache is rebuilt, never trusted.
///
/// Layout: header | records (96 bytes each) | dependency table (UInt32 record indices) | strings.
struct IssueTable {
  static let magic: [UInt8] = Array("GHPIDX09".utf8)
  static let headerSize = 8 + 20 + 12
  static let recordSize = 96
  static let missing = UInt32.max

  private(set) var tree: ObjectID
  private(set) var count: Int
  private var records: [UInt8]
  private var dependencyTable: [UInt32]
  private var strings: [UInt8]

  // MARK: - Record fields

  private func load<T: FixedWidthInteger>(_ index: Int, _ offset: Int, as: T.Type) -> T {
    records.withUnsafeBytes {
      T(littleEndian: $0.loadUnaligned(fromByteOffset: index * Self.recordSize + offset, as: T.self))
    }
  }

  private mutating func store<T: FixedWidthInteger>(_ value: T, _ index: Int, _ offset: Int) {
    records.withUnsafeMutableBytes {
      $0.storeBytes(of: value.littleEndian, toByteOffset: index * Self.recordSize + offset, as: T.self)
    }
  }

  func blob(_ index: Int) -> ObjectID {
    records.withUnsafeBufferPointer {
      ObjectID(rawBytes: UnsafeBufferPointer(rebasing: $0[(index * Self.recordSize)..<(index * Self.recordSize + 20)]))
    }
  }

  static let statuses: [Issue.Status] = [.open, .claimed, .done, .dead, .landing]

  func status(_ index: Int) -> Issue.Status { Self.statuses[Int(load(index, 20, as: UInt8.self))] }
  func priority(_ index: Int) -> Int { Int(load(index, 24, as: Int32.self)) }
  func attempts(_ index: Int) -> Int { Int(load(index, 28, as: UInt32.self)) }
  func createdAt(_ index: Int) -> Int64 { load(index, 32, as: Int64.self) }
  func kind(_ index: Int) -> Issue.Kind { Self.kinds[Int(load(index, 21, as: UInt8.self))] }
  static let kinds: [Issue.Kind] = [.task, .epic, .bestOf]
  /// Whether the issue is an attempt of a best-of issue (`<id>.<n>`, `attemptOf` its `<id>`).
  func isAttempt(_ index: Int) -> Bool { load(index, 22, as: UInt8.self) == 1 }

  private func string(_ index: Int, offset: Int, length: Int) -> String {
    let start = Int(load(index, offset, as: UInt32.self))
    let count = Int(load(index, length, as: UInt32.self))
    return strings.withUnsafeBufferPointer {
      String(decoding: UnsafeBufferPointer(rebasing: $0[start..<(start + count)]), as: UTF8.self)
    }
  }

  func id(_ index: Int) -> String { string(index, offset: 40, length: 44) }
  func title(_ index: Int) -> String { string(index, offset: 56, length: 60) }
  /// The scope globs (stored joined by newlines).
  func scope(_ index: Int) -> [String] {
    load(index, 76, as: UInt32.self) == 0
      ? [] : string(index, offset: 72, length: 76).split(separator: "\n").map(String.init)
  }

  func assignee(_ index: Int) -> String? {
    load(index, 52, as: UInt32.self) == 0 ? nil : string(index, offset: 48, length: 52)
  }

  /// The epic the issue is a sub-issue of, nil when none.
  func epic(_ index: Int) -> String? {
    load(index, 84, as: UInt32.self) == 0 ? nil : string(index, offset: 80, length: 84)
  }

  /// What the issue needs an agent to be able to do (stored joined by newlines).
  func needs(_ index: Int) -> [String] {
    load(index, 92, as: UInt32.self) == 0
      ? [] : string(index, offset: 88, length: 92).split(separator: "\n").map(String.init)
  }

  /// The sub-issues of epic `id`, in id order.
  func subIssues(of id: String) -> [Int] {
    (0..<count).filter { epic($0) == id }.sorted { IssueID.precedes(self.id($0), self.id($1)) }
  }

  /// The record indices this issue depends on (`missing` for an id with no record).
  func dependencyIndices(_ index: Int) -> ArraySlice<UInt32> {
    let start = Int(load(index, 64, as: UInt32.self))
    return dependencyTable[start..<(start + Int(load(index, 68, as: UInt32.self)))]
  }

  func summary(_ index: Int) -> IssueSummary {
    IssueSummary(
      id: id(index), title: title(index), status: status(index), priority: priority(index),
      createdAt: createdAt(index), assignee: assignee(index),
      dependencies: dependencyIndices(index).map { $0 == Self.missing ? "?" : id(Int($0)) }, attempts: attempts(index),
      kind: kind(index), epic: epic(index), needs: needs(index))
  }

  /// Whether the record's id equals `id`, compared as bytes.
  func has(_ index: Int, id: String) -> Bool {
    let start = Int(load(index, 40, as: UInt32.self))
    let count = Int(load(index, 44, as: UInt32.self))
    var other = id
    return other.withUTF8 { wanted in
      wanted.count == count
        && strings.withUnsafeBufferPointer { memcmp($0.baseAddress! + start, wanted.baseAddress!, count) == 0 }
    }
  }

  // MARK: - Building

  /// A table of `issues` (with their blob ids) for `tree`.
  init(tree: ObjectID, issues: [(blob: ObjectID, issue: Issue)]) {
    self.tree = tree
    count = 0
    records = []
    dependencyTable = []
    strings = [0]  // offset 0 is "no string"
    records.reserveCapacity(issues.count * Self.recordSize)
    var position: [String: UInt32] = [:]
    for (index, item) in issues.enumerated() { position[item.issue.id] = UInt32(index) }
    for item in issues {
      write(
        appendRecord(), item.blob, item.issue,
        dependencies: item.issue.dependencies.map { position[$0] ?? Self.missing })
    }
  }

  private mutating func appendString(_ text: String) -> (UInt32, UInt32) {
    let offset = UInt32(strings.count)
    strings.append(contentsOf: text.utf8)
    return (offset, UInt32(strings.count) - offset)
  }

  private mutating func write(_ index: Int, _ blob: ObjectID, _ issue: Issue, dependencies: [UInt32]) {
    records.withUnsafeMutableBytes { buffer in
      withUnsafeBytes(of: blob.raw) { raw in
        buffer.baseAddress!.advanced(by: index * Self.recordSize).copyMemory(from: raw.baseAddress!, byteCount: 20)
      }
    }
    store(UInt8(Self.statuses.firstIndex(of: issue.status)!), index, 20)
    store(UInt8(Self.kinds.firstIndex(of: issue.kind)!), index, 21)
    store(UInt8(issue.attemptOf == nil ? 0 : 1), index, 22)
    store(Int32(clamping: issue.priority), index, 24)
    store(UInt32(clamping: issue.attempts), index, 28)
    store(issue.createdAt, index, 32)
    let id = appendString(issue.id)
    store(id.0, index, 40)
    store(id.1, index, 44)
    let assignee = issue.assignee.map { appendString($0) } ?? (0, 0)
    store(assignee.0, index, 48)
    store(assignee.1, index, 52)
    let title = appendString(issue.title)
    store(title.0, index, 56)
    store(title.1, index, 60)
    store(UInt32(dependencyTable.count), index, 64)
    store(UInt32(dependencies.count), index, 68)
    dependencyTable.append(contentsOf: dependencies)
    let scope = issue.scope.isEmpty ? (0, 0) : appendString(issue.scope.joined(separator: "\n"))
    store(scope.0, index, 72)
    store(scope.1, index, 76)
    let epic = issue.epic.map { appendString($0) } ?? (0, 0)
    store(epic.0, index, 80)
    store(epic.1, index, 84)
    let needs = issue.needs.isEmpty ? (0, 0) : appendString(issue.needs.joined(separator: "\n"))
    store(needs.0, index, 88)
    store(needs.1, index, 92)
  }

  private mutating func appendRecord() -> Int {
    records.append(contentsOf: repeatElement(0, count: Self.recordSize))
    count += 1
    return count - 1
  }

  /// The index of the record with this id, by scanning (used for a handful of changes).
  func index(of id: String) -> Int? { (0..<count).first { has($0, id: id) } }

  /// This table brought to `newTree`: the changed documents replace their records, new ones are
  /// appended. Returns nil where a rebuild is the safer answer: an issue added while some record
  /// names a dependency that had no record, or replaced strings outweighing the live ones.
  func updated(to newTree: ObjectID, changes: [(blob: ObjectID, issue: Issue)]) -> IssueTable? {
    var table = self
    table.tree = newTree
    var position: [String: Int] = [:]
    if changes.count > 8 {
      for index in 0..<count { position[id(index)] = index }
    } else {
      for change in changes { position[change.issue.id] = index(of: change.issue.id) }
    }
    var added = false
    for change in changes where position[change.issue.id] == nil {
      position[change.issue.id] = table.appendRecord()
      added = true
    }
    if added && dependencyTable.contains(Self.missing) { return nil }
    for change in changes {
      let dependencies = change.issue.dependencies.map { dependency in
        (position[dependency] ?? index(of: dependency)).map(UInt32.init) ?? Self.missing
      }
      table.write(position[change.issue.id]!, change.blob, change.issue, dependencies: dependencies)
    }
    return table.isMostlyGarbage ? nil : table
  }

  /// Replaced strings and dependency lists stay behind in the file; past twice the live size
  /// (and a few hundred KiB), a rebuild writes a compact table.
  var isMostlyGarbage: Bool {
    var liveStrings = 1
    var liveDependencies = 0
    for index in 0..<count {
      liveStrings +=
        Int(load(index, 44, as: UInt32.self)) + Int(load(index, 52, as: UInt32.self))
        + Int(load(index, 60, as: UInt32.self)) + Int(load(index, 76, as: UInt32.self))
        + Int(load(index, 84, as: UInt32.self)) + Int(load(index, 92, as: UInt32.self))
      liveDependencies += Int(load(index, 68, as: UInt32.self))
    }
    return (strings.count > 2 * liveStrings + (256 << 10))
      || (dependencyTable.count > 2 * liveDependencies + (64 << 10))
  }

  // MARK: - Queries

  /// Claimed tasks held by someone other than `agent` that have a scope: (id, holder, globs). An
  /// epic's scope is no one's to own: it bounds what its manager may approve and sub-issues' scopes.
  func scopesHeld(notBy agent: String) -> [(index: Int, globs: [String])] {
    (0..<count).compactMap { index in
      guard status(index) == .claimed, kind(index) == .task, load(index, 76, as: UInt32.self) != 0,
        let holder = assignee(index),
        holder != agent
      else { return nil }
      return (index, scope(index))
    }
  }

  /// The best-of issues `agent` makes an attempt of (holds one, claimed or landing).
  func bestOfAttempted(by agent: String) -> Set<String> {
    var out: Set<String> = []
    for index in 0..<count where isAttempt(index) {
      let status = status(index)
      guard status == .claimed || status == .landing, assignee(index) == agent else { continue }
      out.insert(BestOf.parentID(ofAttempt: id(index)))
    }
    return out
  }

  /// Whether the issue at `index` is ready: an open task (an epic is assigned to a manager, never
  /// claimed from the queue), and every dependency done.
  func isReady(_ index: Int) -> Bool {
    status(index) == .open && kind(index) == .task
      && dependencyIndices(index).allSatisfy { $0 != Self.missing && status(Int($0)) == .done }
  }

  /// Open issues whose every dependency is done, in queue order.
  func ready() -> [Int] {
    var candidates: [Int] = []
    for index in 0..<count where isReady(index) { candidates.append(index) }
    return candidates.sorted { a, b in
      let (pa, pb) = (priority(a), priority(b))
      if pa != pb { return pa < pb }
      let (ca, cb) = (createdAt(a), createdAt(b))
      if ca != cb { return ca < cb }
      return IssueID.precedes(id(a), id(b))
    }
  }

  // MARK: - The file

  var bytes: [UInt8] {
    var out = Self.magic
    out.reserveCapacity(Self.headerSize + records.count + dependencyTable.count * 4 + strings.count)
    withUnsafeBytes(of: tree.raw) { out.append(contentsOf: $0) }
    for value in [UInt32(count), UInt32(dependencyTable.count), UInt32(strings.count)] {
      withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }
    out.append(contentsOf: records)
    dependencyTable.withUnsafeBytes { out.append(contentsOf: $0) }
    out.append(contentsOf: strings)
    return out
  }

  /// Reads a table, checking every size and index so a damaged file is refused rather than trusted.
  init?(bytes: [UInt8]) {
    guard bytes.count >= Self.headerSize, Array(bytes[0..<8]) == Self.magic else { return nil }
    func u32(_ offset: Int) -> Int {
      Int(bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) })
    }
    tree = bytes.withUnsafeBufferPointer { ObjectID(rawBytes: UnsafeBufferPointer(rebasing: $0[8..<28])) }
    count = u32(28)
    let dependencies = u32(32)
    let stringCount = u32(36)
    let recordEnd = Self.headerSize + count * Self.recordSize
    let dependencyEnd = recordEnd + dependencies * 4
    guard bytes.count == dependencyEnd + stringCount, stringCount >= 1 else { return nil }
    records = Array(bytes[Self.headerSize..<recordEnd])
    dependencyTable = bytes[recordEnd..<dependencyEnd].withUnsafeBytes { raw in
      (0..<dependencies).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
    }
    strings = Array(bytes[dependencyEnd...])
    for index in 0..<count {
      guard load(index, 20, as: UInt8.self) < Self.statuses.count, load(index, 21, as: UInt8.self) < Self.kinds.count,
        load(index, 22, as: UInt8.self) < 2
      else {
        return nil
      }
      for (offset, length) in [(40, 44), (48, 52), (56, 60), (72, 76), (80, 84), (88, 92)] {
        guard Int(load(index, offset, as: UInt32.self)) + Int(load(index, length, as: UInt32.self)) <= stringCount
        else { return nil }
      }
      let start = Int(load(index, 64, as: UInt32.self))
      let deps = Int(load(index, 68, as: UInt32.self))
      guard start + deps <= dependencies else { return nil }
      for value in dependencyTable[start..<(start + deps)] where value != Self.missing && Int(value) >= count {
        return nil
      }
    }
  }
}

/// Loading and saving the table for a snapshot.
///
/// The table last loaded is also kept by the repository handle (`Repository.issueTables`): a
/// long-lived process (`ghp land`, `ghp run`, `ghp serve`) brings it to each new tree from there,
/// without reading the file again, and writes the file only now and then (when it loads it or
/// builds the table anew, and after every `persistEvery` trees since), where it wrote it after each
/// state write. A file a few trees behind is brought up to date the same way by the next process.
enum IssueIndex {
  /// Trees a handle's table may move through before its file is written again.
  static let persistEvery = 16

  static func cachePath(_ repository: Repository) -> String {
    repository.localPaths.issueIndex
  }

  static func load(_ state: StateSnapshot) throws(GHPError) -> IssueTable? {
    guard let tree = state.tree else { return nil }
    let folder: ObjectID?
    do { folder = try tree.entryID(at: StatePaths.issuesFolder) } catch { throw .git(error) }
    guard let folder else { return nil }
    let path = cachePath(state.repository)
    let kept = state.repository.issueTables.last
    if let kept, kept.table.tree == folder { return kept.table }
    let cached = kept?.table ?? Files.read(path).flatMap(IssueTable.init(bytes:))
    if kept == nil, let cached, cached.tree == folder {
      state.repository.issueTables.keep(cached, unwritten: 0)
      return cached
    }

    var table: IssueTable?
    if let cached, state.repository.contains(cached.tree) {
      let deltas: [Repository.TreeDelta]
      do { deltas = try state.repository.treeDeltas(from: cached.tree, to: folder) } catch { throw .git(error) }
      if deltas.allSatisfy({ $0.newID != nil }) {
        var changes: [(blob: ObjectID, issue: Issue)] = []
        for delta in deltas where delta.path.hasSuffix(".json") {
          // Paths are relative to `.ghp/issues`: `<shard>/<id>.json`.
          let id = String(delta.path.split(separator: "/").last!.dropLast(5))
          changes.append((delta.newID!, try state.requireIssue(id)))
        }
        table = cached.updated(to: folder, changes: changes)
      }
    }
    let rebuilt = table == nil
    if rebuilt {
      var issues: [(blob: ObjectID, issue: Issue)] = []
      for file in try state.issueFiles() { issues.append((file.blob, try state.requireIssue(file.id))) }
      table = IssueTable(tree: folder, issues: issues)
    }
    let unwritten = rebuilt ? nil : kept.map { $0.unwritten + 1 }
    let writes = (unwritten ?? persistEvery) >= persistEvery
    if writes {
      // A cache that cannot be written is only a slower next read.
      mkdir(String(path[..<path.lastIndex(of: "/")!]), 0o755)
      try? Files.replace(path, with: table!.bytes)
    }
    state.repository.issueTables.keep(table!, unwritten: writes ? 0 : unwritten!)
    return table
  }
}

/// The issue table a repository handle last loaded, and how many trees it has moved through since
/// the cache file was written. A table is keyed by its tree, content-addressed, so a kept one is
/// never wrong, only perhaps behind.
final class LoadedIssueTable: @unchecked Sendable {
  private var kept: (table: IssueTable, unwritten: Int)?
  private let lock = NSLockLike()

  var last: (table: IssueTable, unwritten: Int)? { lock.withLock { kept } }

  func keep(_ table: IssueTable, unwritten: Int) { lock.withLock { kept = (table, unwritten) } }
}
