# Times one claim through an MCP stdio server: ghp's `claim_task` tool, and mcp_agent_mail's
# `file_reservation_paths` (its claim: an exclusive lease on a path), through the same client.
import json, os, statistics, subprocess, sys, tempfile, time

def session(argv, env, cwd):
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    state = {"id": 0}
    def call(method, params):
        state["id"] += 1
        p.stdin.write((json.dumps({"jsonrpc": "2.0", "id": state["id"], "method": method, "params": params}) + "\n").encode())
        p.stdin.flush()
        while True:
            line = p.stdout.readline()
            if not line:
                raise SystemExit(f"{argv[0]} closed its output")
            try:
                message = json.loads(line)
            except ValueError:
                continue  # a log line on the wrong stream
            if isinstance(message, dict) and message.get("id") == state["id"]:
                if "error" in message or message.get("result", {}).get("isError"):
                    raise SystemExit(f"{method}: {json.dumps(message)[:300]}")
                return message
    call("initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}})
    p.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n'); p.stdin.flush()
    return p, call

def tool(call, name, arguments):
    return call("tools/call", {"name": name, "arguments": arguments})

ghp, repo, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
mail_python = sys.argv[4]
results = {}
# ghp: issues added by the lead beforehand (1..rounds+1); w1 claims each and releases it.
p, call = session([ghp, "mcp", "--agent", "w1"], dict(os.environ, GHP_AGENT="w1"), repo)
times = []
for i in range(1, rounds + 2):
    start = time.perf_counter(); tool(call, "claim_task", {"id": str(i)}); took = time.perf_counter() - start
    tool(call, "release_task", {"id": str(i)})
    if i > 1: times.append(took)
p.stdin.close(); p.wait()
results["ghp"] = int(statistics.median(times) * 1e6)  # microseconds
# mcp_agent_mail: its server over stdio, its storage in a folder of its own.
home = tempfile.mkdtemp(prefix="mail-bench-")
env = dict(os.environ, DATABASE_URL=f"sqlite+aiosqlite:///{home}/db.sqlite3", STORAGE_ROOT=f"{home}/archive",
           HTTP_RBAC_ENABLED="false", MCP_TOOLS_MODE="extended", LLM_ENABLED="false", LITELLM_LOCAL_MODEL_COST_MAP="True")
code = "from mcp_agent_mail.app import build_mcp_server; build_mcp_server().run(transport='stdio', show_banner=False)"
p, call = session([mail_python, "-c", code], env, home)
project = home + "/project"
os.makedirs(project)
tool(call, "ensure_project", {"human_key": project})
agent = json.loads(tool(call, "register_agent", {"project_key": project, "program": "bench", "model": "none"})["result"]["content"][0]["text"])["name"]
times = []
for i in range(rounds + 1):
    start = time.perf_counter()
    tool(call, "file_reservation_paths", {"project_key": project, "agent_name": agent, "paths": [f"src/part{i}.py"], "exclusive": True})
    took = time.perf_counter() - start
    if i > 0: times.append(took)
p.stdin.close(); p.wait()
results["mail"] = int(statistics.median(times) * 1e6)
print(json.dumps(results))
