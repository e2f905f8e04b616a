"""podman as a real client of the runtime under test (issue 3): podman with
--runtime <runtime>, cgroupfs, file events, private storage under a temp dir,
an image imported from the busybox test rootfs, no network and no pulls."""
import os
import shutil
import subprocess
import tarfile

import pytest

import itlib
from itlib import last_json

pytestmark = [pytest.mark.podman, pytest.mark.slow]

IMAGE = "localhost/cella-it-busybox:latest"
CONF = """[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


class Podman:
    def __init__(self, base, runtime):
        self.base = base
        self.runtime = runtime
        self.cg_parent = f"/{itlib.CG_PARENT}/podman"
        self.env = {**os.environ, "CONTAINERS_CONF": os.path.join(base, "containers.conf"),
                    "TMPDIR": os.path.join(base, "tmp")}

    def cmd(self, *args):
        b = self.base
        return ["podman", "--root", f"{b}/root", "--runroot", f"{b}/runroot", "--tmpdir", f"{b}/libpod-tmp",
                "--storage-driver", "vfs", "--runtime", self.runtime, "--cgroup-manager=cgroupfs",
                "--events-backend=file", *args]

    def __call__(self, *args, check=False, timeout=60):
        r = subprocess.run(self.cmd(*args), capture_output=True, text=True, env=self.env, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if check and r.returncode:
            raise AssertionError(f"podman {' '.join(args)}: rc={r.returncode}\n{r.stdout}\n{r.stderr}")
        return r

    def run_args(self, *extra):
        return ["run", "--network=none", "--pull=never", f"--cgroup-parent={self.cg_parent}", *extra]


@pytest.fixture(scope="module")
def podman(runtime_bin, tmp_base, testinit):
    base = os.path.join(tmp_base, "podman")
    for d in ("tmp", "libpod-tmp"):
        os.makedirs(os.path.join(base, d), exist_ok=True)
    with open(os.path.join(base, "containers.conf"), "w") as f:
        f.write(CONF)
    rootfs = os.path.join(base, "rootfs")
    itlib.make_rootfs(rootfs, testinit)
    tar = os.path.join(base, "rootfs.tar")
    with tarfile.open(tar, "w") as t:
        for name in sorted(os.listdir(rootfs)):
            t.add(os.path.join(rootfs, name), arcname=name)
    p = Podman(base, runtime_bin)
    p("import", tar, IMAGE, check=True)
    yield p
    p("rm", "--all", "--force", "--time", "0")
    p("rmi", "--all", "--force")
    subprocess.run(["umount", "-R", "-l", os.path.join(base, "root")], capture_output=True)
    subprocess.run(["umount", "-R", "-l", os.path.join(base, "runroot")], capture_output=True)
    shutil.rmtree(base, ignore_errors=True)


def test_podman_run_rm_prints_output(podman):
    r = podman(*podman.run_args("--rm", IMAGE, "/testinit", "report"), check=True)
    rep = last_json(r.stdout)
    assert rep["pid"] == 1 and rep["uid"] == 0
    assert rep["rlimits"]["RLIMIT_NOFILE"] == [20000, 20000]
    r = podman(*podman.run_args("--rm", IMAGE, "echo", "hello from podman"), check=True)
    assert r.stdout.strip() == "hello from podman"


def test_podman_exit_code(podman):
    r = podman(*podman.run_args("--rm", IMAGE, "/testinit", "exit", "7"))
    assert r.returncode == 7, r.stderr


def test_podman_detached_exec_stop_rm(podman):
    name = itlib.new_id("pd")
    r = podman(*podman.run_args("-d", "--name", name, IMAGE, "/testinit", "signal-exit"), check=True)
    cid = r.stdout.strip().splitlines()[-1]
    try:
        r = podman("exec", name, "/testinit", "report", check=True)
        rep = last_json(r.stdout)
        assert rep["pid"] != 1
        r = podman("exec", "--env", "X=1", "--workdir", "/tmp", "--user", "1234", name, "/testinit", "report",
                   check=True)
        rep = last_json(r.stdout)
        assert "X=1" in rep["env"] and rep["cwd"] == "/tmp" and rep["uid"] == 1234
        r = podman("exec", name, "/testinit", "exit", "3")
        assert r.returncode == 3
        podman("stop", "--time", "10", name, check=True)
        r = podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name, check=True)
        assert r.stdout.split() == ["exited", "143"], r.stdout
        logs = podman("logs", name, check=True).stdout
        assert "got SIGTERM" in logs
    finally:
        podman("rm", "--force", "--time", "0", name)
    assert podman("container", "exists", cid).returncode != 0


def test_podman_run_tty(podman):
    r = podman(*podman.run_args("--rm", "-t", IMAGE, "/testinit", "report"), check=True)
    rep = last_json(r.stdout)
    assert rep["isatty"] == [True, True, True]


def cgroup_file(pid, controller, name):
    for line in open(f"/proc/{pid}/cgroup"):
        hid, ctrls, path = line.rstrip("\n").split(":", 2)
        # v1: the controller's own line; v2: the single "0::" line.
        if controller in ctrls.split(",") or (hid == "0" and not ctrls):
            for root in (f"/sys/fs/cgroup/{controller}", "/sys/fs/cgroup"):
                p = f"{root}{path}/{name}"
                if os.path.exists(p):
                    return open(p).read().strip()
    raise AssertionError(f"no {controller} cgroup file {name} for pid {pid}")


@pytest.mark.cgroup
def test_podman_pids_limit_and_cpus(podman):
    name = itlib.new_id("pl")
    podman(*podman.run_args("-d", "--name", name, "--pids-limit", "77", "--cpus", "0.5", IMAGE,
                            "/testinit", "sleep", "60"), check=True)
    try:
        pid = int(podman("inspect", "--format", "{{.State.Pid}}", name, check=True).stdout.strip())
        assert cgroup_file(pid, "pids", "pids.max") == "77"
        if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            quota, period = cgroup_file(pid, "cpu", "cpu.max").split()
        else:
            quota, period = cgroup_file(pid, "cpu", "cpu.cfs_quota_us"), cgroup_file(pid, "cpu",
                                                                                     "cpu.cfs_period_us")
        assert int(quota) * 2 == int(period), (quota, period)
    finally:
        podman("rm", "--force", "--time", "0", name)


@pytest.mark.needs_memory_controller
def test_podman_memory_limit(podman):
    name = itlib.new_id("pm")
    podman(*podman.run_args("-d", "--name", name, "--memory", "64m", IMAGE, "/testinit", "sleep", "60"),
           check=True)
    try:
        pid = int(podman("inspect", "--format", "{{.State.Pid}}", name, check=True).stdout.strip())
        try:
            v = cgroup_file(pid, "memory", "memory.max")
        except AssertionError:
            v = cgroup_file(pid, "memory", "memory.limit_in_bytes")
        assert int(v) == 64 << 20
    finally:
        podman("rm", "--force", "--time", "0", name)
