import ArgumentParser
import GHPKit

/// The whole command line: parse, run, print an error as one line (and with `--json` as one JSON
/// object on stdout), and answer the exit code — 0 done, 1 failure, 2 usage, 3 refused by the
/// coordination rules, 4 nothing ready. `main.swift` exits with it; tests call it in process with
/// a `Console` of their own.
public enum GHPMain {
  /// Runs `arguments` (without the program's name) against `Console.current`.
  public static func run(_ arguments: [String]) -> Int32 {
    Console.$current.withValue(console(Console.current, for: arguments)) { parseAndRun(arguments) }
  }

  private static func parseAndRun(_ arguments: [String]) -> Int32 {
    let given = GlobalOptions.hoisted(arguments)
    // `ghp -V`, also after global options (`ghp -C repo -V`).
    if GlobalOptions.leading(arguments).rest == ["-V"] {
      Output.line(GHP.configuration.version)
      return 0
    }
    if let suggestion = GHP.unknownCommand(in: given) {
      Output.error(suggestion)
      return 2
    }
    // With --json, an error is also one JSON object on stdout, so a script reads it where it reads answers.
    let wantsJSON = given.prefix(while: { $0 != "--" }).contains("--json")
    do {
      var command = try GHP.parseAsRoot(given)
      try command.run()
      return 0
    } catch let error as GHPError {
      Output.error(error.description, refusal: error.isRefusal)
      if wantsJSON { Output.json(error.json) }
      return error.exitCode
    } catch {
      let code = GHP.exitCode(for: error)
      var message = GHP.fullMessage(for: error)
      if code == .success {
        // --help and --version
        Output.control(message + "\n")
        return 0
      }
      if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
      if !message.isEmpty { Output.error(message) }
      let status = code == .validationFailure ? 2 : code.rawValue
      if wantsJSON && status != 0 && !message.isEmpty {
        let first = message.split(separator: "\n").first.map(String.init) ?? "exit \(status)"
        let kind = status == 2 ? "usage" : status == 3 ? "refused" : "failure"
        Output.json(GHPError.json(error: first, code: status, kind: kind))
      }
      return status
    }
  }

  /// Runs `arguments` against `console` (a test's, say) and answers the exit code.
  public static func run(_ arguments: [String], console: Console) -> Int32 {
    Console.$current.withValue(console) { run(arguments) }
  }

  /// The console with `-C PATH` as the folder relative paths are read from: the one the command's
  /// parser keeps (the last, with global options given before the subcommand moved after it), so
  /// that files and the repository are found from the same folder.
  static func console(_ console: Console, for typed: [String]) -> Console {
    let arguments = GlobalOptions.hoisted(typed)
    var given = console
    var index = 0
    while index < arguments.count, arguments[index] != "--" {
      let word = arguments[index]
      if word == "-C", index + 1 < arguments.count {
        given.directory = console.resolve(arguments[index + 1])
        index += 1
      } else if word.hasPrefix("-C"), word.count > 2 {
        given.directory = console.resolve(String(word.dropFirst(2)))
      }
      index += 1
    }
    return given
  }
}
