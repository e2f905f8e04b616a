"""Helpers for cella's black-box runtime tests: the runtime under test, the
bundle factory, leftovers snapshots, a console-socket server and a seccomp
notify listener. Everything here speaks only the OCI CLI and runtime-spec, so
the same tests run against runc and crun (see docs/peers.md)."""
import copy
import errno
import itertools
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CG_ROOT = "/sys/fs/cgroup"
CG_PARENT = f"cella-test-{os.getpid()}"
BUSYBOX = "/bin/busybox"
_ids = itertools.count(1)


# ---------------------------------------------------------------- runtime
def runtime_path():
    """OCI_RUNTIME (a path) or the built cella-runtime under CELLA_BUILD."""
    p = os.environ.get("OCI_RUNTIME")
    if p:
        return os.path.abspath(p)
    return os.path.join(build_dir(), "cmd", "cella-runtime", "cella-runtime")


def build_dir():
    return os.path.abspath(os.environ.get("CELLA_BUILD",
                                          os.path.join(os.path.dirname(os.path.dirname(HERE)), "build")))


def runtime_name(path):
    b = os.path.basename(path)
    for n in ("runc", "crun"):
        if n in b:
            return n
    return "cella"


def testinit_path():
    return os.path.join(build_dir(), "tests", "integration", "testinit")


def new_id(tag="c"):
    return f"it{os.getpid()}-{next(_ids)}-{tag}"[:60]


class Runtime:
    """One runtime binary with a private --root. Every container made through
    it is remembered and force-deleted at teardown."""

    def __init__(self, path, root, tmp):
        self.path = path
        self.name = runtime_name(path)
        self.is_cella = self.name == "cella"
        self.root = root
        self.tmp = tmp
        self.ids = []
        self.pids = []          # host processes the test started (killed at teardown)
        self.global_args = []

    def cmd(self, *args, root=True):
        pre = [self.path] + (["--root", self.root] if root else []) + self.global_args
        return pre + [str(a) for a in args]

    def __call__(self, *args, check=False, timeout=30, input=None, root=True, env=None, **kw):
        """Run a verb with captured output (only for verbs that leave no
        process holding our pipes; use create()/run_detached() for those)."""
        if "stdout" not in kw and "stderr" not in kw:
            kw["capture_output"] = True
        r = subprocess.run(self.cmd(*args, root=root), text=True, timeout=timeout, input=input,
                           env=env, **kw)
        if check and r.returncode != 0:
            raise AssertionError(f"{self.name} {' '.join(map(str, args))} failed rc={r.returncode}\n"
                                 f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def _stdio(self, bundle):
        return (open(os.path.join(bundle.dir, "stdout"), "ab"),
                open(os.path.join(bundle.dir, "stderr"), "ab"))

    def create(self, cid, bundle, *extra, check=True, timeout=30):
        """`create`: the container's stdio goes to files in the bundle dir
        (pipes would stay open as long as the container lives)."""
        self.ids.append(cid)
        bundle.save_unless_frozen()
        out, err = self._stdio(bundle)
        n0 = os.path.getsize(err.name)
        with out, err:
            r = subprocess.run(self.cmd("create", "--bundle", bundle.dir, *extra, cid),
                               stdin=subprocess.DEVNULL, stdout=out, stderr=err, timeout=timeout)
        with open(err.name, errors="replace") as f:
            f.seek(n0)
            r.stderr = f.read()
        if check and r.returncode != 0:
            raise AssertionError(f"{self.name} create {cid} failed rc={r.returncode}: {r.stderr}")
        return r

    def run_detached(self, cid, bundle, *extra, check=True):
        self.ids.append(cid)
        bundle.save_unless_frozen()
        out, err = self._stdio(bundle)
        with out, err:
            r = subprocess.run(self.cmd("run", "-d", "--bundle", bundle.dir, *extra, cid),
                               stdin=subprocess.DEVNULL, stdout=out, stderr=err, timeout=30)
        r.stderr = read(err.name)
        if check and r.returncode != 0:
            raise AssertionError(f"{self.name} run -d {cid} failed rc={r.returncode}: {r.stderr}")
        return r

    def run(self, cid, bundle, *extra, timeout=30, input=None):
        """Foreground `run`: waits for the process; returns its exit code and output."""
        self.ids.append(cid)
        bundle.save_unless_frozen()
        return subprocess.run(self.cmd("run", "--bundle", bundle.dir, *extra, cid), text=True,
                              capture_output=True, timeout=timeout,
                              stdin=None if input is not None else subprocess.DEVNULL, input=input)

    def start(self, cid, check=True):
        return self("start", cid, check=check)

    def state(self, cid):
        r = self("state", cid, check=True)
        return json.loads(r.stdout)

    def status(self, cid):
        r = self("state", cid)
        if r.returncode != 0:
            return None
        return json.loads(r.stdout)["status"]

    def wait_status(self, cid, want, timeout=10):
        end = time.monotonic() + timeout
        st = None
        while time.monotonic() < end:
            st = self.status(cid)
            if st == want:
                return st
            time.sleep(0.02)
        raise AssertionError(f"{cid}: status {st!r}, wanted {want!r} within {timeout}s")

    def list_ids(self):
        r = self("list", "-q")
        return r.stdout.split() if r.returncode == 0 else []

    def cleanup(self):
        for cid in dict.fromkeys(self.ids + self.list_ids()):
            try:
                self("delete", "--force", cid, timeout=15)
            except subprocess.TimeoutExpired:
                pass
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for cid in self.ids:
            rm_cgroup(cid)


# ---------------------------------------------------------------- cgroups
def cg_hierarchies():
    """Every mounted cgroup hierarchy we may touch: never memory (it belongs
    to the machine's supervisor and is masked anyway)."""
    out = []
    if os.path.exists(os.path.join(CG_ROOT, "cgroup.controllers")):
        return [CG_ROOT]
    for name in sorted(os.listdir(CG_ROOT)):
        p = os.path.join(CG_ROOT, name)
        if name == "memory" or not os.path.isdir(p) or os.path.islink(p):
            continue
        if os.path.exists(os.path.join(p, "cgroup.procs")):
            out.append(p)
    return out


def cgroups_path(cid):
    return f"/{CG_PARENT}/{cid}"


def _safe_name(cid):
    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+-]*", cid or "")) and ".." not in cid


