/// The operations as tools for agents (served over MCP by `ghp mcp`): each tool has a JSON input
/// schema and a description an agent can act on, and calls the same library operation as the CLI,
/// under the same authority rules. A refusal is thrown as the CLI's own `GHPError`.
public enum ToolBox {
  /// The help of `ghp mcp` (and of `ghp-mcp`, which it runs).
  public static let abstract = "Serve the operations as MCP tools over stdio, for agents that prefer tools to a shell."
  /// The longer help of `ghp mcp`: its tools, prompts, resources, identity and an example config.
  public static let discussion = """
    Tools: init_coordination, create_task, claim_task, complete_task, fail_task, release_task, \
    get_status, ready_tasks, add_discovery, heartbeat, escalate, handoff, get_log, my_escalations, \
    claim_check, show_task, show_handoff, list_approvals, stop_run.

    Prompts: worker, leader, session. Resources: ghp://status, ghp://plan, ghp://issues/{id}, with \
    update notifications to subscribers whenever ghp/state moves.

    Identity: --agent, else as the CLI (a server started in an agent's worktree knows who it is). \
    The server is the ghp-mcp program, next to ghp (scripts/install puts both there) or on PATH.

    Example .mcp.json:
      {"mcpServers": {"ghp": {"command": "ghp", "args": ["mcp"]}}}
    """
  /// What the server tells a client at `initialize`: how to work through these tools.
  public static let instructions = """
    ghp coordinates the agents of this repository through the git branch ghp/state. Work loop: \
    ready_tasks, then claim_task (never work on a task you did not claim); heartbeat after every commit \
    and at least every few minutes (silent agents become stale and lose their tasks); add_discovery for \
    what others need; escalate a decision you should not guess, keep heartbeating while you wait, and \
    read the answer with my_escalations; commit, then complete_task (or handoff with `to`). \
    Errors: a message starting "refused:" is the coordination rules (the CLI's exit 3): another agent \
    holds the task (it names who; pick other work), or you lost your claim (stop working on it and read \
    get_status), or you lack the authority (ask an orchestrator). A "usage:" error is a wrong argument: \
    fix the call, do not repeat it. "nothing-ready:" means no task is ready: wait and try again later. \
    The prompts worker and leader hold the full instructions for each role; session holds yours now.
    """

  /// One MCP tool as the server lists it.
  public struct Tool: Sendable {
    /// The tool's name agents call it by (`claim_task`).
    public var name: String
    /// What the tool does and when to call it, written for an agent.
    public var description: String
    /// The JSON Schema of its input: an object of typed, described properties and the required ones.
    public var schema: JSON

    /// Its name as people read it (`claim_task` → "Claim task").
    public var title: String {
      let words = name.replacing("_", with: " ")
      return words.prefix(1).uppercased() + words.dropFirst()
    }
    /// Whether it only reads: a client may call it without asking (an unannotated tool is taken
    /// for a destructive one).
    public var readOnly: Bool { ToolBox.readOnlyTools.contains(name) }
    /// Whether it may undo or end what others do (stopping a run, giving up a task).
    public var destructive: Bool { ToolBox.destructiveTools.contains(name) }
    /// Whether calling it again with the same arguments changes nothing more.
    public var idempotent: Bool { readOnly || ToolBox.idempotentTools.contains(name) }

    /// The name of the list its answer holds (`ready_tasks` answers `{"issues": [...]}`), nil when
    /// its answer is one object.
    public var listName: String? { ToolBox.listTools[name] }

    /// The JSON Schema of its structured answer (MCP's `outputSchema`): an object, and for a list
    /// tool the array of objects it names.
    public var outputSchema: JSON {
      guard let list = listName else { return .object(["type": .string("object")]) }
      return .object([
        "type": .string("object"),
        "properties": .object([
          list: .object(["type": .string("array"), "items": .object(["type": .string("object")])])
        ]),
        "required": .array([.string(list)]),
      ])
    }
  }

  /// The tools whose answer is a list, and its name (as the CLI's `--json` names it).
  static let listTools: [String: String] = [
    "ready_tasks": "issues", "get_log": "events", "my_escalations": "escalations", "list_approvals": "approvals",
    "list_reviews": "reviews",
  ]

