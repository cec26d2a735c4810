import ArgumentParser
import GHPKit

extension AgentRecord.Role: ExpressibleByArgument {}

extension GHP {
  struct Agent: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "agent", abstract: "One branch and one worktree per agent.",
      subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Register an agent, create its branch agent/<name> and its worktree (orchestrators).",
        discussion: """
          The worktree's own config gets ghp.agent, so every ghp command and hook run inside it \
          knows who it is. Default folder: ../<repository>.worktrees/<name>, every agent's in one \
          folder beside the repository (with worktreeRoot set in the config: \
          <worktreeRoot>/<repository>-<name>).

          Example:
            ghp agent add worker-1 --base main
          """)

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The agent's name.")
      var name: String

      @Option(help: "worker, manager (holds epics), reviewer (reviews landings) or orchestrator.")
      var role: AgentRecord.Role = .worker

      @Option(help: "The branch to start from (default: baseBranch in the config).")
      var base: String?

      @Option(help: "Where to make the worktree.")
      var path: String?

      @Option(
        help: ArgumentHelp(
          "The agent's signing key: an unencrypted OpenSSH ed25519 private key (default: one made here).",
          valueName: "file"))
      var key: String?

      @Flag(help: "Change the role of an agent already registered with another.")
      var changeRole = false

      @Option(
        help: ArgumentHelp(
          "What it can do (swift,docs or repeated): it is given only issues whose needs it has; replaces what it could.",
          valueName: "capabilities"))
      var can: [String] = []

      func run() throws {
        let workspace = try global.workspace()
        let state = try workspace.snapshot()
        try state.requireOrchestrator(try workspace.actor(), toDo: "add agents")
        let existing = try state.agents().agents[name]
        if let existing, existing.role != role, !changeRole {
          throw GHPError.refused(
            "\(name) is registered as \(existing.role.rawValue); `ghp agent add` does not change a role by itself: pass --role \(existing.role.rawValue), or --change-role to make it \(role == .orchestrator ? "an" : "a") \(role.rawValue)"
          )
        }
        let added = try AgentWorktrees.add(
          workspace, name: name, role: role, base: base, path: try path.map(Output.path),
          keyFile: try key.map(Output.path), capabilities: can.isEmpty ? nil : try Capability.parse(can))
        if global.json {
          Output.json(
            .object([
              "name": .string(name), "role": .string(added.record.role.rawValue), "branch": .string(added.branch),
              "worktree": .string(added.path), "signingKey": added.record.signingKey.map { .string($0) } ?? .null,
              "can": .array(added.record.capabilities.map { .string($0) }),
              "created": .bool(existing == nil),
            ]))
        } else {
          Output.line(
            existing == nil
              ? "Added \(name) (\(added.record.role.rawValue)) on \(added.branch) in \(added.path)."
              : "\(name) was already registered (\(added.record.role.rawValue)), on \(added.branch) in \(added.path).")
          if !can.isEmpty {
            let abilities = added.record.capabilities.joined(separator: ", ")
            Output.line("\(name) can do: \(abilities.isEmpty ? "nothing in particular" : abilities).")
          }
          let prompt: [AgentRecord.Role: String] = [
            .orchestrator: "leader", .manager: "manager", .worker: "worker", .reviewer: "reviewer",
          ]
          Output.line("Next: cd \(added.path) && ghp prompt \(prompt[added.record.role] ?? "worker")")
        }
      }
    }

    struct List: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Every agent: role, branch, worktree, ahead/behind the base, claims, heartbeat age.",
        discussion: """
          Example:
            ghp agent list --json
          """)

      @OptionGroup var global: GlobalOptions

      func run() throws {
        let listings = try AgentWorktrees.list(global.workspace())
        if global.json { return Output.json(.object(["agents": .array(listings.map(\.json))])) }
        if listings.isEmpty { return Output.line("No agents.") }
        // What each agent can do, in a column of its own once any agent has a capability.
        let capable = listings.contains { !$0.record.capabilities.isEmpty }
        Output.text(
          TextTable.render(
            header: ["AGENT", "ROLE"] + (capable ? ["CAN"] : [])
              + ["BRANCH", "AHEAD", "BEHIND", "CLAIMS", "HEARTBEAT", "WORKTREE"],
            rows: listings.map {
              [$0.name, $0.record.role.rawValue] + (capable ? [StatusReport.can($0.record)] : []) + [
                $0.record.branch ?? "-", $0.ahead.map(String.init) ?? "-",
                $0.behind.map(String.init) ?? "-",
                $0.claims.isEmpty ? "-" : $0.claims.map { "#\($0)" }.joined(separator: ","),
                Duration.describe($0.age) + " ago",
                ($0.worktree ?? "-") + ($0.problem.map { " (BROKEN: \($0); run `ghp agent add` again)" } ?? ""),
              ]
            }))
      }
    }

    struct Remove: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Release an agent's claims, remove its worktree and (unless kept) its branch (orchestrators).",
        discussion:
          """
          Refuses a branch with commits not in the base, or uncommitted work, unless --force.

          Example:
            ghp agent remove worker-1
          """
      )

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The agent's name.")
      var name: String

      @Flag(help: "Remove even with unmerged commits or uncommitted work.")
      var force = false

      @Flag(help: "Keep the branch agent/<name>.")
      var keepBranch = false

      func run() throws {
        let released = try AgentWorktrees.remove(global.workspace(), name: name, force: force, keepBranch: keepBranch)
        if global.json {
          Output.json(.object(["removed": .string(name), "released": .array(released.map { .string($0) })]))
        } else {
          Output.line(
            "Removed \(name)"
              + (released.isEmpty ? "." : "; released " + released.map { "#\($0)" }.joined(separator: ", ") + "."))
        }
      }
    }
  }
}
