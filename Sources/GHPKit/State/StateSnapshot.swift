/// The documents of one commit of `ghp/state`, read lazily: an operation reads only what it needs,
/// and nothing here walks history.
public final class StateSnapshot {
  let repository: Repository
  /// The commit read, or nil when `ghp/state` does not exist yet.
  public let commit: ObjectID?
  let tree: Tree?

  private var cachedAgents: AgentStatusDocument?
  private var cachedConfig: Config?
  private var cachedIssues: [String: Issue] = [:]

  /// How far a commit may be dated ahead of a clock (`[server] clockSkew`; its default when the
  /// policy cannot be read).
  public var clockSkew: Int64 { (try? config().clockSkew) ?? Config().clockSkew }

  /// When the commit was made (its author time), nil before `ghp init`.
  public var commitTime: Int64? { commit.flatMap { try? repository.commit($0).authorTime } }

  init(repository: Repository, commit: ObjectID?) throws(GHPError) {
    self.repository = repository
    self.commit = commit
    do {
      if let commit { tree = try repository.tree(repository.commit(commit).treeID) } else { tree = nil }
    } catch {
      throw .git(error)
    }
  }

  /// The commit's tree id, or nil before `ghp init`.
  public var treeID: ObjectID? { tree?.id }

  /// Whether `ghp/state` exists, that is whether `ghp init` has run.
  public var exists: Bool { commit != nil }

  var shortCommit: String { commit?.short ?? "(none)" }

  /// The raw bytes of a document, or nil when the path is absent.
  public func bytes(_ path: String) throws(GHPError) -> [UInt8]? {
    guard let id = try blobID(path) else { return nil }
    do { return try repository.blobBytes(id) } catch { throw .git(error) }
  }

  /// The blob a document is stored in, or nil when the path is absent: its content's name, for
  /// caches that must never be stale.
  func blobID(_ path: String) throws(GHPError) -> ObjectID? {
    guard let tree else { return nil }
    do { return try tree.entryID(at: path) } catch { throw .git(error) }
  }

  /// The goal `ghp init --goal` wrote into the plan (its `Goal: ` line), if any.
  public func goal() throws(GHPError) -> String? {
    let plan = try text(StatePaths.plan) ?? ""
    return plan.split(separator: "\n").first { $0.hasPrefix("Goal: ") }.map { String($0.dropFirst(6)) }
  }

  /// The latest handoff of an issue, or a usage error naming the command that writes one.
  public func handoffDocument(_ id: String) throws(GHPError) -> String {
    try requireInitialised()
    guard let text = try text(StatePaths.handoff(id)) else {
      throw .invalidValue("issue", "#\(id) has no handoff (`ghp agent-handoff --issue \(id)` writes one)")
    }
    return text
  }

  /// A document as text, or nil when absent.
  public func text(_ path: String) throws(GHPError) -> String? {
    try bytes(path).map { String(decoding: $0, as: UTF8.self) }
  }

  /// A JSON document, or nil when absent; invalid JSON is an error naming the file and commit.
  func json(_ path: String) throws(GHPError) -> JSON? {
    guard let bytes = try bytes(path) else { return nil }
    return try json(path, from: bytes)
  }

  /// `bytes`, the document at `path`, as JSON; invalid JSON is an error naming the file and commit.
  private func json(_ path: String, from bytes: [UInt8]) throws(GHPError) -> JSON {
    do {
      return try JSON.parse(bytes)
    } catch {
      throw .corruptDocument(path: path, commit: shortCommit, detail: "invalid JSON, \(error.description)")
    }
  }

  /// Fails with `notInitialised` before `ghp init`.
  public func requireInitialised() throws(GHPError) {
    if commit == nil { throw .notInitialised }
  }

  // MARK: - Documents

