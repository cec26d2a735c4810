import CEd25519

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// An agent's ed25519 key, in OpenSSH's own formats so that `ssh-keygen` and git read it too.
public struct SigningKey {
  /// The private key: RFC 8032's 32-byte seed.
  let seed: [UInt8]
  /// The public key the seed makes.
  let publicKey: [UInt8]
  /// The text after the key in its public line, `<agent>@ghp` for keys ghp makes; may be empty.
  public let comment: String

  /// A new random ed25519 key with this comment.
  public static func generate(comment: String) -> SigningKey {
    var generator = SystemRandomNumberGenerator()
    while true {
      let seed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
      if let key = try? SigningKey(seed: seed, comment: comment) { return key }
    }
  }

  init(seed: [UInt8], comment: String) throws(GHPError) {
    var publicKey = [UInt8](repeating: 0, count: 32)
    guard seed.count == 32, ghp_ed25519_public_key(seed, &publicKey) == 0 else {
      throw .invalidValue("signing key", "its ed25519 key is not valid")
    }
    self.seed = seed
    self.publicKey = publicKey
    self.comment = comment
  }

  /// The public key as SSH writes it in one line: `ssh-ed25519 AAAA... comment`.
  public var publicKeyLine: String {
    "ssh-ed25519 " + Data(SSHWire.publicKeyBlob(publicKey)).base64EncodedString()
      + (comment.isEmpty ? "" : " \(comment)")
  }

  /// Reads an unencrypted OpenSSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`) of type ed25519.
  public init(openSSH text: String) throws(GHPError) {
    func bad(_ why: String) -> GHPError {
      .invalidValue("signing key", "\(why) (give an unencrypted ed25519 key: ssh-keygen -t ed25519 -N '')")
    }
    let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
    guard text.contains("BEGIN OPENSSH PRIVATE KEY"), let data = Data(base64Encoded: body) else {
      throw bad("not an OpenSSH private key")
    }
    var reader = SSHWire.Reader(Array(data))
    guard reader.take(15) == Array("openssh-key-v1\0".utf8) else { throw bad("not an openssh-key-v1 file") }
    guard let cipher = reader.string(), let kdf = reader.string(), reader.string() != nil, let count = reader.uint32()
    else {
      throw bad("its header cannot be read")
    }
    guard cipher == Array("none".utf8), kdf == Array("none".utf8) else { throw bad("it is encrypted") }
    guard count == 1, reader.string() != nil, let section = reader.string() else {
      throw bad("it holds more than one key")
    }
    var inner = SSHWire.Reader(section)
    guard let check1 = inner.uint32(), let check2 = inner.uint32(), check1 == check2 else {
      throw bad("its check bytes differ")
    }
    guard inner.string() == Array("ssh-ed25519".utf8) else { throw bad("it is not an ed25519 key") }
    guard inner.string()?.count == 32, let secret = inner.string(), secret.count == 64, let comment = inner.string()
    else {
      throw bad("its ed25519 key cannot be read")
    }
    do { try self.init(seed: Array(secret[0..<32]), comment: String(decoding: comment, as: UTF8.self)) } catch {
      throw bad("its key is not valid")
    }
    // The public half the file carries must be the one its seed makes.
    guard Array(secret[32..<64]) == publicKey else { throw bad("its public key is not its private key's") }
  }

  /// The private key as `ssh-keygen` writes it, unencrypted.
  public var openSSHPrivateKey: String {
    let check = UInt32.random(in: 0...UInt32.max)
    var section: [UInt8] = []
    SSHWire.append(uint32: check, to: &section)
    SSHWire.append(uint32: check, to: &section)
    SSHWire.append(string: Array("ssh-ed25519".utf8), to: &section)
    SSHWire.append(string: publicKey, to: &section)
    SSHWire.append(string: seed + publicKey, to: &section)
    SSHWire.append(string: Array(comment.utf8), to: &section)
    var pad: UInt8 = 1
    while section.count % 8 != 0 {
      section.append(pad)
      pad += 1
    }
    var blob = Array("openssh-key-v1\0".utf8)
    SSHWire.append(string: Array("none".utf8), to: &blob)
    SSHWire.append(string: Array("none".utf8), to: &blob)
    SSHWire.append(string: [], to: &blob)
    SSHWire.append(uint32: 1, to: &blob)
    SSHWire.append(string: SSHWire.publicKeyBlob(publicKey), to: &blob)
    SSHWire.append(string: section, to: &blob)
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + SSHWire.wrap(Data(blob).base64EncodedString(), 70)
      + "-----END OPENSSH PRIVATE KEY-----\n"
  }

