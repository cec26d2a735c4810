import ArgumentParser
import GHPKit

extension GHP {
  struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "report",
      abstract: "What happened over a period: per-agent totals, or the whole page as one HTML file.",
      discussion: """
        Reads ghp/state as `ghp serve` shows it: agents, the issue board, the escalation inbox, \
        landing and its gate results, every operation of the period with its commit id, and each \
        agent's totals (issues done, failures, time it held claims, cost when a `ghp run` counted \
        it).

        --html FILE writes it as one self-contained page (no server, no network; its filters work \
        offline), to attach to a pull request or send to someone; `-` writes it to standard \
        output. Without --html, prints the per-agent totals (all of the view with --json).

        The period is --since to --until (RFC 3339, or a duration ago); by default the last day.

        Examples:
          ghp report
          ghp report --html day.html --since 2026-11-22T00:00:00Z
          ghp report --since 8h --json
        """)

    @OptionGroup var global: ReadOptions

    @Option(help: ArgumentHelp("Write the page to this file (- for standard output).", valueName: "file"))
    var html: String?

    @Option(
      help: ArgumentHelp("From this time: RFC 3339, or a duration ago (2h); default a day ago.", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Up to this time: RFC 3339, or a duration ago; default now.", valueName: "time"))
    var until: String?

    func validate() throws {
      if let html, html.isEmpty { throw ValidationError("--html takes a file name (or - for standard output)") }
      try Arguments.validateTimes([("--since", since), ("--until", until)])
    }

    func run() throws {
      let workspace = try global.workspace()
      let period = try Dashboard.Period.parse(since: since, until: until, now: workspace.clock.now)
      let view = try Dashboard(
        workspace, period: period, timelineLimit: nil, conflicts: try? ConflictReport.gather(workspace))
      if let html {
        let heading = "ghp report \(RFC3339.format(period.since)) – \(RFC3339.format(period.until))"
        let page = DashboardPage.page(
          view, options: .init(live: false, title: heading), nonce: DashboardPage.nonce())
        if html == "-" { return Output.text(page) }
        try Files.replace(try Output.path(html), with: Array(page.utf8))
        if global.json {
          Output.json(
            .object([
              "file": .string(html), "bytes": .int(page.utf8.count), "since": .string(RFC3339.format(period.since)),
              "until": .string(RFC3339.format(period.until)),
            ]))
        } else {
          Output.line(
            "Wrote \(html) (\(page.utf8.count / 1024) KiB): \(view.json["timelineCount"]?.intValue ?? 0) operations from \(RFC3339.format(period.since)) to \(RFC3339.format(period.until))."
          )
        }
        return
      }
      if global.json { return Output.json(view.json) }
      let rows = (view.json["summary"]?.arrayValue ?? []).compactMap(\.objectValue)
      Output.line(
        "From \(RFC3339.format(period.since)) to \(RFC3339.format(period.until)): \(view.json["timelineCount"]?.intValue ?? 0) operations."
      )
      if rows.isEmpty { return Output.line("Nothing happened in this period.") }
      Output.text(
        TextTable.render(
          header: ["AGENT", "DONE", "FAILURES", "CLAIMED", "ESCALATIONS", "OPERATIONS", "COST"],
          rows: rows.map { row in
            [
              row["agent"]?.stringValue ?? "", String(row["done"]?.intValue ?? 0),
              String(row["failures"]?.intValue ?? 0),
              row["claimed"]?.stringValue ?? "", String(row["escalations"]?.intValue ?? 0),
              String(row["operations"]?.intValue ?? 0), row["cost"]?.stringValue ?? "-",
            ]
          }))
    }
  }
}
