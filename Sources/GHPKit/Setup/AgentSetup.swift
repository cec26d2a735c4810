import Glibc

/// `ghp setup claude|codex`: the files that make a coding agent use ghp by itself (its MCP server,
/// hooks that heartbeat, the instructions, the folders its sandbox must let it write), where that
/// agent reads them and git does not see them. Entries ghp wrote carry its mark, so running setup
/// again replaces them in place and touches nothing else; `--remove` takes out exactly them.
public enum AgentSetup {
  /// One file setup would write: where, what it holds now (nil: it does not exist) and after.
  public struct PlannedFile: Sendable {
    /// Where the file is written: under the setup's root, or under the Codex home for `config.toml`.
    public let path: String
    /// The path as shown to people (relative to where setup runs, or under ~).
    public let display: String
    /// What the file holds now, nil when it does not exist yet.
    public let before: String?
    /// What the file will hold once setup has merged ghp's entries in; nil: the file is removed.
    public let after: String?
    /// True when writing would change the file (or create or remove it).
    public var changed: Bool { before != after }
    /// The change as a unified diff under the `display` path, as `--dry-run` prints it.
    public var diff: String { TextDiff.unified(path: display, before: before, after: after ?? "") }
  }

  /// Where setup writes for one agent.
  public struct Place: Sendable {
    /// The top of the agent's worktree (where the agent runs).
    public var root: String
    /// The repository's git common folder: ghp's state, the branches and objects a worker writes.
    public var common: String
    /// The repository's `info/exclude`, which keeps setup's files out of git.
    public var exclude: String
    /// The command hooks and MCP entries run for ghp.
    public var ghp: String
    /// The agent the worktree is bound to (the MCP server is pinned to it), nil when none is.
    public var agent: String?

    public init(root: String, common: String, exclude: String, ghp: String, agent: String?) {
      self.root = root
      self.common = common
      self.exclude = exclude
      self.ghp = ghp
      self.agent = agent
    }

    /// The worktree `workspace` is in; nil for a repository with no working tree (a bare one).
    public init?(_ workspace: Workspace, ghp: String) {
      let repository = workspace.repository
      guard let top = repository.workingDirectory else { return nil }
      let common = repository.commonDirectory
      self.init(
        root: top.hasSuffix("/") ? String(top.dropLast()) : top,
        common: common.hasSuffix("/") ? String(common.dropLast()) : common,
        exclude: repository.localPaths.infoExclude, ghp: ghp, agent: try? workspace.boundAgent())
    }
  }

  /// The mark on every hook command ghp writes (a shell comment, so the command runs the same).
  public static let mark = "# ghp setup"
  static let agentsBegin = "<!-- ghp setup: begin (ghp rewrites what is between these lines) -->"
  static let agentsEnd = "<!-- ghp setup: end -->"
  /// The first line of the Codex files ghp owns whole.
  static let codexMark = "# Written by `ghp setup codex`"
  /// The comment an earlier setup put in the user-wide Codex `config.toml`.
  static let oldCodexMark = "# Written by `ghp setup codex`: ghp's coordination tools"

  /// A hook ghp installs: the event, its matcher, the command and its timeout in seconds.
  public typealias Hook = (event: String, matcher: String?, command: String, timeout: Int)

  /// The hooks Claude Code runs: on session start a heartbeat and the agent's context, after each tool
  /// use (succeeded or failed) a heartbeat that commits at most once per `heartbeatMinimum`, on stop
  /// a final status.
  public static func claudeHooks(ghp: String) -> [Hook] {
    [
      ("SessionStart", nil, "\(ghp) prompt session --hook claude \(mark)", 30),
      ("PostToolUse", "*", "\(ghp) agent-heartbeat --auto --hook claude \(mark)", 15),
      // A tool that failed fires this one instead: the agent is as alive, and as owed its notices.
      ("PostToolUseFailure", "*", "\(ghp) agent-heartbeat --auto --hook claude \(mark)", 15),
      ("Stop", nil, "\(ghp) agent-heartbeat --hook claude --action \"Stopped: waiting for input\" \(mark)", 15),
    ]
  }

