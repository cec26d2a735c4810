/// `ghp conflicts`: every active agent branch merged in memory with the base and with every other
/// active branch, so that conflicts show while agents still work, not at landing.
public struct ConflictReport: Sendable {
  /// One pair that does not merge cleanly, and where.
  public struct Pair: Sendable {
    /// The first branch of the pair: the base, or an agent branch.
    public var one: String
    /// The second branch of the pair, always an agent branch.
    public var two: String
    /// The paths the two branches conflict on.
    public var paths: [String]

    /// The pair as JSON: `one`, `two` and `paths`.
    public var json: JSON {
      .object(["one": .string(one), "two": .string(two), "paths": .array(paths.map { .string($0) })])
    }
  }

  /// The base branch every active branch is merged with (`baseBranch` in the policy).
  public var base: String
  /// The branches looked at: `agent/<name>` with commits the base does not have.
  public var branches: [String]
  /// The pairs that do not merge cleanly, base pairs first; empty when all merge.
  public var pairs: [Pair]
  /// How many merges were tried: each branch with the base, then every pair.
  public var checked: Int

  /// The report as JSON (`ghp conflicts --json`); `pairs` as `conflicts`.
  public var json: JSON {
    .object([
      "base": .string(base), "branches": .array(branches.map { .string($0) }), "checked": .int(checked),
      "conflicts": .array(pairs.map(\.json)),
    ])
  }

  /// The paths in conflict anywhere, for `claim --next` to steer clear of; none when the report
  /// cannot be made (no base branch yet): it is advice, never a reason to refuse a claim.
  public static func conflictingPaths(_ workspace: Workspace) -> [String] {
    (try? gather(workspace))?.conflictingPaths ?? []
  }

  /// Merges each active branch with the base, then every pair of them (n·(n−1)/2 merges).
  public static func gather(_ workspace: Workspace) throws(GHPError) -> ConflictReport {
    let state = try workspace.snapshot()
    try state.requireInitialised()
    let baseName = try state.config().baseBranch
    let repository = workspace.repository
    do {
      guard let base = try repository.referenceTarget("refs/heads/\(baseName)") else {
        throw GHPError.invalidValue("base branch", "there is no branch \(baseName) (baseBranch in .ghp/config.toml)")
      }
      var active: [(name: String, tip: ObjectID)] = []
      // The agents' branches in one pass over the refs: at 10,000 agents a lookup each was 20,000
      // system calls.
      let tips = try repository.resolvedReferences(glob: "refs/heads/agent/*")
      let agents = try state.agents().agents
      for (ref, tip) in tips.sorted(by: { $0.key < $1.key }) {
        let name = String(ref.dropFirst("refs/heads/agent/".count))
        guard agents[name] != nil, tip != base,
          try !repository.isAncestor(tip, of: base)
        else { continue }
        active.append(("agent/\(name)", tip))
      }
      var pairs: [Pair] = []
      var checked = 0
      for branch in active {
        checked += 1
        let paths = try repository.mergeConflicts(base, branch.tip)
        if !paths.isEmpty { pairs.append(Pair(one: baseName, two: branch.name, paths: paths)) }
      }
      for (index, one) in active.enumerated() {
        for two in active[(index + 1)...] {
          checked += 1
          let paths = try repository.mergeConflicts(one.tip, two.tip)
          if !paths.isEmpty { pairs.append(Pair(one: one.name, two: two.name, paths: paths)) }
        }
      }
      return ConflictReport(base: baseName, branches: active.map(\.name), pairs: pairs, checked: checked)
    } catch {
      throw GHPError.bridging(error)
    }
  }
}