def cg_dirs(cid):
    """The container's cgroup dirs; none for an id that is not a plain name
    (bad-input tests use "..", "a/b": never turn those into paths)."""
    if not _safe_name(cid):
        return []
    return [os.path.join(h, CG_PARENT, cid) for h in cg_hierarchies()]


def cg_tree():
    """Every cgroup directory under the test-owned parent, in every hierarchy."""
    out = set()
    for h in cg_hierarchies():
        for d, _, _ in os.walk(os.path.join(h, CG_PARENT)):
            out.add(d)
    return out


def _rmdir_tree(p, parent=CG_PARENT):
    # Only ever below a test-owned parent, whatever p looks like.
    real = os.path.realpath(p)
    if not any(real == os.path.join(h, parent) or real.startswith(os.path.join(h, parent) + "/")
               for h in cg_hierarchies()):
        return
    if not os.path.isdir(p):
        return
    for name in os.listdir(p):
        q = os.path.join(p, name)
        if os.path.isdir(q) and not os.path.islink(q):
            _rmdir_tree(q, parent)
    for _ in range(50):
        try:
            os.rmdir(p)
            return
        except FileNotFoundError:
            return
        except OSError as e:
            if e.errno != errno.EBUSY:
                return
            time.sleep(0.02)


def rmdir_tree_under(hierarchy, parent):
    """rmdir (empty cgroups only) the tree of another session's parent."""
    if re.fullmatch(r"cella-test-\d+", parent):
        _rmdir_tree(os.path.join(hierarchy, parent), parent)


def rm_cgroup(cid):
    for d in cg_dirs(cid):
        _rmdir_tree(d)


def rm_cgroup_parent():
    for h in cg_hierarchies():
        _rmdir_tree(os.path.join(h, CG_PARENT))


# ---------------------------------------------------------------- bundles
# What `runc spec` (1.1.5) emits, with the changes every test wants:
# no terminal, a writable root, and the test's cgroupsPath.
RUNC_SPEC = {
    "ociVersion": "1.0.2-dev",
    "process": {
        "terminal": False,
        "user": {"uid": 0, "gid": 0},
        "args": ["sh"],
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
        "cwd": "/",
        "capabilities": {k: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
                         for k in ("bounding", "effective", "permitted", "ambient")},
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
        "noNewPrivileges": True,
    },
    "root": {"path": "rootfs", "readonly": True},
    "hostname": "runc",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    ],
    "linux": {
        "resources": {"devices": [{"allow": False, "access": "rwm"}]},
        "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
        "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                        "/proc/scsi"],
        "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
}

_applets = None


def busybox_applets():
    global _applets
    if _applets is None:
        out = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout
        _applets = [a for a in out.split() if a and "/" not in a and a != "busybox"]
    return _applets


