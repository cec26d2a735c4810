import Foundation

/// Issue 27's figures: what every command pays to start, and what a write pays to be durable,
/// against git's own commands in the same run.
enum CostBench {
  /// A C program that does nothing but is linked to libgit2 (whether or not it calls it).
  static let linkedOnly = "int main(void) { return 0; }\n"

  /// A C program that reads the agents' document as `git cat-file` does, with libgit2 and no
  /// certificate bundle parsed (as ghp defers it): the least a libgit2 program pays for that read.
  static let readsTheDocument = """
    #include <git2.h>
    #include <stdio.h>
    int mbedtls_x509_crt_parse_file(void *chain, const char *path) { (void)chain; (void)path; return 0; }
    int main(void) {
      git_libgit2_init();
      git_repository *repo = NULL;
      git_object *blob = NULL;
      if (git_repository_open_ext(&repo, ".", 0, NULL) != 0) return 1;
      if (git_revparse_single(&blob, repo, "ghp/state:.ghp/agent-status.json") != 0) return 1;
      fwrite(git_blob_rawcontent((git_blob *)blob), 1, (size_t)git_blob_rawsize((git_blob *)blob), stdout);
      return 0;
    }

    """

  /// `source` built with the system's C compiler and linked to libgit2 (`--no-as-needed`: linked
  /// even when it calls nothing of it); its path, or nil without a compiler.
  static func linkedToLibgit2(_ source: String, name: String) -> String? {
    let base = NSTemporaryDirectory() + "ghp-bench-\(name)-\(getpid())"
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/cc"),
      (try? source.write(toFile: base + ".c", atomically: true, encoding: .utf8)) != nil
    else { return nil }
    defer { unlink(base + ".c") }
    let built = Harness.run(
      "/usr/bin/cc", ["-O2", base + ".c", "-o", base, "-Wl,--no-as-needed", "-lgit2"], in: "/tmp", check: false)
    return built.status == 0 ? base : nil
  }

