/// Reads ghp's own `JSON` into any `Decodable` value, strictly: a field of the wrong type, a
/// missing field or a field the type does not take is an error that names it, never a default.
///
/// What it reads in a form of its own rather than through `Codable`: a `JSON` value as itself, a
/// commit id from its 40 hex digits, a `RecordedWord` from one of its words (an error lists them).
/// An absent optional reads as nil; anything else absent is an error unless its field says what
/// its absence means (`Defaulted`). Every object's fields must all be read by the type, so a
/// misspelt key is refused rather than dropped.
public enum JSONDecoding {
  /// The arguments of a record of `operation` as `Value`; an error reads "argument 'issue' of
  /// claim: expected a string, got a number".
  public static func arguments<Value: Decodable>(
    _ type: Value.Type, from fields: [String: JSON], operation: String
  ) throws(GHPError) -> Value {
    do { return try decode(type, from: .object(fields)) } catch {
      let detail: String
      switch error.problem {
      case .unknownField: detail = "\(operation) takes no such argument"
      case .expected(let what, let got): detail = "expected \(what), got \(FieldDescription.describe(got))"
      case .invalid(let why): detail = why
      }
      throw .invalidValue("argument '\(error.pathText)' of \(operation)", detail)
    }
  }

  /// A part of a document as `Value`; an error reads `"landing.tip": expected a commit id of 40
  /// hex digits, got a number`, with `field` (the part's key in the document) before the path.
  public static func document<Value: Decodable>(
    _ type: Value.Type, from json: JSON, field: String
  ) throws(DocumentError) -> Value {
    do { return try decode(type, from: json) } catch {
      let path = error.pathText.isEmpty ? field : field + "." + error.pathText
      switch error.problem {
      case .unknownField: throw DocumentError("\"\(path)\" is not a field ghp writes")
      case .expected(let what, let got):
        throw DocumentError("\"\(path)\" must be \(what), not \(FieldDescription.describe(got))")
      case .invalid(let why): throw DocumentError("\"\(path)\": \(why)")
      }
    }
  }

  static func decode<Value: Decodable>(_ type: Value.Type, from json: JSON) throws(FieldError) -> Value {
    let reading = Reading()
    do {
      let value = try reading.value(type, json, path: [])
      try reading.requireAllRead()
      return value
    } catch let error as FieldError {
      throw error
    } catch let error as DecodingError {
      throw FieldError(error)
    } catch {
      throw FieldError(path: [], problem: .invalid("\(GHPError.bridging(error))"))
    }
  }
}

/// A word of a closed set written as a string (an escalation's severity, a landing's mode): the
/// decoder names every word when it reads another.
public protocol RecordedWord: RawRepresentable<String>, CaseIterable, Codable {}

extension RecordedWord {
  static func word(_ text: String) -> Any? { Self(rawValue: text) }
  static var words: [String] { allCases.map(\.rawValue) }
}

/// What is wrong with one field, and where.
struct FieldError: Error {
  enum Problem {
    case expected(String, got: JSON?)
    case unknownField
    case invalid(String)
  }
  var path: [any CodingKey]
  var problem: Problem

  init(path: [any CodingKey], problem: Problem) {
    self.path = path
    self.problem = problem
  }

  init(_ error: DecodingError) {
    switch error {
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
      self.init(path: context.codingPath, problem: .invalid(context.debugDescription))
    case .keyNotFound(let key, let context):
      self.init(path: context.codingPath + [key], problem: .expected("a value", got: nil))
    @unknown default:
      self.init(path: [], problem: .invalid("\(error)"))
    }
  }

  /// `updates[0].agent`.
  var pathText: String {
    var out = ""
    for key in path {
      if let index = key.intValue, key is IndexKey {
        out += "[\(index)]"
      } else {
        out += (out.isEmpty ? "" : ".") + key.stringValue
      }
    }
    return out
  }
}

/// One decoding: every object met, with the keys the types asked for.
private final class Reading {
  final class Object {
    let path: [any CodingKey]
    let fields: [String: JSON]
    var read: Set<String> = []
    init(path: [any CodingKey], fields: [String: JSON]) {
      self.path = path
      self.fields = fields
    }
  }
  var objects: [Object] = []

  func requireAllRead() throws(FieldError) {
    for object in objects {
      if let extra = object.fields.keys.sorted().first(where: { !object.read.contains($0) }) {
        throw FieldError(path: object.path + [AnyKey(extra)], problem: .unknownField)
      }
    }
  }

