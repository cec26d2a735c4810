"""Checks the files `ghp setup` wrote against the formats Claude Code and Codex document, with
parsers ghp did not write (Python's json and tomllib, and jsonschema).

Usage: python3 formats.py claude SETTINGS_JSON MCP_JSON
       python3 formats.py codex CONFIG_TOML HOOKS_JSON
       python3 formats.py hook-output claude|codex EVENT OUTPUT_FILE
Prints one line per check and a closing "N passed, N failed" line; exits non-zero on failure.
"""
import json
import sys
import tomllib

import jsonschema

results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"), flush=True)


# Claude Code's settings hooks, as its hooks reference documents them: events by name, each a list of
# matcher groups ({"matcher"?, "hooks": [{"type": "command", "command", "timeout"?}]}).
EVENTS = ["PreToolUse", "PostToolUse", "PostToolUseFailure", "Notification", "UserPromptSubmit", "Stop",
          "SubagentStop", "PreCompact", "SessionStart", "SessionEnd"]
SETTINGS = {
    "type": "object",
    "properties": {
        "hooks": {
            "type": "object",
            "propertyNames": {"enum": EVENTS},
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["hooks"],
                    "additionalProperties": False,
                    "properties": {
                        "matcher": {"type": "string"},
                        "hooks": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["type", "command"],
                                "additionalProperties": False,
                                "properties": {
                                    "type": {"const": "command"},
                                    "command": {"type": "string", "minLength": 1},
                                    "timeout": {"type": "number", "exclusiveMinimum": 0},
                                },
                            },
                        },
                    },
                },
            },
        }
    },
}
# .mcp.json: servers by name, each a stdio command with arguments.
MCP = {
    "type": "object",
    "required": ["mcpServers"],
    "properties": {
        "mcpServers": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["command"],
                "properties": {
                    "type": {"enum": ["stdio"]},
                    "command": {"type": "string", "minLength": 1},
                    "args": {"type": "array", "items": {"type": "string"}},
                    "env": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
        }
    },
}


# Codex's hooks.json (codex-rs/config/src/hook_config.rs; the file rejects unknown fields): events by
# name, each a list of matcher groups of command handlers.
CODEX_EVENTS = ["SessionStart", "SessionEnd", "SubagentStart", "SubagentStop", "PreToolUse", "PermissionRequest",
                "PostToolUse", "PreCompact", "PostCompact", "UserPromptSubmit", "Stop", "Interrupt"]
CODEX_HOOKS = {
    "type": "object",
    "required": ["hooks"],
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string"},
        "hooks": {
            "type": "object",
            "propertyNames": {"enum": CODEX_EVENTS},
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["hooks"],
                    "additionalProperties": False,
                    "properties": {
                        "matcher": {"type": "string"},
                        "hooks": {"type": "array", "minItems": 1, "items": {
                            "type": "object",
                            "required": ["type", "command"],
                            "additionalProperties": False,
                            "properties": {
                                "type": {"const": "command"},
                                "command": {"type": "string", "minLength": 1},
                                "commandWindows": {"type": "string"},
                                "timeout": {"type": "integer", "minimum": 1},
                                "async": {"type": "boolean"},
                                "statusMessage": {"type": "string"},
                            },
                        }},
                    },
                },
            },
        },
    },
}
# Codex's [mcp_servers.NAME] for a stdio server (codex-rs/config/src/mcp_types.rs rejects unknown keys).
APPROVAL = {"enum": ["auto", "prompt", "approve"]}
CODEX_SERVER = {
    "type": "object",
    "required": ["command"],
    "additionalProperties": False,
    "properties": {
        "command": {"type": "string", "minLength": 1},
        "args": {"type": "array", "items": {"type": "string"}},
        "env": {"type": "object", "additionalProperties": {"type": "string"}},
        "cwd": {"type": "string"},
        "enabled": {"type": "boolean"},
        "required": {"type": "boolean"},
        "startup_timeout_sec": {"type": "number"},
        "tool_timeout_sec": {"type": "number"},
        "enabled_tools": {"type": "array", "items": {"type": "string"}},
        "disabled_tools": {"type": "array", "items": {"type": "string"}},
        "default_tools_approval_mode": APPROVAL,
        "tools": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": False, "properties": {"approval_mode": APPROVAL}}},
    },
}


