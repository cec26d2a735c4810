import CLibGit2

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

  /// The error as one line: libgit2's message and the return code.
  public var description: String { "libgit2: \(message) (code \(code))" }
}

/// Turns a libgit2 return code into a thrown `GitError`, reading `git_error_last()` at once so
/// that no later call can overwrite it.
@discardableResult
func check(_ code: Int32) throws(GitError) -> Int32 {
  guard code < 0 else { return code }
  if let last = git_error_last() {
    throw GitError(code: code, errorClass: last.pointee.klass, message: String(cString: last.pointee.message))
  }
  throw GitError(code: code, errorClass: 0, message: "unknown error")
}
