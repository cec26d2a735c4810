import GHPKit
import Glibc

/// How commands print: through the current `Console`, never to a descriptor of their own.
enum Output {
  static var console: Console { Console.current }

  /// Text for people: agents wrote much of it, so control characters (an escape sequence that
  /// would recolour or hide a line) are shown escaped, never sent to the terminal raw.
  static func line(_ text: String) {
    let safe = Terminal.safe(text)
    console.write(1, safe.hasSuffix("\n") ? safe : safe + "\n")
  }

  static func text(_ text: String) { console.write(1, Terminal.safe(text)) }

  /// ghp's own control sequences (the live table's redraw), sent as they are.
  static func control(_ text: String) { console.write(1, text) }

  /// Text made safe, then with ghp's own marks coloured when standard output is a terminal.
  static func marked(_ text: String) {
    console.write(1, Colour(terminal: isTerminal, environment: environment).marks(Terminal.safe(text)))
  }

  static func json(_ value: JSON) { console.write(1, value.pretty()) }

  /// An action's answer: its JSON with `--json`, else its lines; its notes go to standard error.
  static func answer(_ answer: some ActionAnswer, json: Bool) {
    if json {
      Output.json(answer.json)
    } else {
      for line in answer.lines { Output.line(line) }
    }
    for note in answer.notes { Output.note(note) }
  }

  /// What goes beside an answer (a notice, a warning that nothing failed over): standard error,
  /// without the error marker, so that a script's stdout holds the answer only and nobody takes a
  /// notice for a failure.
  static func note(_ text: String) {
    let safe = Terminal.safe(text)
    console.write(2, "note: " + (safe.hasSuffix("\n") ? safe : safe + "\n"))
  }

  static func error(_ text: String, refusal: Bool = false) {
    let safe = Terminal.safe(text)
    let colour = Colour(terminal: console.isTerminal(2), environment: environment)
    console.write(
      2, colour.paint("ghp:", refusal ? Colour.yellow : Colour.red) + " " + (safe.hasSuffix("\n") ? safe : safe + "\n"))
  }

  /// The environment commands read.
  static var environment: [String: String] { console.environment }

  /// The width tables fit: `$COLUMNS`, else the terminal's when standard output is one; nil when
  /// neither says (a pipe), where free text is cut at a fixed width.
  static var width: Int? {
    if let text = environment["COLUMNS"], let columns = Int(text), columns > 20 { return columns }
    guard console.isTerminal(1) else { return nil }
    var size = winsize()
    guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 else { return nil }
    return Int(size.ws_col)
  }

  /// Whether standard output is a terminal.
  static var isTerminal: Bool { console.isTerminal(1) }

  /// The absolute path of this executable (hooks call it when `ghp` is not on PATH).
  static var executablePath: String { ThisProcess.executablePath ?? CommandLine.arguments[0] }

  /// A path a command was given, as it is read: relative to `-C` when given (`Console.resolve`).
  /// Refused for a contained worker's command (`Console.forwarded`), which names no path of this
  /// process's to read or write.
  static func path(_ path: String) throws -> String {
    if console.forwarded != nil {
      throw GHPError.refused(
        "a contained worker's ghp command reads no file by path here: \(path) stays in the sandbox (pass its content with `-`, or print to standard output)"
      )
    }
    return console.resolve(path)
  }

  /// Reads all of standard input (for `-` arguments).
  static func readStandardInput() -> String { String(decoding: console.readInput(), as: UTF8.self) }
}
