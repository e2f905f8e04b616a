"""linux.namespaces: each type new, left out (shared with the host), joined
by path; user namespaces with mappings; time namespace offsets."""
import os
import subprocess
import time

import pytest

from itlib import last_json

ALL = {"pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts", "mount": "mnt", "cgroup": "cgroup"}


def report(rt, bundle):
    r = rt.run(bundle.id, bundle)
    assert r.returncode == 0, f"rc={r.returncode} stderr={r.stderr}"
    return last_json(r.stdout)


def host_ns(name):
    return os.readlink(f"/proc/self/ns/{name}")


def test_every_namespace_new(rt, bundle):
    for t in ALL:
        bundle.ns(t)
    rep = report(rt, bundle)
    for t, n in ALL.items():
        assert rep["ns"][n] != host_ns(n), f"{t} namespace is the host's"
    assert rep["pid"] == 1


@pytest.mark.parametrize("kind", ["network", "ipc", "uts", "pid", "cgroup"])
def test_namespace_left_out_is_shared(rt, bundle, kind):
    for t in ALL:
        bundle.ns(t)
    bundle.ns(kind, remove=True)
    if kind == "uts":
        del bundle.config["hostname"]
    rep = report(rt, bundle)
    n = ALL[kind]
    assert rep["ns"][n] == host_ns(n)
    for other, on in ALL.items():
        if other != kind:
            assert rep["ns"][on] != host_ns(on), other


def test_cgroup_namespace_root(rt, bundle):
    bundle.ns("cgroup")
    rep = report(rt, bundle)
    # Inside a new cgroup namespace the container's own cgroup reads as "/".
    paths = {line.split(":", 2)[2] for line in rep["cgroup"]}
    assert paths == {"/"}, rep["cgroup"]


@pytest.fixture
def netns():
    name = f"cella-it-{os.getpid()}-{os.urandom(2).hex()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    yield name
    subprocess.run(["ip", "netns", "del", name], capture_output=True)


def test_join_network_namespace_by_path(rt, bundle, netns):
    path = f"/run/netns/{netns}"
    subprocess.run(["ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up"], check=True)
    bundle.ns("network", path=path)
    bundle.args("/bin/sh", "-c", "/testinit report; ip -o link show lo")
    r = rt.run(bundle.id, bundle)
    assert r.returncode == 0, r.stderr
    rep = last_json(r.stdout.splitlines()[0])
    st = os.stat(path)
    assert rep["ns"]["net"] == f"net:[{st.st_ino}]"
    assert "UP" in r.stdout.splitlines()[1]


def test_join_ipc_and_uts_of_another_container(rt, make_bundle):
    a = make_bundle("/testinit", "sleep", "60")
    a.config["hostname"] = "first"
    rt.create(a.id, a)
    rt.start(a.id)
    pid = rt.state(a.id)["pid"]
    b = make_bundle()
    b.ns("uts", path=f"/proc/{pid}/ns/uts")
    b.ns("ipc", path=f"/proc/{pid}/ns/ipc")
    del b.config["hostname"]
    rep = report(rt, b)
    assert rep["hostname"] == "first"
    assert rep["ns"]["uts"] == os.readlink(f"/proc/{pid}/ns/uts")
    assert rep["ns"]["ipc"] == os.readlink(f"/proc/{pid}/ns/ipc")


def test_join_path_of_wrong_type_fails(rt, bundle, netns):
    bundle.ns("ipc", path=f"/run/netns/{netns}")
    r = rt.run(bundle.id, bundle)
    assert r.returncode != 0 and r.stderr.strip()


def test_user_namespace_mappings(rt, bundle):
    base = 100000
    bundle.ns("user")
    bundle.linux["uidMappings"] = [{"containerID": 0, "hostID": base, "size": 65536}]
    bundle.linux["gidMappings"] = [{"containerID": 0, "hostID": base, "size": 65536}]
    # sysfs and the cgroup fs cannot be mounted from a user namespace that
    # does not own the network namespace: keep the config simple.
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["type"] not in ("sysfs", "cgroup")]
    bundle.process["user"] = {"uid": 0, "gid": 0}
    bundle.add_out()
    os.chown(bundle.out, base, base)
    bundle.args("/bin/sh", "-c", "/testinit report; cat /proc/self/uid_map /proc/self/gid_map;"
                " /testinit write /out/f x")
    r = rt.run(bundle.id, bundle)
    assert r.returncode == 0, r.stderr
    rep = last_json(r.stdout.splitlines()[0])
    assert rep["uid"] == 0 and rep["gid"] == 0
    assert rep["ns"]["user"] != host_ns("user")
    maps = [line.split() for line in r.stdout.splitlines()[1:3]]
    assert maps == [["0", str(base), "65536"]] * 2
    st = os.stat(os.path.join(bundle.out, "f"))
    assert (st.st_uid, st.st_gid) == (base, base), "container root must map to the host id"


@pytest.mark.skipif(not os.path.exists("/proc/self/ns/time"), reason="kernel has no time namespaces")
def test_time_namespace_offsets(rt, bundle):
    off = 10 * 86400
    bundle.ns("time")
    bundle.linux["timeOffsets"] = {"monotonic": {"secs": off, "nanosecs": 0},
                                   "boottime": {"secs": 2 * off, "nanosecs": 0}}
    host_mono = time.clock_gettime(time.CLOCK_MONOTONIC)
    host_boot = time.clock_gettime(time.CLOCK_BOOTTIME)
    rep = report(rt, bundle)
    assert rep["ns"]["time"] != host_ns("time")
    assert off - 1 <= rep["monotonic_s"] - host_mono < off + 30  # report truncates to seconds
    assert 2 * off - 1 <= rep["boottime_s"] - host_boot < 2 * off + 30
