"""Drives `ghp mcp` with the official MCP Python client (the `mcp` package from PyPI).

Usage: python3 session.py GHP_BINARY REPOSITORY

Checks, with real stdio servers on a real repository:
  1. a whole session as the orchestrator and a worker: list tools, init, create, claim, heartbeat,
     discover, escalate, complete; a refusal comes back as a tool error with the CLI's message;
  2. two clients as two agents race claim_task on one issue: exactly one wins;
  3. a client subscribed to ghp://status is notified when a CLI command changes the state;
  4. free text cannot forge an operation: a NUL in a reason is refused with nothing written, and a
     reason that spells out trailers lands as the fail it is;
  5. the server's instructions and prompts, an unregistered (misspelt) agent refused with the closest
     name, and the tools an agent would otherwise shell out for: my_escalations, claim_check,
     show_task, show_handoff, list_approvals, list_reviews, show_vote, vote, review_landing, and
     handoff's typo guard.
Prints one line per check and a closing "N passed, N failed" line; exits non-zero on failure.
"""
import asyncio
import json
import os
import subprocess
import sys

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client

GHP, REPO = sys.argv[1], sys.argv[2]
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"), flush=True)


def server(agent):
    return StdioServerParameters(command=GHP, args=["mcp", "--agent", agent], cwd=REPO, env={**os.environ, "GHP_AGENT": ""})


def ghp(*arguments, agent="lead"):
    return subprocess.run([GHP, *arguments], cwd=REPO, env={**os.environ, "GHP_AGENT": agent}, capture_output=True, text=True)


def text(result):
    return "".join(part.text for part in result.content if getattr(part, "type", "") == "text")


async def call(session, tool, **arguments):
    result = await session.call_tool(tool, arguments)
    return result.is_error, text(result)


async def whole_session():
    async with stdio_client(server("lead")) as (read, write):
        async with ClientSession(read, write) as lead:
            await lead.initialize()
            tools = {tool.name: tool for tool in (await lead.list_tools()).tools}
            expected = {"init_coordination", "create_task", "claim_task", "complete_task", "fail_task", "release_task",
                        "get_status", "ready_tasks", "add_discovery", "heartbeat", "escalate", "handoff", "get_log"}
            check("lists every tool", expected <= set(tools), sorted(tools))
            check("tools have input schemas", all(tools[name].input_schema.get("type") == "object" for name in expected))
            check("schemas refuse unknown arguments",
                  all(tool.input_schema.get("additionalProperties") is False for tool in tools.values()))
            annotated = [tool for tool in tools.values()
                         if tool.annotations and tool.annotations.title and tool.title
                         and isinstance(tool.annotations.read_only_hint, bool)
                         and isinstance(tool.annotations.destructive_hint, bool)]
            check("every tool is annotated (title, readOnlyHint, destructiveHint)", len(annotated) == len(tools),
                  [tool.name for tool in tools.values() if tool not in annotated])
            check("reads are read-only, writes are not",
                  tools["get_status"].annotations.read_only_hint is True
                  and tools["claim_task"].annotations.read_only_hint is False
                  and tools["stop_run"].annotations.destructive_hint is True)
            error, out = await call(lead, "init_coordination", goal="Build a REST API", plan="# Plan\n\n1. Users\n")
            check("init_coordination", not error and json.loads(out)["orchestrator"] == "lead", out)
            for title in ["Create User model", "Create login endpoint"]:
                error, out = await call(lead, "create_task", title=title, priority=1)
                check(f"create_task {title}", not error, out)
            resources = {str(r.uri) for r in (await lead.list_resources()).resources}
            check("lists resources", {"ghp://status", "ghp://plan"} <= resources, resources)
            plan = await lead.read_resource("ghp://plan")
            check("reads ghp://plan", "1. Users" in plan.contents[0].text, plan)
    # The lead registers its agents; a misspelt one is refused, naming the closest.
    for name in ["worker-1", "worker-2", "racer-a", "racer-b"]:
        added = ghp("agent", "add", name)
        check(f"agent add {name}", added.returncode == 0, added.stderr)
    async with stdio_client(server("wroker-1")) as (read, write):
        async with ClientSession(read, write) as typo:
            await typo.initialize()
            before = ghp("log", "--json", "-n", "0").stdout
            error, out = await call(typo, "heartbeat", action="hello")
            check("an unregistered agent's write is a usage error naming the closest, nothing written",
                  error and out.startswith("usage:") and "did you mean worker-1?" in out
                  and ghp("log", "--json", "-n", "0").stdout == before, out)
    async with stdio_client(server("worker-1")) as (read, write):
        async with ClientSession(read, write) as worker:
            await worker.initialize()
            error, out = await call(worker, "create_task", title="Sneaky")
            check("a worker may not create tasks (tool error with the CLI's message)", error and "not an orchestrator" in out, out)
            error, out = await call(worker, "claim_task")
            check("claim_task without id takes the next ready task", not error and json.loads(out)["issue"]["id"] == 1, out)
            error, out = await call(worker, "heartbeat", action="Wrote the model", status="implementing", issue="1")
            check("heartbeat", not error and json.loads(out)["status"] == "implementing", out)
            error, out = await call(worker, "add_discovery", text="Users live in Sources/Users")
            check("add_discovery", not error, out)
            error, out = await call(worker, "escalate", question="Which database?", issue="1", severity="high")
            check("escalate", not error and json.loads(out)["severity"] == "high", out)
            error, out = await call(worker, "complete_task", id="1", result="Model and tests in place")
            check("complete_task", not error and json.loads(out)["issue"]["status"] == "done", out)
            issue = await worker.read_resource("ghp://issues/1")
            check("reads ghp://issues/1", json.loads(issue.contents[0].text)["issue"]["status"] == "done", issue)
            error, out = await call(worker, "get_log", agent="worker-1", limit=10)
            ops = [event["op"] for event in json.loads(out)["events"]]
            check("get_log shows the session", ops[:5] == ["done", "escalate", "discover", "heartbeat", "claim"], ops)
            error, out = await call(worker, "get_status")
            status = json.loads(out)
            check("get_status", status["agents"]["worker-1"]["status"] == "idle" and len(status["openEscalations"]) == 1, out)