  func value<T: Decodable>(_ type: T.Type, _ json: JSON?, path: [any CodingKey]) throws -> T {
    func expected(_ what: String) -> FieldError { FieldError(path: path, problem: .expected(what, got: json)) }
    func typed(_ value: Any, _ what: String) throws -> T {
      guard let value = value as? T else { throw expected(what) }
      return value
    }
    if T.self == String.self {
      guard case .string(let text)? = json else { throw expected("a string") }
      return try typed(text, "a string")
    }
    if T.self == Int.self {
      guard case .int(let number)? = json else { throw expected("a whole number") }
      return try typed(number, "a whole number")
    }
    if T.self == Bool.self {
      guard case .bool(let flag)? = json else { throw expected("true or false") }
      return try typed(flag, "true or false")
    }
    if T.self == Int64.self {
      guard case .int(let number)? = json else { throw expected("a whole number") }
      return try typed(Int64(number), "a whole number")
    }
    if T.self == Double.self {
      switch json {
      case .int(let number)?: return try typed(Double(number), "a number")
      case .double(let number)?: return try typed(number, "a number")
      default: throw expected("a number")
      }
    }
    if T.self == Float.self {
      switch json {
      case .int(let number)?: return try typed(Float(number), "a number")
      case .double(let number)?: return try typed(Float(number), "a number")
      default: throw expected("a number")
      }
    }
    if let integer = T.self as? any FixedWidthInteger.Type {
      guard case .int(let number)? = json else { throw expected("a whole number") }
      guard let value = integer.init(exactly: number) else {
        throw FieldError(path: path, problem: .invalid("\(number) is out of range"))
      }
      return try typed(value, "a whole number")
    }
    if T.self == JSON.self {
      guard let json, json != .null else { throw expected("a value") }
      return try typed(json, "a value")
    }
    if T.self == ObjectID.self {
      guard case .string(let hex)? = json, let id = ObjectID(hex: hex) else {
        throw expected("a commit id of 40 hex digits")
      }
      return try typed(id, "a commit id of 40 hex digits")
    }
    if let word = T.self as? any RecordedWord.Type {
      guard case .string(let text)? = json else { throw expected("a string") }
      guard let value = word.word(text) else {
        throw FieldError(path: path, problem: .invalid("'\(text)' is not one of \(word.words.joined(separator: ", "))"))
      }
      return try typed(value, "a string")
    }
    guard let json else { throw expected(T.self is any Sequence.Type ? "an array" : "an object") }
    return try T(from: NodeDecoder(json: json, codingPath: path, reading: self))
  }
}

private struct NodeDecoder: Decoder {
  let json: JSON
  let codingPath: [any CodingKey]
  let reading: Reading
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    guard case .object(let fields) = json else {
      throw FieldError(path: codingPath, problem: .expected("an object", got: json))
    }
    let object = Reading.Object(path: codingPath, fields: fields)
    reading.objects.append(object)
    return KeyedDecodingContainer(KeyedNodeDecoder<Key>(object: object, reading: reading))
  }

  func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
    guard case .array(let items) = json else {
      throw FieldError(path: codingPath, problem: .expected("an array", got: json))
    }
    return UnkeyedNodeDecoder(items: items, codingPath: codingPath, reading: reading)
  }

  func singleValueContainer() throws -> any SingleValueDecodingContainer {
    SingleNodeDecoder(json: json, codingPath: codingPath, reading: reading)
  }
}

private struct KeyedNodeDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
  let object: Reading.Object
  let reading: Reading
  var codingPath: [any CodingKey] { object.path }
  var allKeys: [Key] { object.fields.keys.compactMap { Key(stringValue: $0) } }

  func contains(_ key: Key) -> Bool {
    object.read.insert(key.stringValue)
    return object.fields[key.stringValue] != nil
  }

  func decodeNil(forKey key: Key) throws -> Bool {
    object.read.insert(key.stringValue)
    return object.fields[key.stringValue] == nil || object.fields[key.stringValue] == .null
  }

  func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
    object.read.insert(key.stringValue)
    return try reading.value(type, object.fields[key.stringValue], path: codingPath + [key])
  }

  func nestedContainer<NestedKey: CodingKey>(
    keyedBy type: NestedKey.Type, forKey key: Key
  ) throws -> KeyedDecodingContainer<NestedKey> {
    try superDecoder(forKey: key).container(keyedBy: type)
  }

  func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
    try superDecoder(forKey: key).unkeyedContainer()
  }

  func superDecoder() throws -> any Decoder {
    object.read.insert("super")
    return NodeDecoder(json: object.fields["super"] ?? .null, codingPath: codingPath, reading: reading)
  }

  func superDecoder(forKey key: Key) throws -> any Decoder {
    object.read.insert(key.stringValue)
    return NodeDecoder(json: object.fields[key.stringValue] ?? .null, codingPath: codingPath + [key], reading: reading)
  }
}

private struct UnkeyedNodeDecoder: UnkeyedDecodingContainer {
  let items: [JSON]
  let codingPath: [any CodingKey]
  let reading: Reading
  var currentIndex = 0
  var count: Int? { items.count }
  var isAtEnd: Bool { currentIndex >= items.count }

  init(items: [JSON], codingPath: [any CodingKey], reading: Reading) {
    self.items = items
    self.codingPath = codingPath
    self.reading = reading
  }

  private mutating func next() -> (JSON?, [any CodingKey]) {
    let path = codingPath + [IndexKey(currentIndex)]
    guard !isAtEnd else { return (nil, path) }
    defer { currentIndex += 1 }
    return (items[currentIndex], path)
  }

  mutating func decodeNil() throws -> Bool {
    guard !isAtEnd, items[currentIndex] == .null else { return false }
    currentIndex += 1
    return true
  }

  mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
    let (item, path) = next()
    return try reading.value(type, item, path: path)
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<
    NestedKey
  > {
    try superDecoder().container(keyedBy: type)
  }

  mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
    try superDecoder().unkeyedContainer()
  }

  mutating func superDecoder() throws -> any Decoder {
    let (item, path) = next()
    return NodeDecoder(json: item ?? .null, codingPath: path, reading: reading)
  }
}

private struct SingleNodeDecoder: SingleValueDecodingContainer {
  let json: JSON
  let codingPath: [any CodingKey]
  let reading: Reading

  func decodeNil() -> Bool { json == .null }
  func decode<T: Decodable>(_ type: T.Type) throws -> T { try reading.value(type, json, path: codingPath) }
}
