import Foundation
import GHPKit
import GHPTestSupport
import Testing

@testable import GHPCommands

/// The command line run in process against a console of the test's own: what each command prints,
/// where, and the code it exits with — without spawning the binary.
@Suite struct InProcessTests {
  struct Run {
    var code: Int32
    var stdout: String
    var stderr: String
  }

  /// `ghp ARGUMENTS` in `repo` as `agent`, with `input` on standard input.
  func ghp(
    _ arguments: [String], in repo: ScratchRepository, agent: String? = "lead", input: String = "",
    terminal: Bool = false, environment: [String: String] = [:]
  ) -> Run {
    var env = environment
    if let agent { env["GHP_AGENT"] = agent }
    let (console, recording) = Console.recording(environment: env, input: input, terminal: terminal)
    let code = GHPMain.run(["-C", repo.path] + arguments, console: console)
    return Run(code: code, stdout: recording.stdout, stderr: recording.stderr)
  }

  func initialised() throws -> ScratchRepository {
    let repo = try ScratchRepository()
    let made = ghp(["init", "--goal", "In process", "--unknown-agents", "register"], in: repo)
    try #require(made.code == 0, "\(made.stderr)")
    return repo
  }

  @Test func eachKindOfFailureHasItsExitCodeAndOneLine() throws {
    let repo = try initialised()
    #expect(ghp(["issue", "add", "Router"], in: repo).code == 0)
    // 2: a command that does not exist, naming the closest.
    let typo = ghp(["claimm", "1"], in: repo, agent: "w1")
    #expect(typo.code == 2 && typo.stdout.isEmpty)
    #expect(
      typo.stderr == "ghp: 'claimm' is not a ghp command. Did you mean `ghp claim`? See `ghp --help` for the list.\n")
    // 2: a malformed argument, before anything is written.
    let bad = ghp(["claim", "1;rm"], in: repo, agent: "w1")
    #expect(bad.code == 2 && bad.stderr.hasPrefix("ghp: invalid issue id '1;rm': it contains ';'\n"), "\(bad.stderr)")
    #expect(try repo.git("rev-list", "--count", "ghp/state") == "2", "nothing was written")
    // 0, then 3 for the second claimant, naming the holder; with --json the refusal's facts on stdout.
    let won = ghp(["claim", "1"], in: repo, agent: "w1")
    #expect(won.code == 0 && won.stdout == "Claimed #1 Router (epoch 1).\n" && won.stderr.isEmpty)
    let lost = ghp(["claim", "1", "--json"], in: repo, agent: "w2")
    #expect(lost.code == 3)
    #expect(lost.stderr.hasPrefix("ghp: #1 is held by w1"), "\(lost.stderr)")
    let facts = try JSON.parse(lost.stdout)
    #expect(facts["code"] == .int(3) && facts["kind"] == .string("refused") && facts["holder"] == .string("w1"))
    // 4: nothing ready.
    let none = ghp(["claim", "--next"], in: repo, agent: "w2")
    #expect(none.code == 4, "\(none.stderr)")
    // 0 for help, on stdout.
    let help = ghp(["claim", "--help"], in: repo)
    #expect(help.code == 0 && help.stdout.contains("USAGE: ghp claim") && help.stderr.isEmpty)
  }

  @Test func colourOnlyForATerminalAndNeverAgainstNoColor() throws {
    let repo = try initialised()
    let plain = ghp(["issue", "show", "7"], in: repo)
    #expect(plain.code == 2 && plain.stderr.hasPrefix("ghp: no issue #7"))
    let coloured = ghp(["issue", "show", "7"], in: repo, terminal: true)
    #expect(coloured.stderr.hasPrefix("\u{1B}[31mghp:\u{1B}[0m no issue #7"), "\(coloured.stderr.debugDescription)")
    let asked = ghp(["issue", "show", "7"], in: repo, terminal: true, environment: ["NO_COLOR": "1"])
    #expect(asked.stderr == plain.stderr)
  }

  @Test func standardInputIsTheConsolesAndAgentTextIsShownEscaped() throws {
    let repo = try initialised()
    let body = "Line one\nline two\n"
    let added = ghp(["issue", "add", "Title \u{1B}[2Jwiped", "--body", "-", "--json"], in: repo, input: body)
    #expect(added.code == 0, "\(added.stderr)")
    let issue = try JSON.parse(added.stdout)
    #expect(issue["body"] == .string(body), "\(added.stdout)")
    let listed = ghp(["issue", "list"], in: repo)
    #expect(listed.code == 0 && !listed.stdout.contains("\u{1B}"), "an escape sequence reached the terminal")
    #expect(listed.stdout.contains("Title"))
  }
}
