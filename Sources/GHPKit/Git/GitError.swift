import CLibGit2
import Glibc

/// A failed libgit2 call: its return code, the error class and libgit2's own message.
public struct GitError: Error, CustomStringConvertible, Sendable {
  /// The libgit2 return code (`GIT_ENOTFOUND`, `GIT_EMODIFIED`, ...).
  public let code: Int32
  /// The libgit2 error class (`GIT_ERROR_REFERENCE`, ...), or 0 when libgit2 gave none.
  public let errorClass: Int32
  /// libgit2's message, as it gave it.
  public let message: String

  /// The codes the ledger acts on, by name.
  public enum Kind: Sendable, Equatable {
    case notFound, exists, modified, locked, ambiguous, other
  }

  /// The return code as the ledger acts on it; `other` for any code it has no name for.
  public var kind: Kind {
    switch code {
    case GIT_ENOTFOUND.rawValue: .notFound
    case GIT_EEXISTS.rawValue: .exists
    case GIT_EMODIFIED.rawValue: .modified
    case GIT_ELOCKED.rawValue: .locked
    case GIT_EAMBIGUOUS.rawValue: .ambiguous
    default: .other
    }
  }

  /// Whether the server closed the connection before it answered, or would not take it (a busy
  /// server's answer), as libgit2 and ssh word it; not a timeout, and not a refusal.
  public var isDroppedConnection: Bool {
    let said = message.lowercased()
    return [
      "early eof", "connection reset by peer", "connection refused", "connection closed by remote host",
      "unexpected disconnect", "broken pipe",
    ].contains { said.contains($0) }
  }

  /// The error as one line: libgit2's message and the return code.
  public var description: String { "libgit2: \(message) (code \(code))" }
}

/// Turns a libgit2 return code into a thrown `GitError`, reading `git_error_last()` at once so
/// that no later call can overwrite it.
@discardableResult
func check(_ code: Int32) throws(GitError) -> Int32 {
  guard code < 0 else { return code }
  let cause = errno
  var message = "unknown error"
  var errorClass: Int32 = 0
  if let last = git_error_last() {
    errorClass = last.pointee.klass
    message = String(cString: last.pointee.message)
  }
  throw GitError(code: code, errorClass: errorClass, message: GitError.explained(message, errno: cause))
}

extension GitError {
  /// libgit2's message with the system's reason said, when the failure is the machine's (a full
  /// disk, a read-only file system, a quota) and libgit2 left it out; an "unknown error" with any
  /// system reason gets it.
  static func explained(_ message: String, errno cause: Int32) -> String {
    let sentences: [Int32: String] = [
      ENOSPC: "the disk is full (No space left on device): free some space and run the command again",
      EDQUOT: "the disk quota is used up (Disk quota exceeded): free some space and run the command again",
      EROFS: "the file system is read-only (Read-only file system)",
      EACCES: "permission denied (Permission denied): check who owns the repository's files",
      EIO: "the disk failed to read or write (Input/output error)",
    ]
    guard let sentence = sentences[cause], !message.contains(String(cString: strerror(cause))) else { return message }
    if message == "unknown error" { return sentence }
    // A stale errno must not blame the disk for another failure: only the machine's own codes.
    guard cause == ENOSPC || cause == EDQUOT || cause == EROFS else { return message }
    return "\(message): \(sentence)"
  }
}
