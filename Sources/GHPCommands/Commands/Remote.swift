import ArgumentParser
import GHPKit

extension GHP {
  struct Remote: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "remote", abstract: "Share ghp/state across machines through a git server.",
      subcommands: [Set.self, Unset.self, Status.self])

    struct Set: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "State changes now go through this git remote (orchestrators); publishes the state there.",
        discussion: """
          In remote mode every change is: fetch ghp/state, apply to the remote tip, commit, push \
          without force; on rejection, fetch and apply again. A claim succeeds only once the \
          server accepted it. A remote given as a path or file:// is refused: libgit2 writes such \
          a remote without checking the old value. Serve it with any git server (ssh, https, or \
          git daemon --enable=receive-pack).

          Example:
            ghp remote set origin
          """)

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The git remote's name.")
      var name: String

      func run() throws {
        let workspace = try global.workspace()
        guard let url = workspace.repository.remoteURL(name) else {
          throw GHPError.invalidValue(
            "remote", "there is no git remote named \(name) (add it: git remote add \(name) URL)")
        }
        try Ledger.checkRemoteURL(url, name: name)
        try workspace.run(SetRemoteOperation(name: name))
        let report = try workspace.ledger.sync(remote: name, actor: workspace.actor(), clock: workspace.clock)
        if global.json {
          Output.json(.object(["remote": .string(name), "url": .string(url), "sync": .string(report.kind.rawValue)]))
        } else {
          Output.line("State changes now go through \(name) (\(url)); ghp/state there is \(report.tip?.short ?? "?").")
        }
      }
    }

    struct Unset: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "unset", abstract: "State changes stay local again (orchestrators).",
        discussion: """
          Example:
            ghp remote unset
          """)

      @OptionGroup var global: GlobalOptions

      func run() throws {
        try global.workspace().run(SetRemoteOperation(name: nil))
        if !global.json { Output.line("State changes stay local; `ghp sync --remote NAME` still shares them.") }
      }
    }

    struct Status: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "status", abstract: "How far local ghp/state is from the remote's (fetches first).",
        discussion: """
          Example:
            ghp remote status
          """)

      @OptionGroup var global: GlobalOptions

      @Option(help: "The remote (default: the configured one, else origin).")
      var remote: String?

      func run() throws {
        let workspace = try global.workspace()
        let configured = try workspace.snapshot().remoteName
        let name = remote ?? configured ?? "origin"
        let status = try workspace.ledger.remoteStatus(remote: name)
        if global.json {
          Output.json(
            .object([
              "remote": .string(name), "local": status.local.map { .string($0.hex) } ?? .null,
              "remoteTip": status.remote.map { .string($0.hex) } ?? .null, "ahead": .int(status.ahead),
              "behind": .int(status.behind),
            ]))
        } else {
          Output.line(
            "local ghp/state \(status.local?.short ?? "(none)"), \(name) \(status.remote?.short ?? "(none)"): \(status.ahead) ahead, \(status.behind) behind"
          )
        }
      }
    }
  }

}

extension String {
  func padding(_ width: Int) -> String {
    count >= width ? self + " " : self + String(repeating: " ", count: width - count)
  }
}
