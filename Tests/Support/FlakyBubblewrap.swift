import Foundation

/// A `bwrap` to put first on a PATH: it fails as bubblewrap 0.8 does when a mount under `/` goes
/// away while it copies them read-only (its words on stderr, and on `--json-status-fd` the child's
/// pid but no exit code, seen here with `ip netns add` and `del` in a loop beside it), for as many
/// of the calls whose arguments hold `matching` as `failures` says; it counts those calls, then
/// runs the real `/usr/bin/bwrap`.
public struct FlakyBubblewrap {
  /// The folder that holds it (put it first on PATH).
  public let folder: String

  /// Writes the program into `folder`, failing the first `failures` matching calls.
  public init(in folder: String, matching: String, failures: Int) throws {
    self.folder = folder
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let program = """
      #!/bin/sh
      case "$*" in
      *\(matching)*)
        echo run >> "\(folder)/runs"
        left=$(cat "\(folder)/failures" 2>/dev/null || echo 0)
        if [ "$left" -gt 0 ]; then
          echo $((left - 1)) > "\(folder)/failures"
          # As bubblewrap does, the child's pid on the status descriptor before the child fails.
          status=""
          previous=""
          for word in "$@"; do
            [ "$previous" = "--json-status-fd" ] && status=$word
            previous=$word
          done
          [ -n "$status" ] && echo '{ "child-pid": 4242, "mnt-namespace": 4026532844 }' > "/dev/fd/$status"
          echo 'bwrap: Can'"'"'t bind mount /oldroot/ on /newroot/: Unable to apply mount flags: remount "/newroot/run/netns/lab1": Invalid argument' >&2
          exit 1
        fi;;
      esac
      exec /usr/bin/bwrap "$@"

      """
    try program.write(toFile: folder + "/bwrap", atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder + "/bwrap")
    try fail(failures)
  }

  /// Makes the next `count` matching calls fail.
  public func fail(_ count: Int) throws {
    try "\(count)\n".write(toFile: folder + "/failures", atomically: true, encoding: .utf8)
  }

  /// How many matching calls it has had.
  public var runs: Int {
    ((try? String(contentsOfFile: folder + "/runs", encoding: .utf8)) ?? "").split(separator: "\n").count
  }

  /// A PATH with it first.
  public var path: String { folder + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") }
}
