import Foundation
import GHPKit

/// Issue 3's figures: the ready queue, claim --next and import at 20,000 issues against 100.
enum QueueBench {
  /// Tasks in chains of 10 (each waits on the one before); the first of every chain is done, so the
  /// second of each chain is ready: a tenth of the queue.
  static func tasks(_ count: Int) -> Data {
    var items: [String] = []
    items.reserveCapacity(count)
    for index in 0..<count {
      let position = index % 10
      let dependencies = position == 0 ? "[]" : "[\"t\(index - 1)\"]"
      let status = position < 1 ? "done" : "available"
      items.append(
        #"{"id": "t\#(index)", "description": "Task \#(index) of the benchmark queue", "status": "\#(status)", "claimed_by": null, "priority": \#(index % 3), "dependencies": \#(dependencies), "context": {"files": ["Sources/Part\#(index % 97)/**"], "hints": "none"}}"#
      )
    }
    return Data(("{\"tasks\": [" + items.joined(separator: ",\n") + "]}").utf8)
  }

  static func run(quick: Bool, report: inout Report) throws {
    let ghp = Harness.binFolder.appendingPathComponent("ghp").path
    let large = 20_000
    let small = 100
    let runs = quick ? 9 : 25
    Report.section("5-8. the work queue: \(large) issues against \(small)")
    var readyMedian: [Int: Double] = [:]
    var claimMedian: [Int: Double] = [:]
    var readyRSS = 0
    for count in [small, large] {
      let repo = Harness.scratchRepository("queue-\(count)")
      LedgerBench.initialise(repo)
      let file = repo + "/tasks.json"
      try tasks(count).write(to: URL(fileURLWithPath: file))
      let imported = Harness.run(ghp, ["issue", "import", file], in: repo, environment: ["GHP_AGENT": "lead"])
      if count == large {
        report.add("7. ghp issue import of \(large) tasks: seconds", format(imported.seconds, 2) + " s")
        report.add("   peak memory of that import", "\(imported.maxRSS / 1024) MiB")
      }
      let readyCount =
        Harness.run(ghp, ["ready", "--json"], in: repo).output.components(separatedBy: "\"id\":").count - 1
      var times: [Double] = []
      var rss: [Int] = []
      for _ in 0..<runs {
        let run = Harness.run(ghp, ["ready", "--json"], in: repo)
        times.append(run.seconds)
        rss.append(run.maxRSS)
      }
      readyMedian[count] = Harness.median(times)
      if count == large { readyRSS = rss.max() ?? 0 }
      report.add("ghp ready --json, \(count) issues (\(readyCount) ready): median", ms(readyMedian[count]!))
      claimMedian[count] = Harness.median(
        (0..<8).map { index in
          Harness.run(ghp, ["claim", "--next"], in: repo, environment: ["GHP_AGENT": "bench-\(index)"]).seconds
        })
      report.add("ghp claim --next, \(count) issues: median", ms(claimMedian[count]!))
    }
    report.add("5. ready on \(large): target <= 50 ms", ms(readyMedian[large]!))
    report.add("   ratio \(large) / \(small) (target <= 3)", format(readyMedian[large]! / readyMedian[small]!, 2))
    report.add(
      "6. claim --next ratio \(large) / \(small) (target <= 2)", format(claimMedian[large]! / claimMedian[small]!, 2))
    report.add(
      "8. peak memory of ghp ready on \(large) (target <= 64 MiB)", String(format: "%.1f MiB", Double(readyRSS) / 1024))
  }
}
