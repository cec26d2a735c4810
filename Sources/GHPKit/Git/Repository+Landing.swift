import CLibGit2
import Glibc

/// What `ghp land` needs from git: merges and cherry-picks computed in memory, commits written
/// with a separate committer, checkouts of a scratch worktree and of a worktree whose branch moved.
extension Repository {
  /// The outcome of a merge or cherry-pick computed in memory: the tree, or the conflicting paths.
  public struct MergeOutcome: Sendable {
    /// The result's tree, written to the object database; nil when there are conflicts.
    public var tree: ObjectID?
    /// The paths that conflict, sorted; empty when the tree was written.
    public var conflicts: [String]
  }

  /// `theirs` merged into `ours` (libgit2's recursive merge of the two commits), in memory.
  public func mergedTree(_ ours: ObjectID, _ theirs: ObjectID) throws(GitError) -> MergeOutcome {
    try withMergeIndex(ours, theirs) { (index) throws(GitError) in try outcome(of: index) }
  }

  /// `theirs` merged into `ours` as `mergedTree` merges them, their merge bases found by `walks`,
  /// a handle that only walks history. libgit2's cache serves a walk's reads of a commit only
  /// while it holds no parsed copy of it (`cache.c`: a parsed entry shadows the raw one for good),
  /// and a merge parses the commits it merges: walked in the same handle, every merge of a run read
  /// the base's history from disk again, down to where the branches forked. With one base (or
  /// none) the trees are merged as libgit2 merges the commits; with several, its recursive merge is
  /// left to it.
  public func mergedTree(_ ours: ObjectID, _ theirs: ObjectID, walking walks: Repository) throws(GitError)
    -> MergeOutcome
  {
    let bases = try walks.mergeBases(ours, theirs)
    guard bases.count <= 1 else { return try mergedTree(ours, theirs) }
    let base = try bases.first.map { (id) throws(GitError) in try tree(commit(id).treeID) }
    let one = try tree(commit(ours).treeID)
    let two = try tree(commit(theirs).treeID)
    defer { withExtendedLifetime((base, one, two)) {} }
    var options = git_merge_options()
    try check(git_merge_options_init(&options, UInt32(GIT_MERGE_OPTIONS_VERSION)))
    var index: OpaquePointer?
    try check(git_merge_trees(&index, pointer, base?.pointer, one.pointer, two.pointer, &options))
    defer { git_index_free(index) }
    return try outcome(of: index)
  }

  /// Every best common ancestor of two commits (several after criss-cross merges), none when they
  /// share no history.
  public func mergeBases(_ one: ObjectID, _ two: ObjectID) throws(GitError) -> [ObjectID] {
    var out = git_oidarray()
    var a = one.raw
    var b = two.raw
    let code = git_merge_bases(&out, pointer, &a, &b)
    if code == GIT_ENOTFOUND.rawValue { return [] }
    try check(code)
    defer { git_oidarray_dispose(&out) }
    return (0..<out.count).map { ObjectID(out.ids[$0]) }
  }

  /// The changes of `picked` (against its first parent) applied onto `onto`, in memory.
  public func cherryPickedTree(_ picked: ObjectID, onto: ObjectID) throws(GitError) -> MergeOutcome {
    let commit = try commit(picked)
    let ours = try self.commit(onto)
    var options = git_merge_options()
    try check(git_merge_options_init(&options, UInt32(GIT_MERGE_OPTIONS_VERSION)))
    var index: OpaquePointer?
    try check(git_cherrypick_commit(&index, pointer, commit.pointer, ours.pointer, 0, &options))
    defer { git_index_free(index) }
    return try outcome(of: index)
  }

  private func outcome(of index: OpaquePointer?) throws(GitError) -> MergeOutcome {
    if git_index_has_conflicts(index) != 0 { return MergeOutcome(tree: nil, conflicts: try conflictPaths(index)) }
    var oid = git_oid()
    try check(git_index_write_tree_to(&oid, index, pointer))
    return MergeOutcome(tree: ObjectID(oid), conflicts: [])
  }

  /// The paths an index holds conflicts on, sorted.
  func conflictPaths(_ index: OpaquePointer?) throws(GitError) -> [String] {
    var iterator: OpaquePointer?
    try check(git_index_conflict_iterator_new(&iterator, index))
    defer { git_index_conflict_iterator_free(iterator) }
    var paths: Set<String> = []
    var ancestor: UnsafePointer<git_index_entry>?
    var mine: UnsafePointer<git_index_entry>?
    var other: UnsafePointer<git_index_entry>?
    while git_index_conflict_next(&ancestor, &mine, &other, iterator) == 0 {
      if let entry = ancestor ?? mine ?? other, let path = entry.pointee.path { paths.insert(String(cString: path)) }
    }
    return paths.sorted()
  }

  /// The commits of `tip` that `base` does not have, oldest first, merges left out (what a rebase
  /// replays).
  public func replayedCommits(_ tip: ObjectID, onto base: ObjectID) throws(GitError) -> [ObjectID] {
    var out: [ObjectID] = []
    try revwalk(from: tip, hiding: [base], oldestFirst: true) { commit in
      if git_commit_parentcount(commit.pointer) <= 1 { out.append(commit.id) }
      return true
    }
    return out
  }

