import CLibGit2
import CObjectBatch
import Glibc

/// An open git repository: the one owner of its `git_repository` handle.
///
/// Not `Sendable`: a handle belongs to the thread that opened it.
public final class Repository {
  let pointer: OpaquePointer
  /// The issue table this handle last loaded (`IssueIndex`).
  let issueTables = LoadedIssueTable()
  /// True when opened from git's environment (in a hook); a second handle is opened the same way.
  let openedFromEnvironment: Bool

  /// Opens the repository that contains `path`, searching upwards as git does.
  public init(discovering path: String) throws(GitError) {
    GitRuntime.ensure()
    var out: OpaquePointer?
    try check(git_repository_open_ext(&out, path, 0, nil))
    pointer = out!
    openedFromEnvironment = false
  }

  /// Opens the repository the way git's own environment names it (`GIT_DIR`, `GIT_INDEX_FILE`,
  /// `GIT_OBJECT_DIRECTORY`, `GIT_ALTERNATE_OBJECT_DIRECTORIES`), as hooks must: during
  /// `pre-receive` the pushed objects are only in a quarantine folder those variables name.
  public init(fromEnvironment: Void) throws(GitError) {
    GitRuntime.ensure()
    var out: OpaquePointer?
    try check(git_repository_open_ext(&out, nil, GIT_REPOSITORY_OPEN_FROM_ENV.rawValue, nil))
    pointer = out!
    openedFromEnvironment = true
  }

  /// Takes ownership of a handle libgit2 opened.
  init(owning pointer: OpaquePointer) {
    GitRuntime.ensure()
    self.pointer = pointer
    openedFromEnvironment = false
  }

  /// Another handle of the same repository, opened the same way (so that in a hook it still sees
  /// the quarantined objects of a push).
  func reopened() throws(GitError) -> Repository {
    try openedFromEnvironment ? Repository(fromEnvironment: ()) : Repository(discovering: gitDirectory)
  }

  deinit { git_repository_free(pointer) }

  /// The `.git` folder of this worktree (for a linked worktree, `.git/worktrees/<name>`).
  public var gitDirectory: String { String(cString: git_repository_path(pointer)) }

  /// The folder shared by all worktrees (the main `.git`).
  public var commonDirectory: String { String(cString: git_repository_commondir(pointer)) }

  /// Where loose objects are written: `GIT_OBJECT_DIRECTORY` for a handle opened from git's
  /// environment that names one, else the common dir's `objects`.
  var objectsDirectory: String {
    if openedFromEnvironment, let named = getenv("GIT_OBJECT_DIRECTORY").map({ String(cString: $0) }), !named.isEmpty {
      return named
    }
    return commonDirectory + (commonDirectory.hasSuffix("/") ? "" : "/") + "objects"
  }

  /// The working tree, or nil for a bare repository.
  public var workingDirectory: String? { git_repository_workdir(pointer).map { String(cString: $0) } }

  /// Whether the repository has no working tree, as on a server.
  public var isBare: Bool { git_repository_is_bare(pointer) != 0 }

  // MARK: - References

  /// What a reference is, without following it: the object it points at, or the reference a
  /// symbolic one names. Nil when there is no such reference.
  public func referenceKind(_ name: String) throws(GitError) -> (target: ObjectID?, symbolic: String?, isCommit: Bool)?
  {
    var ref: OpaquePointer?
    let code = git_reference_lookup(&ref, pointer, name)
    if code == GIT_ENOTFOUND.rawValue { return nil }
    try check(code)
    defer { git_reference_free(ref) }
    if git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC {
      return (nil, git_reference_symbolic_target(ref).map { String(cString: $0) }, false)
    }
    guard let raw = git_reference_target(ref) else { return (nil, nil, false) }
    let id = ObjectID(raw.pointee)
    // Only the object's header: reading the whole commit here would inflate it twice per command.
    var odb: OpaquePointer?
    guard git_repository_odb(&odb, pointer) == 0 else { return (id, nil, false) }
    defer { git_odb_free(odb) }
    var oid = id.raw
    var size = 0
    var type = GIT_OBJECT_INVALID
    guard git_odb_read_header(&size, &type, odb, &oid) == 0 else { return (id, nil, false) }
    return (id, nil, type == GIT_OBJECT_COMMIT)
  }

