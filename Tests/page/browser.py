"""Loads `ghp serve` and `ghp report --html` in Debian's headless Chromium and checks what a person sees.

Usage: python3 browser.py GHP_BINARY REPOSITORY ARTIFACTS_FOLDER

Drives Chromium over its DevTools protocol (`--remote-debugging-pipe`: JSON messages on fds 3 and
4, so nothing but the standard library is needed). On the scene PageTests sets up, checks the
rendered DOM (agents with w3 marked stale, agent text shown as text, the inbox, the landing and its
gate, the timeline with commit ids), that the page follows CLI changes by itself, that its filters
work, that a person can answer an escalation and approve an edit from it (and the CLI sees both,
made by lead), that a tab without the token is read-only, and that the static report shows the same
facts offline. Screenshots of the live page and the report are kept in ARTIFACTS_FOLDER.
Prints one line per check and a closing "N passed, N failed" line; exits non-zero on failure.
"""
import base64
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

GHP, REPO, ARTIFACTS = sys.argv[1], sys.argv[2], sys.argv[3]
TOKEN = "browser-test-token-42"
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"), flush=True)


def ghp(*args, agent="lead"):
    return subprocess.run([GHP, *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "GHP_AGENT": agent})


class Chromium:
    """One headless Chromium, spoken to over the DevTools pipe."""

    def __init__(self):
        binary = os.environ.get("GHP_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
        if not binary:
            raise SystemExit("no chromium on PATH: run the tests with scripts/test, which installs Debian's chromium")
        self.profile = tempfile.mkdtemp(prefix="ghp-chromium-")
        to_browser_read, self.to_browser = os.pipe()
        self.from_browser, from_browser_write = os.pipe()

        def wire():
            # The pipe ends may already sit on 3 or 4: move them out of the way first.
            import fcntl
            a = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 100)
            b = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 100)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.process = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--remote-debugging-pipe",
             f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=wire)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.next_id = 0
        self.answers = {}
        self.events = queue.Queue()
        self.dialogs = []
        self.lock = threading.Condition()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        buffer = b""
        while True:
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message:
                    with self.lock:
                        self.answers[message["id"]] = message
                        self.lock.notify_all()
                else:
                    if message.get("method") == "Page.javascriptDialogOpening":
                        self.dialogs.append(message["params"])
                    self.events.put(message)

    def send(self, method, params=None, session=None, timeout=30):
        with self.lock:
            self.next_id += 1
            ident = self.next_id
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        with self.lock:
            while ident not in self.answers:
                left = deadline - time.time()
                if left <= 0:
                    raise TimeoutError(method)
                self.lock.wait(left)
            answer = self.answers.pop(ident)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def tab(self, url):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method in ["Page.enable", "Runtime.enable"]:
            self.send(method, session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False}, session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session)
        return session

    def wait_event(self, method, session, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                message = self.events.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                break
            if message.get("method") == method and message.get("sessionId") == session:
                return message
        raise TimeoutError(method)

    def js(self, session, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, session=session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def until(self, session, expression, timeout=10):
        """Waits for `expression` to be truthy; returns (value, milliseconds waited)."""
        start = time.time()
        while True:
            value = self.js(session, expression)
            if value or time.time() - start > timeout:
                return value, int((time.time() - start) * 1000)
            time.sleep(0.05)

    def screenshot(self, session, path):
        data = self.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))

    def close(self):
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


FACTS = """(() => {
  const text = s => [...document.querySelectorAll(s)].map(e => e.textContent.replace(/\\s+/g, ' ').trim());
  const row = name => document.querySelector(`tr.agent[data-agent="${name}"]`);
  const shown = e => e && getComputedStyle(e).display !== 'none';
  return {
    agents: [...document.querySelectorAll('tr.agent')].map(r => r.dataset.agent),
    w3stale: row('w3') ? row('w3').classList.contains('stale') && shown(row('w3').querySelector('.stale-mark')) : null,
    w1stale: row('w1') ? row('w1').classList.contains('stale') : null,
    conflicted: [...document.querySelectorAll('tr.agent.conflicted')].filter(r => shown(r.querySelector('.conflict'))).map(r => r.dataset.agent),
    cards: text('.card'),
    scripts: document.scripts.length,
    injected: document.querySelectorAll('#dashboard script, #dashboard img').length,
    questions: text('.escalation .question'),
    severities: text('.escalation .sev'),
    contexts: text('.escalation .context'),
    landed: text('.landed'),
    gates: text('.landed .gate .pass'),
    queue: text('#landing tbody tr[data-issue]'),
    bounced: text('.bounced'),
    commits: [...document.querySelectorAll('#timeline tr.entry code')].map(c => c.title),
    live: document.getElementById('live') ? document.getElementById('live').textContent : null,
    writable: document.body.classList.contains('writable'),
    forms: [...document.querySelectorAll('form.write')].filter(shown).length,
    address: location.href,
    columns: text('.column h3'),
  };
})()"""