  /// The tools that only read.
  static let readOnlyTools: Set<String> = [
    "get_status", "ready_tasks", "get_log", "my_escalations", "claim_check", "show_task", "show_handoff",
    "list_approvals", "list_reviews", "show_review", "show_vote",
  ]
  /// The tools that end or give up what is under way.
  static let destructiveTools: Set<String> = ["stop_run", "release_task", "fail_task"]
  /// The tools a client should ask a person before calling (`ghp setup codex` says so): they reach
  /// beyond the agent's own work.
  public static let askingTools: Set<String> = ["stop_run", "init_coordination"]
  /// The writing tools that a repeated call leaves as the first left it.
  static let idempotentTools: Set<String> = ["heartbeat", "stop_run"]

  static func schema(_ properties: [String: (type: String, description: String)], required: [String] = []) -> JSON {
    var props: [String: JSON] = [:]
    for (name, spec) in properties {
      if spec.type == "string[]" {
        props[name] = .object([
          "type": .string("array"), "items": .object(["type": .string("string")]),
          "description": .string(spec.description),
        ])
      } else if spec.type == "id[]" {
        props[name] = .object([
          "type": .string("array"), "items": .object(["type": .array([.string("string"), .string("integer")])]),
          "description": .string(spec.description),
        ])
      } else if spec.type == "id" {
        props[name] = .object([
          "type": .array([.string("string"), .string("integer")]), "description": .string(spec.description),
        ])
      } else {
        props[name] = .object(["type": .string(spec.type), "description": .string(spec.description)])
      }
    }
    // An argument nobody reads is refused (`validate`): the schema says so too.
    return .object([
      "type": .string("object"), "properties": .object(props), "required": .array(required.map { .string($0) }),
      "additionalProperties": .bool(false),
    ])
  }

