import ArgumentParser
import GHPKit

/// What the shell completes from the state (the completion scripts call `ghp` back with the words
/// typed so far): issue ids, agent names and operations, each filtered by what was typed.
enum Completions {
  /// The repository the words typed so far name (`-C PATH`), else the current folder's.
  static func state(_ words: [String]) -> StateSnapshot? {
    var path: String?
    if let index = words.firstIndex(of: "-C"), index + 1 < words.count { path = words[index + 1] }
    return try? Workspace(path: path, environment: Output.environment).snapshot()
  }

  /// Issue ids, those with one of `statuses` when given (claim: open ones; done: claimed ones).
  static func issues(_ statuses: Set<Issue.Status>? = nil) -> CompletionKind {
    .custom { words, _, prefix in
      let summaries = (try? state(words)?.issueSummaries()) ?? []
      return summaries.filter { statuses?.contains($0.status) ?? true }.map(\.id).filter { $0.hasPrefix(prefix) }
    }
  }

  /// The registered agents' names.
  static let agents = CompletionKind.custom { words, _, prefix in
    let names = (try? state(words)?.agents().agents.keys.sorted()) ?? []
    return names.filter { $0.hasPrefix(prefix) }
  }

  /// The operations `ghp log --op` takes.
  static let operations = CompletionKind.custom { _, _, prefix in
    OperationCatalog.names.sorted().filter { $0.hasPrefix(prefix) }
  }
}