async def race():
    async def claim(agent):
        async with stdio_client(server(agent)) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                await asyncio.sleep(0.3)  # both connected before either claims
                return agent, await call(session, "claim_task", id="2")

    outcomes = await asyncio.gather(claim("racer-a"), claim("racer-b"))
    winners = [agent for agent, (error, _) in outcomes if not error]
    losers = [out for agent, (error, out) in outcomes if error]
    check("two clients race claim_task: exactly one wins", len(winners) == 1, outcomes)
    check("the loser is told who holds it", len(losers) == 1 and f"held by {winners[0] if winners else '?'}" in losers[0], outcomes)


async def subscription():
    updated = asyncio.Event()

    async def on_message(message):
        notification = getattr(message, "root", message)
        if isinstance(notification, types.ResourceUpdatedNotification) and str(notification.params.uri) == "ghp://status":
            updated.set()

    async with stdio_client(server("observer")) as (read, write):
        async with ClientSession(read, write, message_handler=on_message) as session:
            await session.initialize()
            await session.subscribe_resource("ghp://status")
            await asyncio.sleep(0.5)
            changed = subprocess.run([GHP, "agent-heartbeat", "--new", "--action", "from the CLI"], cwd=REPO,
                                     env={**os.environ, "GHP_AGENT": "cli-agent"}, capture_output=True, text=True)
            check("the CLI changes the state", changed.returncode == 0, changed.stderr)
            try:
                await asyncio.wait_for(updated.wait(), timeout=10)
            except asyncio.TimeoutError:
                pass
            check("a subscriber to ghp://status is notified", updated.is_set())


async def forgery():
    async with stdio_client(server("lead")) as (read, write):
        async with ClientSession(read, write) as lead:
            await lead.initialize()
            error, out = await call(lead, "create_task", title="Forgery target")
            target = str(json.loads(out)["id"]) if not error else "?"
    forged = "flaky\n\nGhp-Op: claim\nGhp-Agent: evil\nGhp-Issue: 2\nGhp-Epoch: 1"
    async with stdio_client(server("worker-2")) as (read, write):
        async with ClientSession(read, write) as worker:
            await worker.initialize()
            error, out = await call(worker, "claim_task", id=target)
            check("claim_task for the forgery", not error, out)
            before = subprocess.run(["git", "rev-parse", "ghp/state"], cwd=REPO, capture_output=True, text=True).stdout
            error, out = await call(worker, "fail_task", id=target, reason=forged + "\u0000")
            after = subprocess.run(["git", "rev-parse", "ghp/state"], cwd=REPO, capture_output=True, text=True).stdout
            check("a NUL in a reason is a tool error naming it, nothing written", error and "NUL" in out and before == after, out)
            error, out = await call(worker, "fail_task", id=target, reason=forged)
            check("a reason that spells trailers is only a reason", not error, out)
            error, out = await call(worker, "get_log", limit=1)
            event = json.loads(out)["events"][0]
            check("the log reads the fail, by its real agent", event["op"] == "fail" and event["agent"] == "worker-2", event)