  /// The commit a revision (`ghp/state`, `ghp/state~3`, an id) names, or nil.
  public func resolveCommit(_ revision: String) -> ObjectID? {
    var object: OpaquePointer?
    guard git_revparse_single(&object, pointer, revision) == 0 else { return nil }
    defer { git_object_free(object) }
    var peeled: OpaquePointer?
    guard git_object_peel(&peeled, object, GIT_OBJECT_COMMIT) == 0 else { return nil }
    defer { git_object_free(peeled) }
    return ObjectID(git_object_id(peeled).pointee)
  }

  /// The id a reference points at, or nil when it does not exist.
  public func referenceTarget(_ name: String) throws(GitError) -> ObjectID? {
    var oid = git_oid()
    let code = git_reference_name_to_id(&oid, pointer, name)
    if code == GIT_ENOTFOUND.rawValue { return nil }
    try check(code)
    return ObjectID(oid)
  }

  /// The full name of the branch HEAD points at (`refs/heads/...`), even when it has no commit yet.
  public func headReferenceName() -> String? {
    var ref: OpaquePointer?
    guard git_reference_lookup(&ref, pointer, "HEAD") == 0, let ref else { return nil }
    defer { git_reference_free(ref) }
    guard git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC, let target = git_reference_symbolic_target(ref) else {
      return nil
    }
    return String(cString: target)
  }

  /// Moves `name` to `target` only if it still points at `expected` (nil: only if it does not exist yet).
  ///
  /// Throws `GitError` of kind `.modified` or `.exists` when someone else moved it first, `.locked`
  /// when another writer holds the ref's lock file.
  public func compareAndSwapReference(
    _ name: String, to target: ObjectID, expected: ObjectID?, logMessage: String
  ) throws(GitError) {
    var ref: OpaquePointer?
    var new = target.raw
    if var old = expected?.raw {
      try check(git_reference_create_matching(&ref, pointer, name, &new, 1, &old, logMessage))
    } else {
      try check(git_reference_create_matching(&ref, pointer, name, &new, 0, nil, logMessage))
    }
    git_reference_free(ref)
  }

  // MARK: - Objects

  /// Writes a blob and returns its id.
  public func writeBlob(_ bytes: [UInt8]) throws(GitError) -> ObjectID {
    var oid = git_oid()
    let code = bytes.withUnsafeBytes { buffer in
      git_blob_create_from_buffer(&oid, pointer, buffer.baseAddress, buffer.count)
    }
    try check(code)
    return ObjectID(oid)
  }

  /// The bytes of a blob.
  public func blobBytes(_ id: ObjectID) throws(GitError) -> [UInt8] {
    var blob: OpaquePointer?
    var oid = id.raw
    try check(git_blob_lookup(&blob, pointer, &oid))
    defer { git_blob_free(blob) }
    let size = Int(git_blob_rawsize(blob))
    guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
    return [UInt8](UnsafeRawBufferPointer(start: raw, count: size))
  }

  /// The commit with this id; fails when it is absent or not a commit.
  public func commit(_ id: ObjectID) throws(GitError) -> Commit {
    var out: OpaquePointer?
    var oid = id.raw
    try check(git_commit_lookup(&out, pointer, &oid))
    return Commit(out!, owner: self)
  }

  /// The tree with this id; fails when it is absent or not a tree.
  public func tree(_ id: ObjectID) throws(GitError) -> Tree {
    var out: OpaquePointer?
    var oid = id.raw
    try check(git_tree_lookup(&out, pointer, &oid))
    return Tree(out!, owner: self)
  }

