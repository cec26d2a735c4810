import ArgumentParser
import GHPKit

#if canImport(Glibc)
  import Glibc
#endif

// Exit codes: 0 done, 1 failure, 2 usage, 3 refused by the coordination rules.
NetworkDeadline.configure(Output.environment)
NetworkDeadline.exitWhenSilent = true
let given = GlobalOptions.hoisted(Array(CommandLine.arguments.dropFirst()))
if given == ["-V"] {
  Output.line(GHP.configuration.version)
  exit(0)
}
if let word = given.first, let suggestion = GHP.unknownSubcommand(word) {
  Output.error(suggestion)
  exit(2)
}
// With --json, an error is also one JSON object on stdout, so a script reads it where it reads answers.
let wantsJSON = given.prefix(while: { $0 != "--" }).contains("--json")
do {
  var command = try GHP.parseAsRoot(given)
  try command.run()
} catch let error as GHPError {
  Output.error(error.description, refusal: error.isRefusal)
  if wantsJSON { Output.json(error.json) }
  exit(error.exitCode)
} catch {
  let code = GHP.exitCode(for: error)
  if code == .success {
    // --help and --version
    print(GHP.fullMessage(for: error))
    exit(0)
  }
  var message = GHP.fullMessage(for: error)
  if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
  if !message.isEmpty { Output.error(message) }
  let status = code == .validationFailure ? 2 : code.rawValue
  if wantsJSON && status != 0 && !message.isEmpty {
    let first = message.split(separator: "\n").first.map(String.init) ?? "exit \(status)"
    let kind = status == 2 ? "usage" : status == 3 ? "refused" : "failure"
    Output.json(GHPError.json(error: first, code: status, kind: kind))
  }
  exit(status)
}
