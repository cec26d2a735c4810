import ArgumentParser
import GHPKit

extension GHP {
  struct Conflicts: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "conflicts", abstract: "Which active agent branches conflict with the base or with each other.",
      discussion: """
        Every agent/<name> branch with commits the base lacks is merged in memory (no worktree is \
        touched) with the base branch and with every other such branch; each pair that does not \
        merge cleanly is listed with its conflicting paths. Exit 0 either way: this is a report.

        Examples:
          ghp conflicts
          ghp conflicts --json
        """)

    @OptionGroup var global: ReadOptions

    func run() throws {
      let report = try ConflictReport.gather(global.workspace())
      if global.json { return Output.json(report.json) }
      if report.branches.isEmpty {
        return Output.line("No active agent branches (none has commits \(report.base) lacks).")
      }
      if report.pairs.isEmpty {
        return Output.line("\(report.branches.count) active branches, \(report.checked) merges: no conflicts.")
      }
      Output.text(
        TextTable.render(
          header: ["BRANCH", "WITH", "CONFLICTING PATHS"],
          rows: report.pairs.map { [$0.two, $0.one, $0.paths.joined(separator: ", ")] }))
      Output.line(
        "\(report.pairs.count) of \(report.checked) merges conflict; settle them before landing (ghp agent-escalate, or rebase)."
      )
    }
  }
}
