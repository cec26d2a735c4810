import CDeferredCertificates
import CLibGit2
import Glibc

/// libgit2 is initialised once per process, on first use, with durable writes switched on:
/// objects and refs are fsynced, so a state change that returned is on disk.
enum GitRuntime {
  private static let initialised: Bool = {
    // Debian's libgit2 parses its whole certificate bundle here; it is noted and parsed only
    // before the first network step (`certificates`).
    ghp_certificates_defer()
    git_libgit2_init()
    _ = ghp_git_enable_fsync_gitdir(1)
    // An issue, the config, a run document: read again by each snapshot of a long command (a
    // landing reads every queued issue a few times per issue it lands). Objects never change, so
    // a cached one is never stale; an agents document of thousands is larger and not kept.
    _ = ghp_git_cache_blobs(64 << 10)
    return true
  }()

  /// An https remote is checked against the system's authorities, or against the file
  /// `GIT_SSL_CAINFO` names, as git itself does (a company's own authority, a test server's).
  /// Read only before the first network step: parsing a bundle costs milliseconds that no local
  /// command should pay.
  private static let certificates: Bool = {
    ensure()
    let deferred = ghp_certificates_stop_deferring()
    if let file = getenv("GIT_SSL_CAINFO").map({ String(cString: $0) }), !file.isEmpty {
      _ = ghp_git_set_ssl_cert_file(file)
    } else if let deferred {
      _ = ghp_git_set_ssl_cert_file(deferred)
    }
    return true
  }()

  /// Reads the authorities before a connection to `url` when it may use TLS: https, or http (a
  /// server may redirect it to https). git://, ssh and local paths never do.
  static func ensureCertificates(for url: String) {
    let scheme = url.prefix { $0 != ":" }.lowercased()
    if scheme == "https" || scheme == "http" { _ = certificates }
  }

  static func ensure() { _ = initialised }
}
