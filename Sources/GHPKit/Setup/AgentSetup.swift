/// `ghp setup claude|codex`: the files that make a coding agent use ghp by itself (its MCP server,
/// hooks that heartbeat, the instructions), merged into what is there. Entries ghp wrote carry its
/// mark, so running setup again replaces them in place and touches nothing else.
public enum AgentSetup {
  /// One file setup would write: where, what it holds now (nil: it does not exist) and after.
  public struct PlannedFile: Sendable {
    /// Where the file is written: under the setup's root, or under the Codex home for `config.toml`.
    public let path: String
    /// The path as shown to people (relative to where setup runs, or under ~).
    public let display: String
    /// What the file holds now, nil when it does not exist yet.
    public let before: String?
    /// What the file will hold once setup has merged ghp's entries in.
    public let after: String
    /// True when writing would change the file (or create it).
    public var changed: Bool { before != after }
    /// The change as a unified diff under the `display` path, as `--dry-run` prints it.
    public var diff: String { TextDiff.unified(path: display, before: before, after: after) }
  }

  /// The mark on every hook command ghp writes (a shell comment, so the command runs the same).
  public static let mark = "# ghp setup"
  static let agentsBegin = "<!-- ghp setup: begin (ghp rewrites what is between these lines) -->"
  static let agentsEnd = "<!-- ghp setup: end -->"

  /// The hooks Claude Code runs: on session start a heartbeat and the agent's context, after each tool
  /// use (succeeded or failed) a heartbeat that commits at most once per `heartbeatMinimum`, on stop
  /// a final status.
  public static func claudeHooks(ghp: String) -> [(event: String, matcher: String?, command: String, timeout: Int)] {
    [
      ("SessionStart", nil, "\(ghp) prompt session --hook claude \(mark)", 30),
      ("PostToolUse", "*", "\(ghp) agent-heartbeat --auto --hook claude \(mark)", 15),
      // A tool that failed fires this one instead: the agent is as alive, and as owed its notices.
      ("PostToolUseFailure", "*", "\(ghp) agent-heartbeat --auto --hook claude \(mark)", 15),
      ("Stop", nil, "\(ghp) agent-heartbeat --hook claude --action \"Stopped: waiting for input\" \(mark)", 15),
    ]
  }

  /// The files ghp writes for an agent in a worktree, which git must not see: `done` never counts
  /// them as work, and one agent's settings never reach the base.
  public static let claudeLocalFiles = ["/.mcp.json", "/.claude/settings.local.json"]

