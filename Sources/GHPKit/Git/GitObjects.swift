import CLibGit2
import Glibc

/// A commit, owning its handle. It keeps its repository alive: libgit2's objects point into the
/// repository's object cache, so the repository must outlive every object read from it.
public final class Commit {
  let pointer: OpaquePointer
  private let owner: Repository
  init(_ pointer: OpaquePointer, owner: Repository) {
    self.pointer = pointer
    self.owner = owner
  }
  deinit { git_commit_free(pointer) }

  /// The commit's own id.
  public var id: ObjectID { ObjectID(git_commit_id(pointer).pointee) }
  /// The id of the commit's root tree.
  public var treeID: ObjectID { ObjectID(git_commit_tree_id(pointer).pointee) }
  /// The whole message, trailers included, as stored (up to a NUL byte, see `containsNUL`).
  public var message: String { String(cString: git_commit_message(pointer)) }
  /// The message's first paragraph on one line, as `git log --oneline` shows it; empty when none.
  public var summary: String { git_commit_summary(pointer).map { String(cString: $0) } ?? "" }
  /// Seconds since 1970 of the committer time.
  public var time: Int64 { git_commit_time(pointer) }
  /// The author's name; for a state commit, the acting agent.
  public var authorName: String { String(cString: git_commit_author(pointer).pointee.name) }
  /// The author's email, as written in the commit.
  public var authorEmail: String { String(cString: git_commit_author(pointer).pointee.email) }
  /// Seconds since 1970 of the author time.
  public var authorTime: Int64 { Int64(git_commit_author(pointer).pointee.when.time) }
  /// Whether the commit object holds a NUL byte anywhere: git writes none, but libgit2 reads a
  /// message only up to one, so a NUL could hide text after it.
  public var containsNUL: Bool {
    var odb: OpaquePointer?
    guard git_repository_odb(&odb, owner.pointer) == 0 else { return false }
    defer { git_odb_free(odb) }
    var object: OpaquePointer?
    var oid = id.raw
    guard git_odb_read(&object, odb, &oid) == 0 else { return false }
    defer { git_odb_object_free(object) }
    guard let data = git_odb_object_data(object) else { return false }
    return memchr(data, 0, git_odb_object_size(object)) != nil
  }
  /// How many parents the commit has: 0 for a root, 2 or more for a merge.
  public var parentCount: Int { Int(git_commit_parentcount(pointer)) }
}

/// A tree, owning its handle; like `Commit`, it keeps its repository alive.
public final class Tree {
  let pointer: OpaquePointer
  private let owner: Repository
  init(_ pointer: OpaquePointer, owner: Repository) {
    self.pointer = pointer
    self.owner = owner
  }
  deinit { git_tree_free(pointer) }

  /// The tree's own id.
  public var id: ObjectID { ObjectID(git_tree_id(pointer).pointee) }

  /// The id of the object at `path` (slash-separated), or nil when there is none.
  public func entryID(at path: String) throws(GitError) -> ObjectID? {
    var entry: OpaquePointer?
    let code = git_tree_entry_bypath(&entry, pointer, path)
    if code == GIT_ENOTFOUND.rawValue { return nil }
    try check(code)
    defer { git_tree_entry_free(entry) }
    return ObjectID(git_tree_entry_id(entry).pointee)
  }

  /// An entry of a tree: its name, id and whether it is a tree itself.
  public struct Entry {
    /// The entry's name within this tree: one path component, no slash.
    public var name: String
    /// The id of the blob or tree the entry names.
    public var id: ObjectID
    /// Whether the entry is a folder (a tree) rather than a file.
    public var isTree: Bool
  }

  /// The entries directly in this tree, sorted by name as bytes (for merging two listings).
  func typedEntries() -> [Entry] {
    var result: [Entry] = []
    for index in 0..<git_tree_entrycount(pointer) {
      guard let entry = git_tree_entry_byindex(pointer, index) else { continue }
      result.append(
        Entry(
          name: String(cString: git_tree_entry_name(entry)), id: ObjectID(git_tree_entry_id(entry).pointee),
          isTree: git_tree_entry_type(entry) == GIT_OBJECT_TREE))
    }
    return result.sorted { Array($0.name.utf8).lexicographicallyPrecedes($1.name.utf8) }
  }

  /// The names and ids of the entries directly in this tree, in git's order.
  public func entries() -> [(name: String, id: ObjectID)] {
    let count = git_tree_entrycount(pointer)
    var result: [(String, ObjectID)] = []
    result.reserveCapacity(count)
    for index in 0..<count {
      guard let entry = git_tree_entry_byindex(pointer, index) else { continue }
      result.append((String(cString: git_tree_entry_name(entry)), ObjectID(git_tree_entry_id(entry).pointee)))
    }
    return result
  }
}

/// Who made a commit, and when.
public struct Signature: Sendable {
  /// The name written as author or committer; ghp writes the actor's name.
  public var name: String
  /// The email written with it; ghp writes `<actor>@ghp`.
  public var email: String
  /// Seconds since 1970.
  public var time: Int64

  /// A signature by `name <email>` at `time`, in seconds since 1970 (UTC).
  public init(name: String, email: String, time: Int64) {
    self.name = name
    self.email = email
    self.time = time
  }

  func make() throws(GitError) -> UnsafeMutablePointer<git_signature> {
    var out: UnsafeMutablePointer<git_signature>?
    try check(git_signature_new(&out, name, email, git_time_t(time), 0))
    return out!
  }
}

// MARK: - Config files
