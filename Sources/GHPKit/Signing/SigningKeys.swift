import Glibc

/// Where agents' private signing keys live on this machine (`<git common dir>/ghp/keys/<agent>`,
/// mode 0600, in OpenSSH's format), and the allowed-signers file plain git verifies with.
public enum SigningKeys {
  static func folder(_ repository: Repository) -> String {
    repository.localPaths.signingKeys
  }

  static func path(_ repository: Repository, agent: String) -> String { folder(repository) + "/" + agent }

  /// The agent's private key on this machine, or nil.
  public static func load(_ repository: Repository, agent: String) throws(GHPError) -> SigningKey? {
    guard let bytes = Files.read(path(repository, agent: agent)) else { return nil }
    return try SigningKey(openSSH: String(decoding: bytes, as: UTF8.self))
  }

  /// Keeps `key` as the agent's (from `--key FILE`, or a new one), replacing none that exists.
  public static func store(_ key: SigningKey, in repository: Repository, agent: String) throws(GHPError) {
    guard Files.makeDirectories(folder(repository)) else { throw .io("cannot create \(folder(repository))") }
    chmod(folder(repository), 0o700)
    try Files.replace(path(repository, agent: agent), with: Array(key.openSSHPrivateKey.utf8), mode: 0o600)
  }

  /// The agent's key: the one kept here, else `file` (an OpenSSH ed25519 private key), else a new one.
  public static func obtain(_ repository: Repository, agent: String, file: String?) throws(GHPError) -> SigningKey {
    if let file {
      guard let bytes = Files.read(file) else {
        throw .io("cannot read the key \(file): \(String(cString: strerror(errno)))")
      }
      let key = try SigningKey(openSSH: String(decoding: bytes, as: UTF8.self))
      try store(key, in: repository, agent: agent)
      return key
    }
    if let kept = try load(repository, agent: agent) { return kept }
    let key = SigningKey.generate(comment: "\(agent)@ghp")
    try store(key, in: repository, agent: agent)
    return key
  }

  /// Writes `<common>/ghp/allowed_signers` from the keys registered on `ghp/state` and points git's
  /// `gpg.ssh.allowedSignersFile` at it, so `git log --show-signature ghp/state` names each signer.
  @discardableResult
  public static func installAllowedSigners(_ repository: Repository, state: StateSnapshot) throws(GHPError) -> String {
    let file = repository.localPaths.allowedSigners
    let lines = try state.agents().agents.sorted { $0.key < $1.key }.compactMap { name, record in
      record.signingKey.map { key in
        "\(name)@ghp namespaces=\"git\" " + key.split(separator: " ").prefix(2).joined(separator: " ")
      }
    }
    try Files.replace(file, with: Array((lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")).utf8))
    do {
      try Repository.setConfigString(
        "gpg.ssh.allowedSignersFile", file, inFile: repository.localPaths.config)
    } catch {
      throw .git(error)
    }
    return file
  }
}