  /// An SSH signature (PROTOCOL.sshsig, namespace `git`, SHA-512) of `payload`, armored as
  /// `git verify-commit` expects it in a commit's `gpgsig` header.
  public func sign(_ payload: [UInt8]) throws(GHPError) -> String {
    let toSign = SSHSignature.signedData(payload)
    var signature = [UInt8](repeating: 0, count: 64)
    guard ghp_ed25519_sign(seed, toSign, toSign.count, &signature) == 0 else {
      throw .io("cannot sign: OpenSSL's Ed25519 refused the key")
    }
    var blob = Array("SSHSIG".utf8)
    SSHWire.append(uint32: 1, to: &blob)
    SSHWire.append(string: SSHWire.publicKeyBlob(publicKey), to: &blob)
    SSHWire.append(string: Array(SSHSignature.namespace.utf8), to: &blob)
    SSHWire.append(string: [], to: &blob)
    SSHWire.append(string: Array("sha512".utf8), to: &blob)
    var signatureBlob: [UInt8] = []
    SSHWire.append(string: Array("ssh-ed25519".utf8), to: &signatureBlob)
    SSHWire.append(string: signature, to: &signatureBlob)
    SSHWire.append(string: signatureBlob, to: &blob)
    return "-----BEGIN SSH SIGNATURE-----\n" + SSHWire.wrap(Data(blob).base64EncodedString(), 70)
      + "-----END SSH SIGNATURE-----\n"
  }
}

/// Checking SSH signatures of git objects.
public enum SSHSignature {
  static let namespace = "git"

  static func signedData(_ payload: [UInt8]) -> [UInt8] {
    var data = Array("SSHSIG".utf8)
    SSHWire.append(string: Array(namespace.utf8), to: &data)
    SSHWire.append(string: [], to: &data)
    SSHWire.append(string: Array("sha512".utf8), to: &data)
    var digest = [UInt8](repeating: 0, count: 64)
    // EVP_Digest fails only when memory runs out, and then so does everything else.
    precondition(ghp_sha512(payload, payload.count, &digest) == 0, "SHA-512 failed")
    SSHWire.append(string: digest, to: &data)
    return data
  }

  /// The raw 32-byte ed25519 key of a public key line (`ssh-ed25519 AAAA... comment`), or nil.
  public static func publicKey(_ line: String) -> [UInt8]? {
    let words = line.split(separator: " ")
    guard words.count >= 2, words[0] == "ssh-ed25519", let data = Data(base64Encoded: String(words[1])) else {
      return nil
    }
    var reader = SSHWire.Reader(Array(data))
    guard reader.string() == Array("ssh-ed25519".utf8), let key = reader.string(), key.count == 32 else { return nil }
    return key
  }

  /// Whether `armored` is a valid signature of `payload` by `publicKey` (32 bytes) in namespace git.
  public static func verify(_ armored: String, payload: [UInt8], publicKey: [UInt8]) -> Bool {
    let body = armored.split(separator: "\n").filter { !$0.hasPrefix("-----") }.map { String($0).trimmingSpaces }
      .joined()
    guard let data = Data(base64Encoded: body) else { return false }
    var reader = SSHWire.Reader(Array(data))
    guard reader.take(6) == Array("SSHSIG".utf8), reader.uint32() == 1, let signer = reader.string(),
      reader.string() == Array(namespace.utf8), reader.string() != nil, reader.string() == Array("sha512".utf8),
      let signatureBlob = reader.string()
    else { return false }
    guard signer == SSHWire.publicKeyBlob(publicKey) else { return false }
    var signature = SSHWire.Reader(signatureBlob)
    guard signature.string() == Array("ssh-ed25519".utf8), let raw = signature.string(), raw.count == 64,
      publicKey.count == 32
    else { return false }
    let signed = signedData(payload)
    return ghp_ed25519_verify(publicKey, signed, signed.count, raw) == 1
  }
}

/// SSH's wire encoding: big-endian lengths before byte strings.
enum SSHWire {
  static func append(uint32 value: UInt32, to out: inout [UInt8]) {
    out += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
  }

  static func append(string bytes: [UInt8], to out: inout [UInt8]) {
    append(uint32: UInt32(bytes.count), to: &out)
    out += bytes
  }

  static func publicKeyBlob(_ key: [UInt8]) -> [UInt8] {
    var blob: [UInt8] = []
    append(string: Array("ssh-ed25519".utf8), to: &blob)
    append(string: key, to: &blob)
    return blob
  }

  static func wrap(_ text: String, _ width: Int) -> String {
    var out = ""
    var line = Substring(text)
    while !line.isEmpty {
      out += line.prefix(width) + "\n"
      line = line.dropFirst(width)
    }
    return out
  }

  struct Reader {
    let bytes: [UInt8]
    var index = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func take(_ count: Int) -> [UInt8]? {
      guard count >= 0, index + count <= bytes.count else { return nil }
      defer { index += count }
      return Array(bytes[index..<index + count])
    }

    mutating func uint32() -> UInt32? {
      guard let b = take(4) else { return nil }
      return UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
    }

    mutating func string() -> [UInt8]? {
      guard let length = uint32(), length <= 1 << 20 else { return nil }
      return take(Int(length))
    }
  }
}
