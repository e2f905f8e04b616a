"""The cgroup manager on the host as it is (hybrid here: v1 controllers, a
controller-less cgroup2 for process tracking, memory masked by masked-ns).
Layout-independent tests also run in the VM guests (pure v2, v1)."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from cglib import DEV_EXPECT, DEV_PROBE, DEV_RULES, controller_mount, wait_until

pytestmark = pytest.mark.cgroup

PY = sys.executable


def test_detect_matches_mountinfo(host):
    with open("/proc/self/mountinfo") as f:
        mi = f.read()
    has_v2 = " - cgroup2 " in mi
    v1_ctls = {c for h in host["v1"] for c in h["controllers"]}
    if has_v2 and v1_ctls:
        assert host["layout"] == "hybrid"
    elif has_v2:
        assert host["layout"] == "v2"
    else:
        assert host["layout"] == "v1"
    # masked-ns leaves a tmpfs on the memory folder: no memory controller.
    if os.environ.get("CELLA_MASKED_NS") == "1":
        assert "memory" not in v1_ctls


def test_hybrid_layout_of_this_host(host):
    if host["layout"] != "hybrid":
        pytest.skip("host is not hybrid")
    assert host["v2"] is not None
    # Each controller in exactly one v1 hierarchy, whether co-mounted
    # (cpu,cpuacct) or separate (this machine: MACHINE-NOTES).
    seen = [c for h in host["v1"] for c in h["controllers"]]
    assert len(seen) == len(set(seen))
    assert "cpu" in seen and "cpuacct" in seen
    assert any(h["systemd"] and not h["controllers"] for h in host["v1"])


def test_create_applies_limits_and_destroy_removes_all(cg):
    res = {"pids": {"limit": 10}}
    mnt, _ = controller_mount(cg.host, "cpu")
    if mnt:
        res["cpu"] = {"shares": 512, "quota": 50000, "period": 100000}
    if controller_mount(cg.host, "cpuset")[0]:
        res.setdefault("cpu", {}).update({"cpus": "0", "mems": "0"})
    r = cg.create(res)
    assert r.stdout.strip() == cg.parent + "/c1"
    assert cg.read("pids", "pids.max") == "10"
    if mnt and not controller_mount(cg.host, "cpu")[1]:
        assert cg.read("cpu", "cpu.shares") == "512"
        assert cg.read("cpu", "cpu.cfs_quota_us") == "50000"
        assert cg.read("cpu", "cpu.cfs_period_us") == "100000"
    elif mnt:
        assert cg.read("cpu", "cpu.max") == "50000 100000"
        assert cg.read("cpu", "cpu.weight") == "20"     # crun's formula for 512
    if controller_mount(cg.host, "cpuset")[0]:
        assert cg.read("cpuset", "cpuset.cpus") == "0"
    state = json.load(open(cg.state))
    assert state["path"] == cg.parent + "/c1"
    dirs = [d["path"] for d in state["dirs"]]
    for d in dirs:
        assert os.path.isdir(d)
    if cg.host["layout"] == "hybrid":
        # process tracking is the unified hierarchy's job; name=systemd is not joined
        assert not any("/systemd/" in d for d in dirs)
        assert any(d.startswith(cg.host["v2"]["mnt"]) for d in dirs)
    cg.run("destroy", cg.state)
    assert cg.leftovers() == []


def test_missing_controller_is_an_error_naming_it(cg):
    if controller_mount(cg.host, "memory")[0]:
        pytest.skip("this host has a memory controller")
    r = cg.create({"memory": {"limit": 64 << 20}, "pids": {"limit": 10}}, check=False)
    assert r.returncode != 0
    assert "linux.resources.memory.limit: the memory controller is not available on this host" in r.stderr
    assert cg.parents() == []       # a failed create removes even the parents it made


def test_failed_create_leaves_nothing_behind(cg):
    # A cpuset no host has: the kernel refuses the write after the dirs exist.
    if not controller_mount(cg.host, "cpuset")[0]:
        pytest.skip("no cpuset controller")
    r = cg.create({"pids": {"limit": 10}, "cpu": {"cpus": "4095"}}, check=False)
    assert r.returncode != 0
    assert "linux.resources.cpu.cpus" in r.stderr
    assert cg.parents() == []       # a failed create removes even the parents it made


def test_fork_bomb_stops_at_pids_max(cg):
    cg.create({"pids": {"limit": 5}})
    prog = ("import os, time\n"
            "n = 0\n"
            "for i in range(50):\n"
            "    try:\n"
            "        pid = os.fork()\n"
            "    except OSError:\n"
            "        continue\n"
            "    if pid == 0:\n"
            "        os.close(1)\n"
            "        os.close(2)\n"
            "        time.sleep(3)\n"
            "        os._exit(0)\n"
            "    n += 1\n"
            "print(n, flush=True)\n"
            "os._exit(0)\n")
    r = cg.run("run", cg.state, "--", PY, "-c", prog)
    # python itself is one of the 5
    assert r.stdout.strip() == "4"
    cg.run("kill", cg.state, "9")
    assert wait_until(lambda: cg.run("pids", cg.state).stdout.strip() == "")
    cg.run("destroy", cg.state)


@pytest.mark.slow
def test_cpu_hog_gets_its_quota(cg):
    if not controller_mount(cg.host, "cpu")[0]:
        pytest.skip("no cpu controller")
    cg.create({"cpu": {"quota": 20000, "period": 100000}})
    t0 = time.monotonic()
    cg.run("run", cg.state, "--", "timeout", "1", "sh", "-c", "while :; do :; done", check=False)
    wall = time.monotonic() - t0
    st = json.loads(cg.run("stats", cg.state).stdout)
    used = st["cpu"]["usage"]["total"] / 1e9
    # 20% of one CPU over ~1 s, with a period of slack
    assert used <= 0.2 * wall + 0.1, (used, wall)
    assert used > 0, used             # it ran (a busy host may give it less)
    # (This VM kernel counts throttled periods erratically; only the shape.)
    assert isinstance(st["cpu"]["throttling"], dict)
    cg.run("destroy", cg.state)


def test_freeze_thaw_and_kill_all(cg):
    cg.create({"pids": {"limit": 20}})
    pids = [int(cg.run("spawn", cg.state, "--", "sleep", "60").stdout) for _ in range(3)]
    assert sorted(int(x) for x in cg.run("pids", cg.state).stdout.split()) == sorted(pids)
    cg.run("freeze", cg.state, "1")
    assert cg.run("frozen", cg.state).stdout.strip() == "1"
    mnt, v2 = controller_mount(cg.host, "freezer")
    if not v2:
        assert cg.read("freezer", "freezer.state") == "FROZEN"
    cg.run("freeze", cg.state, "0")
    assert cg.run("frozen", cg.state).stdout.strip() == "0"
    cg.run("kill", cg.state, str(int(signal.SIGTERM)))
    assert wait_until(lambda: cg.run("pids", cg.state).stdout.strip() == "")
    cg.run("destroy", cg.state)


def test_kill_all_while_frozen_then_destroy(cg):
    cg.create()
    cg.run("spawn", cg.state, "--", "sleep", "60")
    cg.run("freeze", cg.state, "1")
    cg.run("kill", cg.state, "9")
    cg.run("freeze", cg.state, "0")
    assert wait_until(lambda: cg.run("pids", cg.state).stdout.strip() == "")
    cg.run("destroy", cg.state)
    assert cg.leftovers() == []


def test_destroy_busy_fails_bounded_then_succeeds(cg):
    cg.create()
    cg.run("spawn", cg.state, "--", "sleep", "60")
    t0 = time.monotonic()
    r = cg.run("destroy", cg.state, check=False)
    assert r.returncode != 0 and "processes still in it" in r.stderr
    assert time.monotonic() - t0 < 2.0
    cg.run("kill", cg.state, "9")
    assert wait_until(lambda: cg.run("pids", cg.state).stdout.strip() == "")
    cg.run("destroy", cg.state)
    assert cg.leftovers() == []


def test_destroy_removes_nested_cgroups(cg):
    cg.create()
    for m in [d["path"] for d in json.load(open(cg.state))["dirs"]]:
        os.makedirs(os.path.join(m, "inner", "deeper"))
    cg.run("destroy", cg.state)
    assert cg.leftovers() == []


def test_stats_have_runc_shape(cg):
    cg.create({"pids": {"limit": 7}})
    cg.run("spawn", cg.state, "--", "sh", "-c", "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; sleep 60")
    time.sleep(0.3)
    st = json.loads(cg.run("stats", cg.state).stdout)
    assert set(st) >= {"cpu", "memory", "pids", "blkio", "hugetlb"}
    assert st["cpu"]["usage"]["total"] > 0
    assert "kernel" in st["cpu"]["usage"] and "user" in st["cpu"]["usage"]
    assert isinstance(st["cpu"]["throttling"], dict)
    for k in ("usage", "swap", "kernel", "kernelTCP"):
        assert "limit" in st["memory"][k] and "failcnt" in st["memory"][k]
    if controller_mount(cg.host, "pids")[0]:
        assert st["pids"]["current"] >= 1 and st["pids"]["limit"] == 7
    if controller_mount(cg.host, "hugetlb")[0] and os.path.isdir("/sys/kernel/mm/hugepages/hugepages-2048kB"):
        assert "failcnt" in st["hugetlb"]["2MB"]
    assert cg.run("oom", cg.state).stdout.strip() == "0"
    cg.run("kill", cg.state, "9")
    assert wait_until(lambda: cg.run("pids", cg.state).stdout.strip() == "")
    cg.run("destroy", cg.state)


def test_device_rules_enforced(cg):
    if not controller_mount(cg.host, "devices")[0]:
        pytest.skip("no device controller")
    cg.create({"devices": DEV_RULES})
    r = cg.run("run", cg.state, "--", "sh", "-c", DEV_PROBE)
    assert r.stdout.split() == DEV_EXPECT
    mnt, v2 = controller_mount(cg.host, "devices")
    if not v2:
        assert sorted(cg.read("devices", "devices.list").splitlines()) == ["c 1:3 rwm", "c 1:9 r"]
    cg.run("destroy", cg.state)


def test_device_rule_hole_in_wildcard_refused(cg):
    r = cg.create({"devices": [{"allow": False, "access": "rwm"},
                               {"allow": True, "type": "c", "access": "rwm"},
                               {"allow": False, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]},
                  check=False)
    assert r.returncode != 0 and "linux.resources.devices[2]" in r.stderr
    assert cg.leftovers() == []


def test_ebpf_device_program_on_a_v2_cgroup(cg):
    """The v2 device program, attached to a cgroup2 directory (on a hybrid
    host the controller-less unified hierarchy takes it too)."""
    if not cg.host["v2"]:
        pytest.skip("no cgroup2 mount")
    d = cg.host["v2"]["mnt"] + cg.parent
    os.makedirs(d + "/bpf")
    cfg = cg.config({"devices": DEV_RULES})
    r = cg.run("bpf", d + "/bpf", cfg, "--", "sh", "-c", DEV_PROBE)
    assert r.stdout.split() == DEV_EXPECT
    # Applying again replaces the program instead of stacking a second one.
    cg.run("bpf", d + "/bpf", cfg, "--", "true")
    assert cg.run("bpf-count", d + "/bpf").stdout.strip() == "1"
    allow_all = cg.config({"devices": [{"allow": True, "access": "rwm"},
                                       {"allow": False, "type": "c", "major": 1, "minor": 5, "access": "r"}]},
                          "allow.json")
    r = cg.run("bpf", d + "/bpf", allow_all, "--", "sh", "-c", DEV_PROBE)
    assert r.stdout.split() == ["null-ok", "zero-denied", "urandom-read-ok"]
    assert cg.run("bpf-count", d + "/bpf").stdout.strip() == "1"


def test_clone3_places_the_child_in_every_hierarchy(cg):
    cg.create()
    r = cg.run("run", cg.state, "--clone3", "--", "cat", "/proc/self/cgroup")
    lines = dict(line.split(":", 2)[1:] for line in r.stdout.splitlines())
    want = cg.parent + "/c1"
    if cg.host["v2"]:
        assert lines[""] == want
    for h in cg.host["v1"]:
        if h["systemd"] and cg.host["v2"]:
            continue
        key = ",".join(h["controllers"]) if h["controllers"] else "name=systemd"
        if key in lines:
            assert lines[key] == want, key
    cg.run("destroy", cg.state)


def track(host):
    """(mount, own cgroup) of a hierarchy every container joins: pids, else v2."""
    mnt, _ = controller_mount(host, "pids")
    if mnt:
        return mnt, own_cgroup(host, "pids").rstrip("/")
    return host["v2"]["mnt"], own_cgroup(host, "").rstrip("/")


def own_cgroup(host, ctl):
    """The caller's cgroup in the hierarchy that carries ctl (the "0::" line on v2)."""
    _, v2 = controller_mount(host, ctl) if ctl else (None, True)
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctls, path = line.rstrip("\n").split(":", 2)
            if (v2 and ctls == "") or (not v2 and ctl in ctls.split(",")):
                return path
    return "/"


