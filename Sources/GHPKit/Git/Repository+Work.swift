import CLibGit2
import Glibc

/// What the repository says about an agent's branch and worktree (for handoffs and `agent list`).
extension Repository {
  /// The best common ancestor of two commits, or nil when they share none.
  public func mergeBase(_ one: ObjectID, _ two: ObjectID) throws(GitError) -> ObjectID? {
    var out = git_oid()
    var a = one.raw
    var b = two.raw
    let code = git_merge_base(&out, pointer, &a, &b)
    if code == GIT_ENOTFOUND.rawValue { return nil }
    try check(code)
    return ObjectID(out)
  }

  /// Commits reachable from `tip` but not from `hidden`, newest first, at most `limit`.
  public func commits(from tip: ObjectID, hiding hidden: ObjectID?, limit: Int) throws(GitError) -> [(
    id: ObjectID, subject: String
  )] {
    var out: [(ObjectID, String)] = []
    guard limit > 0 else { return out }
    try revwalk(from: tip, hiding: hidden.map { [$0] } ?? []) { commit in
      out.append((commit.id, commit.summary))
      return out.count < limit
    }
    return out
  }

  /// Counts commits reachable from `tip` but not from `hidden`.
  public func aheadBehind(_ local: ObjectID, _ upstream: ObjectID) throws(GitError) -> (ahead: Int, behind: Int) {
    var ahead = 0
    var behind = 0
    var a = local.raw
    var b = upstream.raw
    try check(git_graph_ahead_behind(&ahead, &behind, pointer, &a, &b))
    return (ahead, behind)
  }

  /// The working folders of every worktree of this repository (the main one first), with the branch
  /// each has checked out.
  public func worktrees() -> [(path: String, branch: String?)] {
    var result: [(String, String?)] = []
    if let main = try? Repository(discovering: commonDirectory), let path = main.workingDirectory {
      result.append((path, main.headReferenceName()))
    }
    var names = git_strarray()
    guard git_worktree_list(&names, pointer) == 0 else { return result }
    defer { git_strarray_dispose(&names) }
    for index in 0..<names.count {
      guard let name = names.strings[index] else { continue }
      var worktree: OpaquePointer?
      guard git_worktree_lookup(&worktree, pointer, name) == 0 else { continue }
      defer { git_worktree_free(worktree) }
      guard git_worktree_validate(worktree) == 0, let path = git_worktree_path(worktree) else { continue }
      var opened: OpaquePointer?
      guard git_repository_open_from_worktree(&opened, worktree) == 0, let opened else { continue }
      let repository = Repository(owning: opened)
      result.append((String(cString: path), repository.headReferenceName()))
    }
    return result
  }

  /// The folder of the worktree that has `branch` (`refs/heads/...`) checked out, if one has.
  public func worktreePath(checkingOut branch: String) -> String? {
    worktrees().first { $0.branch == branch }?.path
  }

  /// Paths with uncommitted changes (staged, unstaged and, unless left out, untracked) in this
  /// repository's worktree.
  public func uncommittedPaths(limit: Int = 200, untracked: Bool = true) throws(GitError) -> [String] {
    var options = git_status_options()
    try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)))
    options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
    options.flags =
      untracked ? GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue : 0
    var list: OpaquePointer?
    try check(git_status_list_new(&list, pointer, &options))
    defer { git_status_list_free(list) }
    var paths: [String] = []
    for index in 0..<min(git_status_list_entrycount(list), limit) {
      guard let entry = git_status_byindex(list, index)?.pointee else { continue }
      let delta = entry.index_to_workdir ?? entry.head_to_index
      guard let file = delta?.pointee.new_file.path ?? delta?.pointee.old_file.path else { continue }
      paths.append(String(cString: file))
    }
    return paths.sorted()
  }

  /// Whether `path` (relative to the worktree) is tracked in this worktree's index.
  public func isTracked(_ path: String) -> Bool {
    var index: OpaquePointer?
    guard git_repository_index(&index, pointer) == 0 else { return false }
    defer { git_index_free(index) }
    return git_index_get_bypath(index, path, 0) != nil
  }
}

// MARK: - Branches and worktrees

extension Repository {
  /// Creates `refs/heads/<name>` at `target` (fails if it exists).
  public func createBranch(_ name: String, at target: ObjectID) throws(GitError) {
    let commit = try self.commit(target)
    var ref: OpaquePointer?
    try check(git_branch_create(&ref, pointer, name, commit.pointer, 0))
    git_reference_free(ref)
  }

