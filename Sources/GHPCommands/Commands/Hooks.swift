import ArgumentParser
import GHPKit
import Glibc

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
}