  /// Writes a commit whose committer is `committer` and whose author is `authorOf`'s author (or the
  /// committer when nil). No reference moves.
  public func writeCommit(
    tree: ObjectID, parents: [ObjectID], authorOf original: ObjectID?, committer: Signature, message: String
  ) throws(GitError) -> ObjectID {
    let treeObject = try self.tree(tree)
    var parentCommits: [Commit] = []
    for id in parents { parentCommits.append(try commit(id)) }
    var parentPointers: [OpaquePointer?] = parentCommits.map { $0.pointer }
    let originalCommit = try original.map { (id) throws(GitError) in try commit(id) }
    let signature = try committer.make()
    defer { git_signature_free(signature) }
    let author = originalCommit.map { git_commit_author($0.pointer) } ?? UnsafePointer(signature)
    var oid = git_oid()
    try withExtendedLifetime((parentCommits, originalCommit)) { () throws(GitError) in
      try check(
        git_commit_create(
          &oid, pointer, nil, author, signature, "UTF-8", message, treeObject.pointer, parentPointers.count,
          &parentPointers))
    }
    return ObjectID(oid)
  }

  /// The working files and the index made `id`'s tree, untracked files removed (ignored ones
  /// kept); HEAD is the caller's to move.
  public func checkoutTree(_ id: ObjectID) throws(GitError) {
    let target = try commit(id)
    var options = git_checkout_options()
    try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)))
    options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_REMOVE_UNTRACKED.rawValue
    try check(git_checkout_tree(pointer, target.pointer, &options))
  }

  /// After the branch checked out here moved from `old` to `new`: brings the working files and
  /// the index along (what `receive.denyCurrentBranch=updateInstead` does). Safe: a file changed
  /// since `old` is never overwritten; that is reported instead.
  /// Finishes a checkout's follow of its branch from `old` to `new` that a killed process left half
  /// way: each file the move changes that is still at `old`'s content takes `new`'s, one already at
  /// `new`'s stays, and the index becomes `new`'s tree. A file at neither (a person's edit) is left
  /// as it is and returned.
  public func completeFollow(from old: ObjectID, to new: ObjectID) throws(GitError) -> [String] {
    guard let folder = workingDirectory else { return [] }
    let top = folder.hasSuffix("/") ? folder : folder + "/"
    let oldTreeID = try commit(old).treeID
    let oldTree = try tree(oldTreeID)
    var kept: [String] = []
    for delta in try treeDeltas(from: oldTreeID, to: try commit(new).treeID) {
      let path = top + delta.path
      let current = Files.read(path)
      let before = try oldTree.entryID(at: delta.path).map { (id) throws(GitError) in try blobBytes(id) }
      let after = try delta.newID.map { (id) throws(GitError) in try blobBytes(id) }
      if current == after { continue }
      guard current == before else {
        kept.append(delta.path)
        continue
      }
      if let after {
        _ = Files.makeDirectories(String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]))
        do { try Files.replace(path, with: after) } catch {
          throw GitError(code: -1, errorClass: 0, message: "cannot write \(path): \(error.description)")
        }
      } else {
        unlink(path)
      }
    }
    var target: OpaquePointer?
    try check(git_object_lookup(&target, pointer, [new.raw], GIT_OBJECT_COMMIT))
    defer { git_object_free(target) }
    try check(git_reset(pointer, target, GIT_RESET_MIXED, nil))
    return kept
  }

  /// The tree the index records, as it is on disk (nil when it cannot be read as a tree: a conflict).
  public func indexTree() -> ObjectID? {
    var index: OpaquePointer?
    guard git_repository_index(&index, pointer) == 0 else { return nil }
    defer { git_index_free(index) }
    guard git_index_read(index, 1) == 0 else { return nil }
    var tree = git_oid()
    guard git_index_write_tree_to(&tree, index, pointer) == 0 else { return nil }
    return ObjectID(tree)
  }

  /// The last move of `ref` its reflog records: from which commit to which (nil: none recorded,
  /// or a ref created there).
  public func lastMove(of ref: String) -> (old: ObjectID, new: ObjectID)? {
    var log: OpaquePointer?
    guard git_reflog_read(&log, pointer, ref) == 0, let log else { return nil }
    defer { git_reflog_free(log) }
    guard git_reflog_entrycount(log) > 0, let entry = git_reflog_entry_byindex(log, 0),
      let old = git_reflog_entry_id_old(entry), let new = git_reflog_entry_id_new(entry)
    else { return nil }
    let from = ObjectID(old.pointee)
    guard from.hex != String(repeating: "0", count: 40) else { return nil }
    return (from, ObjectID(new.pointee))
  }

  public func followBranchMove(from old: ObjectID, to new: ObjectID) throws(GitError) {
    let oldTree = try tree(try commit(old).treeID)
    let target = try commit(new)
    var options = git_checkout_options()
    try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)))
    options.checkout_strategy = GIT_CHECKOUT_SAFE.rawValue
    options.baseline = oldTree.pointer
    try withExtendedLifetime(oldTree) { () throws(GitError) in
      try check(git_checkout_tree(pointer, target.pointer, &options))
    }
  }
}
