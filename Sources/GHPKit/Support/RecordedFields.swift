/// Fields of records and documents whose absence means something: ghp's readers of older records
/// must replay them as they were made, so a field added later reads as its old behaviour when absent.

/// A flag written only when true; absent, it reads false (a record made before the flag existed).
///
/// ```swift
/// @RecordFlag public var tellsHolder = true   // "tells": true, or nothing
/// ```
@propertyWrapper
public struct RecordFlag: Codable, Equatable, Sendable {
  /// The flag.
  public var wrappedValue: Bool
  /// A flag set to `wrappedValue`.
  public init(wrappedValue: Bool) { self.wrappedValue = wrappedValue }
  /// Reads the flag from a boolean.
  public init(from decoder: any Decoder) throws { wrappedValue = try decoder.singleValueContainer().decode(Bool.self) }
  /// Writes the flag as a boolean.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(wrappedValue)
  }
}

/// The value a `Defaulted` field reads as when it is absent.
public protocol AbsentValue {
  /// The type of the field.
  associatedtype Value: Codable & Equatable & Sendable
  /// What an absent field means.
  static var value: Value { get }
}

/// A field always written, that reads as `Default.value` when absent (a record made by a tool that
/// left it out).
@propertyWrapper
public struct Defaulted<Default: AbsentValue>: Codable, Equatable, Sendable {
  /// The field's value.
  public var wrappedValue: Default.Value
  /// A field holding `wrappedValue`.
  public init(wrappedValue: Default.Value) { self.wrappedValue = wrappedValue }
  /// Reads the field's value.
  public init(from decoder: any Decoder) throws {
    wrappedValue = try decoder.singleValueContainer().decode(Default.Value.self)
  }
  /// Writes the field's value.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(wrappedValue)
  }
}

/// Absent means false.
public enum AbsentIsFalse: AbsentValue {
  /// False.
  public static let value = false
}

/// Absent means the empty text.
public enum AbsentIsEmptyText: AbsentValue {
  /// "".
  public static let value = ""
}

extension KeyedDecodingContainer {
  /// A `RecordFlag` reads false when absent.
  public func decode(_ type: RecordFlag.Type, forKey key: Key) throws -> RecordFlag {
    RecordFlag(wrappedValue: try decodeIfPresent(Bool.self, forKey: key) ?? false)
  }

  /// A `Defaulted` field reads its default when absent.
  public func decode<Default>(_ type: Defaulted<Default>.Type, forKey key: Key) throws -> Defaulted<Default> {
    Defaulted(wrappedValue: try decodeIfPresent(Default.Value.self, forKey: key) ?? Default.value)
  }
}

extension KeyedEncodingContainer {
  /// A `RecordFlag` is written only when true.
  public mutating func encode(_ value: RecordFlag, forKey key: Key) throws {
    if value.wrappedValue { try encode(true, forKey: key) }
  }
}

/// Absent means priority 2, the default of `ghp issue add`.
public enum AbsentIsPriorityTwo: AbsentValue {
  /// 2.
  public static let value = 2
}

/// Absent means no strings (a list a record or document leaves out when it is empty).
public enum NoStrings: AbsentValue {
  /// [].
  public static let value: [String] = []
}

/// Absent means no gate results (a conflict's bounce, a record made before the gate ran).
public enum NoGateResults: AbsentValue {
  /// [].
  public static let value: [GateCommandResult] = []
}
