import Foundation
import GHPKit

// ghp-bench: prints ghp's figures and their ratios to baselines measured in the same run.
//
//   swift run -c release ghp-bench [--quick] [ledger|queue|hooks|remote|hosts|mcp|trust|conflicts|landing|run|heartbeat|probe|page|cost|agents]
//
// Run it on a quiet machine; every figure is a median or a rate over many runs, never a promise.

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "writer", arguments.count == 4, let count = Int(arguments[3]) {
  try LedgerBench.writer(repo: arguments[1], agent: arguments[2], count: count)
  exit(0)
}
if arguments.contains("--help") || arguments.contains("-h") {
  print(
    """
    usage: ghp-bench [--quick] [SECTION]
    Measures ghp against baselines run in the same session (figures and ratios); SECTION is one of
    ledger, queue, hooks, remote, hosts, mcp, trust, conflicts, landing, run, heartbeat, probe, page,
    cost, agents.
    Benchmark the binaries as scripts/install builds them: swift build -c release, then
    .build/release/ghp-bench.
    """)
  exit(0)
}
let quick = arguments.contains("--quick")
print("ghp-bench\(quick ? " (quick)" : ""): binaries in \(Harness.binFolder.path)")
var report = Report()
defer { Harness.cleanUp() }
do {
  let only = arguments.first { !$0.hasPrefix("-") }
  if only == nil || only == "ledger" { try LedgerBench.run(quick: quick, report: &report) }
  if only == nil || only == "queue" { try QueueBench.run(quick: quick, report: &report) }
  if only == nil || only == "hooks" { try HookBench.run(quick: quick, report: &report) }
  if only == nil || only == "remote" { try RemoteBench.run(quick: quick, report: &report) }
  if only == nil || only == "hosts" { try HostsBench.run(quick: quick, report: &report) }
  if only == nil || only == "mcp" { try MCPBench.run(quick: quick, report: &report) }
  if only == nil || only == "trust" { try TrustBench.run(quick: quick, report: &report) }
  if only == nil || only == "conflicts" { try ConflictBench.run(quick: quick, report: &report) }
  if only == nil || only == "landing" { try LandingBench.run(quick: quick, report: &report) }
  if only == nil || only == "run" { try RunBench.run(quick: quick, report: &report) }
  if only == nil || only == "heartbeat" { try AutoHeartbeatBench.run(quick: quick, report: &report) }
  if only == nil || only == "probe" { try ProbeBench.run(quick: quick, report: &report) }
  if only == nil || only == "page" { try PageBench.run(quick: quick, report: &report) }
  if only == nil || only == "cost" { try CostBench.run(quick: quick, report: &report) }
  if only == nil || only == "agents" { try AgentsBench.run(quick: quick, report: &report) }
} catch {
  Harness.cleanUp()
  print("ghp-bench: \(error)")
  exit(1)
}
