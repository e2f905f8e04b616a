"""Helpers for the cgroup manager's integration tests (imported by
conftest.py and the test files; a module name of its own, since
tests/integration has a conftest.py too)."""
import itertools
import json
import os
import signal
import subprocess
import time

_counter = itertools.count()


def controller_mount(host, ctl):
    """(mountpoint, is_v2) of the hierarchy that carries ctl, v1 first (as the manager picks)."""
    for h in host["v1"]:
        if ctl in h["controllers"]:
            return h["mnt"], False
    if host["v2"] and (ctl in host["v2"]["controllers"] or ctl in ("devices", "freezer")):
        return host["v2"]["mnt"], True
    return None, None


def all_mounts(host):
    mnts = [h["mnt"] for h in host["v1"]]
    if host["v2"]:
        mnts.append(host["v2"]["mnt"])
    return mnts


def _pids_below(path):
    pids = []
    for dirpath, _dirs, files in os.walk(path):
        if "cgroup.procs" in files:
            try:
                with open(os.path.join(dirpath, "cgroup.procs")) as f:
                    pids += [int(x) for x in f.read().split()]
            except OSError:
                pass
    return pids


def _remove_tree(path):
    for dirpath, _dirs, _files in sorted(os.walk(path), key=lambda t: -t[0].count("/")):
        for _ in range(50):
            try:
                os.rmdir(dirpath)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.01)


class Cg:
    """One test's cgroups: a state file, a parent path, helpers around cgtool."""

    def __init__(self, tool, host, tmp):
        self.tool = tool
        self.host = host
        self.parent = f"/cella-test-{os.getpid()}-{next(_counter)}"
        self.state = str(tmp / "cg.json")
        self.tmp = tmp

    def config(self, resources, name="config.json"):
        p = self.tmp / name
        p.write_text(json.dumps({"ociVersion": "1.0.2", "root": {"path": "rootfs"},
                                 "linux": {"resources": resources}}))
        return str(p)

    def run(self, *args, check=True, timeout=60):
        r = subprocess.run([self.tool, *args], capture_output=True, text=True, timeout=timeout)
        if check and r.returncode:
            raise AssertionError(f"cgtool {' '.join(args)}: rc {r.returncode}: {r.stderr}")
        return r

    def create(self, resources=None, path=None, cid="c1", check=True):
        args = ["create", self.state, path if path is not None else self.parent + "/" + cid, cid]
        if resources is not None:
            args.append(self.config(resources))
        return self.run(*args, check=check)

    def dir(self, ctl, path=None):
        mnt, _ = controller_mount(self.host, ctl)
        return mnt + (path or self.parent + "/c1") if mnt else None

    def read(self, ctl, knob, path=None):
        with open(os.path.join(self.dir(ctl, path), knob)) as f:
            return f.read().strip()

    def parents(self):
        """The test-owned parent in every hierarchy where it exists."""
        return [m + self.parent for m in all_mounts(self.host) if os.path.exists(m + self.parent)]

    def leftovers(self):
        """Cgroups left below the test-owned parent. Destroy removes the
        container's own cgroup; parents stay, as with runc and crun (removing
        one races with a sibling being created under it)."""
        return [p for p in self.parents()
                if any(os.path.isdir(os.path.join(p, e)) for e in os.listdir(p))]

    def cleanup(self):
        for top in self.parents():
            for pid in _pids_below(top):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        # Thaw a v1 freezer the test left frozen, or SIGKILL never lands.
        for top in self.parents():
            for dirpath, _d, files in os.walk(top):
                if "freezer.state" in files:
                    try:
                        with open(os.path.join(dirpath, "freezer.state"), "w") as f:
                            f.write("THAWED")
                    except OSError:
                        pass
        for top in self.parents():
            _remove_tree(top)


DEV_RULES = [{"allow": False, "access": "rwm"},
             {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
             {"allow": True, "type": "c", "major": 1, "minor": 9, "access": "r"}]
DEV_PROBE = ("echo hi > /dev/null && echo null-ok; "
             "head -c1 /dev/zero >/dev/null 2>&1 || echo zero-denied; "
             "head -c1 /dev/urandom >/dev/null 2>&1 && echo urandom-read-ok; "
             "(echo x > /dev/urandom) 2>/dev/null || echo urandom-write-denied")
DEV_EXPECT = ["null-ok", "zero-denied", "urandom-read-ok", "urandom-write-denied"]


def wait_until(cond, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return cond()
