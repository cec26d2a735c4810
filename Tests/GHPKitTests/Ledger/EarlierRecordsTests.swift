import Testing

@testable import GHPKit

/// Records exactly as ghp wrote them before operations declared their arguments as `Codable`
/// fields (printed by that version from the samples of `OperationCatalogTests` and more): each
/// still decodes, and encodes back to the same bytes, so histories written then verify now and a
/// record written now is the one an older ghp writes. Operations added since are here as they were
/// first written (the review's two, best-of's trial, vote and decision).
@Suite struct EarlierRecordsTests {
  static let records = #"""
    {"args":{"config":"# ghp policy. This file lives on the ghp/state branch; edit it there (or with\n# `ghp config`), never in an agent's checkout.\n\n# An agent whose last heartbeat is older than this is stale (\"90s\", \"10m\", \"2h\").\nstaleAfter = \"10m\"\n# `ghp agent-heartbeat --auto` (what agent hooks call after each tool use) commits at most\n# once per this long while nothing else changes.\nheartbeatMinimum = \"1m\"\n# Failed attempts after which an issue is dead (out of `ghp ready` until retried).\nmaxAttempts = 3\n# What `ghp reap` does with a stale agent: \"escalate\" to a human, or \"release\" its claims.\nonStale = \"escalate\"\n# A command run as a name no agent is registered under: \"refuse\" it (a typo must not make a\n# new agent; `ghp agent add NAME`, or --new on the command, registers one), or \"register\"\n# the name by that command.\nunknownAgents = \"refuse\"\n# The branch agent branches start from.\nbaseBranch = \"main\"\n# Where agent worktrees are made, relative to the repository's top folder.\nworktreeRoot = \"..\"\n\n[roles]\n# Agents with orchestrator authority besides those registered with that role.\norchestrators = []\n\n[shared]\n# Files agents edit only with an orchestrator's approval (`ghp approve`).\nglobs = [\"README*\", \"Package.swift\", \".ci/**\", \"hooks/**\", \"templates/**\"]\n# Whether orchestrators need approvals too.\nappliesToOrchestrators = false\n\n[agent]\n# What `ghp run` starts in each worker's worktree: \"claude\", \"codex\", or a command line that\n# reads the prompt on stdin (empty: give --agent-command).\ncommand = \"\"\n# Limits the supervisor enforces from outside: a wall-clock timeout per attempt (SIGTERM,\n# then SIGKILL after the grace), workers at once, retries with exponential backoff and full\n# jitter, and a breaker that stops spawning after that many failures in a row within the\n# window. Budgets (budgetUSD, budgetTokens per attempt; runBudgetUSD, runBudgetTokens per\n# run) are off unless set.\ntaskTimeout = \"30m\"\ngrace = \"10s\"\nmaxWorkers = 4\nbackoff = \"10s\"\nbackoffMax = \"5m\"\nbreaker = 3\nbreakerWindow = \"10m\"\nbreakerCooldown = \"5m\"\n\n[signing]\n# Whether every state commit must be signed by its author's registered key (`ghp verify`,\n# sync, remote mode and a server's pre-receive refuse one that is not).\nrequired = false\n","goal":"Ship it","key":"ssh-ed25519 AAAA lead@ghp"},"op":"init","v":1}
    {"args":{"action":"Ran the tests","issue":"4","status":"testing","tellsOnce":true},"op":"heartbeat","v":1}
    {"args":{"status":"blocked","tellsOnce":true},"op":"status","v":1}
    {"args":{"issue":"4"},"op":"claim","v":1}
    {"args":{"issue":"4","reason":"later","tells":true},"op":"release","v":1}
    {"args":{"issue":"4","landing":{"base":"main","baseTip":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","branch":"agent/w1","tip":"abababababababababababababababababababab"},"result":"Built"},"op":"done","v":1}
    {"args":{"issue":"4","reason":"needs a database"},"op":"fail","v":1}
    {"args":{"issue":"4"},"op":"retry","v":1}
    {"args":{"issue":"4","to":"w2"},"op":"assign","v":1}
    {"args":{"body":"Routes","dependencies":["2"],"priority":1,"scope":["Sources/**"],"title":"Router"},"op":"issue-add","v":1}
    {"args":{"issue":"4","priority":3,"title":"Router v2"},"op":"issue-edit","v":1}
    {"args":{"issues":"abababababababababababababababababababab","source":"tasks.json"},"op":"import","v":1}
    {"args":{"text":"# Plan"},"op":"plan-set","v":1}
    {"args":{"text":"The API is slow"},"op":"discover","v":1}
    {"args":{"context":"Two choices","issue":"4","question":"Which table?","severity":"high"},"op":"escalate","v":1}
    {"args":{"answer":"The first","id":"2"},"op":"resolve","v":1}
    {"args":{"answersEscalations":true,"globs":["README.md"],"note":"for #4","once":true,"to":"w1"},"op":"approve","v":1}
    {"args":{"id":"3","keeps":true},"op":"revoke","v":1}
    {"args":{"commit":"abababababababababababababababababababab","ids":["3"]},"op":"approval-use","v":1}
    {"args":{"branch":{"ahead":0,"base":"main","commits":[],"exists":true,"files":[],"name":"agent/w1","uncommitted":[],"worktree":null},"issue":"4","note":"Tests remain","to":"w2"},"op":"handoff","v":1}
    {"args":{"policy":"release"},"op":"reap","v":1}
    {"args":{"name":"w3","role":"worker"},"op":"agent-add","v":1}
    {"args":{"name":"w3"},"op":"agent-remove","v":1}
    {"args":{"name":"origin"},"op":"remote-set","v":1}
    {"args":{"key":"staleAfter","value":"\"15m\""},"op":"config-set","v":1}
    {"args":{"notices":[{"agent":"w1","issue":"4","reason":"lost the race"}]},"op":"claims-lost","v":1}
    {"args":{"action":"acquire","base":"main","host":"box","pid":42,"start":7,"token":"t2"},"op":"land-lease","v":1}
    {"args":{"base":"main","entries":[{"baseAfter":"abababababababababababababababababababab","baseBefore":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","issue":"4","merge":null,"tip":"abababababababababababababababababababab"}],"gate":[{"command":"swift test","exit":1,"milliseconds":800,"tail":"1 failed","timedOut":false}],"mode":"merge","token":"t2"},"op":"land-pending","v":1}
    {"args":{"base":"main","head":"abababababababababababababababababababab","issues":["4"],"recovered":false,"token":"t2"},"op":"landed","v":1}
    {"args":{"base":"main","baseTip":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","gate":[{"command":"swift test","exit":1,"milliseconds":800,"tail":"1 failed","timedOut":false}],"issue":"4","kind":"gate","log":"abababababababababababababababababababab","paths":[],"tip":"abababababababababababababababababababab","token":"t2"},"op":"land-bounce","v":1}
    {"args":{"action":"start","command":"","host":"","id":"","pid":0,"start":0,"token":"t1","workers":[]},"op":"run","v":1}
    {"args":{"action":"assign","agent":"worker-1","issue":"4","token":"t1"},"op":"run","v":1}
    {"args":{"action":"exit","agent":"worker-1","costMicros":0,"issue":"4","outcome":"failed","reason":"the tests fail","seconds":12,"token":"t1","tokens":0},"op":"run","v":1}
    {"args":{"action":"tick","breaker":{"escalation":"5","failures":[{"at":"2023-11-14T22:13:20Z","reason":"exit 1"}],"openedAt":"2023-11-14T22:15:00Z","state":"open"},"token":"t1","updates":[{"action":"Ran make","agent":"w1","costMicros":null,"pid":9,"progressed":true,"start":3,"tokens":null},{"action":null,"agent":"w2","costMicros":null,"pid":null,"progressed":false,"start":null,"tokens":null}]},"op":"run","v":1}
    {"args":{"action":"finish","state":"stopped","summary":"stopped by lead","token":"t1"},"op":"run","v":1}
    {"args":{"action":"start","command":"claude","goal":"Ship","host":"box","id":"run-ab","pid":4,"replaces":"t0","start":5,"token":"t1","workers":["w1","w2"]},"op":"run","v":1}
    {"args":{"action":"stop"},"op":"run","v":1}
    {"args":{"answersEscalations":true,"globs":[],"once":false,"to":"w1"},"op":"approve","v":1}
    {"args":{"body":"","dependencies":[],"priority":2,"scope":[],"title":"Plain"},"op":"issue-add","v":1}
    {"args":{"branch":{"ahead":2,"base":"main","commits":[{"commit":"abc1234","subject":"Add router"}],"exists":true,"files":["a.swift"],"name":"agent/w1","uncommitted":["b.swift"],"worktree":null},"issue":"4"},"op":"handoff","v":1}
    {"args":{"issue":"4","tells":true},"op":"release","v":1}
    {"args":{"base":"main","entries":[{"baseAfter":"abababababababababababababababababababab","baseBefore":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","issue":"4","merge":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","tip":"abababababababababababababababababababab"}],"gate":[],"log":"abababababababababababababababababababab","mode":"squash","token":"t2"},"op":"land-pending","v":1}
    {"args":{"base":"main","baseTip":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","gate":[],"issue":"4","kind":"conflict","paths":["a","b"],"tip":"abababababababababababababababababababab","token":"t2"},"op":"land-bounce","v":1}
    {"args":{"action":"release","base":"main","host":"box","pid":42,"replaces":"t1","start":7,"token":"t2"},"op":"land-lease","v":1}
    {"args":{"id":"1"},"op":"revoke","v":1}
    {"args":{"issue":"1"},"op":"release","v":1}
    {"args":{"base":"main","baseTip":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","issue":"4","tip":"abababababababababababababababababababab","token":"t2","tree":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"},"op":"land-review-request","v":1}
    {"args":{"issue":"4","text":"Add a test","tree":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","verdict":"changes"},"op":"review","v":1}
    {"args":{"attempts":3,"body":"","dependencies":[],"priority":2,"scope":[],"title":"Faster parser","vote":"score"},"op":"issue-add","v":1}
    {"args":{"base":"main","baseTip":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","gate":[{"command":"swift test","exit":1,"milliseconds":800,"tail":"1 failed","timedOut":false}],"issue":"4.1","passed":false,"tip":"abababababababababababababababababababab","token":"t2","tree":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"},"op":"land-trial","v":1}
    {"args":{"base":"main","baseTip":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","gate":[],"issue":"4.2","passed":true,"score":41.5,"tip":"abababababababababababababababababababab","token":"t2","tree":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"},"op":"land-trial","v":1}
    {"args":{"attempt":"4.2","note":"Smallest diff"},"op":"vote","v":1}
    {"args":{"base":"main","issue":"4","token":"t2"},"op":"land-vote","v":1}
    """#

  @Test func everyEarlierRecordDecodesAndIsWrittenAgainByteForByte() throws {
    let lines = Self.records.split(separator: "\n").map(String.init)
    #expect(lines.count == 53)
    var names: Set<String> = []
    for line in lines {
      let record = try OperationRecord.decode(line).get()
      let operation = try OperationCatalog.decode(record)
      #expect(operation.record.encoded == line, "\(record.name) is now written as \(operation.record.encoded)")
      names.insert(record.name)
    }
    #expect(names == Set(OperationCatalog.names), "every operation has an earlier record here")
  }
}
