"""Black-box tests of cella-sched (simulate, replay, compact, node-info).

Run: CELLA_BUILD=<build dir> /usr/bin/python3 -m pytest tests/integration/test_sched.py
"""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

BUILD = Path(os.environ.get("CELLA_BUILD", "build")).resolve()
SCHED = BUILD / "cmd" / "cella-sched" / "cella-sched"
GEN = BUILD / "bench" / "sched" / "sched-gen"
FAKE_NVML = BUILD / "tests" / "fakes" / "libnvidia-ml.so.1"
TOPO_DIR = Path(__file__).resolve().parents[1] / "fakes" / "topo"

pytestmark = pytest.mark.skipif(not SCHED.exists(), reason=f"{SCHED} not built")


def run(*args, env=None, check=True):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([str(SCHED), *map(str, args)], capture_output=True, text=True, env=e, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"cella-sched {' '.join(map(str, args))}: rc={p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def field(out, name):
    for line in out.splitlines():
        if line.startswith(name):
            return line[len(name):].strip()
    raise AssertionError(f"no {name!r} in:\n{out}")


@pytest.fixture
def trace(tmp_path):
    if not GEN.exists():
        pytest.skip(f"{GEN} not built")
    path = tmp_path / "trace.jsonl"
    with open(path, "w") as f:
        subprocess.run([str(GEN), "--nodes", "60", "--jobs", "3000", "--load", "1.4", "--seed", "7"], stdout=f, check=True)
    return path


def test_simulate_prints_the_metrics(trace):
    out = run("simulate", trace).stdout
    for name in ("decisions", "throughput", "latency", "utilisation", "stranded", "queue wait", "preemptions",
                 "state hash"):
        assert name in out, out
    assert int(field(out, "preemptions")) > 0, "an overloaded trace should preempt"
    j = json.loads(run("simulate", trace, "--json").stdout)
    assert j["decisions"] > 0 and j["p99_us"] > 0 and 0 < j["util"]["cpu"] <= 1


def test_policies_decide_differently_but_deterministically(trace):
    d = {p: json.loads(run("simulate", trace, "--policy", p, "--json").stdout)["digest"]
         for p in ("binpack", "spread", "firstfit")}
    assert len(set(d.values())) == 3
    again = json.loads(run("simulate", trace, "--policy", "spread", "--json").stdout)["digest"]
    assert again == d["spread"]


def test_replay_in_another_process_gives_the_same_hash(trace, tmp_path):
    log = tmp_path / "events.db"
    out = run("simulate", trace, "--log", log, "--snapshot-every", "500").stdout
    want = field(out, "state hash")
    r1 = json.loads(run("replay", log, "--json").stdout)
    r2 = json.loads(run("replay", log, "--no-snapshots", "--json").stdout)
    assert r1["hash"] == want and r2["hash"] == want
    assert r1["snapshot_seq"] > 0 and r1["replayed"] < r2["replayed"]
    assert not r1["torn"]


def test_kill9_during_appends_then_replay(trace, tmp_path):
    log = tmp_path / "events.db"
    p = subprocess.Popen([str(SCHED), "simulate", str(trace), "--log", str(log), "--snapshot-every", "300"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline and (not log.exists() or log.stat().st_size < 16384):
        time.sleep(0.01)
    time.sleep(0.2)
    p.send_signal(signal.SIGKILL)
    p.wait()
    a = json.loads(run("replay", log, "--json").stdout)
    b = json.loads(run("replay", log, "--no-snapshots", "--json").stdout)
    assert a["events"] > 0 and a["events"] == b["events"]
    assert a["hash"] == b["hash"]


def test_bad_traces_name_the_line(tmp_path):
    node = '{"type":"node","id":"n1","capacity":{"cpu":1000,"memory":1000}}'
    cases = {
        "unknown field": (node + '\n{"type":"submit","id":"j","cpu":1,"memory":1,"gpuz":1}\n', ":2:", 'unknown field "gpuz"'),
        "negative": ('\n' + node + '\n{"type":"submit","id":"j","cpu":1,"memory":-1}\n', ":3:", "memory: negative"),
        "duplicate": (node + '\n' + node + '\n', ":2:", "duplicate id"),
    }
    for name, (text, line, msg) in cases.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text(text)
        p = run("simulate", path, check=False)
        assert p.returncode == 1, name
        assert f"{path}{line}" in p.stderr and msg in p.stderr, p.stderr


def test_compact_reports_nodes_and_lower_bound(trace):
    j = json.loads(run("compact", trace, "--json").stdout)
    assert j["fits"] and j["lower_bound"] > 0
    assert j["lower_bound"] <= j["nodes_needed"]
    assert abs(j["ratio"] - j["nodes_needed"] / j["lower_bound"]) < 1e-3


def node_info(env):
    p = run("node-info", env=env)
    lines = p.stdout.splitlines()
    node = json.loads(lines[-1])
    return lines, node


def check_is_trace_node(node, tmp_path):
    path = tmp_path / "self.jsonl"
    path.write_text(json.dumps(node) + "\n")
    out = run("simulate", path).stdout
    assert field(out, "nodes") == "1"


def test_node_info_without_nvml(tmp_path):
    lines, node = node_info({"CELLA_NVML_LIBRARY": str(tmp_path / "no-such-libnvidia-ml.so.1")})
    assert any(l.startswith("# gpus: none:") for l in lines), lines
    assert node["type"] == "node" and node["gpus"] == [] and node["capacity"]["cpu"] >= 1000
    check_is_trace_node(node, tmp_path)


def test_node_info_with_fake_nvml(tmp_path):
    if not FAKE_NVML.exists():
        pytest.skip(f"fake NVML not built ({FAKE_NVML}): tests/fakes target fake_nvml")
    topo = TOPO_DIR / "dgx8.topo"
    if not topo.exists():
        pytest.skip(f"no fake topology {topo}")
    lines, node = node_info({"CELLA_NVML_LIBRARY": str(FAKE_NVML), "CELLA_FAKE_NVML_TOPOLOGY": str(topo)})
    gpus = node["gpus"]
    assert len(gpus) == 8, lines
    assert all(g["model"] == "NVIDIA H200" for g in gpus)
    by_uuid = {g["uuid"]: g for g in gpus}
    groups = {frozenset([g["uuid"], *g["nvlink"]]) for g in gpus}
    assert len(groups) == 2 and all(len(x) == 4 for x in groups), groups
    assert all(u in by_uuid for g in gpus for u in g["nvlink"])
    assert any("mig on" in l for l in lines), lines
    check_is_trace_node(node, tmp_path)
