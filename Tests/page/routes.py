"""Checks every route of `ghp serve` over real HTTP, as a careless client would call them.

Usage: python3 routes.py GHP_BINARY REPOSITORY

The repository holds the scene PageTests sets up: w1 landed an issue through the gate, w2 holds
an issue whose title is markup and asks approval to edit README.md with markup in its context, w3
holds an issue and went silent. Checks: the page and its JSON views show those facts, agent text
is escaped, every malformed or unauthorised request is a 4xx that moves nothing, server-sent events
reach every open stream when the CLI moves ghp/state (one watcher for all), writes with the token
are the CLI's operations, and a read-only server takes none.
Prints one line per check and a closing "N passed, N failed" line; exits non-zero on failure.
"""
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time

GHP, REPO = sys.argv[1], sys.argv[2]
TOKEN = "page-test-token-0123456789"
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"), flush=True)


def state_tip():
    return subprocess.run(["git", "rev-parse", "ghp/state"], cwd=REPO, capture_output=True, text=True).stdout.strip()


def ghp(*args, agent="lead"):
    return subprocess.run([GHP, *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "GHP_AGENT": agent})


def serve(*extra, env=None):
    """Starts `ghp serve --port 0` and returns (process, port) once it printed its address."""
    process = subprocess.Popen([GHP, "serve", "--port", "0", "--agent", "lead", *extra], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "GHP_SERVE_TOKEN": TOKEN, **(env or {})})
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not match:
        raise SystemExit(f"ghp serve printed no address: {line!r} {process.stderr.read()}")
    return process, int(match.group(1)), line


def request(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), data


def get_json(port, path):
    status, headers, data = request(port, "GET", path)
    return status, json.loads(data)


server, port, started = serve()
check("the start-up line gives the address with the token and who answers",
      f"?token={TOKEN}" in started and "as lead" in started, started)

