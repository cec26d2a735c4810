import CLibGit2

/// A git object id (SHA-1), a plain value.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible {
  var raw: git_oid

  init(_ raw: git_oid) { self.raw = raw }

  /// Parses 40 hex digits.
  public init?(hex: String) {
    var oid = git_oid()
    guard hex.utf8.count == 40, git_oid_fromstr(&oid, hex) == 0 else { return nil }
    raw = oid
  }

  /// Parses 40 hex digits from bytes, without making a string.
  public init?(hexBytes: UnsafeBufferPointer<UInt8>) {
    guard hexBytes.count == 40 else { return nil }
    var oid = git_oid()
    let ok = hexBytes.withMemoryRebound(to: CChar.self) { git_oid_fromstrn(&oid, $0.baseAddress, 40) == 0 }
    guard ok else { return nil }
    raw = oid
  }

  /// From 20 raw bytes.
  init(rawBytes: UnsafeBufferPointer<UInt8>) {
    var oid = git_oid()
    withUnsafeMutableBytes(of: &oid) { $0.copyMemory(from: UnsafeRawBufferPointer(rawBytes)) }
    raw = oid
  }

  /// Appends the 40 hex digits to `out`.
  public func appendHex(to out: inout [UInt8]) {
    var copy = raw
    var buffer = [CChar](repeating: 0, count: 41)
    git_oid_tostr(&buffer, 41, &copy)
    for index in 0..<40 { out.append(UInt8(bitPattern: buffer[index])) }
  }

  /// The all-zero id.
  public static let zero = ObjectID(git_oid())

  /// The id as 40 lowercase hex digits.
  public var hex: String {
    var copy = raw
    var buffer = [CChar](repeating: 0, count: 41)
    git_oid_tostr(&buffer, 41, &copy)
    return String(decoding: buffer.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// The id's first 10 hex digits, for messages and tables.
  public var short: String { String(hex.prefix(10)) }
  /// The id as 40 lowercase hex digits.
  public var description: String { hex }

  /// Whether the two ids are the same 20 bytes.
  public static func == (lhs: ObjectID, rhs: ObjectID) -> Bool {
    var a = lhs.raw
    var b = rhs.raw
    return git_oid_equal(&a, &b) != 0
  }

  /// Hashes the id's 20 raw bytes.
  public func hash(into hasher: inout Hasher) {
    withUnsafeBytes(of: raw) { hasher.combine(bytes: $0) }
  }
}

extension ObjectID {
  /// The id git gives `bytes` as a blob, without writing it.
  static func hashing(blob bytes: [UInt8]) throws(GitError) -> ObjectID {
    GitRuntime.ensure()
    var oid = git_oid()
    try check(bytes.withUnsafeBytes { git_odb_hash(&oid, $0.baseAddress, $0.count, GIT_OBJECT_BLOB) })
    return ObjectID(oid)
  }
}
