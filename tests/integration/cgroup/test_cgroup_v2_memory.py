"""What only a pure cgroup v2 host or a usable memory controller shows.
Skipped on the hybrid development hosts (conftest of tests/integration);
the VM harness (tests/vm) runs them in guests that have these."""
import json
import os
import signal
import sys

import pytest

from cglib import DEV_EXPECT, DEV_PROBE, DEV_RULES, controller_mount, wait_until

pytestmark = pytest.mark.cgroup


def v2_dir(cg, path=None):
    return cg.host["v2"]["mnt"] + (path or cg.parent + "/c1")


def read(path):
    with open(path) as f:
        return f.read().strip()


@pytest.mark.vm_v2
def test_v2_cpu_pids_knobs(cg):
    cg.create({"cpu": {"shares": 1024, "quota": 20000, "period": 100000, "idle": 0, "burst": 1000},
               "pids": {"limit": 10}})
    d = v2_dir(cg)
    assert read(d + "/cpu.weight") == "39"          # crun: 1 + (1024-2)*9999/262142
    assert read(d + "/cpu.max") == "20000 100000"
    assert read(d + "/cpu.max.burst") == "1000"
    assert read(d + "/pids.max") == "10"
    # Period alone keeps the quota.
    cg.run("set", cg.state, cg.config({"cpu": {"period": 50000}}, "p.json"))
    assert read(d + "/cpu.max") == "20000 50000"
    cg.run("set", cg.state, cg.config({"cpu": {"quota": -1}}, "q.json"))
    assert read(d + "/cpu.max").startswith("max")
    cg.run("destroy", cg.state)


@pytest.mark.vm_v2
def test_v2_controllers_enabled_in_every_ancestor(cg):
    root = cg.host["v2"]["mnt"]
    offered = set(read(root + "/cgroup.controllers").split()) - {"perf_event"}
    cg.create(path=cg.parent + "/mid/c1")
    for anc in (root, root + cg.parent, root + cg.parent + "/mid"):
        assert offered <= set(read(anc + "/cgroup.subtree_control").split()), anc
    # The leaf keeps its own subtree_control alone (processes live there).
    assert read(root + cg.parent + "/mid/c1/cgroup.subtree_control") == ""
    cg.run("destroy", cg.state)
    # The container's cgroup goes; the parents it made stay (as with runc).
    assert not os.path.exists(root + cg.parent + "/mid/c1")
    assert os.path.isdir(root + cg.parent + "/mid")
    os.rmdir(root + cg.parent + "/mid")


@pytest.mark.vm_v2
def test_v2_realtime_refused(cg):
    r = cg.create({"cpu": {"realtimeRuntime": 1000, "realtimePeriod": 10000}}, check=False)
    assert r.returncode != 0 and "realtime" in r.stderr
    assert cg.leftovers() == []


@pytest.mark.vm_v2
def test_v2_devices_program_via_manager(cg):
    cg.create({"devices": DEV_RULES})
    r = cg.run("run", cg.state, "--clone3", "--", "sh", "-c", DEV_PROBE)
    assert r.stdout.split() == DEV_EXPECT
    cg.run("set", cg.state, cg.config({"devices": DEV_RULES}, "again.json"))
    assert cg.run("bpf-count", v2_dir(cg)).stdout.strip() == "1"
    cg.run("destroy", cg.state)


@pytest.mark.vm_v2
def test_v2_freeze_and_kill_use_core_files(cg):
    cg.create()
    for _ in range(3):
        cg.run("spawn", cg.state, "--", "sleep", "60")
    cg.run("freeze", cg.state, "1")
    d = v2_dir(cg)
    assert read(d + "/cgroup.freeze") == "1"
    assert "frozen 1" in read(d + "/cgroup.events")
    cg.run("freeze", cg.state, "0")
    assert "frozen 0" in read(d + "/cgroup.events")
    cg.run("kill", cg.state, str(int(signal.SIGKILL)))     # cgroup.kill
    assert wait_until(lambda: cg.run("pids", cg.state).stdout.strip() == "")
    assert "populated 0" in read(d + "/cgroup.events")
    cg.run("destroy", cg.state)


@pytest.mark.vm_v2
@pytest.mark.needs_memory_controller
def test_v2_memory_knobs(cg):
    cg.create({"memory": {"limit": 64 << 20, "reservation": 32 << 20, "swap": 96 << 20}})
    d = v2_dir(cg)
    assert read(d + "/memory.max") == str(64 << 20)
    assert read(d + "/memory.low") == str(32 << 20)
    if os.path.exists(d + "/memory.swap.max"):
        assert read(d + "/memory.swap.max") == str(32 << 20)    # OCI swap is memory+swap
    r = cg.run("set", cg.state, cg.config({"memory": {"limit": 64 << 20, "swap": 32 << 20}}, "bad.json"),
               check=False)
    assert r.returncode != 0 and "linux.resources.memory.swap" in r.stderr
    cg.run("set", cg.state, cg.config({"unified": {"memory.high": str(48 << 20)}}, "u.json"))
    assert read(d + "/memory.high") == str(48 << 20)
    cg.run("destroy", cg.state)


@pytest.mark.needs_memory_controller
def test_memory_limit_and_oom_kill_counted(cg):
    with open("/proc/swaps") as f:
        if len(f.read().splitlines()) > 1:
            pytest.skip("swap is on: the hog would be swapped rather than killed")
    limit = 32 << 20
    cg.create({"memory": {"limit": limit}})
    mnt, v2 = controller_mount(cg.host, "memory")
    knob = "memory.max" if v2 else "memory.limit_in_bytes"
    assert cg.read("memory", knob) == str(limit)
    r = cg.run("run", cg.state, "--", sys.executable, "-c", "b = bytearray(256 << 20); print('survived')", check=False)
    assert r.returncode == 128 + signal.SIGKILL and "survived" not in r.stdout
    assert int(cg.run("oom", cg.state).stdout) >= 1
    st = json.loads(cg.run("stats", cg.state).stdout)
    assert st["memory"]["usage"]["limit"] == limit
    cg.run("destroy", cg.state)
