"""config.json mounts: bind/rbind with options and propagation, tmpfs size,
the pseudo filesystems, and the rootfs's own propagation."""
import errno
import os
import shutil
import subprocess

import pytest

from itlib import last_json


def mounts_at(rep, dest):
    """mountinfo entries (fields split) mounted at dest, in order."""
    out = []
    for line in rep["mountinfo"]:
        f = line.split()
        if f[4] == dest:
            sep = f.index("-")
            out.append({"opts": set(f[5].split(",")), "optional": f[6:sep], "fstype": f[sep + 1],
                        "source": f[sep + 2], "super": set(f[sep + 3].split(","))})
    return out


def run_lines(rt, bundle):
    r = rt.run(bundle.id, bundle)
    assert r.returncode == 0, r.stderr
    return [last_json(x) for x in r.stdout.strip().splitlines() if x.strip().startswith("{")]


def host_dir(bundle, name, files=()):
    d = os.path.join(bundle.dir, name)
    os.makedirs(d)
    for f in files:
        with open(os.path.join(d, f), "w") as fh:
            fh.write(f"content of {f}\n")
    return d


def test_bind_ro_nosuid_nodev_noexec(rt, bundle, testinit):
    src = host_dir(bundle, "data", ["file"])
    shutil.copy2(testinit, os.path.join(src, "exe"))
    bundle.config["mounts"].append({"destination": "/data", "type": "bind", "source": src,
                                    "options": ["bind", "ro", "nosuid", "nodev", "noexec"]})
    bundle.args("/bin/sh", "-c", "/testinit report; /testinit write /data/new x; /testinit read /data/file;"
                " /data/exe exit 0 2>/dev/null; echo \"{\\\"exec_rc\\\": $?}\"")
    rep, wr, rd, ex = run_lines(rt, bundle)
    m = mounts_at(rep, "/data")
    assert m, "no mount at /data"
    assert {"ro", "nosuid", "nodev", "noexec"} <= m[-1]["opts"]
    assert wr["errno"] == errno.EROFS
    assert rd["data"] == "content of file\n"
    assert ex["exec_rc"] == 126  # sh: permission denied (noexec)
    assert not os.path.exists(os.path.join(src, "new"))


def test_bind_rw_writes_reach_host(rt, bundle):
    src = host_dir(bundle, "data")
    bundle.config["mounts"].append({"destination": "/data", "type": "bind", "source": src,
                                    "options": ["rbind", "rw"]})
    bundle.args("/testinit", "write", "/data/from-container", "hi")
    run_lines(rt, bundle)
    assert open(os.path.join(src, "from-container")).read() == "hi"


def test_bind_file(rt, bundle):
    src = os.path.join(bundle.dir, "hostfile")
    with open(src, "w") as f:
        f.write("single file\n")
    bundle.config["mounts"].append({"destination": "/etc/bound", "type": "bind", "source": src,
                                    "options": ["bind", "ro"]})
    bundle.args("/testinit", "read", "/etc/bound")
    assert run_lines(rt, bundle)[0]["data"] == "single file\n"


def test_bind_creates_missing_target(rt, bundle):
    src = host_dir(bundle, "data", ["f"])
    bundle.config["mounts"].append({"destination": "/deep/new/dir", "type": "bind", "source": src,
                                    "options": ["rbind"]})
    bundle.args("/testinit", "read", "/deep/new/dir/f")
    assert run_lines(rt, bundle)[0]["data"] == "content of f\n"


@pytest.mark.parametrize("kind", ["bind", "rbind"])
def test_bind_vs_rbind_submounts(rt, bundle, kind):
    src = host_dir(bundle, "data")
    sub = os.path.join(src, "sub")
    os.makedirs(sub)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "subtmp", sub], check=True)
    with open(os.path.join(sub, "inside-submount"), "w") as f:
        f.write("x")
    bundle.config["mounts"].append({"destination": "/data", "type": "bind", "source": src,
                                    "options": [kind]})
    bundle.args("/testinit", "stat", "/data/sub/inside-submount")
    st = run_lines(rt, bundle)[0]["/data/sub/inside-submount"]
    if kind == "rbind":
        assert st.get("type") == "f"
    else:
        assert st.get("errno") == errno.ENOENT


