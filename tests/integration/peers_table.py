#!/usr/bin/python3
"""Build the per-test pass/fail table of docs/peers.md from `pytest -v` logs.

    tests/integration/peers_table.py cella=LOG runc=LOG crun=LOG > table.md

Each LOG is the output of `pytest -v -rfEs tests/integration` against one
runtime. Only rows where some runtime did not pass are printed in the second
table, so the differences stand out.
"""
import re
import sys

LINE = re.compile(r"^(tests/integration/\S+::\S+(?:\[[^\]]*\])?)\s+(PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS)")
MARK = {"PASSED": "pass", "FAILED": "FAIL", "ERROR": "ERROR", "SKIPPED": "skip", "XFAIL": "xfail", "XPASS": "xpass"}


def parse(path):
    out = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            # Only this suite's files (cgroup/, test_sched* and the lead's
            # test_resources.py are other areas', reported separately).
            if m and not m.group(1).startswith(("tests/integration/cgroup/", "tests/integration/test_sched",
                                                "tests/integration/test_resources")):
                out[m.group(1).replace("tests/integration/", "")] = MARK[m.group(2)]
    return out


def main(argv):
    runs = []
    for arg in argv:
        name, path = arg.split("=", 1)
        runs.append((name, parse(path)))
    tests = sorted({t for _, r in runs for t in r})
    names = [n for n, _ in runs]
    print("| runtime | passed | failed | skipped |")
    print("|---|---|---|---|")
    for n, r in runs:
        v = list(r.values())
        print(f"| {n} | {v.count('pass')} | {v.count('FAIL') + v.count('ERROR')} | {v.count('skip')} |")
    print()
    print("| test | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for t in tests:
        row = [r.get(t, "-") for _, r in runs]
        print(f"| `{t}` | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
