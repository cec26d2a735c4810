import ArgumentParser
import GHPKit

extension GHP {
  struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "doctor",
      abstract: "Check what this repository's agents would meet: agent CLIs, ghp run, setup, sandbox, server.",
      discussion: """
        One line each, ok or what to do: the state and who you act as; whether bubblewrap can \
        contain ghp run's workers; claude and codex as installed here (their version, and the \
        command line ghp run would start, or why it cannot); agent.command; whether ghp setup \
        claude|codex is current in this worktree; in remote mode, whether the git server answers \
        (within 10 s) and how its hook names pushers. Exit 1 when any line needs doing. Writes \
        nothing.

        Examples:
          ghp doctor
          ghp doctor --json
        """)

    @OptionGroup var global: ReadOptions

    func run() throws {
      let environment = Output.environment
      let codexHome =
        environment["CODEX_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["HOME"].map { $0 + "/.codex" }
      let findings = Doctor.examine(try global.workspace(), codexHome: codexHome) {
        SetupOptions.ghpCommand(given: nil, quoted: $0)
      }
      if global.json {
        Output.json(
          .object(["ok": .bool(findings.allSatisfy(\.ok)), "checks": .array(findings.map(\.json))]))
      } else {
        for finding in findings {
          Output.line("\(finding.ok ? "ok  " : "todo") \(finding.topic): \(Terminal.safe(finding.text))")
        }
      }
      if !findings.allSatisfy(\.ok) { throw ExitCode(1) }
    }
  }
}