  /// The hooks Codex runs (its `hooks.json`): the same effects as Claude Code's. Codex has no
  /// failed-tool event: `PostToolUse` follows every tool, and a matcher left out matches them all.
  public static func codexHooks(ghp: String) -> [Hook] {
    [
      ("SessionStart", nil, "\(ghp) prompt session --hook codex \(mark)", 30),
      ("PostToolUse", nil, "\(ghp) agent-heartbeat --auto --hook codex \(mark)", 15),
      ("Stop", nil, "\(ghp) agent-heartbeat --hook codex --action \"Stopped: waiting for input\" \(mark)", 15),
    ]
  }

  /// The files ghp writes for Claude Code in a worktree, which git must not see: `done` never counts
  /// them as work, and one agent's settings never reach the base.
  public static let claudeLocalFiles = ["/.mcp.json", "/.claude/settings.local.json", "/CLAUDE.local.md"]
  /// The files ghp writes for Codex in a worktree, kept out of git as Claude Code's are.
  public static let codexLocalFiles = ["/.codex/config.toml", "/.codex/hooks.json"]

  // MARK: - Claude Code

  /// `.mcp.json` (the ghp server, pinned to the agent), `.claude/settings.local.json` (the hooks,
  /// the approval of the ghp server, and the git common folder among its sandbox's writable paths)
  /// and `CLAUDE.local.md` (importing `AGENTS.md`, which Claude Code does not read by itself), all
  /// kept out of git. ghp's hooks an earlier setup put in `.claude/settings.json` are moved out of it.
  public static func claude(_ place: Place, remove: Bool = false) throws(GHPError) -> [PlannedFile] {
    let root = place.root
    let mcpPath = root + "/.mcp.json"
    let mcpBefore = try existing(mcpPath)
    var mcp = try object(mcpBefore, mcpPath)
    var servers = try member(mcp, "mcpServers", mcpPath)
    servers["ghp"] = remove ? nil : server(ghp: place.ghp, agent: place.agent)
    mcp["mcpServers"] = servers.isEmpty ? nil : .object(servers)

    let settingsPath = root + "/.claude/settings.local.json"
    let settingsBefore = try existing(settingsPath)
    var settings = try object(settingsBefore, settingsPath)
    var hooks = try member(settings, "hooks", settingsPath)
    try mergeHooks(&hooks, remove ? [] : claudeHooks(ghp: place.ghp), path: settingsPath)
    settings["hooks"] = hooks.isEmpty ? nil : .object(hooks)
    // Claude Code asks before it starts a project's MCP server: this one is approved.
    settings["enabledMcpjsonServers"] = try listed(
      settings["enabledMcpjsonServers"], "ghp", present: !remove, key: "enabledMcpjsonServers", path: settingsPath)
    // Its sandbox lets a command write the working folder only: a commit, and ghp's state, are
    // written in the git common folder.
    var sandbox = try member(settings, "sandbox", settingsPath)
    var filesystem = try member(sandbox, "filesystem", settingsPath)
    filesystem["allowWrite"] = try listed(
      filesystem["allowWrite"], place.common, present: !remove, key: "sandbox.filesystem.allowWrite",
      path: settingsPath)
    sandbox["filesystem"] = filesystem.isEmpty ? nil : .object(filesystem)
    settings["sandbox"] = sandbox.isEmpty ? nil : .object(sandbox)

    var files = [
      PlannedFile(
        path: mcpPath, display: ".mcp.json", before: mcpBefore, after: owned(mcp, remove: remove)),
      PlannedFile(
        path: settingsPath, display: ".claude/settings.local.json", before: settingsBefore,
        after: owned(settings, remove: remove)),
    ]
    // Claude Code reads CLAUDE.md, not AGENTS.md: the local one imports it (when there is one to import
    // and CLAUDE.md does not already).
    let localPath = root + "/CLAUDE.local.md"
    let localBefore = try existing(localPath)
    let importsAlready = (try existing(root + "/CLAUDE.md"))?.split(separator: "\n").contains("@AGENTS.md") ?? false
    let wantsImport = !remove && Files.read(root + "/AGENTS.md") != nil && !importsAlready
    let section = agentsBegin + "\n@AGENTS.md\n" + agentsEnd + "\n"
    var localAfter = wantsImport ? replacingSection(in: localBefore ?? "", with: section) : removingSection(localBefore)
    if localBefore == nil && !wantsImport { localAfter = nil }
    files.append(PlannedFile(path: localPath, display: "CLAUDE.local.md", before: localBefore, after: localAfter))
    // An earlier setup's hooks in the committed settings: taken out, everything else kept.
    let sharedPath = root + "/.claude/settings.json"
    if let sharedBefore = try existing(sharedPath), sharedBefore.contains(mark) {
      var shared = try object(sharedBefore, sharedPath)
      var sharedHooks = try member(shared, "hooks", sharedPath)
      try mergeHooks(&sharedHooks, [], path: sharedPath)
      shared["hooks"] = sharedHooks.isEmpty ? nil : .object(sharedHooks)
      files.append(
        PlannedFile(
          path: sharedPath, display: ".claude/settings.json", before: sharedBefore, after: JSON.object(shared).pretty())
      )
    }
    files.append(try excluding(claudeLocalFiles, place.exclude, remove: remove))
    return files.filter { $0.before != nil || $0.after != nil }
  }