def context_output(event, extra=None):
    """A hook's output: the universal fields, and hookSpecificOutput with additionalContext for `event`."""
    properties = {
        "continue": {"type": "boolean"},
        "stopReason": {"type": ["string", "null"]},
        "suppressOutput": {"type": "boolean"},
        "systemMessage": {"type": ["string", "null"]},
        "hookSpecificOutput": {
            "type": "object",
            "required": ["hookEventName"],
            "additionalProperties": False,
            "properties": {"hookEventName": {"const": event}, "additionalContext": {"type": ["string", "null"]}},
        },
    }
    properties.update(extra or {})
    return {"type": "object", "additionalProperties": False, "properties": properties}


BLOCK = {"decision": {"const": "block"}, "reason": {"type": "string", "minLength": 1}}
# What each tool accepts from a hook, by event: Claude Code's hooks reference (Stop takes
# additionalContext, the documented way to go on without an error) and Codex's generated
# *.command.output.schema.json (Stop takes only a block whose reason becomes the next prompt).
HOOK_OUTPUT = {
    "claude": {
        "SessionStart": context_output("SessionStart"),
        "PostToolUse": context_output("PostToolUse", BLOCK),
        "PostToolUseFailure": context_output("PostToolUseFailure"),
        "Stop": context_output("Stop", BLOCK),
    },
    "codex": {
        "SessionStart": context_output("SessionStart"),
        "PostToolUse": context_output("PostToolUse", BLOCK),
        "Stop": {"type": "object", "additionalProperties": False, "properties": {
            "continue": {"type": "boolean"}, "stopReason": {"type": ["string", "null"]},
            "suppressOutput": {"type": "boolean"}, "systemMessage": {"type": ["string", "null"]}, **BLOCK}},
    },
}


def valid(name, document, schema):
    try:
        jsonschema.validate(document, schema)
        check(name, True)
    except jsonschema.ValidationError as error:
        check(name, False, error.message)


if sys.argv[1] == "claude":
    settings = json.load(open(sys.argv[2]))
    valid("settings.json follows Claude Code's hooks schema", settings, SETTINGS)
    hooks = settings.get("hooks", {})
    for event in ["SessionStart", "PostToolUse", "PostToolUseFailure", "Stop"]:
        commands = [hook["command"] for group in hooks.get(event, []) for hook in group["hooks"]]
        check(f"{event} runs ghp once", sum("# ghp setup" in command for command in commands) == 1, commands)
    mcp = json.load(open(sys.argv[3]))
    valid(".mcp.json follows the MCP server format", mcp, MCP)
    check(".mcp.json serves ghp mcp", mcp["mcpServers"]["ghp"]["args"] == ["mcp"], mcp)
elif sys.argv[1] == "codex":
    config = tomllib.load(open(sys.argv[2], "rb"))
    server = config.get("mcp_servers", {}).get("ghp", {})
    valid("[mcp_servers.ghp] has only the keys Codex knows, approval modes it accepts", server, CODEX_SERVER)
    check("it runs ghp mcp", server.get("args") == ["mcp"], server)
    check("it is pinned to an agent", isinstance(server.get("env", {}).get("GHP_AGENT"), str), server)
    check("its tools run without asking", server.get("default_tools_approval_mode") == "approve", server)
    roots = config.get("sandbox_workspace_write", {}).get("writable_roots", [])
    check("the sandbox's writable roots are absolute paths", roots and all(r.startswith("/") for r in roots), roots)
    check("developer_instructions is text", isinstance(config.get("developer_instructions"), str), config)
    hooks = json.load(open(sys.argv[3]))
    valid("hooks.json follows Codex's hooks file format", hooks, CODEX_HOOKS)
    for event in ["SessionStart", "PostToolUse", "Stop"]:
        commands = [hook["command"] for group in hooks["hooks"].get(event, []) for hook in group["hooks"]]
        check(f"{event} runs ghp once", sum("# ghp setup" in command for command in commands) == 1, commands)
    print(json.dumps({"writable_roots": roots, "env": server.get("env")}), flush=True)
elif sys.argv[1] == "hook-output":
    tool, event = sys.argv[2], sys.argv[3]
    text = open(sys.argv[4]).read()
    if text.strip():
        valid(f"{tool}'s {event} output follows its schema", json.loads(text), HOOK_OUTPUT[tool][event])
    else:
        check(f"{tool}'s {event} output is empty (nothing to tell)", True)

passed, failed = results.count(True), results.count(False)
print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 else 1)