  /// `.mcp.json` and `.claude/settings.local.json` (Claude Code's project settings that are not
  /// committed) under `root`, merged with what they hold; both kept out of git by `exclude` (the
  /// repository's `info/exclude`). ghp's hooks an earlier setup put in `.claude/settings.json` are
  /// moved out of it.
  public static func claude(root: String, ghp: String, exclude: String? = nil) throws(GHPError) -> [PlannedFile] {
    let mcpPath = root + "/.mcp.json"
    let mcpBefore = try existing(mcpPath)
    var mcp = try object(mcpBefore, mcpPath)
    var servers = try member(mcp, "mcpServers", mcpPath)
    servers["ghp"] = server(ghp: ghp, type: true)
    mcp["mcpServers"] = .object(servers)

    let settingsPath = root + "/.claude/settings.local.json"
    let settingsBefore = try existing(settingsPath)
    var settings = try object(settingsBefore, settingsPath)
    var hooks = try member(settings, "hooks", settingsPath)
    for hook in claudeHooks(ghp: ghp) {
      guard let groups = (hooks[hook.event] ?? .array([])).arrayValue else {
        throw .invalidValue(
          settingsPath, "hooks.\(hook.event) must be a list of matcher groups; fix it, then run setup again")
      }
      var ours: JSON = .object([
        "type": .string("command"), "command": .string(hook.command), "timeout": .int(hook.timeout),
      ])
      var merged: [JSON] = []
      for group in groups {
        guard var fields = group.objectValue, let entries = fields["hooks"]?.arrayValue else {
          merged.append(group)
          continue
        }
        // The first of ghp's own entries is replaced where it stands; any other is dropped.
        var kept: [JSON] = []
        for entry in entries {
          if entry["command"]?.stringValue?.hasSuffix(mark) == true {
            if ours != .null { kept.append(ours) }
            ours = .null
          } else {
            kept.append(entry)
          }
        }
        if kept.isEmpty && !entries.isEmpty { continue }
        fields["hooks"] = .array(kept)
        merged.append(.object(fields))
      }
      if ours != .null {
        var group: [String: JSON] = ["hooks": .array([ours])]
        if let matcher = hook.matcher { group["matcher"] = .string(matcher) }
        merged.append(.object(group))
      }
      hooks[hook.event] = .array(merged)
    }
    settings["hooks"] = .object(hooks)
    var files = [
      PlannedFile(path: mcpPath, display: ".mcp.json", before: mcpBefore, after: JSON.object(mcp).pretty()),
      PlannedFile(
        path: settingsPath, display: ".claude/settings.local.json", before: settingsBefore,
        after: JSON.object(settings).pretty()),
    ]
    // An earlier setup's hooks in the committed settings: taken out, everything else kept.
    let sharedPath = root + "/.claude/settings.json"
    if let sharedBefore = try existing(sharedPath), sharedBefore.contains(mark) {
      var shared = try object(sharedBefore, sharedPath)
      var sharedHooks = try member(shared, "hooks", sharedPath)
      for (event, value) in sharedHooks {
        let groups = (value.arrayValue ?? []).compactMap { group -> JSON? in
          guard var fields = group.objectValue, let entries = fields["hooks"]?.arrayValue else { return group }
          let kept = entries.filter { $0["command"]?.stringValue?.hasSuffix(mark) != true }
          if kept.isEmpty { return nil }
          fields["hooks"] = .array(kept)
          return .object(fields)
        }
        sharedHooks[event] = groups.isEmpty ? nil : .array(groups)
      }
      shared["hooks"] = sharedHooks.isEmpty ? nil : .object(sharedHooks)
      files.append(
        PlannedFile(
          path: sharedPath, display: ".claude/settings.json", before: sharedBefore, after: JSON.object(shared).pretty())
      )
    }
    if let exclude {
      let before = try existing(exclude)
      var lines = (before ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      if lines.last == "" { lines.removeLast() }
      for pattern in claudeLocalFiles where !lines.contains(pattern) { lines.append(pattern) }
      files.append(
        PlannedFile(
          path: exclude, display: ".git/info/exclude", before: before, after: lines.joined(separator: "\n") + "\n"))
    }
    return files
  }

  /// Codex's `config.toml` (under `codexHome`) with `[mcp_servers.ghp]`, and `AGENTS.md` under `root`
  /// with the coordination section between ghp's marks.
  public static func codex(root: String, codexHome: String, displayHome: String, ghp: String, agentsSection: String)
    throws(GHPError)
    -> [PlannedFile]
  {
    let configPath = codexHome + "/config.toml"
    let configBefore = try existing(configPath)
    let block = """
      [mcp_servers.ghp]
      # Written by `ghp setup codex`: ghp's coordination tools (claim, heartbeat, escalate, ...).
      command = \(TOML.quote(ghp))
      args = ["mcp"]

      """
    let configAfter = replacingTable("mcp_servers.ghp", in: configBefore ?? "", with: block)

    let agentsPath = root + "/AGENTS.md"
    let agentsBefore = try existing(agentsPath)
    let section = agentsBegin + "\n" + agentsSection.trimmingTrailingNewlines + "\n" + agentsEnd + "\n"
    let agentsAfter = replacingSection(in: agentsBefore ?? "", with: section)
    return [
      PlannedFile(path: configPath, display: displayHome + "/config.toml", before: configBefore, after: configAfter),
      PlannedFile(path: agentsPath, display: "AGENTS.md", before: agentsBefore, after: agentsAfter),
    ]
  }

  /// Writes each changed file (atomically, making its folder), leaving unchanged ones alone.
  public static func write(_ files: [PlannedFile]) throws(GHPError) {
    for file in files where file.changed {
      let folder = String(file.path[..<(file.path.lastIndex(of: "/") ?? file.path.startIndex)])
      if !folder.isEmpty && !Files.makeDirectories(folder) { throw .io("cannot make the folder \(folder)") }
      try Files.replace(file.path, with: Array(file.after.utf8))
    }
  }

  // MARK: - Merging

  static func server(ghp: String, type: Bool) -> JSON {
    var fields: [String: JSON] = ["command": .string(ghp), "args": .array([.string("mcp")])]
    if type { fields["type"] = .string("stdio") }
    return .object(fields)
  }

  static func existing(_ path: String) throws(GHPError) -> String? {
    guard let bytes = Files.read(path) else { return nil }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw .invalidValue(path, "it is not UTF-8 text; nothing was written")
    }
    return text
  }

