import ArgumentParser
import GHPKit

extension GHP {
  struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "verify",
      abstract: "Check that every commit of ghp/state is the operation it records, by an agent allowed to.",
      discussion: """
        Each commit is re-executed: its recorded operation, applied to its parent's documents as \
        its author at its time, must give exactly its tree. Reported: a commit whose tree differs, \
        whose author had no authority for its operation, or that records no operation (a hand \
        edit). Exit 1 when any commit fails.

        Examples:
          ghp verify
          ghp verify ghp/state~20..ghp/state
          ghp verify origin/ghp/state --json
        """)

    @OptionGroup var global: ReadOptions

    @Argument(
      help: ArgumentHelp("What to check: REV (its whole history) or FROM..TO (default: ghp/state).", valueName: "range")
    )
    var range: String?

    func run() throws {
      let report = try global.workspace().verify(range: range)
      if global.json {
        Output.json(
          .object([
            "tip": report.tip.map { .string($0.hex) } ?? .null, "checked": .int(report.checked),
            "ok": .bool(report.isClean),
            "findings": .array(report.findings.map(\.json)),
          ]))
      } else {
        for finding in report.findings {
          Output.line(
            "\(finding.commit.short)  \(Terminal.safe(finding.subject))\n    \(Terminal.safe(finding.problem))")
        }
        Output.line(
          report.isClean
            ? "verified \(report.checked) commit\(report.checked == 1 ? "" : "s"): each is the operation it records"
            : "\(report.findings.count) of \(report.checked) commits do not verify")
      }
      if !report.isClean { throw ExitCode(1) }
    }
  }
}