  /// Every tool the MCP server offers, in the order it lists them.
  public static let tools: [Tool] = [
    Tool(
      name: "init_coordination",
      description:
        "Start coordinating in this repository (creates the ghp/state branch; you become an orchestrator). Give the goal, and optionally the whole plan in Markdown.",
      schema: schema(
        ["goal": ("string", "What the team is building."), "plan": ("string", "The master plan, Markdown.")],
        required: ["goal"])),
    Tool(
      name: "create_task",
      description:
        "Orchestrators (and an epic's manager, with `epic`): add a task (issue). Lower priority numbers come first; `after` lists task ids that must be done first; `scope` lists globs of the files the holder will own; `needs` what an agent must be able to do to take it.",
      schema: schema(
        [
          "title": ("string", "One line."), "body": ("string", "What to do, in detail."),
          "priority": ("integer", "1 is urgent; default 2."),
          "after": ("id[]", "Ids of tasks that must be done first."),
          "scope": ("string[]", "File globs the holder owns, e.g. Sources/Auth/**."),
          "epic": ("id", "The epic this task is a sub-issue of."),
          "needs": ("string[]", "Capabilities an agent must have to take it, e.g. swift."),
        ], required: ["title"])),
    Tool(
      name: "claim_task",
      description:
        "Claim a task before working on it. With `id`, that task; without, the best ready task. Refused (exit 3 in the CLI) when another agent holds it: the error names the holder, since when and the epoch; pick other work. Never work on a task you did not claim.",
      schema: schema(["id": ("id", "The task id; omit to take the next ready one.")])),
    Tool(
      name: "complete_task",
      description:
        "Mark a task you hold done, with what you did and how you checked it. Tasks waiting on it become ready. When the project lands work through `ghp land`, this submits your committed branch for landing instead (commit first): the task is done once it landed.",
      schema: schema(
        ["id": ("id", "The task id."), "result": ("string", "What was done and how it was verified.")],
        required: ["id", "result"])),
    Tool(
      name: "fail_task",
      description:
        "Report that your attempt at a task failed (it goes back to the queue; after too many failures it is dead).",
      schema: schema(
        ["id": ("id", "The task id."), "reason": ("string", "Why it failed.")], required: ["id", "reason"])),
    Tool(
      name: "release_task",
      description: "Give a task you hold back to the queue without finishing it.",
      schema: schema(["id": ("id", "The task id."), "reason": ("string", "Why.")], required: ["id"])),
    Tool(
      name: "get_status",
      description:
        "Every agent's task, status, last action and heartbeat age (stale ones marked), open escalations and dead tasks.",
      schema: schema(["stale_only": ("boolean", "Only agents silent for longer than staleAfter.")])),
    Tool(
      name: "ready_tasks",
      description:
        "Tasks ready to claim: open, unclaimed, every dependency done; best first. `mine` keeps only what you can do (your capabilities cover its needs); a task no registered agent can do is marked nobodyCan.",
      schema: schema(["limit": ("integer", "At most this many."), "mine": ("boolean", "Only what you can do.")])),
    Tool(
      name: "add_discovery",
      description: "Share a finding every agent should know (appended to the shared discoveries).",
      schema: schema(["text": ("string", "The finding.")], required: ["text"])),
    Tool(
      name: "heartbeat",
      description:
        "Say you are alive, after every commit and every few minutes, with what you just did. Silent agents become stale and lose their tasks. Read `notices`: an answer to your question, a claim you lost (stop working on it), work sent back, a handoff for you. With `issue`, refused (exit 3) when you no longer hold it.",
      schema: schema(
        [
          "action": ("string", "What you just did."), "status": ("string", "implementing, testing, blocked, ..."),
          "issue": ("id", "The task you work on (you must hold it)."),
        ])),
    Tool(
      name: "escalate",
      description: "Ask a human to decide something you should not guess. Severity: low, medium, high, critical.",
      schema: schema(
        [
          "question": ("string", "The decision needed."), "issue": ("id", "The task it is about."),
          "severity": ("string", "low, medium, high or critical."),
          "context": ("string", "What the human needs to know."),
        ],
        required: ["question"])),
    Tool(
      name: "handoff",
      description:
        "Write a handoff for a task you hold (commit first), built from the state and your branch; with `to`, the task passes to that agent. A `to` no agent is registered under is an error naming the closest (a typo must not hand work to nobody); set `new` when the receiver really is new.",
      schema: schema(
        [
          "issue": ("id", "The task id."), "to": ("string", "The agent who takes it over."),
          "note": ("string", "Your own words for the receiver."),
          "new": ("boolean", "The receiver is a new agent, registered by this handoff."),
        ], required: ["issue"])),
    Tool(
      name: "get_log",
      description: "The coordination history, newest first.",
      schema: schema([
        "agent": ("string", "Only this agent's events."), "issue": ("id", "Only events about this task."),
        "limit": ("integer", "At most this many (default 20)."),
      ])),
    Tool(
      name: "my_escalations",
      description:
        "Your questions to a human and their answers (newest first). Reading them changes nothing; a heartbeat also tells you of a new answer once.",
      schema: schema(["open_only": ("boolean", "Only those still waiting for an answer.")])),
    Tool(
      name: "claim_check",
      description:
        "Check that you still hold a task at the epoch your work began under (claim_task returned it). Refused (exit 3 in the CLI) when the claim was taken or changed hands since: stop and do not complete work for it.",
      schema: schema(
        ["id": ("id", "The task id."), "epoch": ("integer", "The epoch of your claim.")], required: ["id", "epoch"])),
    Tool(
      name: "show_task",
      description:
        "One task whole: title, body, priority, dependencies, scope, holder, epoch, attempts, result and history.",
      schema: schema(["id": ("id", "The task id.")], required: ["id"])),
    Tool(
      name: "show_handoff",
      description: "The latest handoff of a task: the giver's notes, its branch and how to pick the work up.",
      schema: schema(["issue": ("id", "The task id.")], required: ["issue"])),
    Tool(
      name: "list_approvals",
      description:
        "Approvals to edit shared files: who may edit which globs, by whom, once or standing. Ask for one with escalate when a commit hook refuses a shared file.",
      schema: schema([
        "agent": ("string", "Only this agent's approvals."), "all": ("boolean", "Also those revoked or used up."),
      ])),
    Tool(
      name: "list_reviews",
      description:
        "Reviewers: the landings that passed the gate and wait for a verdict on their merge (its tree). Read one whole with show_review; give the verdict with review_landing.",
      schema: schema([:])),
    Tool(
      name: "show_review",
      description:
        "What a review is about: the merge's tree, the base it was merged with, and the files it changes (read the whole change with `git diff BASETIP TREE`).",
      schema: schema(["issue": ("id", "The landing's task id.")], required: ["issue"])),
    Tool(
      name: "review_landing",
      description:
        "Reviewers (and orchestrators): approve the exact merge a landing waits on, or ask for changes (sent back to its agent with your text). Name the tree you were shown; a verdict on another tree (the base moved) is refused. Nobody reviews its own work.",
      schema: schema(
        [
          "issue": ("id", "The landing's task id."), "tree": ("string", "The tree id you reviewed (show_review)."),
          "verdict": ("string", "approve or changes."),
          "text": ("string", "The changes asked for (required with changes), or a note with an approval."),
        ], required: ["issue", "tree", "verdict"])),
    Tool(
      name: "show_vote",
      description:
        "A task attempted independently (best-of-N): each attempt, who makes it, whether its merge passed the gate, its score, the ballots, and where the vote stands.",
      schema: schema(["issue": ("id", "The task (or one of its attempts, such as 12.2).")], required: ["issue"])),
    Tool(
      name: "vote",
      description:
        "Vote for one attempt of a task attempted independently: the lead's ballot decides (a vote by lead), a reviewer's counts (a vote by review). Only an attempt that passed its gate; never on a task you attempted.",
      schema: schema(
        ["attempt": ("id", "The attempt, such as 12.2."), "note": ("string", "Why.")], required: ["attempt"])),
    Tool(
      name: "stop_run",
      description:
        "Orchestrators: ask the `ghp run` of this repository to stop gracefully (no new workers; those running get SIGTERM and the grace). Waits up to 10 seconds and answers the run's state: `stopped`, or still `stopping`.",
      schema: schema([:])),
  ]