server = subprocess.Popen([GHP, "serve", "--port", "0", "--agent", "lead"], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env={**os.environ, "GHP_SERVE_TOKEN": TOKEN})
line = server.stdout.readline()
address = re.search(r"(http://127\.0\.0\.1:\d+/)", line).group(1)
browser = Chromium()
try:
    page = browser.tab(address + "?token=" + TOKEN)
    live, _ = browser.until(page, "document.getElementById('live').textContent === 'live'")
    check("the page connects to the server's events", live)
    facts = browser.js(page, FACTS)
    check("the page lists every agent", {"lead", "w1", "w2", "w3", "w4"} <= set(facts["agents"]), facts["agents"])
    check("w3, silent for 30 minutes, is marked stale; w1 is not", facts["w3stale"] is True
          and facts["w1stale"] is False, facts)
    check("w2 and w3 carry the conflict mark, w1 not", facts["conflicted"] == ["w2", "w3"], facts["conflicted"])
    check("the markup title renders as text", any("Title <script>alert(1)</script>" in c for c in facts["cards"]),
          facts["cards"])
    check("no agent text became an element", facts["injected"] == 0 and facts["scripts"] == 1, facts)
    check("the inbox is most severe first", facts["severities"][:2] == ["high", "low"], facts["severities"])
    check("the inbox shows the request and its context as text",
          facts["questions"][0] == "Approval needed to edit README.md"
          and facts["contexts"][0].startswith("<img src=x onerror=alert(2)>"), facts)
    check("landing shows the landed issue and its passing gate", any("Landed work" in t for t in facts["landed"])
          and any("./gate.sh" in g for g in facts["gates"]), facts)
    check("landing shows what waits and what the gate sent back", any("Waiting to land" in q for q in facts["queue"])
          and any("Bad gate" in b and "BAD found in bad.txt" in b for b in facts["bounced"]), facts)
    check("each timeline entry names its commit", facts["commits"]
          and all(re.fullmatch(r"[0-9a-f]{40}", c) for c in facts["commits"]), facts["commits"][:3])
    check("the board has its columns", [c.split()[0] for c in facts["columns"]]
          == ["open", "failed", "claimed", "landing", "done", "dead"], facts["columns"])
    check("the token is taken out of the address and the page can answer", facts["writable"]
          and "token=" not in facts["address"] and facts["forms"] >= 3, facts)
    os.makedirs(ARTIFACTS, exist_ok=True)
    browser.screenshot(page, os.path.join(ARTIFACTS, "page-live.png"))
    check("a screenshot of the live page is kept", os.path.getsize(os.path.join(ARTIFACTS, "page-live.png")) > 10000)

    # What needs the lead comes first, with its controls above the fold.
    needs = browser.js(page, """(() => {
      const first = document.querySelector('#dashboard > section');
      const band = document.getElementById('needs');
      const approve = document.querySelector('form.approve');
      return {first: first && first.id, text: band ? band.innerText : '',
              approveTop: approve ? approve.getBoundingClientRect().top : null};
    })()""")
    check("the page opens with what needs the lead: a stale agent holding work, a bounce", needs["first"] == "needs"
          and "STALE" in needs["text"] and "w3" in needs["text"] and "BOUNCED" in needs["text"]
          and "Bad gate" in needs["text"], needs)
    check("the approve control is above the fold at 1400x1000", needs["approveTop"] is not None
          and needs["approveTop"] < 1000, needs)
    top = browser.js(page, """(() => {
      const goal = document.querySelector('#dashboard h1'), filters = document.getElementById('filters');
      return {goal: goal ? goal.textContent.trim() : null, goalTop: goal ? goal.getBoundingClientRect().top : null,
              filtersTop: filters ? filters.getBoundingClientRect().top : null,
              inTimeline: !!(filters && filters.closest('#timeline'))};
    })()""")
    check("the goal heads the page; the filters belong to the timeline", top["goal"] == "Ship the page"
          and top["goalTop"] < 80 and top["inTimeline"] and top["filtersTop"] > top["goalTop"], top)
    # At 400 px: nothing scrolls sideways, and a stale agent's mark is on screen.
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": 400, "height": 900, "deviceScaleFactor": 1, "mobile": True}, session=page)
    narrow = browser.js(page, """(() => {
      const mark = document.querySelector('#agents tr.stale .stale-mark');
      const box = mark ? mark.getBoundingClientRect() : null;
      return {scroll: document.documentElement.scrollWidth, right: box && box.width > 0 ? box.right : null,
              table: document.querySelector('#agents table').getBoundingClientRect().right};
    })()""")
    browser.screenshot(page, os.path.join(ARTIFACTS, "page-400.png"))
    browser.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
                 session=page)
    browser.screenshot(page, os.path.join(ARTIFACTS, "page-400-dark.png"))
    browser.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]},
                 session=page)
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False}, session=page)
    check("at 400 px the page does not scroll sideways and STALE is on screen", narrow["scroll"] <= 400
          and narrow["right"] is not None and narrow["right"] <= 400, narrow)

    # Dark and light, as the system is.
    light = browser.js(page, "getComputedStyle(document.body).backgroundColor")
    browser.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
                 session=page)
    dark = browser.js(page, "getComputedStyle(document.body).backgroundColor")
    browser.screenshot(page, os.path.join(ARTIFACTS, "page-dark.png"))
    browser.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]},
                 session=page)
    check("the page has a light and a dark look", light == "rgb(251, 251, 250)" and dark == "rgb(18, 19, 22)",
          (light, dark))

    # Live: the CLI moves ghp/state; the page follows with no reload.
    browser.js(page, "window.__sameDocument = true")
    moved = ghp("agent-heartbeat", "--action", "seen live by the browser", agent="w1")
    shown, waited = browser.until(
        page, "[...document.querySelectorAll('tr.agent .action')].some(e => e.textContent.includes('seen live by the browser'))")
    check("a CLI heartbeat shows on the page by itself", moved.returncode == 0 and shown, moved.stderr)
    print(f"     (shown {waited} ms after the CLI returned)", flush=True)
    ghp("issue", "add", "Added while watching")
    shown, _ = browser.until(page, "document.body.textContent.includes('Added while watching')")
    check("a new issue shows on the board by itself", shown)
    check("with no reload", browser.js(page, "window.__sameDocument === true"))

    # Filters.
    filtered = browser.js(page, """(() => {
      const select = document.getElementById('f-agent');
      select.value = 'w2'; select.dispatchEvent(new Event('input', {bubbles: true}));
      const rows = [...document.querySelectorAll('#timeline tr.entry')].filter(r => getComputedStyle(r).display !== 'none');
      const agents = rows.map(r => r.dataset.agent);
      select.value = ''; select.dispatchEvent(new Event('input', {bubbles: true}));
      return agents;
    })()""")
    check("the agent filter shows only that agent's operations", filtered and set(filtered) == {"w2"}, filtered)
    folded = browser.js(page, """(() => {
      const visible = s => [...document.querySelectorAll(s)].filter(r => getComputedStyle(r).display !== 'none').length;
      const before = visible('#timeline tr.hb');
      const box = document.getElementById('f-hb'); box.checked = true; box.dispatchEvent(new Event('input', {bubbles: true}));
      const after = visible('#timeline tr.hb');
      box.checked = false; box.dispatchEvent(new Event('input', {bubbles: true}));
      return [before, after, visible('#timeline tr.fold')];
    })()""")
    check("heartbeats are folded until asked for", folded[0] == 0 and folded[1] > 0 and folded[2] > 0, folded)

    # What a person types survives the page following a change.
    browser.js(page, "document.querySelector('form.answer[data-id=\"1\"]').answer.value = 'half a thought'")
    ghp("agent-heartbeat", "--action", "while someone types", agent="w1")
    browser.until(page, "document.body.textContent.includes('while someone types')")
    kept = browser.js(page, "document.querySelector('form.answer[data-id=\"1\"]').answer.value")
    check("a half-typed answer survives the page following a change", kept == "half a thought", kept)

    # Answering from the page, as lead.
    browser.js(page, """(() => {
      const form = document.querySelector('form.answer[data-id="1"]');
      form.answer.value = 'Use version 3 <i>exactly</i>';
      form.querySelector('button').click();
    })()""")
    answered, _ = browser.until(page, "!document.querySelector('form.answer[data-id=\"1\"]')")
    shown_answer = json.loads(ghp("escalations", "show", "1", "--json").stdout or "{}")
    check("an answer given on the page is the CLI's resolve, by lead", answered
          and shown_answer.get("status") == "resolved" and shown_answer.get("answeredBy") == "lead"
          and shown_answer.get("answer") == "Use version 3 <i>exactly</i>", shown_answer)
    browser.js(page, "document.querySelector('form.approve[data-agent=\"w2\"] button').click()")
    approved, _ = browser.until(page, "!document.querySelector('form.approve[data-agent=\"w2\"]')")
    approvals = json.loads(ghp("approvals", "--json").stdout or "{\"approvals\": []}")["approvals"]
    check("approving on the page grants the requested file once, by lead", approved and any(
        a["agent"] == "w2" and a["globs"] == ["README.md"] and a["once"] and a["by"] == "lead" for a in approvals),
          approvals)
    second = json.loads(ghp("escalations", "show", "2", "--json").stdout or "{}")
    check("and answers w2's request", second.get("status") == "resolved", second)
    check("no dialog ever opened (no agent text ran)", not browser.dialogs, browser.dialogs)

    # A tab without the token is read-only.
    other = browser.tab(address)
    browser.until(other, "document.getElementById('live').textContent === 'live'")
    facts = browser.js(other, FACTS)
    check("a tab without the token shows no write forms", not facts["writable"] and facts["forms"] == 0, facts)

    # The static report, in the same browser, with no server.
    server.kill()
    server.wait()
    report_path = os.path.join(ARTIFACTS, "report.html")
    made = ghp("report", "--html", report_path, "--since", "2h")
    check("ghp report --html writes the file", made.returncode == 0 and os.path.exists(report_path), made.stderr)
    report = browser.tab("file://" + report_path)
    facts = browser.js(report, FACTS)
    check("the report lists the agents and marks w3 stale", {"w1", "w2", "w3"} <= set(facts["agents"])
          and facts["w3stale"] is True, facts)
    check("the report shows agent text as text", any("Title <script>alert(1)</script>" in c for c in facts["cards"])
          and facts["injected"] == 0, facts["cards"])
    check("the report shows the landing and gate", any("./gate.sh" in g for g in facts["gates"]), facts["gates"])
    check("the report has no live parts and no forms", facts["live"] is None and facts["forms"] == 0, facts)
    told = browser.js(report, """(() => ({
      agents: document.getElementById('agents').innerText,
      needs: document.getElementById('needs').innerText,
      day: (document.querySelector('.day') || {innerText: ''}).innerText}))()""")
    check("the report states absolute times, never ages", " ago" not in told["agents"]
          and re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", told["agents"]), told["agents"][:300])
    check("the report's band counts no question when none is open", "question" not in told["needs"], told["needs"])
    check("the report opens with the period's summary", "1 landed" in told["day"] and "1 bounced" in told["day"]
          and "answered" in told["day"], told["day"])
    check("the report's timeline names commits", facts["commits"]
          and all(re.fullmatch(r"[0-9a-f]{40}", c) for c in facts["commits"]))
    ops = browser.js(report, """(() => {
      const select = document.getElementById('f-op');
      select.value = 'claim'; select.dispatchEvent(new Event('input', {bubbles: true}));
      return [...document.querySelectorAll('#timeline tr.entry')].filter(r => getComputedStyle(r).display !== 'none').map(r => r.dataset.op);
    })()""")
    check("the report's filters work offline", ops and set(ops) == {"claim"}, ops)
    # The timeline collapsed to the day: over three days, the newest day open and the older closed;
    # narrowing to what happened on an older day opens that day.
    ghp("report", "--html", os.path.join(ARTIFACTS, "report-days.html"), "--since", "3d")
    days_tab = browser.tab("file://" + os.path.join(ARTIFACTS, "report-days.html"))
    days = browser.js(days_tab, """(() => {
      const days = [...document.querySelectorAll('#timeline details.tday')];
      const shown = r => r.checkVisibility();
      const old = () => [...document.querySelectorAll('#timeline tr.entry[data-op="discover"]')].filter(shown).length;
      const before = old(), open = days.map(d => d.open);
      const select = document.getElementById('f-op');
      select.value = 'discover'; select.dispatchEvent(new Event('input', {bubbles: true}));
      return {labels: days.map(d => d.querySelector('summary').innerText), open: open,
              before: before, after: old(), openAfter: days.map(d => d.open)};
    })()""")
    check("the timeline is collapsed to the day, the newest open", len(days["labels"]) >= 2
          and days["open"][0] and not any(days["open"][1:])
          and all(re.match(r"(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d{1,2} [A-Z][a-z]+ \d{4}", l) for l in days["labels"]),
          days)
    check("an older day's operation is folded away until the filter finds it", days["before"] == 0
          and days["after"] == 1 and days["openAfter"][-1] and not days["openAfter"][0], days)
    browser.screenshot(report, os.path.join(ARTIFACTS, "report.png"))
    check("a screenshot of the report is kept", os.path.getsize(os.path.join(ARTIFACTS, "report.png")) > 10000)
    check("no dialog opened in the report", not browser.dialogs, browser.dialogs)
finally:
    browser.close()
    if server.poll() is None:
        server.kill()

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
