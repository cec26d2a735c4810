"""Checks a command's --json output against its schema in docs/schemas and against the grammar
every output follows (docs/json.md), with jsonschema, which ghp did not write.

Usage: python3 schemas.py SCHEMA_FILE OUTPUT_FILE
Prints one line per check and a closing "N passed, N failed" line; exits non-zero on failure.
"""
import json
import re
import sys

import jsonschema

TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"), flush=True)


def grammar(value, path, problems):
    """Times are named …At; ids that are numbers are numbers; nothing is only for people to read."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            # `timestamp` is the seed's own field of .ghp/agent-status.json, which `agent-status`
            # and a heartbeat's answer print as the document has it.
            if isinstance(item, str) and TIME.match(item) and not key.endswith("At") and key != "timestamp":
                problems.append(f"{where} is a time not named …At")
            if key.endswith(("Text", "Ago")):
                problems.append(f"{where} is text for people, not data")
            if (key == "id" or key == "issue") and isinstance(item, str) and item.isdigit():
                problems.append(f"{where} is a number written as text")
            if key != "args":  # an operation's own arguments, as recorded
                grammar(item, where, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            grammar(item, f"{path}[{index}]", problems)


schema = json.load(open(sys.argv[1]))
output = json.load(open(sys.argv[2]))
try:
    jsonschema.validate(output, schema)
    check(f"{schema['title']} follows its schema", True)
except jsonschema.ValidationError as error:
    check(f"{schema['title']} follows its schema", False, f"{error.message} at {list(error.absolute_path)}")
problems = []
grammar(output, "$", problems)
check(f"{schema['title']} follows the grammar", not problems, problems)
passed, failed = results.count(True), results.count(False)
print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 else 1)
