/// Writes any `Encodable` value as ghp's own `JSON`, so that a type declares its fields once (its
/// `CodingKeys`) and its document or record is made from them.
///
/// Commit ids are written as their 40 hex digits and a `JSON` value as itself. An optional that is
/// nil is written as `null`, as ghp's documents and `--json` answers spell an empty field (an
/// operation's record then leaves its top-level nulls out, see `OperationRecord`).
public enum JSONEncoding {
  /// The value as JSON. A type whose own `encode(to:)` throws is a programming error.
  public static func encode<Value: Encodable>(_ value: Value) -> JSON {
    if let special = Node.special(value) { return special }
    let root = Node()
    do { try value.encode(to: NodeEncoder(node: root, codingPath: [])) } catch {
      preconditionFailure("\(Value.self) could not be written as JSON: \(error)")
    }
    return root.json
  }

  /// The fields of a value that encodes as an object (an operation's arguments, a document).
  public static func fields<Value: Encodable>(_ value: Value) -> [String: JSON] {
    guard case .object(let fields) = encode(value) else {
      preconditionFailure("\(Value.self) is not written as a JSON object")
    }
    return fields
  }
}

/// One value being written: a scalar, an object or an array whose members are written in turn.
private final class Node {
  private enum Content {
    case value(JSON)
    case object([String: Node])
    case array([Node])
  }
  private var content = Content.value(.null)

  var json: JSON {
    switch content {
    case .value(let value): value
    case .object(let fields): .object(fields.mapValues(\.json))
    case .array(let items): .array(items.map(\.json))
    }
  }

  func set(_ value: JSON) { content = .value(value) }

  /// Makes this node an object (keeping fields already written, as a second keyed container of
  /// the same encoder must) and returns the node of `key`.
  func child(_ key: String) -> Node {
    var fields: [String: Node] = [:]
    if case .object(let existing) = content { fields = existing }
    let node = fields[key] ?? Node()
    fields[key] = node
    content = .object(fields)
    return node
  }

  func becomeObject() { if case .object = content {} else { content = .object([:]) } }
  func becomeArray() { if case .array = content {} else { content = .array([]) } }

  func append() -> Node {
    var items: [Node] = []
    if case .array(let existing) = content { items = existing }
    let node = Node()
    items.append(node)
    content = .array(items)
    return node
  }

  var count: Int { if case .array(let items) = content { items.count } else { 0 } }

  /// The JSON of values ghp writes in a form of its own rather than through their `Codable`.
  static func special(_ value: Any) -> JSON? {
    switch value {
    case let json as JSON: json
    case let id as ObjectID: .string(id.hex)
    case let text as String: .string(text)
    case let flag as Bool: .bool(flag)
    case let number as Int: .int(number)
    case let number as Double: .double(number)
    case let number as Float: .double(Double(number))
    case let number as any BinaryInteger: .int(Int(number))
    default: nil
    }
  }

  func write<Value: Encodable>(_ value: Value, codingPath: [any CodingKey]) throws {
    if let special = Self.special(value) { return set(special) }
    try value.encode(to: NodeEncoder(node: self, codingPath: codingPath))
  }
}

private struct NodeEncoder: Encoder {
  let node: Node
  let codingPath: [any CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    node.becomeObject()
    return KeyedEncodingContainer(KeyedNodeEncoder<Key>(node: node, codingPath: codingPath))
  }

  func unkeyedContainer() -> any UnkeyedEncodingContainer {
    node.becomeArray()
    return UnkeyedNodeEncoder(node: node, codingPath: codingPath)
  }

  func singleValueContainer() -> any SingleValueEncodingContainer {
    SingleNodeEncoder(node: node, codingPath: codingPath)
  }
}

private struct KeyedNodeEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
  let node: Node
  let codingPath: [any CodingKey]

  mutating func encodeNil(forKey key: Key) throws { node.child(key.stringValue).set(.null) }
  mutating func encode(_ value: Bool, forKey key: Key) throws { node.child(key.stringValue).set(.bool(value)) }
  mutating func encode(_ value: String, forKey key: Key) throws { node.child(key.stringValue).set(.string(value)) }
  mutating func encode(_ value: Double, forKey key: Key) throws { node.child(key.stringValue).set(.double(value)) }
  mutating func encode(_ value: Int, forKey key: Key) throws { node.child(key.stringValue).set(.int(value)) }
  mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
    try node.child(key.stringValue).write(value, codingPath: codingPath + [key])
  }

  // nil is written as null (not left out, as the default `encodeIfPresent` does).
  mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeOrNull(value, key) }
  mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeOrNull(value, key) }
  mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeOrNull(value, key) }
  mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try encodeOrNull(value, key) }
  mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeOrNull(value, key) }
  mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try encodeOrNull(value, key) }
  mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try encodeOrNull(value, key) }
  mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try encodeOrNull(value, key) }
  mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeOrNull(value, key) }
  mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try encodeOrNull(value, key) }
  mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try encodeOrNull(value, key) }
  mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try encodeOrNull(value, key) }
  mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try encodeOrNull(value, key) }
  mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encodeOrNull(value, key) }
  mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try encodeOrNull(value, key) }

  private mutating func encodeOrNull<T: Encodable>(_ value: T?, _ key: Key) throws {
    guard let value else { return node.child(key.stringValue).set(.null) }
    try node.child(key.stringValue).write(value, codingPath: codingPath + [key])
  }

  mutating func nestedContainer<NestedKey: CodingKey>(
    keyedBy keyType: NestedKey.Type, forKey key: Key
  ) -> KeyedEncodingContainer<NestedKey> {
    let child = node.child(key.stringValue)
    child.becomeObject()
    return KeyedEncodingContainer(KeyedNodeEncoder<NestedKey>(node: child, codingPath: codingPath + [key]))
  }

  mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
    let child = node.child(key.stringValue)
    child.becomeArray()
    return UnkeyedNodeEncoder(node: child, codingPath: codingPath + [key])
  }

  mutating func superEncoder() -> any Encoder { NodeEncoder(node: node.child("super"), codingPath: codingPath) }
  mutating func superEncoder(forKey key: Key) -> any Encoder {
    NodeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key])
  }
}

