import ArgumentParser
import GHPKit

extension GHP {
  struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "config", abstract: "Read or change the policy in .ghp/config.toml on ghp/state.",
      subcommands: [Get.self, Set.self, List.self])

    struct Get: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Print one setting.",
        discussion: """
          Example:
            ghp config get staleAfter
          """)

      @OptionGroup var global: ReadOptions

      @Argument(help: "The setting, as in the file (staleAfter, shared.globs, remote.name).")
      var key: String

      func run() throws {
        let text = try global.workspace().snapshot().text(StatePaths.config) ?? ""
        let values = try TOML.parse(text)
        guard let value = values[key] else {
          try Config.requireKnown(key)
          throw GHPError.invalidValue(
            "key '\(key)'", "it is not set in .ghp/config.toml, so its default applies (see `ghp config list`)")
        }
        Output.line(global.json ? value.json.compact() : value.display)
      }
    }

    struct Set: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Change one setting (orchestrators): one operation on ghp/state.",
        discussion: """
          The value is TOML when it reads as TOML (5, true, ["a", "b"], "text"); anything else is \
          taken as text. The rest of the file, comments included, stays as it is; a value the \
          policy cannot use is refused.

          Examples:
            ghp config set staleAfter 15m
            ghp config set shared.globs '["README*", "Sources/Core/**"]'
          """)

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The setting (staleAfter, maxAttempts, onStale, shared.globs, roles.orchestrators, ...).")
      var key: String

      @Argument(help: "Its new value.")
      var value: String

      func run() throws {
        // A guard of this command, not of the operation: a record of any key still replays.
        try Config.requireKnown(key)
        let operation = SetConfigOperation(key: key, value: SetConfigOperation.tomlValue(value))
        let landed = try global.workspace().run(operation)
        if global.json {
          Output.json(
            .object(["key": .string(key), "value": .string(operation.value), "changed": .bool(landed.commit != nil)]))
        } else {
          Output.line(landed.commit == nil ? "\(key) is already \(operation.value)." : "\(key) = \(operation.value)")
        }
      }
    }

    struct List: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Print the whole policy file.",
        discussion: """
          Example:
            ghp config list
          """)

      @OptionGroup var global: ReadOptions

      func run() throws {
        let text = try global.workspace().snapshot().text(StatePaths.config) ?? ""
        if global.json {
          Output.json(.object(try TOML.parse(text).mapValues(\.json)))
        } else {
          Output.text(text)
        }
      }
    }
  }
}
