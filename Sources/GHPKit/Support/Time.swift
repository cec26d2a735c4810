import Glibc

/// RFC 3339 timestamps in UTC, to the second: `2025-01-25T10:30:00Z`.
///
/// Written by hand rather than with a date formatter: it is on every command's path and must cost
/// nothing at start-up.
public enum RFC3339 {
  /// Formats seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ`.
  public static func format(_ seconds: Int64) -> String {
    var time = time_t(seconds)
    var parts = tm()
    gmtime_r(&time, &parts)
    func pad(_ value: Int32, _ width: Int) -> String {
      let s = String(value)
      return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
      + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))Z"
  }

  /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` (also with a space or lowercase `t`/`z`) into
  /// seconds since 1970, or nil.
  public static func parse(_ text: String) -> Int64? {
    let b = Array(text.utf8)
    guard b.count >= 20 else { return nil }
    func number(_ from: Int, _ count: Int) -> Int? {
      guard from + count <= b.count else { return nil }
      var value = 0
      for byte in b[from..<from + count] {
        guard (48...57).contains(byte) else { return nil }
        value = value * 10 + Int(byte - 48)
      }
      return value
    }
    guard let year = number(0, 4), year >= 1970, b[4] == 45, let month = number(5, 2), b[7] == 45,
      let day = number(8, 2),
      [84, 116, 32].contains(b[10]), let hour = number(11, 2), b[13] == 58, let minute = number(14, 2),
      b[16] == 58, let second = number(17, 2),
      (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
    else { return nil }
    var index = 19
    if index < b.count, b[index] == 46 {
      index += 1
      let start = index
      while index < b.count, (48...57).contains(b[index]) { index += 1 }
      guard index > start else { return nil }
    }
    guard index < b.count else { return nil }
    var offset = 0
    if b[index] == 90 || b[index] == 122 {
      index += 1
    } else if b[index] == 43 || b[index] == 45 {
      guard let oh = number(index + 1, 2), b.count > index + 3, b[index + 3] == 58, let om = number(index + 4, 2),
        oh < 24, om < 60
      else { return nil }
      offset = (oh * 3600 + om * 60) * (b[index] == 45 ? -1 : 1)
      index += 6
    } else {
      return nil
    }
    guard index == b.count else { return nil }
    var parts = tm()
    parts.tm_year = Int32(year - 1900)
    parts.tm_mon = Int32(month - 1)
    parts.tm_mday = Int32(day)
    parts.tm_hour = Int32(hour)
    parts.tm_min = Int32(minute)
    parts.tm_sec = Int32(second)
    return Int64(timegm(&parts)) - Int64(offset)
  }
}

/// Parses durations as written in the config and on the command line: `600`, `90s`, `10m`, `2h`, `1d`.
public enum Duration {
  /// The longest duration ghp takes (100 years): anything longer is refused rather than let
  /// arithmetic on times overflow.
  public static let maximum: Int64 = 100 * 366 * 86_400

  /// The seconds a duration such as `10m` means; nil when it is malformed, negative or longer than `maximum`.
  public static func seconds(_ text: String) -> Int64? {
    let trimmed = text.trimmingSpaces
    guard let last = trimmed.last else { return nil }
    let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
    var value: Int64
    var unit: Int64 = 1
    if let found = units[last] {
      guard let number = Int64(trimmed.dropLast()) else { return nil }
      value = number
      unit = found
    } else {
      guard let number = Int64(trimmed) else { return nil }
      value = number
    }
    guard value >= 0 else { return nil }
    let (product, overflow) = value.multipliedReportingOverflow(by: unit)
    guard !overflow, product <= maximum else { return nil }
    value = product
    return value
  }

  /// The shortest exact form, for writing back into the config: `90s`, `10m`, `2h`.
  public static func exact(_ seconds: Int64) -> String {
    if seconds > 0 && seconds % 3600 == 0 { return "\(seconds / 3600)h" }
    if seconds > 0 && seconds % 60 == 0 { return "\(seconds / 60)m" }
    return "\(seconds)s"
  }

  /// A short human form (rounded down): `42s`, `5m`, `3h10m`, `2d`.
  public static func describe(_ seconds: Int64) -> String {
    let s = max(0, seconds)
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m" }
    if s < 86400 { return s % 3600 / 60 == 0 ? "\(s / 3600)h" : "\(s / 3600)h\(s % 3600 / 60)m" }
    return "\(s / 86400)d"
  }
}

/// The time ghp acts at: the system clock, or `GHP_NOW` (RFC 3339) so that tests and people can
/// ask "what would be stale at 11:00".
public struct Clock: Sendable {
  /// Seconds since 1970.
  public let now: Int64
  /// Whether the time was given (`GHP_NOW`, a record's own time) rather than read from the system.
  public let isFixed: Bool

  /// A clock fixed at `now`, in seconds since 1970.
  public init(now: Int64) {
    self.now = now
    isFixed = true
  }

  init(system now: Int64) {
    self.now = now
    isFixed = false
  }

  /// The clock a change on a parent made at `parent` is written with: the system's time, or the
  /// parent's when this machine's clock is behind it by at most `skew`, so that a history never
  /// goes back in time (a server refuses a commit dated before its parent). A parent dated further
  /// ahead is not followed (one future-dated commit must not carry everyone's time with it):
  /// `ghp verify` and a server report it. A given time (`GHP_NOW`) stays as given.
  public func notBefore(_ parent: Int64?, within skew: Int64) -> Clock {
    guard !isFixed, let parent, parent > now, parent - now <= skew else { return self }
    return Clock(system: parent)
  }

  /// From the environment: `GHP_NOW` if set (and valid), else the system clock.
  public static func fromEnvironment(_ environment: [String: String]) throws(GHPError) -> Clock {
    if let text = environment["GHP_NOW"], !text.isEmpty {
      guard let seconds = RFC3339.parse(text) else { throw GHPError.invalidNow(text) }
      return Clock(now: seconds)
    }
    return Clock(system: Int64(time(nil)))
  }
}

extension String {
  var trimmingSpaces: String {
    var s = Substring(self)
    while let c = s.first, c.isWhitespace { s.removeFirst() }
    while let c = s.last, c.isWhitespace { s.removeLast() }
    return String(s)
  }
}
