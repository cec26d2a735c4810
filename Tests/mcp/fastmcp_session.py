"""A second MCP client, written apart from the official one's session code: FastMCP's `Client`
(PyPI `fastmcp`) drives `ghp mcp` over stdio as the orchestrator and as a worker.

Usage: python3 fastmcp_session.py GHP_BINARY REPOSITORY

Checks: the revision it settles on (FastMCP 4 probes with `server/discover` and speaks 2026-07-28,
stateless, when answered) and the server's identity; tools listed with annotations and output schemas;
structured results read as data; a refusal raised as the tool's error; an unknown tool refused.
Prints one line per check and a closing "N passed, N failed" line; exits non-zero on failure.
"""
import asyncio
import json
import os
import subprocess
import sys

from fastmcp import Client
from fastmcp.client.transports import StdioTransport
from fastmcp.exceptions import ToolError

GHP, REPO = sys.argv[1], sys.argv[2]
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"), flush=True)


def client(agent):
    env = {**os.environ, "GHP_AGENT": ""}
    return Client(StdioTransport(command=GHP, args=["mcp", "--agent", agent], env=env, cwd=REPO))


async def main():
    async with client("lead") as lead:
        # FastMCP 4 probes with server/discover and, answered, speaks the stateless revision.
        check("the client settles on the 2026-07-28 revision", lead.protocol_version == "2026-07-28",
              lead.protocol_version)
        check("the server says who it is", (lead.server_info.name if lead.server_info else None) == "ghp",
              lead.server_info)
        tools = {tool.name: tool for tool in await lead.list_tools()}
        check("claim_task is listed, annotated as a write that is not read-only",
              tools["claim_task"].annotations.read_only_hint is False, tools.get("claim_task"))
        check("get_status is read-only and idempotent",
              tools["get_status"].annotations.read_only_hint and tools["get_status"].annotations.idempotent_hint)
        check("every tool has an output schema", all(tool.output_schema for tool in tools.values()))
        await lead.call_tool("init_coordination", {"goal": "Ship it"})
        for name in ["worker-1", "worker-2"]:
            subprocess.run([GHP, "agent", "add", name], cwd=REPO, check=True, capture_output=True,
                           env={**os.environ, "GHP_AGENT": "lead"})
        created = await lead.call_tool("create_task", {"title": "Parser", "priority": 1})
        check("a write's structured result is data", created.structured_content.get("id") == 1,
              created.structured_content)
        ready = await lead.call_tool("ready_tasks", {})
        check("a list result is an object naming its list", [t["id"] for t in ready.structured_content["issues"]] == [1],
              ready.structured_content)
        try:
            await lead.call_tool("no_such_tool", {})
            check("an unknown tool is refused", False, "it answered")
        except Exception as error:  # an McpError: the protocol's -32602
            check("an unknown tool is refused", "Unknown tool" in str(error), error)
    async with client("worker-1") as worker:
        claimed = await worker.call_tool("claim_task", {"id": 1})
        check("the worker claims", claimed.structured_content["issue"]["assignee"] == "worker-1",
              claimed.structured_content)
    async with client("worker-2") as other:
        try:
            await other.call_tool("claim_task", {"id": 1})
            check("a second claim raises the tool's error", False, "it succeeded")
        except ToolError as error:
            check("a second claim raises the tool's error, naming the holder",
                  "refused" in str(error) and "worker-1" in str(error), error)
        status = await other.call_tool("get_status", {})
        check("the status, as data, shows the holder", "worker-1" in json.dumps(status.structured_content))


asyncio.run(main())
passed, failed = results.count(True), results.count(False)
print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 else 1)