# --- The page and the views.
status, headers, page = request(port, "GET", "/")
page = page.decode()
check("GET / is the page", status == 200 and headers.get("Content-Type", "").startswith("text/html"), status)
csp = headers.get("Content-Security-Policy", "")
check("the page carries a content security policy with a nonce", "script-src 'nonce-" in csp, csp)
check("agent text is escaped: the markup title is text",
      "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page)
check("agent text is escaped: the markup context is text",
      "&lt;img src=x onerror=alert(2)&gt;" in page and "<img src=x" not in page)
check("the page has one script: its own", page.count("<script") == 1, page.count("<script"))
check("the page needs nothing from the network", not re.search(r"(src|href)=\"(https?:)?//", page))
for fact in ["w1", "w2", "w3", "STALE", "Approval needed to edit README.md", "./gate.sh", "landed", "conflict: agent/w3"]:
    check(f"the page shows {fact}", fact in page)

status, view = get_json(port, "/api/view")
check("GET /api/view is JSON", status == 200 and isinstance(view, dict), status)
agents = {a["name"]: a for a in view.get("agents", [])}
check("the view marks w3 stale and w1 not", agents.get("w3", {}).get("stale") is True
      and agents.get("w1", {}).get("stale") is False, agents.keys())
check("the view gives w2's issue and last action", agents.get("w2", {}).get("issue") is not None
      and agents["w2"].get("lastAction"), agents.get("w2"))
check("the view gives branch ahead/behind", isinstance(agents.get("w2", {}).get("ahead"), int), agents.get("w2"))
check("the view marks w2 and w3 in conflict with each other", agents.get("w2", {}).get("conflicts") == ["agent/w3"]
      and agents.get("w3", {}).get("conflicts") == ["agent/w2"] and agents.get("w1", {}).get("conflicted") is False,
      [agents.get(n, {}).get("conflicts") for n in ("w1", "w2", "w3")])
columns = {c["status"]: c for c in view.get("board", [])}
check("the board has every column", list(columns) == ["open", "failed", "claimed", "landing", "done", "dead"],
      list(columns))
check("the board counts the claimed issues", columns.get("claimed", {}).get("count") == 3, columns.get("claimed"))
check("the landing column holds the submitted issue", columns.get("landing", {}).get("count") == 1)
check("the done column holds the landed issue", columns.get("done", {}).get("count") == 1)
deps = [d for c in view["board"] for i in c["issues"] for d in i["dependencies"]]
check("dependencies are on the cards", any(d["id"] for d in deps), deps)
inbox = view.get("escalations", [])
check("the inbox is most severe first", [e["severity"] for e in inbox] == ["high", "low"], inbox)
check("the inbox gives the agent's context", inbox and inbox[0].get("agentAction") is not None, inbox[:1])
landing = view.get("landing") or {}
recent = landing.get("recent", [])
check("landing shows the landed issue with its gate",
      recent and recent[0]["gate"] and recent[0]["gate"][0]["command"] == "./gate.sh"
      and recent[0]["gate"][0]["passed"] is True, recent)
check("landing shows what waits, and what the gate sent back with its output",
      [q["title"] for q in landing.get("queue", [])] == ["Waiting to land"]
      and [b["title"] for b in landing.get("bounced", [])] == ["Bad gate"]
      and landing["bounced"][0]["gate"][0]["passed"] is False
      and "BAD found in bad.txt" in landing["bounced"][0]["gate"][0]["tail"], landing)
timeline = view.get("timeline", [])
check("timeline entries carry their commit ids",
      timeline and all(re.fullmatch(r"[0-9a-f]{40}", e["commit"]) for e in timeline if not e.get("fold")))
summary = {s["agent"]: s for s in view.get("summary", [])}
check("the summary counts w1's two submissions and its bounce", summary.get("w1", {}).get("done") == 2
      and summary["w1"].get("failures") == 1, summary.get("w1"))

status, entries = get_json(port, "/api/timeline?agent=w2&limit=0")
check("the timeline filters by agent", status == 200 and entries and all(e["agent"] == "w2" for e in entries))
status, entries = get_json(port, "/api/timeline?op=claim,done&heartbeats=false")
check("the timeline filters by operation", status == 200 and entries
      and {e["op"] for e in entries} <= {"claim", "done"}, entries)
status, fragment = request(port, "GET", "/fragment")[0:3:2]
check("GET /fragment is the part the page swaps in",
      status == 200 and b'id="agents"' in fragment and b"<html" not in fragment)
status, headers, data = request(port, "HEAD", "/api/view")
check("HEAD /api/view: the headers of GET, no body", status == 200 and data == b""
      and headers.get("Content-Type", "").startswith("application/json"), (status, data[:80]))
status, info = get_json(port, "/api/server")
check("GET /api/server", status == 200 and info["watchers"] == 1 and info["writable"] is True, info)

# --- Malformed requests: a 4xx each, nothing moves.
before = state_tip()
bad = [
    ("unknown route", "GET", "/nothing", None, {}, 404),
    ("wrong method", "DELETE", "/api/view", None, {}, 405),
    ("GET on a write route", "GET", "/api/approvals", None, {}, 405),
    ("unknown query parameter", "GET", "/api/view?evil=1", None, {}, 400),
    ("a limit that is not a number", "GET", "/api/timeline?limit=ten", None, {}, 400),
    ("an overflowing limit", "GET", "/api/timeline?limit=99999999999999999999", None, {}, 400),
    ("a malformed agent name", "GET", "/api/timeline?agent=../../x", None, {}, 400),
    ("an unknown operation", "GET", "/api/timeline?op=drop-table", None, {}, 400),
    ("a time that is not one", "GET", "/api/view?since=yesterday-ish", None, {}, 400),
    ("a foreign Host (DNS rebinding)", "GET", "/api/view", None, {"Host": "evil.example:80"}, 421),
    ("a write without the token", "POST", "/api/approvals",
     b'{"agent":"w2","globs":["README.md"]}', {"Content-Type": "application/json"}, 401),
    ("a write with a wrong token", "POST", "/api/escalations/1/answer", b'{"answer":"no"}',
     {"Content-Type": "application/json", "Authorization": "Bearer " + TOKEN[:-1] + "X"}, 403),
    ("a write with a token of another length", "POST", "/api/escalations/1/answer", b'{"answer":"no"}',
     {"Content-Type": "application/json", "Authorization": "Bearer " + TOKEN + "0"}, 403),
]
auth = {"Content-Type": "application/json", "Authorization": "Bearer " + TOKEN}
bad += [
    ("globs as a string, not a list", "POST", "/api/approvals", b'{"agent":"w2","globs":"README.md"}', auth, 400),
    ("once as a string", "POST", "/api/approvals", b'{"agent":"w2","globs":["README.md"],"once":"yes"}', auth, 400),
    ("an unknown field", "POST", "/api/approvals", b'{"agent":"w2","globs":["README.md"],"role":"x"}', auth, 400),
    ("a body that is not JSON", "POST", "/api/approvals", b"agent=w2", auth, 400),
    ("a JSON array body", "POST", "/api/approvals", b"[]", auth, 400),
    ("no Content-Type", "POST", "/api/approvals", b'{"agent":"w2","globs":["x"]}',
     {"Authorization": "Bearer " + TOKEN}, 400),
    ("a NUL byte in the answer", "POST", "/api/escalations/1/answer", b'{"answer":"a\\u0000b"}', auth, 400),
    ("an answer that is a number", "POST", "/api/escalations/1/answer", b'{"answer":42}', auth, 400),
    ("a malformed escalation id", "POST", "/api/escalations/..%2F1/answer", b'{"answer":"x"}', auth, 400),
    ("an escalation that does not exist", "POST", "/api/escalations/999/answer", b'{"answer":"x"}', auth, 404),
    ("approving an agent that does not exist", "POST", "/api/approvals",
     b'{"agent":"nobody","globs":["README.md"]}', auth, 400),
    ("a body over 64 KiB", "POST", "/api/escalations/1/answer",
     json.dumps({"answer": "x" * 70000}).encode(), auth, 413),
]
for name, method, path, body, headers, expected in bad:
    status, response_headers, data = request(port, method, path, body, headers)
    try:
        error = json.loads(data)
    except ValueError:
        error = {}
    check(f"{name}: {expected}", status == expected and error.get("code") == expected and error.get("error"),
          f"{status} {data[:200]!r}")
check("no malformed request moved ghp/state", state_tip() == before, (before, state_tip()))

# --- Server-sent events: every stream hears a CLI change, from one watcher.
class Stream(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.events = []
        self.ready = threading.Event()
        self.got = threading.Event()

    def run(self):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        connection.request("GET", "/events")
        response = connection.getresponse()
        self.status = response.status
        self.type = response.getheader("Content-Type")
        event = None
        while True:
            line = response.fp.readline()
            if not line:
                return
            line = line.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
                if event == "hello":
                    self.ready.set()
            elif line.startswith("data: ") and event == "state":
                self.events.append(json.loads(line[6:]))
                self.got.set()
                return


streams = [Stream() for _ in range(5)]
for stream in streams:
    stream.start()
check("five pages connect to /events", all(s.ready.wait(10) for s in streams))
status, info = get_json(port, "/api/server")
check("five pages, one watcher", info["clients"] == 5 and info["watchers"] == 1, info)
moved = ghp("agent-heartbeat", "--action", "heard by every page", agent="w1")
tip = state_tip()
check("every page hears the CLI's heartbeat", moved.returncode == 0 and all(s.got.wait(10) for s in streams),
      moved.stderr)
check("each event names the new tip and what happened",
      all(s.events and s.events[0]["tip"] == tip and s.events[0]["events"][-1]["subject"].endswith(
          "heard by every page") for s in streams), [s.events for s in streams])
check("the stream is text/event-stream", all(s.type == "text/event-stream" for s in streams))

# --- Writes, with the token: the CLI's operations, as lead.
status, headers, data = request(port, "POST", "/api/escalations/1/answer",
                                json.dumps({"answer": "Yes: <b>go</b> ahead"}).encode(), auth)
answer = json.loads(data)
check("answering an escalation with the token", status == 200 and answer.get("status") == "resolved", data[:300])
shown = json.loads(ghp("escalations", "show", "1", "--json").stdout)
check("the CLI sees the answer, given by lead", shown.get("answer") == "Yes: <b>go</b> ahead"
      and shown.get("answeredBy") == "lead", shown)
check("the answer is one commit by lead", subprocess.run(
    ["git", "log", "-1", "--format=%s", "ghp/state"], cwd=REPO, capture_output=True, text=True).stdout.startswith(
    "lead: resolve 1"))
status, headers, data = request(port, "POST", "/api/escalations/1/answer", b'{"answer":"again"}', auth)
check("answering it twice is refused (409)", status == 409, data[:200])
status, headers, data = request(port, "POST", "/api/approvals",
                                json.dumps({"agent": "w2", "globs": ["README.md"], "once": True}).encode(), auth)
approval = json.loads(data)
check("approving w2's edit with the token", status == 200 and approval.get("globs") == ["README.md"]
      and approval.get("once") is True, data[:300])
check("the approval answers w2's escalation", approval.get("resolvedEscalations") == [2], approval)
approvals = json.loads(ghp("approvals", "--json").stdout)["approvals"]
check("the CLI lists the approval, by lead", any(a["agent"] == "w2" and a["by"] == "lead" for a in approvals),
      approvals)
server.kill()
server.wait()

# --- A read-only server, and one whose identity is no orchestrator, take no writes.
before = state_tip()
for extra, env, label in [(["--read-only"], None, "--read-only"), ([], {"GHP_AGENT": "w1"}, "a worker's")]:
    args = list(extra)
    process = subprocess.Popen([GHP, "serve", "--port", "0", *args], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "GHP_SERVE_TOKEN": TOKEN, "GHP_AGENT": "lead", **(env or {})})
    line = process.stdout.readline()
    read_only_port = int(re.search(r":(\d+)/", line).group(1))
    check(f"{label} server says it is read-only and prints no token", "read-only" in line and TOKEN not in line, line)
    status, headers, data = request(read_only_port, "POST", "/api/approvals",
                                    b'{"agent":"w2","globs":["x.md"]}', auth)
    check(f"{label} server refuses a write even with the token (403)", status == 403, data[:200])
    process.kill()
    process.wait()
check("the read-only servers moved nothing", state_tip() == before)

# --- A person breaks an issue document with plain git: the page still shows the rest, and says so.
def git(*args, env=None, input=None):
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, input=input,
                          env={**os.environ, **(env or {})}).stdout.strip()