  /// Checks `arguments` against the tool's input schema: an unknown tool, an argument the tool does
  /// not take (`task_id` for `id`), one of the wrong type (`true`, `[1]`, `1.5` for an id; `"1"` for
  /// a priority) or a missing required one is an error naming it. Nothing is ever read as a default.
  public static func validate(_ name: String, arguments: [String: JSON]) throws(GHPError) {
    guard let tool = tools.first(where: { $0.name == name }) else {
      throw .invalidValue("tool", "no tool named \(name) (tools: \(tools.map(\.name).joined(separator: ", ")))")
    }
    let properties = tool.schema["properties"]?.objectValue ?? [:]
    for (key, value) in arguments.sorted(by: { $0.key < $1.key }) {
      guard let property = properties[key] else {
        throw .invalidValue(
          "argument '\(key)' of \(name)",
          "\(name) takes no such argument (it takes: \(properties.keys.sorted().joined(separator: ", ")))")
      }
      guard matches(value, property) else {
        throw .invalidValue(
          "argument '\(key)' of \(name)",
          "expected \(describe(property)), got \(FieldDescription.describe(value)); nothing was done")
      }
    }
    for case .string(let key) in tool.schema["required"]?.arrayValue ?? []
    where arguments[key] == nil || arguments[key] == .null {
      throw .invalidValue("argument '\(key)' of \(name)", "it is required; nothing was done")
    }
  }

  /// Whether `value` is of the property's type. `null` is of none: a wrong type like any other
  /// (`{"id": null}` never means "the next one"); leave an argument out to leave it unsaid.
  static func matches(_ value: JSON, _ property: JSON) -> Bool {
    let types: [String]
    switch property["type"] {
    case .string(let one)?: types = [one]
    case .array(let many)?: types = many.compactMap(\.stringValue)
    default: return true
    }
    return types.contains { type in
      switch (type, value) {
      case ("string", .string): true
      case ("integer", .int): true
      case ("boolean", .bool): true
      case ("array", .array(let items)):
        property["items"].map { spec in items.allSatisfy { item in item != .null && matches(item, spec) } } ?? true
      default: false
      }
    }
  }

  static func describe(_ property: JSON) -> String {
    switch property["type"] {
    case .string("array")?: "an array of " + (property["items"].map(describe) ?? "values") + "s"
    case .string(let one)?: "a" + (one == "integer" ? "n integer" : " \(one)")
    case .array(let many)?:
      many.compactMap(\.stringValue).map { $0 == "integer" ? "an integer" : "a \($0)" }.joined(separator: " or ")
    default: "a value"
    }
  }

