"""Devices, default devices, maskedPaths, readonlyPaths, sysctl, pivot_root
and --no-pivot."""
import errno
import os

import pytest

from itlib import last_json


def lines(rt, bundle, *extra):
    r = rt.run(bundle.id, bundle, *extra)
    assert r.returncode == 0, f"rc={r.returncode} stderr={r.stderr}"
    return [last_json(x) for x in r.stdout.strip().splitlines() if x.strip().startswith("{")]


def test_devices_created(rt, bundle):
    bundle.linux["devices"] = [
        {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o640, "uid": 1234, "gid": 2345},
        {"path": "/dev/sub/myzero", "type": "c", "major": 1, "minor": 5, "fileMode": 0o600, "uid": 0, "gid": 0},
    ]
    bundle.linux["resources"]["devices"].append({"allow": True, "type": "c", "major": 1, "minor": 3,
                                                 "access": "rwm"})
    bundle.args("/bin/sh", "-c", "/testinit stat /dev/mynull /dev/sub/myzero; echo x > /dev/sub/myzero;"
                " echo \"{\\\"rc\\\": $?}\"")
    st, wr = lines(rt, bundle)
    d = st["/dev/mynull"]
    assert (d["type"], d["major"], d["minor"]) == ("c", 1, 3)
    assert (d["mode"], d["uid"], d["gid"]) == (0o640, 1234, 2345)
    z = st["/dev/sub/myzero"]
    assert (z["type"], z["major"], z["minor"], z["mode"]) == ("c", 1, 5, 0o600)
    assert wr["rc"] == 0


DEFAULT_DEVS = {"/dev/null": (1, 3), "/dev/zero": (1, 5), "/dev/full": (1, 7), "/dev/random": (1, 8),
                "/dev/urandom": (1, 9), "/dev/tty": (5, 0)}


def test_default_devices(rt, bundle):
    bundle.args("/bin/sh", "-c", "/testinit stat " + " ".join(DEFAULT_DEVS) +
                " /dev/ptmx /dev/pts /dev/shm /dev/fd /dev/stdin /dev/stdout /dev/stderr;"
                " head -c 4 /dev/zero | od -An -tx1 > /dev/null && echo x > /dev/null &&"
                " head -c 8 /dev/urandom > /dev/null; echo \"{\\\"rc\\\": $?}\"")
    st, io = lines(rt, bundle)
    for p, (maj, mnr) in DEFAULT_DEVS.items():
        assert st[p].get("type") == "c" and (st[p]["major"], st[p]["minor"]) == (maj, mnr), (p, st[p])
        assert st[p]["mode"] == 0o666, (p, oct(st[p]["mode"]))
    assert st["/dev/ptmx"].get("type") in ("c", "l")
    assert st["/dev/pts"].get("type") == "d" and st["/dev/shm"].get("type") == "d"
    assert st["/dev/fd"] == {**st["/dev/fd"], "type": "l", "target": "/proc/self/fd"}
    for i, n in enumerate(("stdin", "stdout", "stderr")):
        assert st[f"/dev/{n}"].get("target") == f"/proc/self/fd/{i}", n
    assert io["rc"] == 0


def test_no_host_devices(rt, bundle):
    bundle.args("/testinit", "stat", "/dev/sda", "/dev/vda", "/dev/kmsg", "/dev/mem")
    st = lines(rt, bundle)[0]
    assert all(v.get("errno") == errno.ENOENT for v in st.values()), st


def test_masked_paths(rt, bundle):
    with open(os.path.join(bundle.rootfs, "etc", "secret"), "w") as f:
        f.write("top secret\n")
    os.makedirs(os.path.join(bundle.rootfs, "secretdir"))
    with open(os.path.join(bundle.rootfs, "secretdir", "inner"), "w") as f:
        f.write("x")
    bundle.linux["maskedPaths"] += ["/etc/secret", "/secretdir", "/does/not/exist"]
    bundle.args("/bin/sh", "-c", "/testinit read /etc/secret; /testinit read /proc/kcore;"
                " /testinit stat /secretdir/inner; /testinit write /etc/secret y; ls -A /proc/acpi | wc -l")
    r = rt.run(bundle.id, bundle)
    assert r.returncode == 0, r.stderr
    out = r.stdout.strip().splitlines()
    secret, kcore, inner, _ = (last_json(x) for x in out[:4])
    assert secret["ok"] and secret["data"] == ""
    assert kcore["data"] in ("", None)
    assert inner["/secretdir/inner"].get("errno") == errno.ENOENT
    assert out[4].strip() == "0"
    assert open(os.path.join(bundle.rootfs, "etc", "secret")).read() == "top secret\n"


def test_readonly_paths(rt, bundle):
    os.makedirs(os.path.join(bundle.rootfs, "rodir"))
    bundle.linux["readonlyPaths"] += ["/rodir"]
    bundle.args("/bin/sh", "-c", "/testinit write /rodir/x y; /testinit write /proc/sys/kernel/hostname z;"
                " /testinit write /tmp/ok y")
    rodir, sysctl, ok = lines(rt, bundle)
    assert rodir["errno"] == errno.EROFS
    assert sysctl["errno"] == errno.EROFS
    assert ok["errno"] == 0


def test_sysctl_in_new_netns(rt, bundle):
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        host = f.read()
    bundle.linux["sysctl"] = {"net.ipv4.ip_forward": "1", "net.ipv4.conf.all.forwarding": "1",
                              "kernel.shmmax": "123456789"}
    bundle.linux["readonlyPaths"] = []
    bundle.args("/bin/sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax")
    r = rt.run(bundle.id, bundle)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "123456789"]
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        assert f.read() == host, "the host's sysctl changed"


def test_sysctl_net_without_netns_refused(rt, bundle):
    # Setting a net.* sysctl while sharing the host's network namespace would
    # change the host: runtimes refuse it.
    bundle.ns("network", remove=True)
    bundle.linux["sysctl"] = {"net.ipv4.ip_forward": "1"}
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        host = f.read()
    r = rt.run(bundle.id, bundle)
    assert r.returncode != 0 and r.stderr.strip()
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        assert f.read() == host


@pytest.mark.parametrize("pivot", [True, False], ids=["pivot_root", "no-pivot"])
def test_pivot_root_and_no_pivot(rt, bundle, pivot):
    bundle.args("/bin/sh", "-c", "/testinit report; /testinit read /etc/passwd; /testinit stat /work /bundle-marker")
    open(os.path.join(bundle.rootfs, "bundle-marker"), "w").close()
    rep, passwd, st = lines(rt, bundle, *([] if pivot else ["--no-pivot"]))
    assert "tester:x:1234" in passwd["data"], "/ is not the rootfs"
    assert st["/bundle-marker"].get("type") == "f"
    assert st["/work"].get("errno") == errno.ENOENT
    # No mount outside the container's root is visible.
    for line in rep["mountinfo"]:
        assert os.path.realpath(bundle.dir) not in line.split()[4], line
    roots = [line for line in rep["mountinfo"] if line.split()[4] == "/"]
    assert roots, "no root mount"
