"""Fixtures for the cgroup manager's integration tests (src/cgroup).

They drive tests/integration/cgroup/cgtool (one verb per run, the manager
carried between runs as its JSON state) as root, inside scripts/masked-ns on
the development hosts. Every test works under a test-owned parent
(/cella-test-<pid>-<n>) that the `cg` fixture removes afterwards, in every
hierarchy, whatever the test left there.
"""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)
from cglib import Cg  # noqa: E402


def build_dir():
    return os.environ.get("CELLA_BUILD", os.path.join(ROOT, "build"))


def v1_memory_mounted():
    """A real v1 memory hierarchy at /sys/fs/cgroup/memory (not masked-ns's tmpfs)."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            dash = fields.index("-")
            if fields[4] == "/sys/fs/cgroup/memory" and fields[dash + 1] == "cgroup":
                return "memory" in fields[dash + 3].split(",")
    return False


@pytest.fixture(scope="session")
def cgtool(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("cgroup integration tests run as root")
    # /sys/fs/cgroup/memory belongs to the machine's supervisor (MACHINE-NOTES):
    # never run where we could create cgroups in it. A VM guest that owns its
    # memory hierarchy says so with CELLA_OWN_MEMORY_CGROUP=1.
    if v1_memory_mounted() and os.environ.get("CELLA_OWN_MEMORY_CGROUP") != "1":
        pytest.exit("run inside scripts/masked-ns: the v1 memory hierarchy must be masked (MACHINE-NOTES)", 2)
    built = os.path.join(build_dir(), "tests", "integration", "cgroup", "cgtool")
    if os.access(built, os.X_OK):
        return built
    # Not built by meson (the subdir line is not in tests/integration/meson.build
    # yet): link it from the built libraries.
    b = build_dir()
    libs = [os.path.join(b, "src", d, f"libcella-{d}.a") for d in ("cgroup", "oci", "base")]
    for lib in libs:
        if not os.path.exists(lib):
            pytest.skip(f"{lib} not built (ninja -C {b})")
    out = str(tmp_path_factory.mktemp("cgtool") / "cgtool")
    r = subprocess.run(["cc", "-std=gnu11", "-O2", "-D_GNU_SOURCE", "-I", os.path.join(ROOT, "src"), "-o", out,
                        os.path.join(HERE, "cgtool.c"), *libs, "-ljansson", "-lcap", "-lseccomp", "-lcrypto"],
                       capture_output=True, text=True)
    if r.returncode:
        pytest.exit(f"cannot build cgtool: {r.stderr}", 2)
    return out


@pytest.fixture(scope="session")
def host(cgtool):
    r = subprocess.run([cgtool, "detect"], capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


@pytest.fixture
def cg(cgtool, host, tmp_path):
    c = Cg(cgtool, host, tmp_path)
    yield c
    c.cleanup()
    assert not c.leftovers(), f"test left cgroups behind: {c.leftovers()}"
