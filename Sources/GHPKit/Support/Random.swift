/// Secrets made here: bytes from the system's generator, as lowercase hex.
public enum RandomHex {
  /// `bytes` random bytes as `2 * bytes` hex digits.
  public static func make(bytes: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<bytes).map { _ in
      let byte = UInt8.random(in: 0...255, using: &generator)
      return (byte < 16 ? "0" : "") + String(byte, radix: 16)
    }.joined()
  }
}