  /// The id of the empty tree, written if needed.
  public func emptyTree() throws(GitError) -> ObjectID {
    var builder: OpaquePointer?
    try check(git_treebuilder_new(&builder, pointer, nil))
    defer { git_treebuilder_free(builder) }
    var oid = git_oid()
    try check(git_treebuilder_write(&oid, builder))
    return ObjectID(oid)
  }

  /// A path to write (a blob id) or remove (nil) in a tree update.
  public struct TreeUpdate {
    /// The slash-separated path in the tree, such as `.ghp/issues/07/7.json`.
    public var path: String
    /// The blob to write at the path, or nil to remove it.
    public var blob: ObjectID?
    /// An update writing `blob` at `path`, or removing it when `blob` is nil.
    public init(path: String, blob: ObjectID?) {
      self.path = path
      self.blob = blob
    }
  }

  /// Writes a tree that is `baseline` with `updates` applied; only the trees on changed paths are rewritten.
  public func updatedTree(_ baseline: ObjectID?, applying updates: [TreeUpdate]) throws(GitError) -> ObjectID {
    let base: Tree
    if let baseline { base = try tree(baseline) } else { base = try tree(emptyTree()) }
    // The C structs point into these strings: keep them alive for the call.
    let paths = updates.map { strdup($0.path)! }
    defer { for pointer in paths { free(pointer) } }
    var raw = updates.enumerated().map { index, update in
      git_tree_update(
        action: update.blob == nil ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT,
        id: update.blob?.raw ?? git_oid(),
        filemode: GIT_FILEMODE_BLOB,
        path: UnsafePointer(paths[index]))
    }
    var oid = git_oid()
    try check(git_tree_create_updated(&oid, pointer, base.pointer, raw.count, &raw))
    return ObjectID(oid)
  }

  /// Writes a commit object (no reference is moved).
  public func writeCommit(
    tree: ObjectID, parents: [ObjectID], author: Signature, message: String
  ) throws(GitError) -> ObjectID {
    try withCommitParts(tree: tree, parents: parents, author: author) {
      (treeObject, signature, parentPointers) throws(GitError) in
      var oid = git_oid()
      try check(
        git_commit_create(
          &oid, pointer, nil, signature, signature, "UTF-8", message, treeObject.pointer, parentPointers.count,
          &parentPointers))
      return ObjectID(oid)
    }
  }

  /// Writes a commit signed in its `gpgsig` header: `sign` gets the commit's bytes and returns the
  /// armored signature (no reference is moved).
  public func writeSignedCommit(
    tree: ObjectID, parents: [ObjectID], author: Signature, message: String,
    sign: ([UInt8]) throws(GHPError) -> String
  ) throws(GHPError) -> ObjectID {
    var content: [UInt8] = []
    do {
      try withCommitParts(tree: tree, parents: parents, author: author) {
        (treeObject, signature, parentPointers) throws(GitError) in
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        try check(
          git_commit_create_buffer(
            &buffer, pointer, signature, signature, "UTF-8", message, treeObject.pointer, parentPointers.count,
            &parentPointers))
        content = Array(
          UnsafeBufferPointer(
            start: UnsafeRawPointer(buffer.ptr!).assumingMemoryBound(to: UInt8.self), count: buffer.size))
      }
    } catch {
      throw .git(error)
    }
    let armored = try sign(content)
    var oid = git_oid()
    let code = content.withUnsafeBufferPointer { bytes in
      String(decoding: bytes, as: UTF8.self).withCString {
        git_commit_create_with_signature(&oid, pointer, $0, armored, "gpgsig")
      }
    }
    do { try check(code) } catch { throw .git(error) }
    return ObjectID(oid)
  }

