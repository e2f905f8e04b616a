"""Checks, inside a tests/vm guest, that the cgroup layout is the one asked
for and that its limits are enforced. tests/vm/suite runs these in every
guest (the v2 ones carry vm_v2, the v1/hybrid ones carry cgroup); outside a
guest they all skip."""
import contextlib
import os
import subprocess
import sys
import time

import pytest

CG = "/sys/fs/cgroup"
LAYOUT = os.environ.get("CELLA_VM_LAYOUT")
V1_EXPECTED = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"]

pytestmark = pytest.mark.skipif(os.environ.get("CELLA_VM") != "1",
                                reason="runs inside a tests/vm guest only")
only_v2 = pytest.mark.skipif(LAYOUT != "v2", reason="v2 guest only")
only_v1ish = pytest.mark.skipif(LAYOUT not in ("v1", "hybrid"), reason="v1 and hybrid guests only")


def mounts():
    """{mount point: (fstype, super options)} from /proc/self/mountinfo."""
    out = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.split(" - ")
            fstype, _src, sopts = post.split()[:3]
            out[pre.split()[4]] = (fstype, set(sopts.split(",")))
    return out


def read(path):
    with open(path) as f:
        return f.read()


def write(path, value):
    with open(path, "w") as f:
        f.write(value)


def keyed(path):
    """A flat-keyed cgroup file ("key value" lines) as a dict of ints."""
    return {k: int(v) for k, v in (l.split() for l in read(path).splitlines() if l.strip())}


@contextlib.contextmanager
def cgroups(*paths):
    """Fresh cgroups (removed afterwards, children first)."""
    for p in paths:
        os.mkdir(p)
    try:
        yield paths
    finally:
        for p in reversed(paths):
            for _ in range(50):  # a killed child may still be leaving
                try:
                    os.rmdir(p)
                    break
                except OSError:
                    time.sleep(0.1)


def run_in(procs_files, code, timeout=120):
    """Run python code in a child that first moves itself into every
    cgroup.procs (or v1 tasks) file given."""
    prelude = ("import os, sys\n"
               "for p in sys.argv[1:]:\n"
               "    with open(p, 'w') as f: f.write(str(os.getpid()))\n")
    return subprocess.run([sys.executable, "-c", prelude + code, *procs_files],
                          capture_output=True, text=True, timeout=timeout)


ALLOC_64M = "b = bytearray(b'\\x01') * (64 << 20)\nprint('survived', len(b))\n"

FORK_UNTIL_REFUSED = """
import signal
kids = []
try:
    for _ in range(20):
        pid = os.fork()
        if pid == 0:
            signal.pause()
            os._exit(0)
        kids.append(pid)
    print('no limit', len(kids))
except BlockingIOError:
    print('refused after', len(kids))
for k in kids:
    os.kill(k, 9)
    os.waitpid(k, 0)
"""


# ---- pure v2 ---------------------------------------------------------------

@pytest.mark.vm_v2
@only_v2
def test_v2_layout():
    m = mounts()
    assert m[CG][0] == "cgroup2", m.get(CG)
    assert not any(t == "cgroup" for t, _ in m.values()), "a v1 hierarchy is mounted"
    want = {"cpu", "cpuset", "io", "memory", "pids"}
    assert want <= set(read(f"{CG}/cgroup.controllers").split())
    assert want <= set(read(f"{CG}/cgroup.subtree_control").split())


@pytest.mark.vm_v2
@pytest.mark.needs_memory_controller
@only_v2
def test_v2_memory_max_oom_kill():
    with cgroups(f"{CG}/vmtest-oom") as (cg,):
        write(f"{cg}/memory.max", str(32 << 20))
        write(f"{cg}/memory.swap.max", "0")
        before = keyed(f"{cg}/memory.events")["oom_kill"]
        r = run_in([f"{cg}/cgroup.procs"], ALLOC_64M)
        assert r.returncode == -9, (r.returncode, r.stdout, r.stderr)
        ev = keyed(f"{cg}/memory.events")
        assert ev["oom_kill"] == before + 1, ev
        assert ev["max"] > 0, ev


@pytest.mark.vm_v2
@only_v2
def test_v2_pids_max_stops_forks():
    with cgroups(f"{CG}/vmtest-pids") as (cg,):
        write(f"{cg}/pids.max", "5")
        r = run_in([f"{cg}/cgroup.procs"], FORK_UNTIL_REFUSED)
        assert r.stdout.split() == ["refused", "after", "4"], (r.stdout, r.stderr)
        assert keyed(f"{cg}/pids.events")["max"] >= 1