@pytest.mark.parametrize("prop,expect_seen", [("rslave", True), ("rprivate", False)])
def test_bind_propagation(rt, bundle, prop, expect_seen):
    """A mount made on the host under a shared source after start reaches the
    container with rslave and does not with rprivate."""
    src = host_dir(bundle, "shared-src")
    subprocess.run(["mount", "--bind", src, src], check=True)
    subprocess.run(["mount", "--make-shared", src], check=True)
    bundle.add_out()
    bundle.config["mounts"].append({"destination": "/data", "type": "bind", "source": src,
                                    "options": ["rbind", prop]})
    bundle.args("/bin/sh", "-c", "while [ ! -e /out/go ]; do /testinit sleep 0.02; done;"
                " /testinit stat /data/late/file > /out/result.json.tmp; mv /out/result.json.tmp /out/result.json")
    rt.create(bundle.id, bundle)
    rt.start(bundle.id)
    late = os.path.join(src, "late")
    os.makedirs(late)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "late", late], check=True)
    with open(os.path.join(late, "file"), "w") as f:
        f.write("x")
    open(os.path.join(bundle.out, "go"), "w").close()
    st = bundle.out_json("result.json")["/data/late/file"]
    assert (st.get("type") == "f") == expect_seen, st


def test_tmpfs_size_and_mode(rt, bundle):
    bundle.config["mounts"].append({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
                                    "options": ["nosuid", "nodev", "size=1m", "mode=1770"]})
    bundle.args("/bin/sh", "-c", "/testinit report; /testinit stat /scratch")
    rep, st = run_lines(rt, bundle)
    m = mounts_at(rep, "/scratch")
    assert m and m[-1]["fstype"] == "tmpfs"
    assert "size=1024k" in m[-1]["super"]
    assert {"nosuid", "nodev"} <= m[-1]["opts"]
    assert st["/scratch"]["mode"] == 0o1770


def test_tmpfs_size_enforced(rt, bundle):
    bundle.config["mounts"].append({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
                                    "options": ["size=64k"]})
    bundle.args("/bin/sh", "-c", "dd if=/dev/zero of=/scratch/big bs=1k count=200 2>/dev/null;"
                " echo \"{\\\"rc\\\": $?}\"")
    assert run_lines(rt, bundle)[0]["rc"] != 0


def test_pseudo_filesystems(rt, bundle):
    rep = run_lines(rt, bundle)[0]
    want = {"/proc": "proc", "/dev": "tmpfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs",
            "/dev/mqueue": "mqueue", "/sys": "sysfs"}
    for dest, fstype in want.items():
        m = mounts_at(rep, dest)
        assert m and m[-1]["fstype"] == fstype, (dest, m)
    assert "ro" in mounts_at(rep, "/sys")[-1]["opts"]
    assert {"nosuid", "noexec", "nodev"} <= mounts_at(rep, "/dev/mqueue")[-1]["opts"]
    cg = [line for line in rep["mountinfo"] if line.split()[4].startswith("/sys/fs/cgroup")]
    assert cg, "no cgroup filesystem under /sys/fs/cgroup"
    assert all(" - cgroup" in line or " - tmpfs" in line or " - cgroup2" in line for line in cg)


def test_mount_relatime_strictatime(rt, bundle):
    bundle.config["mounts"].append({"destination": "/t1", "type": "tmpfs", "source": "tmpfs",
                                    "options": ["strictatime"]})
    bundle.config["mounts"].append({"destination": "/t2", "type": "tmpfs", "source": "tmpfs",
                                    "options": ["noatime"]})
    rep = run_lines(rt, bundle)[0]
    assert "relatime" not in mounts_at(rep, "/t1")[-1]["opts"]
    assert "noatime" in mounts_at(rep, "/t2")[-1]["opts"]


@pytest.mark.parametrize("prop,tag", [("shared", "shared:"), ("private", None)])
def test_rootfs_propagation(rt, bundle, prop, tag):
    bundle.linux["rootfsPropagation"] = prop
    rep = run_lines(rt, bundle)[0]
    root = mounts_at(rep, "/")
    assert root
    optional = " ".join(root[-1]["optional"])
    if tag:
        assert tag in optional, optional
    else:
        assert "shared:" not in optional and "master:" not in optional, optional