def test_relative_path_is_below_own_cgroup(cg):
    rel = cg.parent.lstrip("/") + "/rel"
    cg.create(path=rel, cid="rel")
    mnt, own = track(cg.host)
    assert os.path.isdir(mnt + own + "/" + rel)
    cg.run("destroy", cg.state)
    assert not os.path.exists(mnt + own + "/" + rel)


def test_no_path_means_own_cgroup_slash_id(cg):
    cid = cg.parent.lstrip("/")       # unique, so the fixture cleans it up
    r = cg.create(path="-", cid=cid)
    mnt, own = track(cg.host)
    assert r.stdout.strip().endswith("/" + cid)
    assert os.path.isdir(mnt + own + "/" + cid)
    cg.run("destroy", cg.state)


def test_systemd_style_path_maps_to_slice_and_scope(cg):
    # A slice name without dashes (each dash is a level of slices).
    name = "cellatest" + cg.parent.split("-", 2)[2].replace("-", "x")
    cg.parent = f"/{name}.slice"      # what the fixture cleans up
    r = cg.create(path=f"{name}.slice:cella:c1", cid="c1")
    assert r.stdout.strip() == f"/{name}.slice/cella-c1.scope"
    mnt, _ = track(cg.host)
    assert os.path.isdir(f"{mnt}/{name}.slice/cella-c1.scope")
    cg.run("destroy", cg.state)
    assert not os.path.exists(f"{mnt}/{name}.slice/cella-c1.scope")


