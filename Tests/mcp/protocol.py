"""Drives `ghp mcp` with raw JSON-RPC lines, to check what a client library would smooth over.

Usage: python3 protocol.py GHP_BINARY REPOSITORY

Checks: calls before `initialize` are refused; arguments of the wrong type or name are tool errors
naming the field with nothing written; JSON-RPC errors follow the spec (parse error with id null,
string and integer ids answered with the same id); a call waiting on the writer lock never stalls
pings and reads; closing stdin right after a write never loses its answer; the spec's error codes
(unknown tool -32602, no tool name -32602, no "jsonrpc" -32600); a call cancelled while it waits
writes nothing and is not answered; structured results; the 2026-07-28 revision, stateless
(`server/discover`, calls with `_meta` and no `initialize`, an unsupported version -32022).
Prints one line per check and a closing "N passed, N failed" line; exits non-zero on failure.
"""
import json
import os
import subprocess
import sys
import time
import threading

GHP, REPO = sys.argv[1], sys.argv[2]
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"), flush=True)


def state_tip():
    return subprocess.run(["git", "rev-parse", "ghp/state"], cwd=REPO, capture_output=True, text=True).stdout.strip()


class Server:
    def __init__(self, agent, env=None):
        self.process = subprocess.Popen([GHP, "mcp", "--agent", agent], cwd=REPO, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env={**os.environ, "GHP_AGENT": "", **(env or {})})
        self.answers = {}
        self.lock = threading.Condition()
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        for line in self.process.stdout:
            message = json.loads(line)
            with self.lock:
                self.answers.setdefault(json.dumps(message.get("id")), []).append(message)
                self.lock.notify_all()

    def send(self, text):
        self.process.stdin.write((text + "\n").encode())
        self.process.stdin.flush()

    def request(self, id, method, params=None):
        self.send(json.dumps({"jsonrpc": "2.0", "id": id, "method": method, **({"params": params} if params is not None else {})}))

    def answer(self, id, timeout=20):
        key = json.dumps(id)
        deadline = time.time() + timeout
        with self.lock:
            while not self.answers.get(key):
                left = deadline - time.time()
                if left <= 0:
                    return None
                self.lock.wait(left)
            return self.answers[key].pop(0)

    def initialize(self):
        self.request(0, "initialize", {"protocolVersion": "2025-03-26", "capabilities": {},
                                       "clientInfo": {"name": "protocol.py", "version": "1"}})
        answer = self.answer(0)
        self.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        return answer

    def call(self, id, tool, arguments):
        self.request(id, "tools/call", {"name": tool, "arguments": arguments})
        return self.answer(id)

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def tool_error(answer):
    result = (answer or {}).get("result") or {}
    return result.get("isError") is True, "".join(part.get("text", "") for part in result.get("content", []))


lead = Server("lead")
lead.request(1, "tools/call", {"name": "get_status", "arguments": {}})
early = lead.answer(1)
check("a call before initialize is refused", early is not None and "error" in early, early)
check("initialize", "result" in (lead.initialize() or {}))
for title in ["First", "Second"]:
    lead.call(f"create-{title}", "create_task", {"title": title})
before = state_tip()
for index, wrong in enumerate([{"id": True}, {"id": [1]}, {"id": 1.5}, {"issue": "1"}, {"task_id": "1"}]):
    field = next(iter(wrong))
    error, text = tool_error(lead.call(100 + index, "claim_task", wrong))
    check(f"claim_task {json.dumps(wrong)} is a tool error naming '{field}'", error and f"'{field}'" in text, text)
for index, wrong in enumerate([{"title": "x", "after": "1"}, {"title": "x", "priority": "1"}]):
    field = [key for key in wrong if key != "title"][0]
    error, text = tool_error(lead.call(200 + index, "create_task", wrong))
    check(f"create_task {json.dumps(wrong)} is a tool error naming '{field}'", error and f"'{field}'" in text, text)
check("nothing was written by any of them", state_tip() == before)
error, text = tool_error(lead.call(300, "claim_task", {"id": 1}))
check("an integer id is an id", not error and json.loads(text)["issue"]["id"] == 1, text)

lead.send("{not json")
parse = lead.answer(None)
check("a line that is not JSON gets a parse error with id null",
      parse is not None and parse.get("error", {}).get("code") == -32700, parse)
lead.request("text-id", "ping")
check("a string id is answered with that id", (lead.answer("text-id") or {}).get("id") == "text-id")
lead.request(987654321, "ping")
check("an integer id is answered with that id", (lead.answer(987654321) or {}).get("id") == 987654321)

# The spec's error codes (2025-11-25, server/tools: an unknown tool is a protocol error).
unknown = lead.call(310, "no_such_tool", {})
check("an unknown tool is error -32602", (unknown or {}).get("error", {}).get("code") == -32602, unknown)
lead.request(311, "tools/call", {"arguments": {}})
nameless = lead.answer(311)
check("a call without a tool name is error -32602", (nameless or {}).get("error", {}).get("code") == -32602, nameless)
lead.send(json.dumps({"id": 312, "method": "ping"}))
bare = lead.answer(312)
check('a request without "jsonrpc" is error -32600 with its id',
      (bare or {}).get("error", {}).get("code") == -32600 and bare.get("id") == 312, bare)
# Structured results, as each tool's outputSchema says.
lead.request(313, "tools/list")
tools = {tool["name"]: tool for tool in (lead.answer(313) or {}).get("result", {}).get("tools", [])}
check("every tool has an object outputSchema", tools and all(t.get("outputSchema", {}).get("type") == "object"
                                                              for t in tools.values()), list(tools)[:3])
