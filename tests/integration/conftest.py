"""Fixtures for cella's black-box integration tests.

Run as root inside scripts/masked-ns (scripts/run-tests.py does this):
    CELLA_BUILD=build scripts/masked-ns /usr/bin/python3 -m pytest tests/integration
Against a peer:
    OCI_RUNTIME=/usr/bin/runc ... same command
    OCI_RUNTIME=/usr/bin/crun scripts/masked-ns --mask-unified /usr/bin/python3 -m pytest ...
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import itlib  # noqa: E402

MARKERS = {
    "cgroup": "touches cgroups (explicit cgroupsPath under a test-owned parent)",
    "vm_v2": "needs a pure cgroup v2 host (runs in the VM harness)",
    "needs_memory_controller": "needs a usable memory controller (runs in the VM harness)",
    "podman": "drives podman with --runtime <runtime under test>",
    "slow": "takes more than a second or two",
    "cella_specific": "checks cella's own wording or a stricter-than-peers rule; skipped for peers",
}

_tmp_base = None


def pytest_configure(config):
    for name, doc in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {doc}")


def pytest_report_header(config):
    p = itlib.runtime_path()
    return [f"runtime under test: {p} ({itlib.runtime_name(p)})",
            f"testinit: {itlib.testinit_path()}"]


def memory_controller_usable():
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        with open("/sys/fs/cgroup/cgroup.controllers") as f:
            return "memory" in f.read().split()
    # v1: usable only when really mounted (masked-ns puts a tmpfs there).
    return os.path.exists("/sys/fs/cgroup/memory/memory.limit_in_bytes") and \
        os.environ.get("CELLA_MASKED_NS") != "1"


def pytest_collection_modifyitems(config, items):
    name = itlib.runtime_name(itlib.runtime_path())
    pure_v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    mem = memory_controller_usable()
    for item in items:
        if "cella_specific" in item.keywords and name != "cella":
            item.add_marker(pytest.mark.skip(reason=f"cella-specific check (wording or stricter rule); "
                                                    f"{name} is not expected to match"))
        if "vm_v2" in item.keywords and not pure_v2:
            item.add_marker(pytest.mark.skip(reason="needs a pure cgroup v2 host: runs in the VM harness "
                                                    "(this host is hybrid)"))
        if "needs_memory_controller" in item.keywords and not mem:
            item.add_marker(pytest.mark.skip(reason="memory controller absent or masked here "
                                                    "(MACHINE-NOTES): runs in the VM harness"))
        if "podman" in item.keywords and not shutil.which("podman"):
            item.add_marker(pytest.mark.skip(reason="podman not installed (scripts/bootstrap installs it)"))


@pytest.fixture(scope="session")
def runtime_bin():
    p = itlib.runtime_path()
    if not itlib.is_exec(p):
        pytest.skip(f"runtime under test not built/found: {p} (set OCI_RUNTIME or CELLA_BUILD)")
    if os.geteuid() != 0:
        pytest.skip("integration tests run as root")
    # In a throwaway VM the memory hierarchy is ours (tests/vm sets this).
    if os.path.ismount("/sys/fs/cgroup/memory") and os.environ.get("CELLA_MASKED_NS") != "1" \
            and os.environ.get("CELLA_OWN_MEMORY_CGROUP") != "1":
        pytest.exit("run inside scripts/masked-ns: /sys/fs/cgroup/memory must be masked (MACHINE-NOTES)", 2)
    return p


@pytest.fixture(scope="session")
def testinit(tmp_base):
    p = itlib.testinit_path()
    if itlib.is_exec(p):
        return p
    # Not built by meson (e.g. a peer run without CELLA_BUILD): build it here,
    # the same way meson does.
    srcs = [os.path.join(itlib.HERE, f) for f in ("testinit.c", "tinit_json.c")]
    out = os.path.join(tmp_base, "testinit")
    r = subprocess.run(["cc", "-std=gnu11", "-O2", "-D_GNU_SOURCE", "-static", "-o", out, *srcs],
                       capture_output=True, text=True)
    if r.returncode:
        pytest.exit(f"cannot build testinit: {r.stderr}", 2)
    return out


def sweep_stale():
    """Remove what earlier sessions that were killed before their teardown
    left: /tmp/cella-it-<pid> and the cgroup parents cella-test-<pid> of pids
    that no longer exist. Only empty cgroups go (rmdir), and a tmp tree that
    a live process still uses (root or cwd inside it) is kept."""
    for name in os.listdir("/tmp"):
        m = re.fullmatch(r"cella-it-(\d+)", name)
        if m and not os.path.exists(f"/proc/{m[1]}"):
            d = os.path.join("/tmp", name)
            if not itlib.procs_in(d):
                unmount_under(d)
                shutil.rmtree(d, ignore_errors=True)
    for h in itlib.cg_hierarchies():
        for name in os.listdir(h):
            m = re.fullmatch(r"cella-test-(\d+)", name)
            if m and not os.path.exists(f"/proc/{m[1]}"):
                itlib.rmdir_tree_under(h, name)


@pytest.fixture(scope="session")
def tmp_base():
    sweep_stale()
    # Our own tree (0755) rather than pytest's 0700 tmp: the rootless test's
    # unprivileged user must reach its bundle.
    base = f"/tmp/cella-it-{os.getpid()}"
    os.makedirs(base, mode=0o755, exist_ok=True)
    os.chmod(base, 0o755)
    yield base
    unmount_under(base)
    shutil.rmtree(base, ignore_errors=True)
    itlib.rm_cgroup_parent()


def unmount_under(path):
    """Lazily unmount anything still mounted below path (deepest first)."""
    with open("/proc/self/mountinfo") as f:
        mps = [line.split()[4] for line in f]
    for mp in sorted((m for m in mps if m == path or m.startswith(path + "/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], capture_output=True)


@pytest.fixture
def workdir(tmp_base, request):
    d = os.path.join(tmp_base, f"{request.node.name[:40]}-{os.urandom(3).hex()}")
    os.makedirs(d, mode=0o755)
    yield d
    unmount_under(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def rt(runtime_bin, workdir):
    state = os.path.join(workdir, "state")
    os.makedirs(state, mode=0o700)
    r = itlib.Runtime(runtime_bin, state, workdir)
    yield r
    r.cleanup()


@pytest.fixture
def make_bundle(workdir, testinit):
    """make_bundle(*args, tag=...) -> Bundle with a busybox+testinit rootfs, a
    config from `runc spec` (terminal off, writable root), a fresh id and an
    explicit cgroupsPath under the test-owned parent."""
    n = [0]

    def make(*args, tag="c"):
        n[0] += 1
        cid = itlib.new_id(tag)
        d = os.path.join(workdir, f"b{n[0]}")
        os.makedirs(d, mode=0o755)
        b = itlib.Bundle(d, cid)
        itlib.make_rootfs(b.rootfs, testinit)
        b.config["root"]["readonly"] = False
        b.config["hostname"] = "cella-test"
        b.config["linux"]["cgroupsPath"] = itlib.cgroups_path(cid)
        b.args(*(args or ("/testinit", "report")))
        b.save()
        return b

    return make


@pytest.fixture
def bundle(make_bundle):
    return make_bundle()