  /// Deletes a local branch.
  public func deleteBranch(_ name: String) throws(GitError) {
    var ref: OpaquePointer?
    try check(git_branch_lookup(&ref, pointer, name, GIT_BRANCH_LOCAL))
    defer { git_reference_free(ref) }
    try check(git_branch_delete(ref))
  }

  /// Adds a linked worktree named `name` at `path` with `branch` checked out.
  public func addWorktree(name: String, path: String, branch: String) throws(GitError) {
    var ref: OpaquePointer?
    try check(git_reference_lookup(&ref, pointer, "refs/heads/\(branch)"))
    defer { git_reference_free(ref) }
    var options = git_worktree_add_options()
    try check(git_worktree_add_options_init(&options, UInt32(GIT_WORKTREE_ADD_OPTIONS_VERSION)))
    options.ref = ref
    var worktree: OpaquePointer?
    try check(git_worktree_add(&worktree, pointer, name, path, &options))
    git_worktree_free(worktree)
  }

  /// Removes a linked worktree: its working folder and its administrative files.
  public func removeWorktree(name: String) throws(GitError) {
    var worktree: OpaquePointer?
    try check(git_worktree_lookup(&worktree, pointer, name))
    defer { git_worktree_free(worktree) }
    var options = git_worktree_prune_options()
    try check(git_worktree_prune_options_init(&options, UInt32(GIT_WORKTREE_PRUNE_OPTIONS_VERSION)))
    options.flags =
      GIT_WORKTREE_PRUNE_VALID.rawValue | GIT_WORKTREE_PRUNE_WORKING_TREE.rawValue
      | GIT_WORKTREE_PRUNE_LOCKED.rawValue
    try check(git_worktree_prune(worktree, &options))
  }

  /// Why the linked worktree `name` is not whole, or nil when it is: what an `agent add` killed
  /// half-way leaves (no working folder, no index, HEAD not on its branch).
  public func worktreeProblem(name: String, branch: String) -> String? {
    var worktree: OpaquePointer?
    guard git_worktree_lookup(&worktree, pointer, name) == 0 else { return "git has no worktree named \(name)" }
    defer { git_worktree_free(worktree) }
    guard git_worktree_validate(worktree) == 0 else { return "its folder or its git files are missing" }
    let admin = localPaths.worktreeAdmin(name)
    guard access(admin + "/index", F_OK) == 0 else { return "it has no index (its checkout never finished)" }
    guard let path = git_worktree_path(worktree).map({ String(cString: $0) }),
      let opened = try? Repository(discovering: path)
    else { return "it cannot be opened" }
    guard opened.headReferenceName() == "refs/heads/\(branch)" else { return "its HEAD is not \(branch)" }
    return nil
  }

  /// Finishes a worktree whose checkout was cut short: checks out its HEAD again, writing the
  /// files and the index (nothing can have been committed there without an index).
  public func finishCheckout(worktreePath path: String) throws(GitError) {
    let opened = try Repository(discovering: path)
    var options = git_checkout_options()
    try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)))
    // Forced: with no index, the files there are only what the cut-short checkout wrote.
    options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue
    try check(git_checkout_head(opened.pointer, &options))
  }

  /// Forgets a worktree git cannot use (its administrative files), leaving its folder alone.
  public func pruneWorktree(name: String) throws(GitError) {
    var worktree: OpaquePointer?
    try check(git_worktree_lookup(&worktree, pointer, name))
    defer { git_worktree_free(worktree) }
    var options = git_worktree_prune_options()
    try check(git_worktree_prune_options_init(&options, UInt32(GIT_WORKTREE_PRUNE_OPTIONS_VERSION)))
    options.flags = GIT_WORKTREE_PRUNE_VALID.rawValue | GIT_WORKTREE_PRUNE_LOCKED.rawValue
    try check(git_worktree_prune(worktree, &options))
  }

  /// The folder of the linked worktree called `name`, if there is one.
  public func worktreePath(name: String) -> String? {
    var worktree: OpaquePointer?
    guard git_worktree_lookup(&worktree, pointer, name) == 0 else { return nil }
    defer { git_worktree_free(worktree) }
    return git_worktree_path(worktree).map { String(cString: $0) }
  }
}

// MARK: - In-memory merges

extension Repository {
  /// The paths that conflict when `theirs` is merged into `ours`, computed in memory (no worktree,
  /// no index written); empty when they merge cleanly.
  public func mergeConflicts(_ ours: ObjectID, _ theirs: ObjectID) throws(GitError) -> [String] {
    try withMergeIndex(ours, theirs) { (index) throws(GitError) in
      git_index_has_conflicts(index) != 0 ? try conflictPaths(index) : []
    }
  }