index = {"GIT_INDEX_FILE": os.path.join(REPO, ".git", "page-test-index")}
path = next(line.split("\t")[1] for line in git("ls-tree", "-r", "ghp/state").splitlines()
            if line.endswith("/1.json") and ".ghp/issues/" in line)
git("read-tree", "ghp/state", env=index)
blob = git("hash-object", "-w", "--stdin", input="{ not json")
git("update-index", "--cacheinfo", f"100644,{blob},{path}", env=index)
tree = git("write-tree", env=index)
commit = git("commit-tree", tree, "-p", "ghp/state", "-m", "hand edit", input="")
git("update-ref", "refs/heads/ghp/state", commit)
broken, port, _ = serve()
status, headers, page = request(port, "GET", "/")
check("with a broken issue document the page still renders, naming it", status == 200
      and path.encode() in page and b'id="agents"' in page, (status, page[:300]))
status, view = get_json(port, "/api/view")
check("and the view lists the agents, with the warning", status == 200 and view["agents"]
      and any(path in w for w in view["warnings"]), view.get("warnings"))
broken.kill()
broken.wait()

# --- Bad start-up: a clear line, a non-zero exit, in bounded time.
busy = subprocess.Popen([GHP, "serve", "--port", "0"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        text=True, env={**os.environ, "GHP_AGENT": "lead"})
taken = int(re.search(r":(\d+)/", busy.stdout.readline()).group(1))
second = subprocess.run([GHP, "serve", "--port", str(taken)], cwd=REPO, capture_output=True, text=True, timeout=20,
                        env={**os.environ, "GHP_AGENT": "lead"})
check("a port in use is one line and exit 1", second.returncode == 1 and "cannot listen" in second.stderr
      and len(second.stderr.strip().splitlines()) == 1, second.stderr)
busy.kill()
busy.wait()
outside = subprocess.run([GHP, "serve", "--port", "0", "-C", "/"], capture_output=True, text=True, timeout=20)
check("outside a repository: one line, non-zero", outside.returncode != 0 and "not a git repository" in outside.stderr
      and len(outside.stderr.strip().splitlines()) == 1, outside.stderr)
import tempfile
bare = tempfile.mkdtemp(prefix="ghp-serve-uninitialised-")
subprocess.run(["git", "init", "-q", bare], check=True)
uninitialised = subprocess.run([GHP, "serve", "--port", "0"], cwd=bare, capture_output=True, text=True, timeout=20)
check("where ghp is not initialised: one line naming ghp init", uninitialised.returncode != 0
      and "ghp init" in uninitialised.stderr and len(uninitialised.stderr.strip().splitlines()) == 1,
      uninitialised.stderr)
usage = subprocess.run([GHP, "serve", "--port", "70000"], cwd=REPO, capture_output=True, text=True, timeout=20)
check("a port out of range is a usage error (2)", usage.returncode == 2 and "--port" in usage.stderr, usage.stderr)

malformed = subprocess.run([GHP, "serve", "--port", "0", "--agent", "../lead"], cwd=REPO, capture_output=True,
                           text=True, timeout=20)
check("a malformed --agent is a usage error (2), not a read-only server", malformed.returncode == 2
      and "invalid agent name" in malformed.stderr, malformed.stderr)

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