private struct UnkeyedNodeEncoder: UnkeyedEncodingContainer {
  let node: Node
  let codingPath: [any CodingKey]
  var count: Int { node.count }

  mutating func encodeNil() throws { node.append().set(.null) }
  mutating func encode(_ value: Bool) throws { node.append().set(.bool(value)) }
  mutating func encode(_ value: String) throws { node.append().set(.string(value)) }
  mutating func encode(_ value: Double) throws { node.append().set(.double(value)) }
  mutating func encode(_ value: Int) throws { node.append().set(.int(value)) }
  mutating func encode<T: Encodable>(_ value: T) throws {
    let index = count
    try node.append().write(value, codingPath: codingPath + [IndexKey(index)])
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<
    NestedKey
  > {
    let child = node.append()
    child.becomeObject()
    return KeyedEncodingContainer(KeyedNodeEncoder<NestedKey>(node: child, codingPath: codingPath))
  }

  mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
    let child = node.append()
    child.becomeArray()
    return UnkeyedNodeEncoder(node: child, codingPath: codingPath)
  }

  mutating func superEncoder() -> any Encoder { NodeEncoder(node: node.append(), codingPath: codingPath) }
}

private struct SingleNodeEncoder: SingleValueEncodingContainer {
  let node: Node
  let codingPath: [any CodingKey]

  mutating func encodeNil() throws { node.set(.null) }
  mutating func encode(_ value: Bool) throws { node.set(.bool(value)) }
  mutating func encode(_ value: String) throws { node.set(.string(value)) }
  mutating func encode(_ value: Double) throws { node.set(.double(value)) }
  mutating func encode(_ value: Int) throws { node.set(.int(value)) }
  mutating func encode<T: Encodable>(_ value: T) throws { try node.write(value, codingPath: codingPath) }
}

/// The key of an array's item in a coding path: its index.
struct IndexKey: CodingKey {
  let intValue: Int?
  var stringValue: String { "\(intValue ?? 0)" }
  init(_ index: Int) { intValue = index }
  init?(stringValue: String) { nil }
  init?(intValue: Int) { self.intValue = intValue }
}

// MARK: - JSON through any coder

/// A key of any name: a JSON object's through another coder, an unknown field's in an error.
struct AnyKey: CodingKey {
  let stringValue: String
  var intValue: Int? { nil }
  init(_ name: String) { stringValue = name }
  init?(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }
}

extension JSON: Codable {
  /// Writes the value through any encoder (ghp's own writes it as itself).
  public func encode(to encoder: any Encoder) throws {
    switch self {
    case .object(let fields):
      var container = encoder.container(keyedBy: AnyKey.self)
      for (key, value) in fields { try container.encode(value, forKey: AnyKey(key)) }
    case .array(let items):
      var container = encoder.unkeyedContainer()
      for item in items { try container.encode(item) }
    case .null:
      var container = encoder.singleValueContainer()
      try container.encodeNil()
    case .bool(let flag):
      var container = encoder.singleValueContainer()
      try container.encode(flag)
    case .int(let number):
      var container = encoder.singleValueContainer()
      try container.encode(number)
    case .double(let number):
      var container = encoder.singleValueContainer()
      try container.encode(number)
    case .string(let text):
      var container = encoder.singleValueContainer()
      try container.encode(text)
    }
  }

  /// Reads any value through any decoder (ghp's own hands it over as it is).
  public init(from decoder: any Decoder) throws {
    if let container = try? decoder.container(keyedBy: AnyKey.self) {
      var fields: [String: JSON] = [:]
      for key in container.allKeys { fields[key.stringValue] = try container.decode(JSON.self, forKey: key) }
      self = .object(fields)
    } else if var container = try? decoder.unkeyedContainer() {
      var items: [JSON] = []
      while !container.isAtEnd { items.append(try container.decode(JSON.self)) }
      self = .array(items)
    } else {
      let container = try decoder.singleValueContainer()
      if container.decodeNil() {
        self = .null
      } else if let flag = try? container.decode(Bool.self) {
        self = .bool(flag)
      } else if let number = try? container.decode(Int.self) {
        self = .int(number)
      } else if let number = try? container.decode(Double.self) {
        self = .double(number)
      } else {
        self = .string(try container.decode(String.self))
      }
    }
  }
}

extension ObjectID: Codable {
  /// Writes the id's 40 hex digits.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(hex)
  }

  /// Reads 40 hex digits; anything else is an error.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let hex = try container.decode(String.self)
    guard let id = ObjectID(hex: hex) else {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(hex)' is not a commit id")
    }
    self = id
  }
}