  /// Runs `body` on the in-memory index of `theirs` merged into `ours` (freed afterwards).
  func withMergeIndex<T>(_ ours: ObjectID, _ theirs: ObjectID, _ body: (OpaquePointer?) throws(GitError) -> T)
    throws(GitError) -> T
  {
    let one = try commit(ours)
    let two = try commit(theirs)
    var options = git_merge_options()
    try check(git_merge_options_init(&options, UInt32(GIT_MERGE_OPTIONS_VERSION)))
    var index: OpaquePointer?
    try check(git_merge_commits(&index, pointer, one.pointer, two.pointer, &options))
    defer { git_index_free(index) }
    return try body(index)
  }
}

extension Repository {
  /// The references whose names match `glob` (`refs/heads/*`), each with the commit or object it
  /// names directly; symbolic references are left out.
  public func references(glob: String) -> [(name: String, target: ObjectID)] {
    var iterator: OpaquePointer?
    guard git_reference_iterator_glob_new(&iterator, pointer, glob) == 0 else { return [] }
    defer { git_reference_iterator_free(iterator) }
    var found: [(name: String, target: ObjectID)] = []
    var reference: OpaquePointer?
    while git_reference_next(&reference, iterator) == 0 {
      defer { git_reference_free(reference) }
      if let target = git_reference_target(reference) {
        found.append((String(cString: git_reference_name(reference)), ObjectID(target.pointee)))
      }
    }
    return found
  }

  /// Every ref matching `glob` with the commit it comes to, symbolic ones resolved (one that points
  /// at no ref is left out): one pass over the refs where a lookup per name would read the packed
  /// refs' file again for each. A ref that cannot be read is an error, as its lookup would be.
  public func resolvedReferences(glob: String) throws(GitError) -> [String: ObjectID] {
    var iterator: OpaquePointer?
    try check(git_reference_iterator_glob_new(&iterator, pointer, glob))
    defer { git_reference_iterator_free(iterator) }
    var found: [String: ObjectID] = [:]
    while true {
      var reference: OpaquePointer?
      let next = git_reference_next(&reference, iterator)
      if next == GIT_ITEROVER.rawValue { break }
      try check(next)
      defer { git_reference_free(reference) }
      var resolved: OpaquePointer?
      let code = git_reference_resolve(&resolved, reference)
      if code == GIT_ENOTFOUND.rawValue { continue }
      try check(code)
      defer { git_reference_free(resolved) }
      if let target = git_reference_target(resolved) {
        found[String(cString: git_reference_name(reference))] = ObjectID(target.pointee)
      }
    }
    return found
  }
}

extension Repository {
  /// The worktree's whole content — tracked files as they are on disk, staged or not, and
  /// untracked ones (ignored ones left out) — as a tree, without touching the index on disk.
  public func workingTree() throws(GitError) -> ObjectID {
    var index: OpaquePointer?
    try check(git_repository_index(&index, pointer))
    defer { git_index_free(index) }
    // The index as it is on disk (the in-memory one is a cache), then everything in the folder.
    try check(git_index_read(index, 1))
    var all: [UnsafeMutablePointer<CChar>?] = [strdup("*")]
    defer { for pointer in all { free(pointer) } }
    try all.withUnsafeMutableBufferPointer { buffer throws(GitError) in
      var paths = git_strarray(strings: buffer.baseAddress, count: 1)
      try check(git_index_add_all(index, &paths, GIT_INDEX_ADD_DEFAULT.rawValue, nil, nil))
      try check(git_index_update_all(index, &paths, nil, nil))
    }
    var tree = git_oid()
    try check(git_index_write_tree_to(&tree, index, pointer))
    // Forget what was added: the next reader of this repository's index reads the disk again.
    try check(git_index_read(index, 1))
    return ObjectID(tree)
  }

  /// Makes the worktree exactly its HEAD commit: every tracked file and the index as committed,
  /// untracked files removed (ignored ones stay).
  public func resetHard() throws(GitError) {
    var options = git_checkout_options()
    try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)))
    options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_REMOVE_UNTRACKED.rawValue
    var head: OpaquePointer?
    try check(git_revparse_single(&head, pointer, "HEAD^{commit}"))
    defer { git_object_free(head) }
    try check(git_reset(pointer, head, GIT_RESET_HARD, &options))
    // A hard reset checks out with FORCE alone; untracked files go in a second checkout.
    try check(git_checkout_head(pointer, &options))
  }
}