  /// The agents' document, empty when absent; read once, then kept.
  public func agents() throws(GHPError) -> AgentStatusDocument {
    if let cachedAgents { return cachedAgents }
    var document = AgentStatusDocument()
    let blob = try blobID(StatePaths.agentStatus)
    if let blob, let parsed = ParsedAgents.shared.document(blob) {
      document = parsed
    } else if let blob, let bytes = try bytes(StatePaths.agentStatus) {
      let changed = ParsedAgents.shared.document(changedTo: bytes)
      if let changed {
        document = changed.document
      } else {
        let json = try json(StatePaths.agentStatus, from: bytes)
        do { document = try AgentStatusDocument(json: json) } catch {
          throw .corruptDocument(path: StatePaths.agentStatus, commit: shortCommit, detail: error.detail)
        }
      }
      ParsedAgents.shared.keep(document, bytes: bytes, for: blob, entries: changed?.entries)
    }
    cachedAgents = document
    return document
  }

  private var cachedEntries: AgentEntries??

  /// The agents' document indexed without reading its entries (`AgentEntries`), or nil when it is
  /// absent or not in the form ghp writes.
  func agentEntries() throws(GHPError) -> AgentEntries? {
    if let cachedEntries { return cachedEntries }
    let entries = try bytes(StatePaths.agentStatus).flatMap(AgentEntries.init)
    cachedEntries = .some(entries)
    return entries
  }

  /// One agent's record, or nil when it has none: read from its own entry alone when the document
  /// is indexed (an operation about one agent does not read ten thousand), else from the whole.
  public func agentRecord(_ name: String) throws(GHPError) -> AgentRecord? {
    if let cachedAgents { return cachedAgents.agents[name] }
    guard let entries = try agentEntries() else { return try agents().agents[name] }
    guard let index = entries.index(of: name) else { return nil }
    do { return try entries.record(at: index) } catch {
      throw .corruptDocument(path: StatePaths.agentStatus, commit: shortCommit, detail: error.detail)
    }
  }

  /// The agents' document holding only these agents' entries (those registered): what an
  /// operation about them reads and, through `Change.putAgents`, writes back.
  func agents(only names: [String]) throws(GHPError) -> AgentStatusDocument {
    var document = AgentStatusDocument()
    for name in names { document.agents[name] = try agentRecord(name) }
    return document
  }

  /// The policy, the defaults when `.ghp/config.toml` is absent; refuses a config that does not parse.
  public func config() throws(GHPError) -> Config {
    if let cachedConfig { return cachedConfig }
    var config = Config()
    if let blob = try blobID(StatePaths.config) {
      if let parsed = ParsedConfigs.shared.config(blob) {
        config = parsed
      } else {
        let text: String
        do { text = String(decoding: try repository.blobBytes(blob), as: UTF8.self) } catch { throw .git(error) }
        do { config = try Config(toml: text) } catch { throw .corruptConfig(commit: shortCommit, detail: error.detail) }
        ParsedConfigs.shared.keep(config, for: blob)
      }
    }
    cachedConfig = config
    return config
  }

  /// The issue with this id, or nil.
  public func issue(_ id: String) throws(GHPError) -> Issue? {
    if let cached = cachedIssues[id] { return cached }
    // Ids reach here from commands, MCP arguments and recorded operations alike: never a path.
    guard try IssueID.validate(id) == id else { return try issue(IssueID.validate(id)) }
    let path = StatePaths.issue(id)
    guard let json = try json(path) else { return nil }
    do throws(DocumentError) {
      let issue = try Issue(json: json)
      guard issue.id == id else {
        throw DocumentError("its \"id\" is \(issue.id), but it is stored as #\(id): fix the one that is wrong")
      }
      cachedIssues[id] = issue
      return issue
    } catch {
      throw .corruptDocument(path: path, commit: shortCommit, detail: error.detail)
    }
  }

  /// The issue with this id, or `unknownIssue`.
  public func requireIssue(_ id: String) throws(GHPError) -> Issue {
    guard let issue = try issue(id) else { throw .unknownIssue(id) }
    return issue
  }