  static func run(quick: Bool, report: inout Report) throws {
    Report.section("22. what a command costs: start-up and fsyncs against git (pairs, alternating)")
    let repo = Harness.scratchRepository("cost")
    LedgerBench.initialise(repo)
    let ghp = Harness.binFolder.appendingPathComponent("ghp").path
    let lead = ["GHP_AGENT": "lead"]
    Harness.run(ghp, ["issue", "add", "Costed"], in: repo, environment: lead)
    Harness.run(ghp, ["agent-heartbeat", "--action", "first"], in: repo, environment: ["GHP_AGENT": "w1"])
    let pairs = quick ? 20 : 60

    func pair(_ ours: String, _ theirs: String, goal: String, _ ghpRun: () -> Double, _ gitRun: () -> Double) {
      var ghpTimes: [Double] = []
      var gitTimes: [Double] = []
      for _ in 0..<pairs {
        ghpTimes.append(ghpRun())
        gitTimes.append(gitRun())
      }
      let g = Harness.median(ghpTimes)
      let s = Harness.median(gitTimes)
      report.add("\(ours), median of \(pairs)", ms(g))
      report.add("\(theirs), median of \(pairs)", ms(s))
      report.add("   ratio (goal \(goal))", format(g / s, 2))
    }
    pair(
      "ghp --version", "git --version", goal: "<= 2",
      { Harness.run(ghp, ["--version"], in: repo).seconds },
      { Harness.run("/usr/bin/git", ["--version"], in: repo).seconds })
    // The floor under that row: a C program that does nothing but is linked to the system's
    // libgit2, so that the loader maps and relocates it and the libraries it needs (OpenSSL,
    // Kerberos, mbedTLS, libssh2: 18 in all on Debian 12), as it does for ghp.
    if let linked = linkedToLibgit2(linkedOnly, name: "linked") {
      defer { unlink(linked) }
      pair(
        "a C program that only links libgit2", "git --version", goal: "none: the floor of a program on libgit2",
        { Harness.run(linked, [], in: repo).seconds },
        { Harness.run("/usr/bin/git", ["--version"], in: repo).seconds })
    } else {
      report.add("a C program that only links libgit2", "no C compiler (cc) here")
    }
    pair(
      "ghp agent-status", "git cat-file of the document", goal: "<= 2",
      { Harness.run(ghp, ["agent-status"], in: repo).seconds },
      { Harness.run("/usr/bin/git", ["cat-file", "blob", "ghp/state:.ghp/agent-status.json"], in: repo).seconds })
    // Its floor: the same read by a C program on libgit2.
    if let reader = linkedToLibgit2(readsTheDocument, name: "reader") {
      defer { unlink(reader) }
      pair(
        "a C program reading the document with libgit2", "git cat-file of the document",
        goal: "none: the floor of a program on libgit2",
        { Harness.run(reader, [], in: repo).seconds },
        { Harness.run("/usr/bin/git", ["cat-file", "blob", "ghp/state:.ghp/agent-status.json"], in: repo).seconds })
    } else {
      report.add("a C program reading the document with libgit2", "no C compiler (cc) here")
    }

    let script = NSTemporaryDirectory() + "ghp-bench-cost-\(getpid()).sh"
    try LedgerBench.gitScript.write(toFile: script, atomically: true, encoding: .utf8)
    defer { unlink(script) }
    var beat = 0
    pair(
      "ghp claim (durable)", "a state write, git plumbing (no fsync)", goal: "<= 0.8",
      {
        let seconds = Harness.run(ghp, ["claim", "1"], in: repo, environment: ["GHP_AGENT": "w1"]).seconds
        Harness.run(ghp, ["release", "1"], in: repo, environment: ["GHP_AGENT": "w1"])
        return seconds
      },
      {
        beat += 1
        return Harness.run("/bin/bash", [script], in: repo, environment: ["AGENT": "w1", "ACTION": "beat-\(beat)"])
          .seconds
      })

    // fsyncs per operation, counted by strace as the process makes them.
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
      report.add("fsyncs per operation", "strace is not installed")
      return
    }
    func flushes(_ executable: String, _ arguments: [String], _ environment: [String: String]) -> String {
      let out = NSTemporaryDirectory() + "ghp-bench-strace-\(getpid())"
      defer { unlink(out) }
      Harness.run(
        "/usr/bin/strace",
        ["-f", "-c", "-o", out, "-e", "trace=fsync,fdatasync,syncfs,sync_file_range", executable] + arguments,
        in: repo, environment: environment)
      let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
      var counts: [String: Int] = [:]
      for line in text.split(separator: "\n") {
        let fields = line.split(separator: " ")
        // "% time  seconds  usecs/call  calls  [errors]  syscall": the calls are the fourth field.
        guard fields.count >= 5, let calls = Int(fields[3]) else { continue }
        if let name = fields.last, ["fsync", "fdatasync", "syncfs", "sync_file_range"].contains(String(name)) {
          counts[String(name)] = calls
        }
      }
      let full = (counts["fsync"] ?? 0) + (counts["fdatasync"] ?? 0) + (counts["syncfs"] ?? 0)
      return "\(full) (writeback waits: \(counts["sync_file_range"] ?? 0))"
    }
    report.add("fsyncs: ghp claim", flushes(ghp, ["claim", "1"], ["GHP_AGENT": "w1"]))
    report.add("fsyncs: ghp release", flushes(ghp, ["release", "1"], ["GHP_AGENT": "w1"]))
    report.add(
      "fsyncs: ghp agent-heartbeat --status",
      flushes(ghp, ["agent-heartbeat", "--status", "testing"], ["GHP_AGENT": "w1"]))
    report.add(
      "fsyncs: the git plumbing script", flushes("/bin/bash", [script], ["AGENT": "w1", "ACTION": "counted"]))
  }
}
