/// Dependency cycles, found by depth-first search.
public enum DependencyGraph {
  /// A cycle as a list of ids that starts and ends with the same id, or nil.
  public static func cycle(in dependencies: [String: [String]]) -> [String]? {
    var state: [String: Int] = [:]  // 1: on the current path, 2: finished
    var path: [String] = []
    func visit(_ id: String) -> [String]? {
      if state[id] == 2 { return nil }
      if state[id] == 1 {
        let start = path.firstIndex(of: id)!
        return Array(path[start...]) + [id]
      }
      state[id] = 1
      path.append(id)
      for next in dependencies[id] ?? [] {
        if let found = visit(next) { return found }
      }
      path.removeLast()
      state[id] = 2
      return nil
    }
    for id in dependencies.keys.sorted(by: IssueID.precedes) {
      if let found = visit(id) { return found }
    }
    return nil
  }

  /// The refusal for a cycle: "dependency cycle: #1 -> #3 -> #1".
  static func refusal(_ cycle: [String]) -> GHPError {
    .invalidValue(
      "dependencies", "dependency cycle: " + cycle.map { "#\($0)" }.joined(separator: " -> ") + "; nothing was written")
  }
}