  /// Runs one tool; the answer is what the CLI prints with `--json`.
  public static func call(_ name: String, arguments: [String: JSON], workspace: Workspace) throws(GHPError) -> JSON {
    try validate(name, arguments: arguments)
    func string(_ key: String) -> String? {
      arguments[key]?.stringValue ?? arguments[key]?.intValue.map(String.init)
    }
    func required(_ key: String) throws(GHPError) -> String {
      guard let value = string(key), !value.isEmpty else {
        throw .invalidValue("arguments", "\(name) needs \"\(key)\"")
      }
      return value
    }
    func strings(_ key: String) -> [String] {
      arguments[key]?.arrayValue?.compactMap { $0.stringValue ?? $0.intValue.map(String.init) } ?? []
    }
    /// An optional issue id argument, validated.
    func issue(_ key: String) throws(GHPError) -> String? {
      guard let value = string(key) else { return nil }
      return try IssueID.validate(value)
    }
    func issues(_ key: String) throws(GHPError) -> [String] {
      var out: [String] = []
      for value in strings(key) { out.append(try IssueID.validate(value)) }
      return out
    }

    switch name {
    case "init_coordination":
      let landed = try InitSession.initialise(workspace, goal: try required("goal"), config: .initial)
      if let plan = string("plan"), !plan.isEmpty { try workspace.run(SetPlanOperation(text: plan)) }
      return .object(["orchestrator": .string(landed.result.orchestrator), "commit": landed.commit.answerJSON])
    case "create_task":
      let operation = AddIssueOperation(
        title: try required("title"), body: string("body") ?? "", priority: arguments["priority"]?.intValue ?? 2,
        dependencies: try issues("after"), scope: strings("scope"), epic: try issue("epic"),
        needs: try Capability.parse(strings("needs")))
      return try workspace.run(operation).result.json
    case "claim_task":
      return try ClaimAction(issue: string("id")).run(in: workspace).json
    case "complete_task":
      return try DoneAction(issue: try required("id"), result: try required("result")).run(in: workspace).json
    case "fail_task":
      return try FailAction(issue: try required("id"), reason: try required("reason")).run(in: workspace).json
    case "release_task":
      return try ReleaseAction(issue: try required("id"), reason: string("reason")).run(in: workspace).json
    case "get_status":
      return try StatusAction(staleOnly: arguments["stale_only"]?.boolValue == true).run(in: workspace).json
    case "ready_tasks":
      let limit = arguments["limit"]?.intValue
      let state = try workspace.snapshot()
      let agent = arguments["mine"]?.boolValue == true ? try workspace.actor() : nil
      return try ReadyQueue.json(
        ReadyQueue.ready(state, limit: limit.flatMap { $0 > 0 ? $0 : nil }, for: agent), in: state)
    case "add_discovery":
      return try workspace.run(DiscoverOperation(text: try required("text"))).result.json
    case "heartbeat":
      let action = try HeartbeatAction(status: string("status"), action: string("action"), issue: string("issue"))
      return try action.run(in: workspace).json
    case "escalate":
      var severity = Escalation.Severity.medium
      if let text = string("severity") {
        guard let value = Escalation.Severity(rawValue: text) else {
          throw .invalidValue("severity", "use low, medium, high or critical")
        }
        severity = value
      }
      let operation = EscalateOperation(
        question: try required("question"), issueID: try issue("issue"), severity: severity, context: string("context"))
      return try workspace.run(operation).result.answerJSON
    case "handoff":
      let action = try HandoffAction(
        issue: try required("issue"), receiver: string("to"), note: string("note"),
        allowNew: arguments["new"]?.boolValue == true)
      return try action.run(in: workspace).json
    case "get_log":
      let limit = arguments["limit"]?.intValue ?? 20
      return .object([
        "events": .array(
          try HistoryLog.entries(
            workspace.snapshot(), agent: string("agent"), issue: try issue("issue"), limit: limit > 0 ? limit : nil
          ).map(\.json))
      ])
    case "my_escalations":
      let agent = try workspace.actor()
      let mine = try workspace.snapshot().escalations().filter {
        $0.agent == agent && (arguments["open_only"]?.boolValue != true || $0.status == .open)
      }
      return .object(["escalations": .array(mine.sorted { $0.asked > $1.asked }.map(\.answerJSON))])
    case "claim_check":
      guard let epoch = arguments["epoch"]?.intValue else {
        throw .invalidValue("arguments", "claim_check needs \"epoch\"")
      }
      let held = try ClaimCheck.check(
        workspace.snapshot(), issueID: try IssueID.validate(try required("id")), epoch: epoch, agent: workspace.actor())
      return .object(["issue": held.answerJSON, "holds": .bool(true)])
    case "show_task":
      let state = try workspace.snapshot()
      try state.requireInitialised()
      return try IssueDetail(state: state, id: try IssueID.validate(try required("id"))).json
    case "show_handoff":
      let state = try workspace.snapshot()
      try state.requireInitialised()
      let id = try IssueID.validate(try required("issue"))
      return .object(["issue": IssueReference.write(id), "document": .string(try state.handoffDocument(id))])
    case "list_approvals":
      let state = try workspace.snapshot()
      try state.requireInitialised()
      let agent = string("agent")
      return .object([
        "approvals": .array(
          try state.listedApprovals(all: arguments["all"]?.boolValue == true).filter {
            agent == nil || $0.agent == agent
          }.map(\.answerJSON))
      ])
    case "list_reviews":
      let state = try workspace.snapshot()
      try state.requireInitialised()
      return .object(["reviews": .array(try ReviewQueue.waiting(state).map(ReviewQueue.json))])
    case "show_review":
      return try ReviewQueue.show(workspace, id: try IssueID.validate(try required("issue"))).json
    case "review_landing":
      let id = try IssueID.validate(try required("issue"))
      guard let verdict = ReviewOperation.Verdict(rawValue: try required("verdict")) else {
        throw .invalidValue("verdict", "use approve or changes")
      }
      let state = try workspace.snapshot()
      let tree = try ReviewQueue.tree(named: try required("tree"), for: id, in: state)
      let landed = try workspace.run(ReviewOperation(issueID: id, tree: tree, verdict: verdict, text: string("text")))
      return .object(["issue": landed.result.answerJSON, "commit": landed.commit.answerJSON])
    case "show_vote":
      let state = try workspace.snapshot()
      try state.requireInitialised()
      return try VoteBoard.show(state, id: try IssueID.validate(try required("issue"))).json
    case "vote":
      let landed = try workspace.run(
        VoteOperation(attemptID: try IssueID.validate(try required("attempt")), note: string("note")))
      return .object([
        "issue": IssueReference.write(landed.result.id),
        "vote": landed.result.vote.map(JSONEncoding.document) ?? .null, "commit": landed.commit.answerJSON,
      ])
    case "stop_run":
      return try RunStopAction(wait: 10).run(in: workspace).json
    default:
      throw .invalidValue("tool", "no tool named \(name)")
    }
  }