  /// The ids of all issues, from the file names under `.ghp/issues/` (no issue document is read).
  public func issueIDs() throws(GHPError) -> [String] {
    try issueFiles().map(\.id)
  }

  /// Every issue document's id and blob, walking the shard folders of `.ghp/issues/`.
  func issueFiles() throws(GHPError) -> [(id: String, blob: ObjectID)] {
    guard let tree else { return [] }
    do {
      guard let folder = try tree.entryID(at: StatePaths.issuesFolder) else { return [] }
      var files: [(id: String, blob: ObjectID)] = []
      for shard in try repository.tree(folder).typedEntries() {
        guard shard.isTree else {
          let id = shard.name.hasSuffix(".json") ? String(shard.name.dropLast(5)) : shard.name
          throw GHPError.corruptDocument(
            path: "\(StatePaths.issuesFolder)/\(shard.name)", commit: shortCommit,
            detail: "issue documents live in shard folders; move it to \(StatePaths.issue(id))")
        }
        for entry in try repository.tree(shard.id).entries() where entry.name.hasSuffix(".json") {
          files.append((String(entry.name.dropLast(5)), entry.id))
        }
      }
      return files
    } catch {
      throw GHPError.bridging(error)
    }
  }

  /// Every issue, in id order.
  public func allIssues() throws(GHPError) -> [Issue] {
    var issues: [Issue] = []
    for id in try issueIDs().sorted(by: IssueID.precedes) { issues.append(try requireIssue(id)) }
    return issues
  }

  private var cachedTable: IssueTable??

  /// The issue table of this snapshot (see `IssueTable`), or nil when there are no issues.
  func issueTable() throws(GHPError) -> IssueTable? {
    if let cachedTable { return cachedTable }
    let table = try IssueIndex.load(self)
    cachedTable = .some(table)
    return table
  }

  /// Summaries of every issue, in no particular order.
  public func issueSummaries() throws(GHPError) -> [IssueSummary] {
    guard let table = try issueTable() else { return [] }
    return (0..<table.count).map(table.summary)
  }

  // MARK: - Authority

  /// The role of an agent: orchestrator if registered as one or named in the config.
  public func role(of agent: String) throws(GHPError) -> AgentRecord.Role {
    if try config().orchestrators.contains(agent) { return .orchestrator }
    return try agentRecord(agent)?.role ?? .worker
  }

  /// Fails with a refusal unless `agent` is an orchestrator.
  public func requireOrchestrator(_ agent: String, toDo action: String) throws(GHPError) {
    let role = try role(of: agent)
    guard role == .orchestrator else {
      let registered = try agentRecord(agent) != nil
      let grant = "`ghp agent add \(agent) --role orchestrator" + (registered ? " --change-role`" : "`")
      throw .refused(
        "\(agent) is not an orchestrator\(registered && role != .worker ? " (it is a \(role.rawValue))" : ""): only an orchestrator may \(action) (an orchestrator can grant the role with \(grant))"
      )
    }
  }
}

/// The agents' document last parsed in this process, by the id of its blob (content-addressed, so
/// never stale): a long-lived reader (the MCP server's `get_status`, `ghp serve`) parses ten
/// thousand agents once per change of the document, not once a call. Only the last one is kept:
/// such a document is megabytes. A process reading the document again after it changed (in
/// practice a long-lived one) reads it entry by entry (`AgentEntries`): an entry whose bytes are
/// the ones last read keeps its record, and only the entries that changed are parsed, as the whole
/// document's reading parses them. That holds only where the last document's index and its records
/// agree entry for entry: a document read whole is checked once, entry by entry, before any of its
/// records is reused (a hand-written one may fit the outline and still hold other agents).
final class ParsedAgents: @unchecked Sendable {
  static let shared = ParsedAgents()
  private struct Kept {
    let blob: ObjectID
    let document: AgentStatusDocument
    let bytes: [UInt8]
    /// The index of `bytes`, once made, when every entry of it reads as `document`'s record.
    var entries: AgentEntries??
  }
  private var last: Kept?
  private let lock = NSLockLike()