@pytest.mark.vm_v2
@only_v2
def test_v2_io_max_on_virtio_disk():
    disk, devno = os.environ["CELLA_VM_DISK"], os.environ["CELLA_VM_DISK_DEVNO"]
    assert read(f"/sys/dev/block/{devno}/uevent").find(f"DEVNAME={os.path.basename(disk)}") >= 0
    with cgroups(f"{CG}/vmtest-io") as (cg,):
        write(f"{cg}/io.max", f"{devno} wiops=20")
        assert f"{devno} rbps=max wbps=max riops=max wiops=20" in read(f"{cg}/io.max")
        # 60 direct 4 KiB writes at 20 IOPS take about 3 s; unthrottled, well
        # under one. Leave room for the first slice's burst.
        code = ("import mmap, time\n"
                f"fd = os.open({disk!r}, os.O_WRONLY | os.O_DIRECT)\n"
                "buf = mmap.mmap(-1, 4096)\n"
                "t = time.monotonic()\n"
                "for i in range(60):\n"
                "    os.pwrite(fd, buf, i * 4096)\n"
                "print(time.monotonic() - t)\n")
        r = run_in([f"{cg}/cgroup.procs"], code)
        assert r.returncode == 0, r.stderr
        assert float(r.stdout) >= 1.5, f"60 writes at wiops=20 took only {r.stdout.strip()} s"
        assert keyed_io(f"{cg}/io.stat", devno).get("wios", 0) >= 60


def keyed_io(path, devno):
    for line in read(path).splitlines():
        if line.startswith(devno + " "):
            return {k: int(v) for k, v in (w.split("=") for w in line.split()[1:])}
    return {}


@pytest.mark.vm_v2
@only_v2
def test_v2_cpu_and_cpuset_writable():
    with cgroups(f"{CG}/vmtest-cpu") as (cg,):
        write(f"{cg}/cpu.max", "50000 100000")
        assert read(f"{cg}/cpu.max").split() == ["50000", "100000"]
        write(f"{cg}/cpuset.cpus", "0")
        assert read(f"{cg}/cpuset.cpus.effective").strip() == "0"


# ---- v1 and hybrid ---------------------------------------------------------

@pytest.mark.cgroup
@only_v1ish
def test_v1_hierarchies():
    m = mounts()
    for c in V1_EXPECTED:
        fstype, opts = m.get(f"{CG}/{c}", (None, set()))
        assert fstype == "cgroup" and c in opts, f"{CG}/{c}: {fstype} {opts}"
    assert "name=systemd" in m[f"{CG}/systemd"][1]
    v2 = [p for p, (t, _) in m.items() if t == "cgroup2"]
    if LAYOUT == "hybrid":
        # As on our build hosts: cgroup2 has hugetlb (and rdma, misc, which
        # their kernel lacks), enabled in its root; every other controller is v1.
        assert v2 == [f"{CG}/unified"], v2
        offered = read(f"{CG}/unified/cgroup.controllers").split()
        assert "hugetlb" in offered and set(offered) <= {"hugetlb", "rdma", "misc"}, offered
        assert read(f"{CG}/unified/cgroup.subtree_control").split() == offered
        assert not any(p.startswith(f"{CG}/hugetlb") for p in m)
    else:
        assert v2 == [], v2
        assert m[f"{CG}/hugetlb"][0] == "cgroup"


@pytest.mark.cgroup
@pytest.mark.needs_memory_controller
@only_v1ish
def test_v1_memory_limit_oom_kill():
    paths = [f"{CG}/memory/vmtest-oom"]
    if LAYOUT == "hybrid":  # as cella's hybrid driver: tracked in v2 as well
        paths.append(f"{CG}/unified/vmtest-oom")
    with cgroups(*paths) as cgs:
        mem = cgs[0]
        write(f"{mem}/memory.limit_in_bytes", str(32 << 20))
        r = run_in([f"{p}/cgroup.procs" for p in cgs], ALLOC_64M)
        assert r.returncode == -9, (r.returncode, r.stdout, r.stderr)
        assert keyed(f"{mem}/memory.oom_control")["oom_kill"] == 1
        assert int(read(f"{mem}/memory.failcnt")) > 0


@pytest.mark.cgroup
@only_v1ish
def test_v1_pids_max_stops_forks():
    with cgroups(f"{CG}/pids/vmtest-pids") as (cg,):
        write(f"{cg}/pids.max", "5")
        r = run_in([f"{cg}/cgroup.procs"], FORK_UNTIL_REFUSED)
        assert r.stdout.split() == ["refused", "after", "4"], (r.stdout, r.stderr)
