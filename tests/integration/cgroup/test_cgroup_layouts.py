"""The v1-only and v2-only drivers on this host: in a private mount
namespace, /sys/fs/cgroup is replaced by a tmpfs holding only the v1
hierarchies (a pure v1 view), or by the cgroup2 hierarchy alone (a pure v2
view, with the controllers v1 leaves to it). The memory hierarchy is never
mounted. The hierarchies are the host's own, so the `cg` fixture's cleanup
(through the usual mount points) covers what these tests make."""
import json
import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.cgroup

V1_CTLS = ["cpu", "cpuacct", "cpuset", "pids", "devices", "freezer", "blkio"]


def in_view(cg, setup, body, timeout=60):
    if not shutil.which("unshare"):
        pytest.skip("no unshare(1)")
    script = "set -e\nmount -t tmpfs -o mode=755 cella-view /sys/fs/cgroup\n" + setup + "\n" + body
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, "T": cg.tool, "S": cg.state})
    return r


def v1_setup(host):
    lines = []
    have = {c for h in host["v1"] for c in h["controllers"]}
    for ctl in V1_CTLS:
        if ctl in have:
            lines.append(f"mkdir /sys/fs/cgroup/{ctl} && mount -t cgroup -o {ctl} cgroup /sys/fs/cgroup/{ctl}")
    lines.append("mkdir /sys/fs/cgroup/systemd && mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd")
    return "\n".join(lines)


def test_pure_v1_view(cg):
    have = {c for h in cg.host["v1"] for c in h["controllers"]}
    if not {"pids", "freezer", "devices"} <= have:
        pytest.skip("needs v1 pids, freezer and devices hierarchies")
    if any(h["controllers"] == ["cpu", "cpuacct"] for h in cg.host["v1"]):
        pytest.skip("cpu,cpuacct co-mounted here; the view mounts them one by one")
    cfg = cg.config({"pids": {"limit": 9},
                     "devices": [{"allow": False, "access": "rwm"},
                                 {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]})
    body = f"""
$T detect
$T create $S {cg.parent}/c1 c1 {cfg}
$T run $S --clone3 -- sh -c 'cat /proc/self/cgroup; echo > /dev/null && echo null-ok; (head -c1 /dev/zero >/dev/null) 2>/dev/null || echo zero-denied'
$T spawn $S -- sleep 60 >/dev/null
$T freeze $S 1
echo frozen=$(cat /sys/fs/cgroup/freezer{cg.parent}/c1/freezer.state)
$T freeze $S 0
$T kill $S 9
for i in 1 2 3 4 5 6 7 8 9 10; do [ -z "$($T pids $S)" ] && break; sleep 0.1; done
$T destroy $S
echo destroyed
ls -d /sys/fs/cgroup/*{cg.parent}/c1 2>/dev/null || echo no-leftovers
"""
    r = in_view(cg, v1_setup(cg.host), body)
    assert r.returncode == 0, r.stderr
    det = json.loads(r.stdout[:r.stdout.index("\n}\n") + 3])
    assert det["layout"] == "v1" and det["v2"] is None
    out = r.stdout
    assert f"pids:{cg.parent}/c1" in out
    # On pure v1, name=systemd is the process-tracking hierarchy: joined.
    assert f"name=systemd:{cg.parent}/c1" in out
    assert "null-ok" in out and "zero-denied" in out
    assert "frozen=FROZEN" in out
    assert "destroyed" in out and "no-leftovers" in out


def test_pure_v2_view(cg):
    if not cg.host["v2"]:
        pytest.skip("no cgroup2 hierarchy")
    cfg = cg.config({"devices": [{"allow": False, "access": "rwm"},
                                 {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]})
    bad = cg.config({"pids": {"limit": 9}}, "bad.json")
    v2_ctls = set(cg.host["v2"]["controllers"])
    body = f"""
$T detect
$T create $S {cg.parent}/c1 c1 {cfg}
$T run $S --clone3 -- sh -c 'cat /proc/self/cgroup; echo > /dev/null && echo null-ok; (head -c1 /dev/zero >/dev/null) 2>/dev/null || echo zero-denied'
echo progs=$($T bpf-count /sys/fs/cgroup{cg.parent}/c1)
$T spawn $S -- sleep 60 >/dev/null
$T spawn $S -- sleep 60 >/dev/null
$T freeze $S 1
echo events=$(grep frozen /sys/fs/cgroup{cg.parent}/c1/cgroup.events)
$T frozen $S
$T freeze $S 0
$T kill $S 9
for i in 1 2 3 4 5 6 7 8 9 10; do [ -z "$($T pids $S)" ] && break; sleep 0.1; done
$T set $S {bad} 2>&1 || true
$T stats $S
$T destroy $S
ls -d /sys/fs/cgroup{cg.parent}/c1 2>/dev/null || echo no-leftovers
"""
    r = in_view(cg, "mount -t cgroup2 cgroup2 /sys/fs/cgroup", body)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    det = json.loads(out[:out.index("\n}\n") + 3])
    assert det["layout"] == "v2" and det["v1"] == []
    assert f"0::{cg.parent}/c1" in out
    assert "null-ok" in out and "zero-denied" in out
    assert "progs=1" in out
    assert "events=frozen 1" in out
    if "pids" not in v2_ctls:
        assert "linux.resources.pids.limit: the pids controller is not available on this host" in out
    assert "no-leftovers" in out


def test_v2_controller_blocked_by_a_busy_parent(cg):
    """v2's no-internal-process rule: a parent holding processes cannot
    enable controllers for its children; the error says so."""
    if not cg.host["v2"] or "hugetlb" not in cg.host["v2"]["controllers"] or \
            not os.path.isdir("/sys/kernel/mm/hugepages/hugepages-2048kB"):
        pytest.skip("needs hugetlb in the cgroup2 hierarchy (any v2 controller would do)")
    hp = cg.config({"hugepageLimits": [{"pageSize": "2MB", "limit": 2 << 20}]}, "hp.json")
    body = f"""
$T create $S {cg.parent}/busy busy
$T spawn $S -- sleep 60 >/dev/null
$T create $S.inner {cg.parent}/busy/inner inner {hp} 2>&1 || echo create-failed
$T kill $S 9
for i in 1 2 3 4 5 6 7 8 9 10; do [ -z "$($T pids $S)" ] && break; sleep 0.1; done
$T destroy $S
"""
    r = in_view(cg, "mount -t cgroup2 cgroup2 /sys/fs/cgroup", body)
    assert r.returncode == 0, r.stderr
    assert "create-failed" in r.stdout
    assert "the hugetlb controller could not be enabled" in r.stdout and "parent cgroup hold processes" in r.stdout
