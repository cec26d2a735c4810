import Glibc

/// The code side of `agent-handoff --to`: the receiver's branch continues from the giver's tip.
public enum HandoffCode {
  /// What `carry` did with the receiver's branch.
  public enum Outcome: Sendable {
    /// `agent/<receiver>` was moved to the giver's tip (and its worktree, clean, followed).
    case continued(branch: String, tip: ObjectID, worktree: String?)
    /// The receiver's branch has work of its own or a dirty worktree: the one command to run.
    case command(String, why: String)
    /// The giver has no branch: nothing to carry.
    case nothing
  }

  /// Moves `agent/<receiver>` to `agent/<giver>`'s tip when that loses nothing (the receiver's tip is
  /// an ancestor of the giver's and its worktree has no uncommitted changes), by compare-and-swap;
  /// otherwise names the merge that continues from it.
  public static func carry(_ repository: Repository, from giver: String, to receiver: String) -> Outcome {
    guard let tip = try? repository.referenceTarget("refs/heads/agent/\(giver)") else { return .nothing }
    let ref = "refs/heads/agent/\(receiver)"
    let worktree = repository.worktreePath(checkingOut: ref)
    let merge = "git -C \(worktree ?? "<\(receiver)'s worktree>") merge agent/\(giver)"
    guard let current = try? repository.referenceTarget(ref) else {
      return .command("ghp agent add \(receiver) && \(merge)", why: "\(receiver) has no branch yet")
    }
    if current == tip { return .continued(branch: "agent/\(receiver)", tip: tip, worktree: worktree) }
    // A contained worker's worktree is written only from inside its sandbox.
    if WorkerSandbox.isServing(repository, agent: receiver) {
      return .command(
        merge, why: "\(receiver) is running contained under ghp run; its branch follows when its attempt ends")
    }
    guard (try? repository.isAncestor(current, of: tip)) == true else {
      return .command(merge, why: "agent/\(receiver) has commits of its own")
    }
    if let worktree {
      let dirty = (try? Repository(discovering: worktree).uncommittedPaths(limit: 5, untracked: false)) ?? ["?"]
      if !dirty.isEmpty {
        return .command(merge, why: "\(worktree) has uncommitted changes (\(dirty.joined(separator: ", ")))")
      }
    }
    do {
      try repository.compareAndSwapReference(
        ref, to: tip, expected: current, logMessage: "ghp agent-handoff from \(giver)")
      if let worktree { try Repository(discovering: worktree).followBranchMove(from: current, to: tip) }
    } catch {
      return .command(merge, why: "agent/\(receiver) could not be moved (\(error.message))")
    }
    return .continued(branch: "agent/\(receiver)", tip: tip, worktree: worktree)
  }

  /// Where `--write` puts the document for the receiver: the same place inside its worktree, kept
  /// out of `git status` (`info/exclude`) so that the receiver's `done` does not count it as work.
  public static func receiverPath(_ resolved: String, workspace: Workspace, receiver: String) -> String? {
    let repository = workspace.repository
    guard let workdir = repository.workingDirectory.flatMap(HandoffFile.realPath),
      let theirs = repository.worktreePath(checkingOut: "refs/heads/agent/\(receiver)")
    else { return nil }
    let root = workdir.hasSuffix("/") ? workdir : workdir + "/"
    guard resolved.hasPrefix(root) else { return nil }
    let relative = String(resolved.dropFirst(root.count))
    let exclude = repository.localPaths.infoExclude
    let existing = String(decoding: Files.read(exclude) ?? [], as: UTF8.self)
    if !existing.split(separator: "\n").contains(Substring("/" + relative)) {
      _ = Files.makeDirectories(repository.localPaths.info)
      try? Files.replace(
        exclude,
        with: Array((existing + (existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n") + "/\(relative)\n").utf8))
    }
    return LocalPaths.join(theirs, relative)
  }
}
