/// When a failed issue may be tried again: the delay before attempt n+1 is drawn from
/// [0, min(backoffMax, backoff × 2^(n-1))] seconds ("full jitter"), so that workers failing
/// together do not retry together.
public enum RetrySchedule {
  /// The longest wait after `attempts` failed attempts.
  public static func ceiling(attempts: Int, backoff: Int64, backoffMax: Int64) -> Double {
    min(Double(backoffMax), Double(backoff) * pow2(max(attempts - 1, 0)))
  }

  /// The wait after `attempts` failed attempts, drawn by `draw` from `0...ceiling`.
  public static func delay(
    attempts: Int, backoff: Int64, backoffMax: Int64,
    draw: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }
  ) -> Double {
    draw(0...max(ceiling(attempts: attempts, backoff: backoff, backoffMax: backoffMax), 0))
  }

  /// 2 to the `exponent`, saturating (no overflow for a very long run of failures).
  static func pow2(_ exponent: Int) -> Double {
    exponent >= 1023 ? Double.greatestFiniteMagnitude : Double(sign: .plus, exponent: exponent, significand: 1)
  }
}
