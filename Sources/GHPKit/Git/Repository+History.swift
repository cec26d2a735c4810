import CLibGit2
import Glibc

/// Reading history: staged paths, parents, changed paths, walks.
extension Repository {
  /// The paths that differ between a tree and the index that a commit is about to record.
  public func stagedPaths() throws(GitError) -> [String] {
    var index: OpaquePointer?
    try check(git_repository_index(&index, pointer))
    defer { git_index_free(index) }
    var head: Tree?
    if let headID = try referenceTarget("HEAD") { head = try tree(commit(headID).treeID) }
    var diff: OpaquePointer?
    try check(git_diff_tree_to_index(&diff, pointer, head?.pointer, index, nil))
    defer { git_diff_free(diff) }
    var paths: [String] = []
    for position in 0..<git_diff_num_deltas(diff) {
      guard let delta = git_diff_get_delta(diff, position)?.pointee else { continue }
      if let path = delta.new_file.path { paths.append(String(cString: path)) }
      if let old = delta.old_file.path, delta.status == GIT_DELTA_RENAMED { paths.append(String(cString: old)) }
    }
    return Array(Set(paths)).sorted()
  }

  /// The first parent of a commit, or nil for a root commit.
  public func parent(of id: ObjectID) throws(GitError) -> ObjectID? {
    let commit = try self.commit(id)
    guard commit.parentCount > 0 else { return nil }
    return ObjectID(git_commit_parent_id(commit.pointer, 0).pointee)
  }

  /// The paths a commit changes against its first parent (all its files for a root commit).
  /// For a merge, what the merge itself brought, not what one side already had (a merge of main
  /// carries main's approved edits unchanged): the paths that differ from every parent, and, for
  /// two parents, those that differ from their clean merge or conflict in it (a merge made with
  /// `-s ours` that drops or reverts a file changes nothing against one parent, but does against
  /// the merge).
  public func changedPaths(of id: ObjectID) throws(GitError) -> [String] {
    let commit = try self.commit(id)
    guard commit.parentCount > 0 else { return try treeDeltas(from: emptyTree(), to: commit.treeID).map(\.path) }
    var paths: Set<String>?
    var parents: [ObjectID] = []
    for index in 0..<commit.parentCount {
      var out: OpaquePointer?
      try check(git_commit_parent(&out, commit.pointer, UInt32(index)))
      let parent = Commit(out!, owner: self)
      parents.append(parent.id)
      let changed = Set(try treeDeltas(from: parent.treeID, to: commit.treeID).map(\.path))
      paths = paths.map { $0.intersection(changed) } ?? changed
    }
    var out = paths ?? []
    if parents.count == 2 {
      let clean = try mergedTree(parents[0], parents[1])
      if let tree = clean.tree {
        out.formUnion(try treeDeltas(from: tree, to: commit.treeID).map(\.path))
      } else {
        out.formUnion(clean.conflicts)
      }
    }
    return out.sorted()
  }

  /// Every parent of a commit, in order (the first is the line it continues).
  public func parents(of id: ObjectID) throws(GitError) -> [ObjectID] {
    let commit = try self.commit(id)
    return (0..<commit.parentCount).map { ObjectID(git_commit_parent_id(commit.pointer, UInt32($0)).pointee) }
  }

  /// Commits reachable from `tip` and from none of `hidden` nor of the refs matching `hiddenGlobs`,
  /// oldest first; with `firstParent`, along first parents only (the line of `ghp/state` as its
  /// readers tell it: an operation the server landed is its merge, not also the commit it carried).
  public func newCommits(tip: ObjectID, hiding hidden: [ObjectID], hidingGlobs: [String], firstParent: Bool = false)
    throws(GitError) -> [Commit]
  {
    var commits: [Commit] = []
    try revwalk(from: tip, hiding: hidden, hidingGlobs: hidingGlobs, oldestFirst: true, firstParent: firstParent) {
      commit in
      commits.append(commit)
      return true
    }
    return commits
  }

  /// Whether `ancestor` is reachable from `descendant` (or is it).
  public func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID) throws(GitError) -> Bool {
    if ancestor == descendant { return true }
    var a = descendant.raw
    var b = ancestor.raw
    return try check(git_graph_descendant_of(pointer, &a, &b)) == 1
  }

  /// Calls `body` with each commit on `tip`'s line of first parents, newest first, until it
  /// returns false.
  public func walk(from tip: ObjectID, _ body: (Commit) throws(GitError) -> Bool) throws(GitError) {
    try revwalk(from: tip, firstParent: true, body)
  }

  /// The one revision walk: commits reachable from `tip` and from none of `hidden` (an id this
  /// repository lacks hides nothing) nor of the refs matching `hidingGlobs`, newest first unless
  /// `oldestFirst`, until `body` returns false.
  func revwalk(
    from tip: ObjectID, hiding hidden: [ObjectID] = [], hidingGlobs: [String] = [], oldestFirst: Bool = false,
    firstParent: Bool = false, _ body: (Commit) throws(GitError) -> Bool
  ) throws(GitError) {
    var walker: OpaquePointer?
    try check(git_revwalk_new(&walker, pointer))
    defer { git_revwalk_free(walker) }
    if firstParent { try check(git_revwalk_simplify_first_parent(walker)) }
    git_revwalk_sorting(
      walker, GIT_SORT_TOPOLOGICAL.rawValue | (oldestFirst ? GIT_SORT_REVERSE.rawValue : GIT_SORT_TIME.rawValue))
    var start = tip.raw
    try check(git_revwalk_push(walker, &start))
    for id in hidden {
      var raw = id.raw
      _ = git_revwalk_hide(walker, &raw)
    }
    for glob in hidingGlobs { _ = git_revwalk_hide_glob(walker, glob) }
    var oid = git_oid()
    while git_revwalk_next(&oid, walker) == 0 {
      if try !body(commit(ObjectID(oid))) { break }
    }
  }
}