def test_update_changes_limits(cg):
    cg.create({"pids": {"limit": 10}})
    cg.run("set", cg.state, cg.config({"pids": {"limit": 20}}, "upd.json"))
    assert cg.read("pids", "pids.max") == "20"
    cg.run("set", cg.state, cg.config({"pids": {"limit": -1}}, "upd2.json"))
    assert cg.read("pids", "pids.max") == "max"
    cg.run("destroy", cg.state)


def test_unified_keys(cg):
    r = cg.create({"unified": {"../escape.max": "1"}}, check=False)
    assert r.returncode != 0 and "unified" in r.stderr
    r = cg.create({"unified": {"pids.max/../../x": "1"}}, check=False)
    assert r.returncode != 0
    assert cg.leftovers() == []
    if not cg.host["v2"]:
        r = cg.create({"unified": {"pids.max": "5"}}, check=False)
        assert r.returncode != 0 and "needs cgroup v2" in r.stderr
        return
    if "hugetlb" in cg.host["v2"]["controllers"] and os.path.isdir("/sys/kernel/mm/hugepages/hugepages-2048kB"):
        cg.create({"unified": {"hugetlb.2MB.max": "4194304"}})
        with open(cg.host["v2"]["mnt"] + cg.parent + "/c1/hugetlb.2MB.max") as f:
            assert f.read().strip() == "4194304"
        cg.run("destroy", cg.state)