async def agent_surface():
    async with stdio_client(server("worker-1")) as (read, write):
        async with ClientSession(read, write) as worker:
            init = await worker.initialize()
            check("the server gives instructions that explain refusals",
                  "claim_task" in (init.instructions or "") and "refused:" in (init.instructions or ""), init.instructions)
            prompts = {prompt.name for prompt in (await worker.list_prompts()).prompts}
            check("lists the worker, leader and session prompts", {"worker", "leader", "session"} <= prompts, prompts)
            prompt = await worker.get_prompt("worker")
            body = prompt.messages[0].content.text
            check("the worker prompt names its agent and the exit codes",
                  "You are worker-1" in body and "you lost the claim" in body and "--no-verify" in body, body[:200])
            leader = (await worker.get_prompt("leader")).messages[0].content.text
            check("the leader prompt covers agents, hooks, approvals, the inbox, reap, land and run",
                  all(word in leader for word in ["ghp agent add", "ghp hooks install", "ghp approve", "ghp escalations", "ghp reap", "ghp land", "ghp run"]), leader[:200])

            error, out = await call(worker, "my_escalations")
            mine = json.loads(out)["escalations"] if not error else []
            check("my_escalations lists the worker's question", len(mine) == 1 and mine[0]["question"] == "Which database?", out)
            answered = ghp("resolve", str(mine[0]["id"]) if mine else "1", "--answer", "Postgres")
            check("the lead answers it from the CLI", answered.returncode == 0, answered.stderr)
            error, out = await call(worker, "my_escalations")
            check("my_escalations shows the answer", not error and json.loads(out)["escalations"][0]["answer"] == "Postgres", out)
            error, out = await call(worker, "my_escalations", open_only=True)
            check("open_only leaves answered ones out", not error and json.loads(out)["escalations"] == [], out)

            added = ghp("issue", "add", "For the checks", "-p", "0")
            check("the lead adds a task for the checks", added.returncode == 0, added.stderr)
            error, out = await call(worker, "claim_task")
            claimed = json.loads(out)["issue"] if not error else {}
            check("claim_task for the checks", not error, out)
            error, out = await call(worker, "claim_check", id=claimed.get("id", 0), epoch=claimed.get("epoch", 0))
            check("claim_check at the claim's epoch holds", not error and json.loads(out)["holds"] is True, out)
            error, out = await call(worker, "claim_check", id=claimed.get("id", 0), epoch=str(claimed.get("epoch", 0)))
            check("claim_check with an epoch of the wrong type is an error, never another check", error and "epoch" in out, out)
            error, out = await call(worker, "claim_check", id=claimed.get("id", 0), epoch=claimed.get("epoch", 0) + 1)
            check("claim_check at another epoch is refused", error and out.startswith("refused:"), out)
            error, out = await call(worker, "show_task", id=claimed.get("id", 0))
            check("show_task shows the whole task", not error and json.loads(out)["issue"]["assignee"] == "worker-1", out)
            error, out = await call(worker, "show_task", id=True)
            check("show_task with a boolean id is an error", error, out)

            error, out = await call(worker, "handoff", issue=claimed.get("id", 0), to="wroker-2", note="over to you")
            check("handoff to a misspelt agent is refused, naming the closest", error and "did you mean worker-2?" in out, out)
            error, out = await call(worker, "handoff", issue=claimed.get("id", 0), to="worker-2", note="over to you")
            check("handoff to worker-2", not error, out)
            error, out = await call(worker, "show_handoff", issue=claimed.get("id", 0))
            check("show_handoff has the giver's note", not error and "over to you" in json.loads(out)["document"], out)

            approved = ghp("approve", "worker-1", "README.md")
            check("the lead approves a shared file", approved.returncode == 0, approved.stderr)
            error, out = await call(worker, "list_approvals", agent="worker-1")
            approvals = json.loads(out)["approvals"] if not error else []
            check("list_approvals shows it", len(approvals) == 1 and approvals[0]["globs"] == ["README.md"], out)
            revoked = ghp("revoke", str(approvals[0]["id"]) if approvals else "1")
            check("the lead revokes it", revoked.returncode == 0, revoked.stderr)
            error, out = await call(worker, "list_approvals", agent="worker-1")
            check("a revoked approval is gone from the list", not error and json.loads(out)["approvals"] == [], out)
            error, out = await call(worker, "list_approvals", agent="worker-1", all=True)
            check("all=true shows it revoked", not error and json.loads(out)["approvals"][0].get("revokedBy") == "lead", out)
            # Reviews and votes: nothing waits; an issue not attempted independently has no vote, and
            # a ballot for it is refused with the CLI's sentence.
            error, out = await call(worker, "list_reviews")
            check("list_reviews answers the waiting reviews", not error and json.loads(out)["reviews"] == [], out)
            error, out = await call(worker, "show_vote", issue=claimed.get("id", 0))
            check("show_vote of a plain task is refused", error and "not attempted independently" in out, out)
            error, out = await call(worker, "vote", attempt=claimed.get("id", 0))
            check("vote for a plain task is refused", error and "no attempt of a best-of issue" in out, out)
            error, out = await call(worker, "review_landing", issue=claimed.get("id", 0), tree="abcd", verdict="maybe")
            check("a verdict that is neither approve nor changes is an error", error and "approve or changes" in out, out)
            session = (await worker.get_prompt("session")).messages[0].content.text
            check("the session prompt has the worker's context", "You are worker-1" in session and "## Now" in session, session[-300:])


async def main():
    await whole_session()
    await race()
    await subscription()
    await forgery()
    await agent_surface()


asyncio.run(main())
passed, failed = results.count(True), results.count(False)
print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 else 1)
