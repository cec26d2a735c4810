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
          Respects core.hooksPath. A hook the repository already has is kept as <name>.ghp-chained \
          and runs first (its refusal stands). Installing twice changes nothing; uninstall \
          restores what was there.

          Examples:
            ghp hooks install
            ghp -C /srv/git/project.git hooks install --server
          """)

      @OptionGroup var global: GlobalOptions

      @Flag(help: "Install the server hook (pre-receive) into a shared, usually bare, repository.")
      var server = false

      func run() throws {
        let action = HooksAction(install: true, server: server, ghpBinary: Output.executablePath)
        Output.answer(try action.run(in: global.workspace()), json: global.json)
      }
    }

    struct Uninstall: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "uninstall", abstract: "Remove ghp's hooks and put back the ones they chained.",
        discussion: """
          Example:
            ghp hooks uninstall
          """)

      @OptionGroup var global: GlobalOptions

      func run() throws {
        let action = HooksAction(install: false, ghpBinary: Output.executablePath)
        Output.answer(try action.run(in: global.workspace()), json: global.json)
      }
    }
  }
}