def test_hugetlb_limit_where_the_host_has_it(cg):
    mnt, v2 = controller_mount(cg.host, "hugetlb")
    if not mnt or not os.path.isdir("/sys/kernel/mm/hugepages/hugepages-2048kB"):
        pytest.skip("no hugetlb controller or no 2MB pages")
    cg.create({"hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}]})
    assert cg.read("hugetlb", "hugetlb.2MB.max" if v2 else "hugetlb.2MB.limit_in_bytes") == str(4 << 20)
    cg.run("destroy", cg.state)
    r = cg.create({"hugepageLimits": [{"pageSize": "3MB", "limit": 1}]}, check=False)
    assert r.returncode != 0 and "hugepageLimits[0].pageSize" in r.stderr
    assert cg.leftovers() == []


def test_blkio_throttle_on_a_real_device(cg):
    if not controller_mount(cg.host, "blkio")[0]:
        pytest.skip("no blkio/io controller")
    devs = [d for d in sorted(os.listdir("/sys/block")) if not d.startswith(("loop", "ram"))]
    if not devs:
        pytest.skip("no block device")
    major, minor = open(f"/sys/block/{devs[0]}/dev").read().strip().split(":")
    cg.create({"blockIO": {"throttleReadBpsDevice": [{"major": int(major), "minor": int(minor),
                                                        "rate": 1048576}]}})
    mnt, v2 = controller_mount(cg.host, "blkio")
    if v2:
        assert f"{major}:{minor} rbps=1048576" in cg.read("blkio", "io.max")
    else:
        assert cg.read("blkio", "blkio.throttle.read_bps_device") == f"{major}:{minor} 1048576"
    cg.run("destroy", cg.state)


def test_state_survives_a_crash_half_way_through_delete(cg):
    cg.create({"pids": {"limit": 3}})
    state = json.load(open(cg.state))
    # Someone (an earlier delete) removed one directory already.
    os.rmdir(state["dirs"][-1]["path"])
    cg.run("destroy", cg.state)
    assert cg.leftovers() == []


def nobody_dir(cg):
    """A state dir the unprivileged user can reach (pytest's tmp is 0700)."""
    import tempfile
    d = tempfile.mkdtemp(prefix="cella-cg-rootless-", dir="/tmp")
    os.chmod(d, 0o777)
    cg.state = os.path.join(d, "cg.json")
    return d


def as_nobody(cg, *args):
    import shutil
    if not shutil.which("setpriv"):
        pytest.skip("no setpriv(1)")
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", cg.tool, *args],
                          capture_output=True, text=True, timeout=60)


def test_rootless_without_delegation_holds_nothing(cg):
    import shutil
    d = nobody_dir(cg)
    cfg = os.path.join(d, "config.json")
    shutil.copy(cg.config({"pids": {"limit": 10}}), cfg)
    os.chmod(cfg, 0o644)
    try:
        r = as_nobody(cg, "create-rootless", cg.state, cg.parent + "/c1", "c1", cfg)
        assert r.returncode == 0, r.stderr
        assert json.load(open(cg.state))["dirs"] == []
        assert cg.leftovers() == []
    finally:
        shutil.rmtree(d)


def test_rootless_uses_a_delegated_v2_subtree(cg):
    if not cg.host["v2"]:
        pytest.skip("no cgroup2 hierarchy")
    import shutil
    d = nobody_dir(cg)
    deleg = cg.host["v2"]["mnt"] + cg.parent + "/deleg"
    os.makedirs(deleg)
    for f in ["", "/cgroup.procs", "/cgroup.subtree_control"]:
        os.chown(deleg + f, 65534, 65534)
    r = as_nobody(cg, "create-rootless", cg.state, cg.parent + "/deleg/c1", "c1")
    assert r.returncode == 0, r.stderr
    dirs = [d["path"] for d in json.load(open(cg.state))["dirs"]]
    assert dirs == [deleg + "/c1"] and os.path.isdir(deleg + "/c1")
    r = as_nobody(cg, "destroy", cg.state)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(deleg + "/c1")
    shutil.rmtree(d)


def test_state_naming_a_non_cgroup_dir_is_refused(cg, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    with open(cg.state, "w") as f:
        json.dump({"layout": "v1", "path": "/x", "rootless": False,
                   "dirs": [{"path": str(victim), "v2": False, "controllers": [], "made": [str(victim)]}]}, f)
    r = cg.run("destroy", cg.state, check=False)
    assert r.returncode != 0 and "is not a cgroup directory" in r.stderr
    assert victim.is_dir()
