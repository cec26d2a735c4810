/// Lists of environment variable names, as the policy gives them (`landing.env`, `agent.env`) and
/// as a contained program's environment is taken from its starter's: by name, nothing else.
public enum EnvironmentNames {
  /// Whether `name` can be an environment variable's name (letters, digits, `_`, not a digit first).
  public static func isValid(_ name: String) -> Bool {
    guard let first = name.utf8.first, !(48...57).contains(first) else { return false }
    return name.utf8.allSatisfy {
      ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95
    }
  }

  /// The names the policy key `key` lists, nil when it is not set; anything but a list of names is
  /// an error naming the key.
  static func parse(_ value: TOML.Value?, key: String) throws(DocumentError) -> [String]? {
    guard let value else { return nil }
    guard case .array(let items) = value else { throw DocumentError("'\(key)' must be a list of variable names") }
    var names: [String] = []
    for item in items {
      guard case .string(let name) = item, isValid(name) else {
        throw DocumentError("'\(key)' must be a list of variable names (letters, digits and _)")
      }
      names.append(name)
    }
    return names
  }

  /// The variables of `environment` that `names` names.
  static func pick(_ names: [String], from environment: [String: String]) -> [String: String] {
    var out: [String: String] = [:]
    for name in names { if let value = environment[name] { out[name] = value } }
    return out
  }
}
