"""Rootless: a non-root user makes a config with `spec --rootless` and runs
it with a user namespace (no cgroups)."""
import json
import os
import pwd
import shutil
import subprocess

import pytest

import itlib
from itlib import last_json


def userns_allowed():
    for p, bad in (("/proc/sys/kernel/unprivileged_userns_clone", "0"), ("/proc/sys/user/max_user_namespaces", "0")):
        try:
            if open(p).read().strip() == bad:
                return False
        except FileNotFoundError:
            pass
    return True


@pytest.fixture
def test_user():
    if not shutil.which("useradd") or not shutil.which("setpriv"):
        pytest.skip("useradd/setpriv missing")
    if not userns_allowed():
        pytest.skip("unprivileged user namespaces are disabled on this host")
    name = f"cit{os.getpid() % 100000}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/bin/sh", name],
                   check=True, capture_output=True)
    try:
        pw = pwd.getpwnam(name)
        probe = subprocess.run(["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups",
                                "unshare", "-U", "-r", "true"], capture_output=True, text=True)
        if probe.returncode != 0:
            pytest.skip(f"unprivileged user namespaces unusable here: {probe.stderr.strip()}")
        yield pw
    finally:
        subprocess.run(["userdel", name], capture_output=True)


def as_user(pw, cmd, cwd, timeout=30):
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": cwd, "USER": pw.pw_name,
           "XDG_RUNTIME_DIR": os.path.join(cwd, "xdg")}
    return subprocess.run(["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups",
                           "--inh-caps=-all", "--bounding-set=-all", *cmd],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def test_rootless_spec_and_run(rt, workdir, testinit, test_user):
    pw = test_user
    home = os.path.join(workdir, "rootless")
    bundle = os.path.join(home, "bundle")
    os.makedirs(os.path.join(home, "xdg"))
    os.makedirs(bundle)
    itlib.make_rootfs(os.path.join(bundle, "rootfs"), testinit)
    for d, dirs, files in os.walk(home):
        for x in [d] + [os.path.join(d, f) for f in dirs + files]:
            os.lchown(x, pw.pw_uid, pw.pw_gid)
    r = as_user(pw, [rt.path, "spec", "--rootless"], bundle)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(bundle, "config.json")) as f:
        cfg = json.load(f)
    nstypes = {n["type"] for n in cfg["linux"]["namespaces"]}
    assert "user" in nstypes
    if "uidMappings" in cfg["linux"]:  # crun leaves them to run time
        assert cfg["linux"]["uidMappings"][0]["hostID"] == pw.pw_uid
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = ["/bin/sh", "-c", "/testinit report; cat /proc/self/uid_map"]
    # No cgroupsPath: a rootless runtime uses no cgroups unless it was
    # delegated a writable v2 subtree (not the case on this host).
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(cfg, f)
    state = os.path.join(home, "state")
    cid = itlib.new_id("rootless")
    r = as_user(pw, [rt.path, "--root", state, "run", "--bundle", bundle, cid], bundle)
    try:
        assert r.returncode == 0, r.stderr
        rep = last_json(r.stdout.splitlines()[0])
        assert rep["uid"] == 0 and rep["ppid"] == 1  # sh is pid 1 of a new pid namespace
        assert rep["ns"]["user"] != os.readlink("/proc/self/ns/user")
        assert r.stdout.splitlines()[1].split() == ["0", str(pw.pw_uid), "1"]
    finally:
        as_user(pw, [rt.path, "--root", state, "delete", "--force", cid], bundle)
