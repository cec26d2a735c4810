import GHPKit

#if canImport(Glibc)
  import Glibc
#endif

/// The executable's only way to print.
enum Output {
  /// Text for people: agents wrote much of it, so control characters (an escape sequence that
  /// would recolour or hide a line) are shown escaped, never sent to the terminal raw.
  static func line(_ text: String) {
    let safe = Terminal.safe(text)
    write(1, safe.hasSuffix("\n") ? safe : safe + "\n")
  }

  static func text(_ text: String) { write(1, Terminal.safe(text)) }

  /// Text made safe, then with ghp's own marks coloured when standard output is a terminal.
  static func marked(_ text: String) {
    write(1, Colour(descriptor: 1, environment: environment).marks(Terminal.safe(text)))
  }

  static func json(_ value: JSON) { write(1, value.pretty()) }

  /// An action's answer: its JSON with `--json`, else its lines; its notes go to standard error.
  static func answer(_ answer: some ActionAnswer, json: Bool) {
    if json {
      Output.json(answer.json)
    } else {
      for line in answer.lines { Output.line(line) }
    }
    for note in answer.notes { Output.error(note) }
  }

  static func error(_ text: String, refusal: Bool = false) {
    let safe = Terminal.safe(text)
    let colour = Colour(descriptor: 2, environment: environment)
    write(
      2, colour.paint("ghp:", refusal ? Colour.yellow : Colour.red) + " " + (safe.hasSuffix("\n") ? safe : safe + "\n"))
  }

  /// Writes all of `text` to a file descriptor (unbuffered: nothing is lost when the process exits).
  private static func write(_ descriptor: Int32, _ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeMutableBytes {
        Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset)
      }
      if written < 0 && errno == EINTR { continue }
      if written <= 0 { return }
      offset += written
    }
  }

  static var environment: [String: String] {
    var out: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
      let text = String(cString: entry)
      if let eq = text.firstIndex(of: "=") { out[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
      pointer += 1
    }
    return out
  }

  /// The absolute path of this executable (hooks call it when `ghp` is not on PATH).
  static var executablePath: String { ThisProcess.executablePath ?? CommandLine.arguments[0] }

  /// Reads all of standard input (for `-` arguments).
  static func readStandardInput() -> String { String(decoding: Files.read("/dev/stdin") ?? [], as: UTF8.self) }
}
