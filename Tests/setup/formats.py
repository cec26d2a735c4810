"""Checks the files `ghp setup` wrote against the formats Claude Code and Codex document, with
parsers ghp did not write (Python's json and tomllib, and jsonschema).

Usage: python3 formats.py claude SETTINGS_JSON MCP_JSON
       python3 formats.py codex CONFIG_TOML
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
    check("config.toml is TOML with [mcp_servers.ghp]", isinstance(server.get("command"), str), config)
    check("its args are a list of strings", server.get("args") == ["mcp"], server)
    print(json.dumps(config), flush=True)

passed, failed = results.count(True), results.count(False)
print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 else 1)