  func document(_ blob: ObjectID) -> AgentStatusDocument? {
    lock.withLock { last?.blob == blob ? last?.document : nil }
  }

  /// Keeps `document`, read from `bytes`; with `entries` when it was read by `document(changedTo:)`,
  /// whose index agrees with it by construction.
  func keep(_ document: AgentStatusDocument, bytes: [UInt8], for blob: ObjectID, entries: AgentEntries? = nil) {
    lock.withLock {
      last = Kept(blob: blob, document: document, bytes: bytes, entries: entries.map { .some($0) })
    }
  }

  /// The document of `bytes` read from the last one's records, with its index (to `keep` it by),
  /// or nil when either is not in the form ghp writes, the last one's index does not agree with its
  /// records, or an entry that changed does not read (the whole document's reading then says why).
  func document(changedTo bytes: [UInt8]) -> (document: AgentStatusDocument, entries: AgentEntries)? {
    lock.withLock { () -> (document: AgentStatusDocument, entries: AgentEntries)? in
      guard var kept = last else { return nil }
      if kept.entries == nil {
        kept.entries = .some(Self.agreeing(kept.document, kept.bytes))
        last = kept
      }
      guard case .some(.some(let old)) = kept.entries, let new = AgentEntries(bytes) else { return nil }
      var document = AgentStatusDocument()
      document.agents.reserveCapacity(new.names.count)
      var at = 0
      for index in new.names.indices {
        let name = new.names[index]
        // Both are in the names' byte order: walk them together.
        while at < old.names.count, old.names[at].utf8.lexicographicallyPrecedes(name.utf8) { at += 1 }
        if at < old.names.count, old.names[at].utf8.elementsEqual(name.utf8), let record = kept.document.agents[name],
          old.bytes[old.values[at]].elementsEqual(new.bytes[new.values[index]])
        {
          document.agents[name] = record
          continue
        }
        // A name not read before must be what the whole document's reading would read.
        let nameBytes = new.bytes[new.members[index]].dropFirst(AgentEntries.indent.count).prefix(name.utf8.count)
        guard String(validating: nameBytes, as: UTF8.self) == name, let record = try? new.record(at: index) else {
          return nil
        }
        document.agents[name] = record
      }
      // Two names the whole reading takes for one (canonically equivalent) are not read here.
      return document.agents.count == new.names.count ? (document, new) : nil
    }
  }

  /// The index of `bytes` when each of its entries reads as `document`'s record of that name and
  /// they name the same agents: what the entry-by-entry reading may build on. Else nil.
  private static func agreeing(_ document: AgentStatusDocument, _ bytes: [UInt8]) -> AgentEntries? {
    guard let entries = AgentEntries(bytes), entries.names.count == document.agents.count else { return nil }
    for index in entries.names.indices {
      guard let record = document.agents[entries.names[index]], (try? entries.record(at: index)) == record else {
        return nil
      }
    }
    return entries
  }
}

/// Policies parsed in this process, by the id of their blob: content-addressed, so an entry is never
/// stale. A long-lived reader (the MCP server, `ghp serve`) parses a policy once, not once a call.
final class ParsedConfigs: @unchecked Sendable {
  static let shared = ParsedConfigs()
  private var configs: [ObjectID: Config] = [:]
  private let lock = NSLockLike()

  func config(_ blob: ObjectID) -> Config? { lock.withLock { configs[blob] } }

  func keep(_ config: Config, for blob: ObjectID) {
    lock.withLock {
      // Policies change rarely; a handful is plenty, and the bound keeps memory flat.
      if configs.count >= 16 { configs.removeAll() }
      configs[blob] = config
    }
  }
}
