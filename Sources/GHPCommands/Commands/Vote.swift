import ArgumentParser
import GHPKit

extension VoteMethod: ExpressibleByArgument {}

extension GHP {
  struct VoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "vote",
      abstract: "Best-of-N: see the attempts of an issue and their scores, and vote for the one to land.",
      discussion: """
        An issue added with `ghp issue add --attempts N` is attempted by N workers independently \
        (attempts <id>.1 to <id>.N). `ghp land` gates each attempt submitted and keeps its trial \
        (and, with `landing.score` set, its score: the score command's last line of output). The \
        vote then chooses one: by score (the highest, once every attempt is gated), by review \
        (reviewers' ballots, once every attempt is gated and `landing.voters` ballots are cast), \
        or by the lead (an orchestrator's ballot, or the epic manager's, decides at once). Ties \
        go to the attempt submitted first. The winner lands through the gate as any issue does; \
        its landing closes the issue and the other attempts. Nobody votes on an issue it attempted.

        Examples:
          ghp vote list
          ghp vote show 12
          ghp vote for 12.2 --note "Smallest diff, same tests"
        """,
      subcommands: [List.self, Show.self, For.self], defaultSubcommand: List.self)
  }
}

extension GHP.VoteCommand {
  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "The issues attempted independently whose vote is not over.",
      discussion: """
        Example:
          ghp vote list --json
        """)

    @OptionGroup var global: ReadOptions

    func run() throws {
      let state = try global.workspace().snapshot()
      try state.requireInitialised()
      let shown = try VoteBoard.open(state).map { try VoteBoard.show(state, id: $0.id) }
      if global.json { return Output.json(.object(["votes": .array(shown.map(\.json))])) }
      if shown.isEmpty { return Output.line("No issue is attempted independently with its vote open.") }
      Output.text(
        TextTable.render(
          header: ["ISSUE", "VOTE", "ATTEMPTS", "STANDING", "TITLE"],
          rows: shown.map {
            [
              "#\($0.issue.id)", $0.issue.vote?.method.rawValue ?? "-", String($0.attempts.count),
              TextTable.clip($0.standing, 100), TextTable.clip($0.issue.title, 40),
            ]
          }))
    }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show", abstract: "Each attempt of an issue: who makes it, its gate, its score and its ballots.",
      discussion: """
        Example:
          ghp vote show 12
        """)

    @OptionGroup var global: ReadOptions

    @Argument(help: "The issue (or one of its attempts).", completion: Completions.issues())
    var id: String

    func run() throws {
      let state = try global.workspace().snapshot()
      try state.requireInitialised()
      let shown = try VoteBoard.show(state, id: Arguments.issueID(id))
      if global.json { return Output.json(shown.json) }
      Output.text(shown.text)
    }
  }

  struct For: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "for",
      abstract: "Vote for one attempt: the lead's ballot decides; a reviewer's counts toward the vote.",
      discussion: """
        Example:
          ghp vote for 12.2 --note "Smallest diff, same tests"
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The attempt (12.2).", completion: Completions.issues([.landing]))
    var attempt: String

    @Option(help: "What you say with the ballot.")
    var note: String?

    func run() throws {
      let workspace = try global.workspace()
      let landed = try workspace.run(VoteOperation(attemptID: Arguments.issueID(attempt), note: note))
      let vote = landed.result.vote
      if global.json {
        return Output.json(
          .object([
            "issue": IssueReference.write(landed.result.id), "vote": vote.map(JSONEncoding.document) ?? .null,
            "commit": .string(landed.commit?.hex ?? ""),
          ]))
      }
      if let winner = vote?.winner {
        Output.line(
          "#\(winner) wins the vote of #\(landed.result.id) (\(vote?.reason ?? "")); the next `ghp land` lands it.")
      } else {
        Output.line(
          "Voted for #\(try Arguments.issueID(attempt)) of #\(landed.result.id); the vote is not decided yet (`ghp vote show \(landed.result.id)`)."
        )
      }
    }
  }
}