  static func object(_ text: String?, _ path: String) throws(GHPError) -> [String: JSON] {
    guard let text, !text.trimmingSpaces.isEmpty else { return [:] }
    do {
      guard let fields = try JSON.parse(text).objectValue else {
        throw GHPError.invalidValue(path, "it is not a JSON object; nothing was written")
      }
      return fields
    } catch let error as JSONParseError {
      throw .invalidValue(
        path, "it is not valid JSON (\(error.description)); fix it and run setup again, nothing was written")
    } catch let error as GHPError {
      throw error
    } catch {
      throw .io("\(error)")
    }
  }

  static func member(_ fields: [String: JSON], _ key: String, _ path: String) throws(GHPError) -> [String: JSON] {
    guard let value = fields[key] else { return [:] }
    guard let object = value.objectValue else {
      throw .invalidValue(path, "'\(key)' must be a JSON object; fix it and run setup again, nothing was written")
    }
    return object
  }

  /// The TOML text with the table `[name]` (its header up to the next header) replaced by `block`,
  /// or `block` appended; every other line is kept as it was.
  static func replacingTable(_ name: String, in text: String, with block: String) -> String {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    func header(_ line: String) -> String? {
      let trimmed = line.trimmingSpaces
      guard trimmed.hasPrefix("["), !trimmed.hasPrefix("[["), let close = trimmed.firstIndex(of: "]") else {
        return nil
      }
      let inside = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
      return String(inside.filter { $0 != "\"" && $0 != " " })
    }
    let blockLines = block.trimmingTrailingNewlines.split(separator: "\n", omittingEmptySubsequences: false).map(
      String.init)
    if let start = lines.firstIndex(where: { header($0) == name }) {
      var end = start + 1
      while end < lines.count, header(lines[end]) == nil && !lines[end].trimmingSpaces.hasPrefix("[[") { end += 1 }
      // Keep the blank lines that separated the table from the next one.
      while end > start + 1, lines[end - 1].trimmingSpaces.isEmpty { end -= 1 }
      lines.replaceSubrange(start..<end, with: blockLines)
    } else {
      if let last = lines.last, !last.trimmingSpaces.isEmpty { lines.append("") }
      lines += blockLines
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The Markdown text with ghp's section (between its marks) replaced, or appended.
  static func replacingSection(in text: String, with section: String) -> String {
    if let begin = text.firstRange(of: agentsBegin), let end = text[begin.upperBound...].firstRange(of: agentsEnd) {
      var after = end.upperBound
      if after < text.endIndex, text[after] == "\n" { after = text.index(after: after) }
      return String(text[..<begin.lowerBound]) + section + String(text[after...])
    }
    if text.isEmpty { return section }
    return text.trimmingTrailingNewlines + "\n\n" + section
  }
}

extension String {
  var trimmingTrailingNewlines: String {
    var s = Substring(self)
    while s.last == "\n" || s.last == "\r" { s.removeLast() }
    return String(s)
  }
}
