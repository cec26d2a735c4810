import ArgumentParser
import GHPKit

extension GHP {
  struct Sync: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "sync",
      abstract: "Fetch ghp/state, re-apply local operations onto the remote tip if both moved, and push.",
      discussion: """
        Each local operation is re-applied from its commit's Ghp-Operation record, in order, as \
        its own agent at its own time; numbers it made that the remote took meanwhile are renamed \
        in every later operation. One that no longer holds (the issue was claimed there meanwhile) \
        is not forced: it is reported, and its agent is told on its next report. What is fetched \
        is verified first (see ghp verify). Exit 3 when any operation was lost or conflicted.

        Example:
          ghp sync --remote origin
        """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "The remote (default: the configured one, else origin).")
    var remote: String?

    func run() throws {
      let workspace = try global.workspace()
      let name = remote ?? (try? workspace.snapshot().remoteName) ?? "origin"
      let actor = (try? workspace.actor()) ?? "ghp"
      let report = try workspace.ledger.sync(remote: name, actor: actor, clock: workspace.clock)
      if global.json {
        Output.json(
          .object([
            "remote": .string(name), "result": .string(report.kind.rawValue),
            "tip": report.tip.map { .string($0.hex) } ?? .null,
            "operations": .array(report.fates.map(\.json)), "renamed": report.renames.json,
          ]))
      } else {
        Output.line("\(report.kind.rawValue) with \(name); ghp/state is \(report.tip?.short ?? "?").")
        for (old, new) in report.renames.issues.sorted(by: { IssueID.precedes($0.key, $1.key) }) {
          Output.line(
            "  issue #\(old) made here was taken on \(name): it is #\(new) now, and so are the operations that name it")
        }
        for fate in report.fates {
          Output.line(
            "  \(fate.outcome.rawValue.padding(13))\(fate.commit.short)  \(fate.subject)\(fate.detail.map { " — \($0)" } ?? "")"
          )
        }
      }
      if report.fates.contains(where: { $0.outcome == .lost || $0.outcome == .conflict }) { throw ExitCode(3) }
    }
  }
}
