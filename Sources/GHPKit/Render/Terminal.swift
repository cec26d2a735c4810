import Glibc

/// Text written by agents, made safe for a terminal: a control character (an escape sequence
/// that would recolour or move the cursor, a carriage return that would hide a line, a NUL) is
/// shown as a visible `\u{1b}`-style escape instead of reaching the terminal raw.
public enum Terminal {
  /// `text` with every control character but a newline escaped (tabs become spaces).
  public static func safe(_ text: String, keepNewlines: Bool = true) -> String {
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
      if scalar == "\n" && keepNewlines {
        out.unicodeScalars.append(scalar)
      } else if scalar == "\t" {
        out += " "
      } else if isControl(scalar) {
        out += "\\u{" + String(scalar.value, radix: 16) + "}"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) || scalar.value == 0x2028
      || scalar.value == 0x2029
  }
}

/// Colour for people at a terminal: on only when the output is a terminal, `NO_COLOR` is unset
/// and `TERM` is not `dumb`. Applied after text is made safe, to ghp's own words only.
public struct Colour: Sendable {
  /// True when `paint` colours: a terminal, `NO_COLOR` unset and `TERM` not `dumb`.
  public let enabled: Bool

  /// Colour for output to file descriptor `descriptor`, on only when it is a terminal.
  public init(descriptor: Int32, environment: [String: String]) {
    self.init(terminal: isatty(descriptor) == 1, environment: environment)
  }

  /// Colour for output that goes to a terminal (or not), unless `NO_COLOR` or `TERM=dumb` says no.
  public init(terminal: Bool, environment: [String: String]) {
    enabled = terminal && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
  }

  /// The SGR codes `paint` takes: red (STALE), yellow (CONFLICT, HIGH), bold red (CRITICAL).
  public static let red = "31", yellow = "33", boldRed = "1;31"

  /// `text` between the escape of SGR `code` and a reset; unchanged when colour is off.
  public func paint(_ text: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

  /// The marks of a status table: STALE, CRITICAL and HIGH, CONFLICT.
  public func marks(_ table: String) -> String {
    guard enabled else { return table }
    var out = table
    for (word, code) in [
      ("STALE", Self.red), ("CRITICAL", Self.boldRed), ("CONFLICT", Self.yellow), ("HIGH", Self.yellow),
    ] {
      out = out.replacing(" \(word) ", with: " \(paint(word, code)) ").replacing(
        " \(word)\n", with: " \(paint(word, code))\n"
      )
      .replacing("\n\(word) ", with: "\n\(paint(word, code)) ")
    }
    return out
  }
}