ready = (lead.call(314, "ready_tasks", {}) or {}).get("result", {})
check("a list answer is an object naming its list, and the same JSON as text",
      "issues" in ready.get("structuredContent", {}) and ready["structuredContent"] == json.loads(ready["content"][0]["text"]), ready)
status = (lead.call(315, "get_status", {}) or {}).get("result", {})
check("an object answer is its own structured content",
      status.get("structuredContent") == json.loads(status["content"][0]["text"]), status)
lead.close()

# A call cancelled while it waits for the writer lock: nothing written, no answer.
holder = subprocess.Popen(["flock", os.path.join(REPO, ".git/ghp/writer.lock"), "sleep", "2"])
time.sleep(0.3)
canceller = Server("lead")
canceller.initialize()
before = state_tip()
canceller.request(600, "tools/call", {"name": "create_task", "arguments": {"title": "Cancelled"}})
time.sleep(0.3)
canceller.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/cancelled",
                           "params": {"requestId": 600, "reason": "the user pressed stop"}}))
holder.wait()
canceller.request(601, "tools/call", {"name": "create_task", "arguments": {"title": "Kept"}})
kept = canceller.answer(601)
check("the call after it is answered", kept is not None and not tool_error(kept)[0], kept)
check("the cancelled call is not answered", canceller.answer(600, timeout=1) is None)
titles = subprocess.run(["git", "log", "--format=%s", f"{before}..ghp/state"], cwd=REPO, capture_output=True,
                        text=True).stdout
check("the cancelled call wrote nothing, the next did", "Cancelled" not in titles and "Kept" in titles, titles)
canceller.close()

# The 2026-07-28 revision over the same stdio: no handshake, every request carries its version.
modern = Server("lead")
meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "protocol.py", "version": "2"},
        "io.modelcontextprotocol/clientCapabilities": {}}
modern.request("discover-1", "server/discover", {"_meta": meta})
found = (modern.answer("discover-1") or {}).get("result", {})
check("server/discover names both revisions", found.get("supportedVersions") == ["2026-07-28", "2025-11-25"], found)
check("server/discover is a complete, cacheable result with tools",
      found.get("resultType") == "complete" and "tools" in found.get("capabilities", {})
      and found.get("cacheScope") in ("public", "private") and found.get("ttlMs", -1) >= 0, found)
modern.request("list-1", "tools/list", {"_meta": meta})
listed = (modern.answer("list-1") or {}).get("result", {})
check("tools/list without initialize answers, with resultType, ttlMs and the server's identity",
      len(listed.get("tools", [])) > 10 and listed.get("resultType") == "complete" and "ttlMs" in listed
      and listed.get("_meta", {}).get("io.modelcontextprotocol/serverInfo", {}).get("name") == "ghp", listed)
modern.request("call-1", "tools/call", {"_meta": meta, "name": "get_status", "arguments": {}})
called = (modern.answer("call-1") or {}).get("result", {})
check("a stateless tools/call answers", called.get("resultType") == "complete" and not called.get("isError")
      and "structuredContent" in called, called)
modern.request("old-1", "tools/list", {"_meta": {**meta, "io.modelcontextprotocol/protocolVersion": "1900-01-01"}})
old = (modern.answer("old-1") or {}).get("error", {})
check("an unsupported version is -32022 naming the supported ones",
      old.get("code") == -32022 and old.get("data", {}).get("supported") == ["2026-07-28", "2025-11-25"]
      and old.get("data", {}).get("requested") == "1900-01-01", old)
modern.request("caps-1", "tools/list", {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}})
caps = (modern.answer("caps-1") or {}).get("error", {})
check("a request without clientCapabilities is -32602", caps.get("code") == -32602, caps)
modern.close()

# Two calls stuck behind the writer lock (another process holds it) must not stall pings or reads.
holder = subprocess.Popen(["flock", os.path.join(REPO, ".git/ghp/writer.lock"), "sleep", "8"])
time.sleep(0.3)
worker = Server("worker-1", env={"GHP_LOCK_TIMEOUT": "6"})
worker.initialize()
worker.request(400, "tools/call", {"name": "heartbeat", "arguments": {"action": "stuck one"}})
worker.request(401, "tools/call", {"name": "heartbeat", "arguments": {"action": "stuck two"}})
time.sleep(0.3)
started = time.time()
worker.request(402, "ping")
pong = worker.answer(402, timeout=3)
worker.request(403, "tools/call", {"name": "get_status", "arguments": {}})
status = worker.answer(403, timeout=3)
check("a ping is answered while two calls wait for the lock", pong is not None and "result" in pong, pong)
check("a read is answered while two calls wait for the lock", status is not None and not tool_error(status)[0], status)
check("both waited calls are answered in the end", worker.answer(400) is not None and worker.answer(401) is not None)
worker.close()
holder.wait()

# Closing stdin right after a write: the answer still comes, and the write is there.
closer = Server("worker-2")
closer.initialize()
before = state_tip()
closer.request(500, "tools/call", {"name": "heartbeat", "arguments": {"action": "last words"}})
closer.process.stdin.close()
closer.process.wait(timeout=30)
closer.reader.join(timeout=5)
answer = closer.answer(500, timeout=1)
check("closing stdin after a write still gets its answer", answer is not None and not tool_error(answer)[0], answer)
check("and the write landed", state_tip() != before)

passed, failed = results.count(True), results.count(False)
print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 else 1)