  // MARK: - Prompts

  /// The prompts a client can ask for: the instructions of each role, and the caller's session.
  public static let prompts: [(name: String, description: String)] = [
    ("worker", "The worker's instructions: the loop, heartbeats, exit codes and what to do on each, handoffs."),
    ("leader", "The orchestrator's instructions: agents, hooks, approvals, the escalation inbox, reap, land, run."),
    (
      "manager",
      "An epic manager's instructions: its sub-issues, answers and approvals within the epic, and no further."
    ),
    (
      "reviewer",
      "A reviewer's instructions: the landings that wait for a review, and how to give a verdict on a merge."
    ),
    ("session", "Your context now: your role's instructions, the tasks you hold, your open questions."),
  ]

  /// The text of a prompt, for the agent the server acts as.
  public static func prompt(_ name: String, workspace: Workspace) throws(GHPError) -> String {
    let state = try workspace.snapshot()
    let agent = (try? workspace.actor()) ?? (name == "leader" ? "the orchestrator" : "a worker")
    switch name {
    case "worker": return try PromptRenderer.render("worker-prompt.md", state: state, agent: agent)
    case "leader": return try PromptRenderer.render("leader-prompt.md", state: state, agent: agent)
    case "manager": return try PromptRenderer.render("manager-prompt.md", state: state, agent: agent)
    case "reviewer": return try PromptRenderer.render("reviewer-prompt.md", state: state, agent: agent)
    case "session": return try SessionContext.render(state: state, agent: try workspace.actor(), told: [])
    default:
      throw .invalidValue("prompt", "no prompt named \(name) (prompts: \(prompts.map(\.name).joined(separator: ", ")))")
    }
  }

  // MARK: - Resources

  /// The fixed resources the server lists, each with its URI, name, description and MIME type.
  public static let resources: [(uri: String, name: String, description: String, mime: String)] = [
    ("ghp://status", "status", "Every agent's status, as `ghp agent-status --json`.", "application/json"),
    ("ghp://plan", "plan", "The master plan (.ghp/plan.md).", "text/markdown"),
  ]
  /// The URI template of one issue's resource: its details as JSON, as `ghp issue show --json`.
  public static let issueTemplate = "ghp://issues/{id}"

  /// The text of a resource.
  public static func read(_ uri: String, workspace: Workspace) throws(GHPError) -> (text: String, mime: String) {
    let state = try workspace.snapshot()
    try state.requireInitialised()
    switch uri {
    case "ghp://status":
      return (try StatusAction().run(in: workspace).prettyJSON, "application/json")
    case "ghp://plan":
      return (try state.text(StatePaths.plan) ?? "", "text/markdown")
    default:
      guard uri.hasPrefix("ghp://issues/") else { throw .invalidValue("resource", "no resource \(uri)") }
      let id = try IssueID.validate(String(uri.dropFirst("ghp://issues/".count)))
      return (try IssueDetail(state: state, id: id).json.pretty(), "application/json")
    }
  }
}
