#!/usr/bin/python3
"""Run every stage of cella's test suite and print one closing summary.

Stages: build, unit (meson test), integration (pytest, as root, inside a
mount namespace that masks the host's memory cgroup), vm (pure v2 / v1 /
hybrid guests), fuzz (bounded libFuzzer runs), asan (unit tests under
ASan+UBSan). `--only STAGE[,STAGE]` runs a subset.
"""
import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
totals = {"passed": 0, "failed": 0, "skipped": 0}
timings = []


def sh(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, **kw)


def count(stage, passed, failed, skipped=0):
    totals["passed"] += passed
    totals["failed"] += failed
    totals["skipped"] += skipped
    print(f"== {stage}: {passed} passed, {failed} failed, {skipped} skipped", flush=True)


def meson_build(builddir, *opts):
    if not os.path.exists(os.path.join(builddir, "build.ninja")):
        r = sh(["meson", "setup", builddir, *opts])
        if r.returncode:
            return False
    return sh(["ninja", "-C", builddir]).returncode == 0


def meson_test(stage, builddir, *extra):
    r = sh(["meson", "test", "-C", builddir, "--print-errorlogs", *extra],
           capture_output=True, text=True)
    print(r.stdout[-20000:], r.stderr[-5000:], flush=True)
    get = lambda k: int((re.search(rf"^{k}:\s+(\d+)", r.stdout, re.M) or [0, 0])[1])
    failed = get("Fail") + get("Unexpected Pass") + get("Timeout")
    if r.returncode and failed == 0:
        failed = 1
    count(stage, get("Ok") + get("Expected Fail"), failed, get("Skipped"))


def pytest_stage(stage, paths, env=None, wrapper=()):
    paths = [p for p in paths if os.path.exists(os.path.join(ROOT, p))]
    if not paths:
        count(stage, 0, 0)
        return
    cmd = [*wrapper, "/usr/bin/python3", "-m", "pytest", "-q", "-rfEs", "-p", "no:cacheprovider", *paths]
    r = sh(cmd, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    out = r.stdout + r.stderr
    print(out[-30000:], flush=True)
    n = lambda k: sum(int(x) for x in re.findall(rf"(\d+) {k}", out.splitlines()[-1] if out.strip() else ""))
    passed, failed, errors, skipped = n("passed"), n("failed"), n("error"), n("skipped")
    if r.returncode not in (0, 5) and failed + errors == 0:
        failed = 1
    count(stage, passed, failed + errors, skipped)


def stage_build():
    ok = meson_build(BUILD)
    count("build", int(ok), int(not ok))
    return ok


def stage_unit():
    meson_test("unit", BUILD, "--suite", "unit")


def stage_integration():
    env = {"CELLA_BUILD": BUILD}
    pytest_stage("integration", ["tests/integration"], env, wrapper=("scripts/masked-ns",))


def stage_vm():
    runner = os.path.join(ROOT, "tests/vm/suite")
    if not os.path.exists(runner):
        print("vm: tests/vm/suite not present yet", flush=True)
        return
    r = sh([runner, BUILD], capture_output=True, text=True)
    out = r.stdout + r.stderr
    print(out[-30000:], flush=True)
    m = re.findall(r"^VM-SUMMARY: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?", out, re.M)
    p = sum(int(a) for a, _, _ in m)
    f = sum(int(b) for _, b, _ in m)
    s = sum(int(c or 0) for _, _, c in m)
    if r.returncode and f == 0:
        f = 1
    count("vm", p, f, s)


def stage_fuzz():
    bd = os.path.join(ROOT, "build-fuzz")
    env = {**os.environ, "CC": "clang"}
    if not os.path.exists(os.path.join(bd, "build.ninja")):
        if sh(["meson", "setup", bd, "-Dfuzz=true", "-Db_lundef=false"], env=env).returncode:
            count("fuzz", 0, 1)
            return
    if sh(["ninja", "-C", bd], env=env).returncode:
        count("fuzz", 0, 1)
        return
    meson_test("fuzz", bd, "--suite", "fuzz")


def stage_asan():
    bd = os.path.join(ROOT, "build-asan")
    if not meson_build(bd, "-Db_sanitize=address,undefined", "-Db_lundef=false", "-Dbuildtype=debug"):
        count("asan", 0, 1)
        return
    os.environ["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    meson_test("asan", bd, "--suite", "unit")


STAGES = {"build": stage_build, "unit": stage_unit, "integration": stage_integration,
          "vm": stage_vm, "fuzz": stage_fuzz, "asan": stage_asan}


def main():
    # Run as CI does: the coding environment's Python settings (unbuffered
    # output among them) would hide tests that forget to flush.
    for var in ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"):
        os.environ.pop(var, None)
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(STAGES))
    args = ap.parse_args()
    wanted = args.only.split(",")
    for name in STAGES:
        if name not in wanted:
            continue
        t = time.monotonic()
        ok = STAGES[name]()
        timings.append((name, time.monotonic() - t))
        if name == "build" and not ok:
            break
    for name, secs in timings:
        print(f"   stage {name}: {secs:.0f} s")
    print(f"TOTAL: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped", flush=True)
    return 1 if totals["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