  /// The tree, the author (as committer too) and the parents of a commit to write, as libgit2
  /// takes them, alive for the call.
  private func withCommitParts<T>(
    tree: ObjectID, parents: [ObjectID], author: Signature,
    _ body: (Tree, UnsafeMutablePointer<git_signature>, inout [OpaquePointer?]) throws(GitError) -> T
  ) throws(GitError) -> T {
    let treeObject = try self.tree(tree)
    var parentCommits: [Commit] = []
    for id in parents { parentCommits.append(try commit(id)) }
    var parentPointers: [OpaquePointer?] = parentCommits.map { $0.pointer }
    let signature = try author.make()
    defer { git_signature_free(signature) }
    return try withExtendedLifetime(parentCommits) { () throws(GitError) in
      try body(treeObject, signature, &parentPointers)
    }
  }

  /// A commit's `gpgsig` signature and the bytes it signs, or nil when it is not signed.
  public func commitSignature(_ id: ObjectID) throws(GitError) -> (signature: String, payload: [UInt8])? {
    var signature = git_buf()
    var payload = git_buf()
    defer {
      git_buf_dispose(&signature)
      git_buf_dispose(&payload)
    }
    var raw = id.raw
    let code = git_commit_extract_signature(&signature, &payload, pointer, &raw, "gpgsig")
    if code == GIT_ENOTFOUND.rawValue { return nil }
    try check(code)
    let text = String(cString: signature.ptr)
    let bytes = Array(
      UnsafeBufferPointer(
        start: UnsafeRawPointer(payload.ptr!).assumingMemoryBound(to: UInt8.self), count: payload.size))
    return (text, bytes)
  }

  /// Runs `body` on a second handle of this repository whose new objects are kept in memory, then
  /// writes them all as one pack. For large changes (an import of thousands of issues) this is one
  /// fsynced pack instead of thousands of fsynced loose objects.
  public func writingOnePack<T>(_ body: (Repository) throws(GitError) -> T) throws(GitError) -> T {
    let scratch = try ScratchObjects(self)
    let result = try body(scratch.repository)
    try check(ghp_mempack_flush(scratch.repository.pointer, scratch.backend))
    return result
  }

  /// One changed entry between two trees: its path and its new blob (nil when deleted).
  public struct TreeDelta {
    /// The changed file's slash-separated path below the trees compared, `prefix` included.
    public var path: String
    /// Its blob in the new tree, nil when it was deleted.
    public var newID: ObjectID?
  }

  /// The blobs that differ between two trees, recursing only into subtrees whose ids differ.
  ///
  /// Written here rather than with `git_diff_tree_to_tree`, which sets up a whole diff (attributes,
  /// drivers) and took 11 ms on a 20,000-issue state where this takes a fraction of one.
  public func treeDeltas(from old: ObjectID, to new: ObjectID, prefix: String = "") throws(GitError) -> [TreeDelta] {
    guard old != new else { return [] }
    let before = try tree(old).typedEntries()
    let after = try tree(new).typedEntries()
    var deltas: [TreeDelta] = []
    var i = 0
    var j = 0
    func removed(_ entry: Tree.Entry) throws(GitError) {
      if entry.isTree {
        for inner in try treeDeltas(from: entry.id, to: emptyTree(), prefix: prefix + entry.name + "/") {
          deltas.append(inner)
        }
      } else {
        deltas.append(TreeDelta(path: prefix + entry.name, newID: nil))
      }
    }
    func added(_ entry: Tree.Entry) throws(GitError) {
      if entry.isTree {
        deltas += try treeDeltas(from: emptyTree(), to: entry.id, prefix: prefix + entry.name + "/")
      } else {
        deltas.append(TreeDelta(path: prefix + entry.name, newID: entry.id))
      }
    }
    func precedes(_ a: String, _ b: String) -> Bool { Array(a.utf8).lexicographicallyPrecedes(b.utf8) }
    while i < before.count || j < after.count {
      if j == after.count || (i < before.count && precedes(before[i].name, after[j].name)) {
        try removed(before[i])
        i += 1
      } else if i == before.count || precedes(after[j].name, before[i].name) {
        try added(after[j])
        j += 1
      } else {
        let (a, b) = (before[i], after[j])
        if a.id != b.id {
          if a.isTree && b.isTree {
            deltas += try treeDeltas(from: a.id, to: b.id, prefix: prefix + a.name + "/")
          } else if !a.isTree && !b.isTree {
            deltas.append(TreeDelta(path: prefix + b.name, newID: b.id))
          } else {
            try removed(a)
            try added(b)
          }
        }
        i += 1
        j += 1
      }
    }
    return deltas
  }