  // MARK: - Codex

  /// The Codex home's trust of `root`: Codex reads a project's `.codex/` only once the project is
  /// trusted (`[projects."ROOT"] trust_level = "trusted"` in its `config.toml`, which Codex writes
  /// when a person trusts the folder).
  public static func codexTrusts(_ root: String, codexConfig: String?) -> Bool {
    guard let codexConfig else { return false }
    var inTable = false
    for line in codexConfig.split(separator: "\n") {
      let trimmed = String(line).trimmingSpaces
      if trimmed.hasPrefix("[") {
        inTable = trimmed == "[projects.\(TOML.quote(root))]" || trimmed == "[projects.'\(root)']"
        continue
      }
      let compact = trimmed.filter { $0 != " " }
      if inTable && compact == "trust_level=\"trusted\"" { return true }
      if compact == "projects.\(TOML.quote(root)).trust_level=\"trusted\"" { return true }
    }
    return false
  }

  /// `.codex/config.toml` and `.codex/hooks.json` in the worktree (Codex's project layer: ghp's
  /// instructions as `developer_instructions`, the git common folder among the sandbox's writable
  /// roots, the ghp MCP server pinned to the agent with its tools approved), kept out of git; the
  /// user-wide `[mcp_servers.ghp]` an earlier setup wrote (which started `ghp mcp` in every Codex
  /// session on the machine) is taken out of `codexHome`'s `config.toml`. With `remove`, ghp's
  /// section of `AGENTS.md` an earlier setup wrote goes too.
  public static func codex(
    _ place: Place, codexHome: String, displayHome: String, instructions: String, remove: Bool = false
  ) throws(GHPError) -> [PlannedFile] {
    let root = place.root
    var files: [PlannedFile] = []
    let configPath = root + "/.codex/config.toml"
    let configBefore = try existing(configPath)
    try requireOwned(configBefore, display: ".codex/config.toml", what: "settings") { $0.hasPrefix(codexMark) }
    files.append(
      PlannedFile(
        path: configPath, display: ".codex/config.toml", before: configBefore,
        after: remove ? nil : codexConfig(place, instructions: instructions)))

    let hooksPath = root + "/.codex/hooks.json"
    let hooksBefore = try existing(hooksPath)
    try requireOwned(hooksBefore, display: ".codex/hooks.json", what: "hooks") { $0.contains(mark) }
    var hooks: [String: JSON] = [:]
    try mergeHooks(&hooks, codexHooks(ghp: place.ghp), path: hooksPath)
    let hooksAfter = JSON.object([
      "description": .string("Written by `ghp setup codex`: heartbeats and the agent's notices."),
      "hooks": .object(hooks),
    ]).pretty()
    files.append(
      PlannedFile(path: hooksPath, display: ".codex/hooks.json", before: hooksBefore, after: remove ? nil : hooksAfter))

    let userPath = codexHome + "/config.toml"
    if let userBefore = try existing(userPath), userBefore.contains(oldCodexMark) {
      files.append(
        PlannedFile(
          path: userPath, display: displayHome + "/config.toml", before: userBefore,
          after: replacingTable("mcp_servers.ghp", in: userBefore, with: "")))
    }
    if remove, let agentsBefore = try existing(root + "/AGENTS.md"), agentsBefore.contains(agentsBegin) {
      files.append(
        PlannedFile(
          path: root + "/AGENTS.md", display: "AGENTS.md", before: agentsBefore, after: removingSection(agentsBefore)))
    }
    files.append(try excluding(codexLocalFiles, place.exclude, remove: remove))
    return files.filter { $0.before != nil || $0.after != nil }
  }

