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
