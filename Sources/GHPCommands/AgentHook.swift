import GHPKit
import Glibc

/// Speaking to Claude Code or Codex from a hook (`--hook claude|codex`): each sends the event as JSON
/// on standard input and reads what to tell the model from standard output, in nearly one form.
enum AgentHook {
  /// The hook event the agent runs (`hook_event_name` on standard input), or `fallback` when
  /// nothing readable arrives: a person running the command by hand, or a caller that keeps the pipe
  /// open without writing. The read ends at end of input, at a whole JSON object, or after 2 s.
  static func event(fallback: String) -> String { input(fallback: fallback).event }

  /// The event, and whether Claude Code says a Stop hook already sent it back to work
  /// (`stop_hook_active`): then a stop goes through.
  static func input(fallback: String) -> (event: String, stopHookActive: Bool) {
    guard !Output.console.isTerminal(0) else { return (fallback, false) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    let deadline = MonotonicClock.now() + 2
    while MonotonicClock.now() < deadline {
      var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
      let wait = Int32(max(1, min(500, (deadline - MonotonicClock.now()) * 1000)))
      guard poll(&descriptor, 1, wait) > 0 else { if bytes.isEmpty { break } else { continue } }
      let count = read(0, &chunk, chunk.count)
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { break }
      bytes += chunk[0..<count]
      if (try? JSON.parse(bytes)) != nil { break }
    }
    let parsed = try? JSON.parse(bytes)
    return (parsed?["hook_event_name"]?.stringValue ?? fallback, parsed?["stop_hook_active"]?.boolValue ?? false)
  }

  /// Tells the model `lines` in the form the event takes: additional context after a tool use, at a
  /// session's start and (Claude Code) at a stop, which sends the agent back to read it (so that an
  /// answer or a lost claim is read before the agent stops; told once, so the next stop goes
  /// through). Codex takes no context at a stop: a `block` whose reason becomes its next prompt.
  /// Nothing to tell prints nothing.
  static func tell(_ lines: [String], event: String, tool: HookKind, stopHookActive: Bool = false) {
    guard !lines.isEmpty else { return }
    let text = "ghp: " + lines.joined(separator: "\nghp: ")
    switch event {
    case "Stop", "SubagentStop":
      if stopHookActive {
        // Sent back to work once already: this stop goes through, and the person sees the notice.
        Output.json(.object(["systemMessage": .string(text)]))
      } else if tool == .claude {
        Output.json(
          .object([
            "hookSpecificOutput": .object(["hookEventName": .string(event), "additionalContext": .string(text)])
          ])
        )
      } else {
        Output.json(.object(["decision": .string("block"), "reason": .string(text)]))
      }
    case "PostToolUse", "PostToolUseFailure", "SessionStart", "UserPromptSubmit":
      Output.json(
        .object(["hookSpecificOutput": .object(["hookEventName": .string(event), "additionalContext": .string(text)])]))
    default:
      Output.line(text)
    }
  }
}