  /// The whole of ghp's `.codex/config.toml`.
  static func codexConfig(_ place: Place, instructions: String) -> String {
    var env = ""
    if let agent = place.agent { env = "env = { GHP_AGENT = \(TOML.quote(agent)) }\n" }
    var text = """
      \(codexMark) for \(place.agent.map { "agent " + $0 } ?? "this worktree"): Codex reads it once
      # this folder is a trusted project. `ghp setup codex --remove` takes it away; kept out of git.
      developer_instructions = \(TOML.multiline(instructions.trimmingTrailingNewlines))

      [sandbox_workspace_write]
      # A commit and ghp's state are written in the repository's git folder, outside this worktree.
      writable_roots = [\(TOML.quote(place.common))]

      [mcp_servers.ghp]
      command = \(TOML.quote(place.ghp))
      args = ["mcp"]
      \(env)# ghp's tools run without asking; the two that reach beyond the agent's own work ask.
      default_tools_approval_mode = "approve"

      """
    for tool in ToolBox.tools where ToolBox.askingTools.contains(tool.name) {
      text += "\n[mcp_servers.ghp.tools.\(tool.name)]\napproval_mode = \"prompt\"\n"
    }
    return text
  }

  /// Refuses a Codex file that exists and that ghp did not write (`ours` says whether it did): it is
  /// the project's (perhaps committed), and ghp does not rewrite it.
  static func requireOwned(_ text: String?, display: String, what: String, ours: (String) -> Bool) throws(GHPError) {
    guard let text, !ours(text) else { return }
    throw .invalidValue(
      display,
      "it exists and ghp did not write it; move it aside (or add ghp's \(what) yourself: `ghp setup codex --dry-run` in a copy shows them), then run setup again"
    )
  }

  // MARK: - Checking

  /// One line of `ghp setup --check`: a file, and whether setup would leave it as it is.
  public struct Finding: Sendable {
    public var display: String
    public var current: Bool
    public var advice: String

    public init(display: String, current: Bool, advice: String) {
      self.display = display
      self.current = current
      self.advice = advice
    }
  }

  /// Whether each planned file is as setup leaves it.
  public static func check(_ files: [PlannedFile], tool: String) -> [Finding] {
    files.map { file in
      Finding(
        display: file.display, current: !file.changed,
        advice: file.changed
          ? (file.after == nil
            ? "left by an earlier setup: run ghp setup \(tool)" : "not current: run ghp setup \(tool)")
          : "ok")
    }
  }

  // MARK: - Merging

  static func server(ghp: String, agent: String?) -> JSON {
    var fields: [String: JSON] = [
      "type": .string("stdio"), "command": .string(ghp), "args": .array([.string("mcp")]),
    ]
    if let agent { fields["env"] = .object(["GHP_AGENT": .string(agent)]) }
    return .object(fields)
  }

  /// A JSON document ghp writes into: removed when taking ghp's entries out leaves it empty (there
  /// was nothing else in it).
  static func owned(_ fields: [String: JSON], remove: Bool) -> String? {
    if remove && fields.isEmpty { return nil }
    return JSON.object(fields).pretty()
  }

  /// A list of strings with `value` in it (or, when not `present`, without it).
  static func listed(_ list: JSON?, _ value: String, present: Bool, key: String, path: String) throws(GHPError)
    -> JSON?
  {
    var items: [JSON] = []
    if let list {
      guard let array = list.arrayValue else {
        throw .invalidValue(path, "'\(key)' must be a list; fix it and run setup again, nothing was written")
      }
      items = array
    }
    items.removeAll { $0.stringValue == value }
    if present { items.append(.string(value)) }
    return items.isEmpty ? nil : .array(items)
  }