  /// Whether an object is in the database (old trees may have been pruned by `git gc`).
  public func contains(_ id: ObjectID) -> Bool {
    var odb: OpaquePointer?
    guard git_repository_odb(&odb, pointer) == 0 else { return false }
    defer { git_odb_free(odb) }
    var oid = id.raw
    return git_odb_exists(odb, &oid) != 0
  }

}

extension Repository {
  /// Another handle of this repository whose object database tries `make`'s backend first (for
  /// writes; reads fall through to the usual ones when it has none). The database owns the backend.
  func reopened(
    adding make: (inout UnsafeMutablePointer<git_odb_backend>?) throws(GitError) -> Void
  ) throws(GitError) -> (Repository, UnsafeMutablePointer<git_odb_backend>) {
    let handle = try reopened()
    var odb: OpaquePointer?
    try check(git_repository_odb(&odb, handle.pointer))
    defer { git_odb_free(odb) }
    var made: UnsafeMutablePointer<git_odb_backend>?
    try make(&made)
    let added = git_odb_add_backend(odb, made, 1000)
    if added != 0 { made!.pointee.free(made) }
    try check(added)
    return (handle, made!)
  }
}

/// A second handle of a repository whose new objects are kept in memory: flushed as one pack
/// (`writingOnePack`), or dropped (`reset`, or with the handle) when they were only computed, as
/// `ghp verify` computes the tree an operation would write.
final class ScratchObjects {
  let repository: Repository
  let backend: UnsafeMutablePointer<git_odb_backend>

  init(_ original: Repository) throws(GitError) {
    (repository, backend) = try original.reopened { (made) throws(GitError) in try check(git_mempack_new(&made)) }
  }

  /// Forgets every object written so far.
  func reset() { git_mempack_reset(backend) }
}

/// A second handle of a repository whose new objects are written loose without a flush each, then
/// flushed together (`flush`, `CObjectBatch`): one fsync for a transaction's blobs, trees and commit
/// where libgit2 makes two for each (the file and its folder).
final class BatchedObjects {
  let repository: Repository
  private let backend: UnsafeMutablePointer<git_odb_backend>

  init(_ original: Repository) throws(GitError) {
    let folder = original.objectsDirectory
    (repository, backend) = try original.reopened { (made) throws(GitError) in
      try check(ghp_object_batch_new(&made, folder))
    }
  }

  /// Returns once every object written through `repository` since the last flush is on disk.
  func flush() throws(GitError) { try check(ghp_object_batch_flush(backend)) }

  /// `Repository.compareAndSwapReference` for a loose ref, with two fsyncs: the ref's lock file is
  /// flushed by the same fsync as every object written since the last flush, then the ref's folder
  /// once the lock file is renamed over the ref (`ghp_ref_compare_and_swap`). libgit2 makes four
  /// for the ref and its reflog, after the objects' own.
  func compareAndSwapReference(
    _ name: String, to target: ObjectID, expected: ObjectID?, logMessage: String
  ) throws(GitError) {
    var new = target.raw
    if var old = expected?.raw {
      try check(ghp_ref_compare_and_swap(repository.pointer, backend, name, &new, &old, logMessage))
    } else {
      try check(ghp_ref_compare_and_swap(repository.pointer, backend, name, &new, nil, logMessage))
    }
  }
}
