"""Bad input: a clear error, and nothing left behind after a failed create
(no state, cgroup, process, or mount). Checks of cella's exact wording are
separate tests marked cella_specific (skipped for peers)."""
import os
import re

import pytest

import itlib
from itlib import Leftovers, procs_in

MALFORMED = '{\n  "ociVersion": "1.0.2",\n  "process": ]\n}\n'


def failed_create(rt, bundle, cid=None):
    cid = bundle.id if cid is None else cid
    snap = Leftovers(rt, bundle, cid)
    before = set(os.listdir(rt.tmp))
    r = rt.create(cid, bundle, check=False)
    assert r.returncode != 0, "create must fail"
    assert 0 < r.returncode < 128, f"create died from a signal? rc={r.returncode}"
    assert r.stderr.strip(), "no error message on stderr"
    snap.check()
    assert set(os.listdir(rt.tmp)) - before == set(), "files created next to --root"
    return r


def test_malformed_json(rt, bundle):
    bundle.write_config_text(MALFORMED)
    r = failed_create(rt, bundle)
    assert re.search(r"json|invalid character|parse|unexpected|syntax", r.stderr, re.I), r.stderr


@pytest.mark.cella_specific
def test_malformed_json_position(rt, bundle):
    bundle.write_config_text(MALFORMED)
    r = failed_create(rt, bundle)
    assert "config.json:3:14" in r.stderr, r.stderr


def test_empty_config(rt, bundle):
    bundle.write_config_text("")
    failed_create(rt, bundle)


def test_missing_config(rt, bundle):
    os.unlink(os.path.join(bundle.dir, "config.json"))
    bundle.frozen = True
    r = failed_create(rt, bundle)
    assert "config.json" in r.stderr


def test_wrong_type(rt, bundle):
    bundle.process["user"]["uid"] = "zero"
    r = failed_create(rt, bundle)
    assert "uid" in r.stderr.lower() or "unmarshal" in r.stderr.lower(), r.stderr


@pytest.mark.cella_specific
@pytest.mark.parametrize("mutate,path", [
    (lambda c: c["process"]["user"].__setitem__("uid", "zero"), "process.user.uid"),
    (lambda c: c["process"].__setitem__("args", "sh"), "process.args"),
    (lambda c: c["linux"]["namespaces"].__setitem__(1, {"type": 5}), "linux.namespaces[1].type"),
    (lambda c: c["mounts"][0].__setitem__("options", [1]), "mounts[0].options[0]"),
], ids=["uid", "args", "ns-type", "mount-option"])
def test_wrong_type_names_json_path(rt, bundle, mutate, path):
    mutate(bundle.config)
    r = failed_create(rt, bundle)
    assert path in r.stderr, r.stderr


def test_unknown_namespace_type(rt, bundle):
    bundle.linux["namespaces"].append({"type": "bogusns"})
    r = failed_create(rt, bundle)
    assert "bogusns" in r.stderr or "namespace" in r.stderr.lower(), r.stderr


def test_missing_rootfs(rt, bundle):
    bundle.config["root"]["path"] = "no-such-rootfs"
    r = failed_create(rt, bundle)
    assert "no-such-rootfs" in r.stderr or "no such file" in r.stderr.lower(), r.stderr


def test_missing_args(rt, bundle):
    del bundle.process["args"]
    failed_create(rt, bundle)


def test_relative_cwd(rt, bundle):
    bundle.process["cwd"] = "relative/dir"
    failed_create(rt, bundle)


@pytest.mark.parametrize("bad", ["a/b", "..", "../escape", "ctl\x01char", "new\nline", ""],
                         ids=["slash", "dotdot", "dotdot-slash", "control", "newline", "empty"])
def test_bad_container_id(rt, bundle, bad):
    failed_create(rt, bundle, cid=bad)
    assert not os.path.exists(os.path.join(rt.tmp, "escape"))


def test_duplicate_id(rt, make_bundle):
    a = make_bundle("/testinit", "sleep", "60")
    rt.create(a.id, a)
    pid = rt.state(a.id)["pid"]
    b = make_bundle("/testinit", "sleep", "60")
    mounts = itlib.mountinfo_set()
    entries = sorted(os.listdir(rt.root))
    r = rt.create(a.id, b, check=False)
    assert r.returncode != 0 and r.stderr.strip()
    assert a.id in r.stderr or "exist" in r.stderr.lower(), r.stderr
    st = rt.state(a.id)
    assert st["pid"] == pid and st["status"] == "created"
    assert os.path.realpath(st["bundle"]) == os.path.realpath(a.dir)
    assert not procs_in(b.dir), "a process was started from the second bundle"
    assert itlib.mountinfo_set() == mounts
    assert sorted(os.listdir(rt.root)) == entries
    assert rt.list_ids() == [a.id]