  /// Claude Code's and Codex's hooks (events by name, each a list of matcher groups): ghp's entries
  /// replaced where the first stands, any other of ghp's dropped, everything else kept.
  static func mergeHooks(_ hooks: inout [String: JSON], _ wanted: [Hook], path: String) throws(GHPError) {
    let events = Set(hooks.keys).union(wanted.map(\.event))
    for event in events.sorted() {
      guard let groups = (hooks[event] ?? .array([])).arrayValue else {
        throw .invalidValue(path, "hooks.\(event) must be a list of matcher groups; fix it, then run setup again")
      }
      let hook = wanted.first { $0.event == event }
      var ours: JSON =
        hook.map {
          .object(["type": .string("command"), "command": .string($0.command), "timeout": .int($0.timeout)])
        } ?? .null
      var merged: [JSON] = []
      for group in groups {
        guard var fields = group.objectValue, let entries = fields["hooks"]?.arrayValue else {
          merged.append(group)
          continue
        }
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
        if let matcher = hook?.matcher { group["matcher"] = .string(matcher) }
        merged.append(.object(group))
      }
      hooks[event] = merged.isEmpty ? nil : .array(merged)
    }
  }

  /// The repository's `info/exclude` with `patterns` in it (or out of it, with `remove`).
  static func excluding(_ patterns: [String], _ exclude: String, remove: Bool) throws(GHPError) -> PlannedFile {
    let before = try existing(exclude)
    var lines = (before ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    if remove {
      lines.removeAll { patterns.contains($0) }
    } else {
      for pattern in patterns where !lines.contains(pattern) { lines.append(pattern) }
    }
    let after = lines.isEmpty && before == nil ? nil : lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
    return PlannedFile(path: exclude, display: ".git/info/exclude", before: before, after: after)
  }

  /// The Markdown text without ghp's section; nil when nothing else was in it.
  static func removingSection(_ text: String?) -> String? {
    guard let text else { return nil }
    guard let section = sectionRange(in: text) else { return text }
    let rest =
      (String(text[..<section.lowerBound]).trimmingTrailingNewlines + "\n" + String(text[section.upperBound...]))
    let trimmed = rest.trimmingTrailingNewlines
    return trimmed.trimmingSpaces.isEmpty ? nil : trimmed + "\n"
  }

  /// Writes each changed file (atomically, making its folder), leaving unchanged ones alone.
  public static func write(_ files: [PlannedFile]) throws(GHPError) {
    for file in files where file.changed {
      guard let after = file.after else {
        if unlink(file.path) != 0 && errno != ENOENT {
          throw .io("cannot remove \(file.path): \(String(cString: strerror(errno)))")
        }
        // Its folder too, when setup's file was all it held (.codex, .claude).
        if let slash = file.path.lastIndex(of: "/") { _ = rmdir(String(file.path[..<slash])) }
        continue
      }
      let folder = String(file.path[..<(file.path.lastIndex(of: "/") ?? file.path.startIndex)])
      if !folder.isEmpty && !Files.makeDirectories(folder) { throw .io("cannot make the folder \(folder)") }
      try Files.replace(file.path, with: Array(after.utf8))
    }
  }

  // MARK: - Reading

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
    let blockLines =
      block.isEmpty
      ? [] : block.trimmingTrailingNewlines.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if var start = lines.firstIndex(where: { header($0) == name }) {
      var end = start + 1
      while end < lines.count, header(lines[end]) == nil && !lines[end].trimmingSpaces.hasPrefix("[[") { end += 1 }
      // Keep the blank lines that separated the table from the next one.
      while end > start + 1, lines[end - 1].trimmingSpaces.isEmpty { end -= 1 }
      // A table taken out takes the blank lines before it along.
      while blockLines.isEmpty, start > 0, lines[start - 1].trimmingSpaces.isEmpty { start -= 1 }
      lines.replaceSubrange(start..<end, with: blockLines)
    } else {
      if let last = lines.last, !last.trimmingSpaces.isEmpty { lines.append("") }
      lines += blockLines
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Where ghp's section is in `text`: from its begin mark to the end of its end mark's line.
  static func sectionRange(in text: String) -> Range<String.Index>? {
    guard let begin = text.firstRange(of: agentsBegin), let end = text[begin.upperBound...].firstRange(of: agentsEnd)
    else { return nil }
    var after = end.upperBound
    if after < text.endIndex, text[after] == "\n" { after = text.index(after: after) }
    return begin.lowerBound..<after
  }

  /// The Markdown text with ghp's section (between its marks) replaced, or appended.
  static func replacingSection(in text: String, with section: String) -> String {
    if let range = sectionRange(in: text) {
      return String(text[..<range.lowerBound]) + section + String(text[range.upperBound...])
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