class Bundle:
    def __init__(self, path, cid):
        self.dir = path
        self.id = cid
        self.rootfs = os.path.join(path, "rootfs")
        self.config = copy.deepcopy(RUNC_SPEC)
        self.out = None
        self.frozen = False  # True: config.json was written by the test itself

    @property
    def process(self):
        return self.config["process"]

    @property
    def linux(self):
        return self.config["linux"]

    def args(self, *a):
        self.config["process"]["args"] = [str(x) for x in a]
        return self

    def add_out(self, dest="/out"):
        """A host directory bind-mounted read-write into the container, for
        side effects of detached processes and hooks."""
        self.out = os.path.join(self.dir, "out")
        os.makedirs(self.out, exist_ok=True)
        os.chmod(self.out, 0o777)
        self.config["mounts"].append({"destination": dest, "type": "bind", "source": self.out,
                                      "options": ["rbind", "rw"]})
        return self.out

    def ns(self, kind, path=None, remove=False):
        nss = [n for n in self.linux["namespaces"] if n["type"] != kind]
        if not remove:
            nss.append({"type": kind, **({"path": path} if path else {})})
        self.linux["namespaces"] = nss

    def save(self):
        with open(os.path.join(self.dir, "config.json"), "w") as f:
            json.dump(self.config, f, indent=1)
        return self

    def save_unless_frozen(self):
        if not self.frozen:
            self.save()

    def write_config_text(self, text):
        with open(os.path.join(self.dir, "config.json"), "w") as f:
            f.write(text)
        self.frozen = True

    def stdout(self):
        return read(os.path.join(self.dir, "stdout"))

    def stderr(self):
        return read(os.path.join(self.dir, "stderr"))

    def out_json(self, name, timeout=10):
        p = os.path.join(self.out, name)
        end = time.monotonic() + timeout
        while not os.path.exists(p) and time.monotonic() < end:
            time.sleep(0.02)
        with open(p) as f:
            return json.load(f)


def make_rootfs(rootfs, testinit):
    for d in ("bin", "dev", "proc", "sys", "tmp", "etc", "out", "root", "var", "run"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    os.chmod(os.path.join(rootfs, "tmp"), 0o1777)
    shutil.copy2(BUSYBOX, os.path.join(rootfs, "bin", "busybox"))
    shutil.copy2(testinit, os.path.join(rootfs, "testinit"))
    for a in busybox_applets():
        os.symlink("busybox", os.path.join(rootfs, "bin", a))
    os.symlink("bin", os.path.join(rootfs, "sbin"))
    with open(os.path.join(rootfs, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n"
                "tester:x:1234:1234:tester:/tmp:/bin/sh\n")
    with open(os.path.join(rootfs, "etc", "group"), "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\ntester:x:1234:\nextra:x:2345:tester\n")


# ---------------------------------------------------------------- files, json
def read(p):
    try:
        with open(p, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def last_json(text):
    """The last line of text that parses as JSON (container output may carry
    other lines, e.g. a pty's echo)."""
    for line in reversed(text.replace("\r", "").splitlines()):
        line = line.strip()
        if line.startswith(("{", "[")):
            try:
                return json.loads(line)
            except ValueError:
                continue
    raise AssertionError(f"no JSON line in output: {text[-2000:]!r}")


def caps_of(hexmask):
    """Capability numbers set in a /proc/self/status Cap* hex mask."""
    v = int(hexmask, 16)
    return {i for i in range(64) if v >> i & 1}


CAP_NUM = {name: i for i, name in enumerate([
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
    "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"])}


def host_bounding_caps():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapBnd:"):
                return caps_of(line.split()[1])
    return set()


def mountinfo_set():
    with open("/proc/self/mountinfo") as f:
        return {tuple(line.split()[3:5]) for line in f}


def procs_in(path):
    """Pids whose root or cwd lies inside path (leftover container processes)."""
    found = []
    real = os.path.realpath(path)
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        for link in ("root", "cwd"):
            try:
                t = os.readlink(f"/proc/{d}/{link}")
            except OSError:
                continue
            if t == real or t.startswith(real + "/"):
                found.append(int(d))
                break
    return found


class Leftovers:
    """Snapshot of everything a failed create must not leave behind."""

    def __init__(self, rt, bundle, cid):
        self.rt, self.bundle, self.cid = rt, bundle, cid
        self.mounts = mountinfo_set()
        self.cgroups = cg_tree()
        self.root_entries = set(os.listdir(rt.root)) if os.path.isdir(rt.root) else set()

    def check(self):
        problems = []
        if self.cid in self.rt.list_ids():
            problems.append(f"`list` still shows {self.cid}")
        now = set(os.listdir(self.rt.root)) if os.path.isdir(self.rt.root) else set()
        if now - self.root_entries:
            problems.append(f"new entries under --root: {sorted(now - self.root_entries)}")
        left = sorted(cg_tree() - self.cgroups)
        if left:
            problems.append(f"cgroup dirs remain: {left}")
        procs = procs_in(self.bundle.dir)
        if procs:
            problems.append(f"processes remain in the bundle: {procs}")
        new = mountinfo_set() - self.mounts
        if new:
            problems.append(f"new mounts: {sorted(new)}")
        st = self.rt("state", self.cid)
        if st.returncode == 0:
            problems.append(f"`state` still answers: {st.stdout}")
        assert not problems, "; ".join(problems)


# The socket servers live in itsock.py; re-exported for the tests.
from itsock import ConsoleSocket, SeccompListener  # noqa: E402,F401


def sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def is_exec(p):
    try:
        return stat.S_ISREG(os.stat(p).st_mode) and os.access(p, os.X_OK)
    except OSError:
        return False