def test_args0_does_not_exist(rt, bundle):
    bundle.args("/no/such/program", "x")
    r = rt.create(bundle.id, bundle, check=False)
    if r.returncode == 0:
        # Some runtimes only find out at start: then start fails.
        s = rt.start(bundle.id, check=False)
        assert s.returncode != 0 or rt.wait_status(bundle.id, "stopped")
        msg = s.stderr + bundle.stderr()
    else:
        msg = r.stderr
        assert not procs_in(bundle.dir)
    assert "/no/such/program" in msg or "no such file" in msg.lower(), msg


def test_args0_does_not_exist_run_exit_code(rt, bundle):
    bundle.args("/no/such/program")
    r = rt.run(bundle.id, bundle)
    assert r.returncode != 0
    assert "/no/such/program" in r.stderr or "no such file" in r.stderr.lower(), r.stderr


def test_args0_not_executable(rt, bundle):
    with open(os.path.join(bundle.rootfs, "notexec"), "w") as f:
        f.write("#!/bin/sh\necho hi\n")
    bundle.args("/notexec")
    r = rt.run(bundle.id, bundle)
    assert r.returncode != 0
    assert "permission denied" in r.stderr.lower() or "/notexec" in r.stderr, r.stderr


@pytest.mark.parametrize("style", ["absolute", "relative"])
def test_mount_target_symlink_out_of_rootfs(rt, bundle, style):
    """The destination goes through a symlink that points at a host path: the
    mount must land inside the rootfs (or create must fail); the host path
    stays untouched."""
    hostside = os.path.join(bundle.dir, "hostside")
    os.makedirs(hostside)
    target = os.path.join(hostside, "newdir")
    link = os.path.join(bundle.rootfs, "evil")
    if style == "absolute":
        os.symlink(target, link)
    else:
        os.symlink("../" * 12 + target.lstrip("/"), link)
    src = os.path.join(bundle.dir, "src")
    os.makedirs(src)
    bundle.config["mounts"].append({"destination": "/evil/sub", "type": "bind", "source": src,
                                    "options": ["rbind", "rw"]})
    bundle.args("/bin/sh", "-c", "echo pwned > /evil/sub/file; echo pwned > /evil/file2")
    mounts_before = open("/proc/self/mountinfo").read()
    r = rt.run(bundle.id, bundle)
    assert os.listdir(hostside) == [], f"host path touched: {os.listdir(hostside)} (rc={r.returncode})"
    assert hostside not in open("/proc/self/mountinfo").read() or hostside in mounts_before
    if r.returncode == 0:
        # It landed inside the rootfs, where the symlink resolves when / is the rootfs.
        assert os.path.exists(os.path.join(src, "file"))
        assert os.path.isdir(os.path.join(bundle.rootfs, target.lstrip("/")))


def state_files(root):
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            if os.path.isfile(p) and not os.path.islink(p):
                yield p


def test_unreadable_state_file(rt, bundle):
    bundle.args("/testinit", "sleep", "60")
    rt.create(bundle.id, bundle)
    pid = rt.state(bundle.id)["pid"]
    rt.pids.append(pid)  # teardown kills it by pid if delete cannot
    corrupted = 0
    for p in state_files(rt.root):
        with open(p, "w") as f:
            f.write("{garbage")
        corrupted += 1
    assert corrupted, "no state file under --root"
    r = rt("state", bundle.id)
    assert 0 < r.returncode < 128 and r.stderr.strip(), (r.returncode, r.stderr)
    d = rt("delete", bundle.id)
    assert d.returncode < 128, f"delete crashed: rc={d.returncode} {d.stderr}"
    if d.returncode != 0:
        assert d.stderr.strip(), "delete failed without a message"
    else:
        # A delete that succeeds must really remove the container.
        assert rt("state", bundle.id).returncode != 0
    lst = rt("list")
    assert lst.returncode < 128


def test_empty_state_file(rt, bundle):
    bundle.args("/testinit", "sleep", "60")
    rt.create(bundle.id, bundle)
    rt.pids.append(rt.state(bundle.id)["pid"])
    for p in state_files(rt.root):
        open(p, "w").close()
    r = rt("state", bundle.id)
    assert 0 < r.returncode < 128 and r.stderr.strip()
