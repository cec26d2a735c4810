import GHPKit

/// Server-sent events for every open page, from one watcher of `ghp/state`: however many pages
/// are open, the ref is read by one loop, and each move is told to all of them.
actor EventHub {
  private var clients: [Int: AsyncStream<String>.Continuation] = [:]
  private var nextID = 0
  /// How many watchers of the ref run (one, once `startWatching` ran).
  private(set) var watchers = 0
  private(set) var tip = ""
  private(set) var published = 0

  var clientCount: Int { clients.count }

  /// A new page's stream of events, each an SSE frame ready to write.
  func subscribe() -> (id: Int, events: AsyncStream<String>) {
    nextID += 1
    let id = nextID
    var continuation: AsyncStream<String>.Continuation!
    let events = AsyncStream<String>(bufferingPolicy: .bufferingNewest(64)) { continuation = $0 }
    continuation.onTermination = { _ in Task { await self.unsubscribe(id) } }
    clients[id] = continuation
    continuation.yield(Self.frame(event: "hello", data: .object(["tip": .string(tip)])))
    return (id, events)
  }

  func unsubscribe(_ id: Int) {
    clients.removeValue(forKey: id)?.finish()
  }

  func publish(_ frame: String) {
    published += 1
    for continuation in clients.values { continuation.yield(frame) }
  }

  func moved(to tip: String, entries: [LogEntry]) {
    self.tip = tip
    let events = entries.suffix(20).map(\.json)
    publish(Self.frame(event: "state", data: .object(["tip": .string(tip), "events": .array(events)])))
  }

  static func frame(event: String, data: JSON) -> String {
    "event: \(event)\ndata: \(data.compact())\n\n"
  }

  /// Starts the one watcher: it reads the ref every `interval` milliseconds and tells every page
  /// when it moved, whoever moved it. A comment every 15 s keeps idle connections open and finds
  /// the closed ones.
  func startWatching(directory: String?, environment: [String: String], interval: Int) {
    guard watchers == 0 else { return }
    watchers = 1
    Task.detached { [self] in
      guard let workspace = try? Workspace(path: directory, environment: environment),
        let watcher = try? StateWatcher(repository: workspace.repository)
      else { return }
      await self.setTip(watcher.last?.hex ?? "")
      var quiet = 0
      // In remote mode the team is on the server: its state is synced every two seconds (a
      // fast-forward when only others wrote), and the watcher sees the move like any other.
      let remote = (try? workspace.snapshot())?.remoteName
      let actor = try? workspace.actor()
      let clock = ContinuousClock()
      var lastSync: ContinuousClock.Instant?
      while !Task.isCancelled {
        try? await Task.sleep(nanoseconds: UInt64(interval) * 1_000_000)
        if let remote, let actor, lastSync.map({ clock.now - $0 >= .seconds(2) }) ?? true {
          lastSync = clock.now
          _ = try? workspace.ledger.sync(remote: remote, actor: actor, clock: workspace.clock)
        }
        if let entries = try? watcher.poll(), !entries.isEmpty {
          await self.moved(to: watcher.last?.hex ?? "", entries: entries)
          quiet = 0
        } else {
          quiet += interval
          if quiet >= 15_000 {
            await self.publish(": keep-alive\n\n")
            quiet = 0
          }
        }
      }
    }
  }

  private func setTip(_ tip: String) { self.tip = tip }
}
