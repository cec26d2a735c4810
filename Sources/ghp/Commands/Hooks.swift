import ArgumentParser
import GHPKit

#if canImport(Glibc)
  import Glibc
#endif

extension GHP {
  struct Hooks: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "hooks", abstract: "Install or remove the git hooks that enforce who may edit what.",
      subcommands: [Install.self, Uninstall.self])

    struct Install: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install pre-commit, prepare-commit-msg and pre-push (or, with --server, pre-receive).",
        discussion: """
          Respects core.hooksPath. A hook the repository already has is kept as <name>.ghp-chained and runs
          first (its refusal stands). Installing twice changes nothing; uninstall restores what was there.
          Examples: ghp hooks install   ghp -C /srv/git/project.git hooks install --server
          """)

      @OptionGroup var global: GlobalOptions

      @Flag(help: "Install the server hook (pre-receive) into a shared, usually bare, repository.")
      var server = false

      func run() throws {
        let workspace = try global.workspace()
        let report = try HookInstaller.install(workspace.repository, server: server, ghpBinary: Output.executablePath)
        if global.json {
          Output.json(
            .object([
              "directory": .string(report.directory), "installed": .array(report.installed.map { .string($0) }),
              "chained": .array(report.chained.map { .string($0) }),
            ]))
        } else {
          Output.line("Installed \(report.installed.joined(separator: ", ")) in \(report.directory).")
          for name in report.chained { Output.line("Kept the existing \(name) as \(name).ghp-chained; it runs first.") }
        }
      }
    }

    struct Uninstall: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "uninstall", abstract: "Remove ghp's hooks and put back the ones they chained.",
        discussion: "Example: ghp hooks uninstall")

      @OptionGroup var global: GlobalOptions

      func run() throws {
        let report = try HookInstaller.uninstall(global.workspace().repository)
        if global.json {
          Output.json(
            .object([
              "removed": .array(report.removed.map { .string($0) }),
              "restored": .array(report.restored.map { .string($0) }),
            ]))
        } else {
          Output.line(
            "Removed \(report.removed.isEmpty ? "nothing" : report.removed.joined(separator: ", ")) from \(report.directory)."
          )
          for name in report.restored { Output.line("Restored \(name).") }
        }
      }
    }
  }

  struct Hook: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "hook", abstract: "Run one hook's check (called by the installed hook scripts).",
      discussion: "Names: pre-commit, prepare-commit-msg, post-commit, pre-push, pre-receive. Exit 3 refuses.")

    @Argument(help: "The hook.")
    var name: String

    @Argument(parsing: .allUnrecognized, help: "What git passed to the hook.")
    var arguments: [String] = []

    func run() throws {
      let workspace = try Workspace(hookEnvironment: Output.environment)
      var verdict = HookRunner.Verdict()
      switch name {
      case "pre-commit":
        verdict = try HookRunner.preCommit(workspace)
      case "post-commit":
        verdict = try HookRunner.postCommit(workspace)
      case "prepare-commit-msg":
        guard let file = arguments.first else { throw ValidationError("prepare-commit-msg needs the message file") }
        let message = String(decoding: try Arguments.fileBytes(file), as: UTF8.self)
        let updated = try HookRunner.prepareCommitMessage(message, workspace: workspace)
        if updated != message { try Files.replace(file, with: Array(updated.utf8)) }
      case "pre-push":
        let lines = Output.readStandardInput().split(separator: "\n").map(String.init)
        verdict = try HookRunner.prePush(lines, remote: arguments.first ?? "origin", workspace: workspace)
      case "pre-receive":
        let lines = Output.readStandardInput().split(separator: "\n").map(String.init)
        verdict = try HookRunner.preReceive(lines, workspace: workspace)
      default:
        throw ValidationError(
          "unknown hook '\(name)': pre-commit, prepare-commit-msg, post-commit, pre-push or pre-receive")
      }
      for note in verdict.notes { Output.error(note) }
      guard verdict.allowed else {
        for refusal in verdict.refusals { Output.error("\(name): \(refusal)") }
        Output.error(
          "\(name): refused by ghp (\(verdict.refusals.count) problem\(verdict.refusals.count == 1 ? "" : "s")); nothing was \(name == "pre-commit" ? "committed" : "pushed")"
        )
        throw ExitCode(3)
      }
    }
  }

}
