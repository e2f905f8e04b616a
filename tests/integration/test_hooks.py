"""Hooks: each runs at its point, with the state JSON on stdin, args and env,
in the right mount namespace; timeouts and failures fail the operation."""
import json
import os
import time

import pytest

from itlib import Leftovers, read

SCRIPT = ('cat > "$D/$N.json"; readlink /proc/self/ns/mnt > "$D/$N.mnt"; echo "$0 $@" > "$D/$N.args";'
          ' env > "$D/$N.env"; echo "$N" >> "$D/order"')
HOST_HOOKS = ("prestart", "createRuntime", "createContainer", "poststart", "poststop")


def hook(name, d, path="/bin/sh"):
    return {"path": path, "args": ["sh", "-c", SCRIPT, "arg0", "a1", "a 2"],
            "env": [f"D={d}", f"N={name}", "HOOKVAR=hook-value", "PATH=/usr/bin:/bin"], "timeout": 10}


def order(out):
    return read(os.path.join(out, "order")).split()


def hook_state(out, name):
    with open(os.path.join(out, f"{name}.json")) as f:
        return json.load(f)


class Run:
    """One full lifecycle with every hook: what each hook saw, and when."""


@pytest.fixture
def hooked(rt, bundle):
    out = bundle.add_out()
    bundle.args("/testinit", "signal-exit")
    hooks = {n: [hook(n, out)] for n in HOST_HOOKS}
    # startContainer's path resolves in the container (busybox sh) and it
    # writes through the /out bind mount.
    hooks["startContainer"] = [hook("startContainer", "/out")]
    bundle.config["hooks"] = hooks
    run = Run()
    run.out = out
    rt.create(bundle.id, bundle)
    run.after_create = order(out)
    run.pid = rt.state(bundle.id)["pid"]
    run.cmnt = os.readlink(f"/proc/{run.pid}/ns/mnt")
    run.hmnt = os.readlink("/proc/self/ns/mnt")
    rt.start(bundle.id)
    end = time.monotonic() + 5
    while "startContainer" not in order(out) and time.monotonic() < end:
        time.sleep(0.02)
    time.sleep(0.1)
    run.after_start = order(out)
    rt("kill", bundle.id, "TERM", check=True)
    rt.wait_status(bundle.id, "stopped")
    run.after_stop = order(out)
    rt("delete", bundle.id, check=True)
    run.after_delete = order(out)
    run.id, run.bundle = bundle.id, bundle
    return run


def test_hooks_run_at_their_points(hooked):
    assert sorted(hooked.after_create) == ["createContainer", "createRuntime", "prestart"], hooked.after_create
    o = hooked.after_create
    assert o.index("createRuntime") < o.index("createContainer")
    assert o.index("prestart") < o.index("createContainer")
    assert hooked.after_start[3:] == ["startContainer", "poststart"], hooked.after_start
    assert "poststop" not in hooked.after_stop
    assert hooked.after_delete[-1] == "poststop", hooked.after_delete
    assert len(hooked.after_delete) == 6


def test_hooks_mount_namespaces(hooked):
    def mnt(n):
        return read(os.path.join(hooked.out, f"{n}.mnt")).strip()
    for n in ("prestart", "createRuntime", "poststart", "poststop"):
        assert mnt(n) == hooked.hmnt, f"{n} ran outside the runtime's mount namespace"
    for n in ("createContainer", "startContainer"):
        assert mnt(n) == hooked.cmnt, f"{n} did not run in the container's mount namespace"


def test_hooks_state_on_stdin(hooked):
    for n in HOST_HOOKS + ("startContainer",):
        st = hook_state(hooked.out, n)
        assert st["id"] == hooked.id, n
        assert st["ociVersion"].startswith("1."), n
        assert os.path.realpath(st["bundle"]) == os.path.realpath(hooked.bundle.dir), n
    assert hook_state(hooked.out, "createRuntime")["status"] in ("creating", "created")
    assert hook_state(hooked.out, "createContainer")["status"] in ("creating", "created")
    assert hook_state(hooked.out, "startContainer")["status"] in ("created", "running")
    assert hook_state(hooked.out, "poststart")["status"] in ("created", "running")
    assert hook_state(hooked.out, "poststop")["status"] == "stopped"


def test_hooks_state_pid_is_runtime_namespace_pid(hooked):
    # The spec: pid is the container process's id as the runtime sees it.
    for n in ("prestart", "createRuntime", "createContainer", "startContainer", "poststart"):
        assert hook_state(hooked.out, n)["pid"] == hooked.pid, n


def test_hooks_args_and_env(hooked):
    for n in HOST_HOOKS + ("startContainer",):
        assert read(os.path.join(hooked.out, f"{n}.args")).strip() == "arg0 a1 a 2", n
        env = read(os.path.join(hooked.out, f"{n}.env")).splitlines()
        assert "HOOKVAR=hook-value" in env, n


def test_hook_env_is_only_what_config_says(rt, bundle):
    out = bundle.add_out()
    bundle.config["hooks"] = {"createRuntime": [hook("createRuntime", out)]}
    os.environ["CELLA_IT_SECRET"] = "1"
    try:
        rt.create(bundle.id, bundle)
    finally:
        del os.environ["CELLA_IT_SECRET"]
    env = read(os.path.join(out, "createRuntime.env"))
    assert "CELLA_IT_SECRET" not in env and "HOOKVAR=hook-value" in env


@pytest.mark.parametrize("kind", ["createRuntime", "prestart"])
def test_hook_timeout_fails_create(rt, bundle, kind):
    bundle.config["hooks"] = {kind: [{"path": "/bin/sh", "args": ["sh", "-c", "exec sleep 30"],
                                      "timeout": 1}]}
    snap = Leftovers(rt, bundle, bundle.id)
    t0 = time.monotonic()
    r = rt.create(bundle.id, bundle, check=False)
    took = time.monotonic() - t0
    assert r.returncode != 0, "a hook past its timeout must fail create"
    assert took < 10, f"create took {took:.1f}s with a 1s hook timeout"
    assert r.stderr.strip()
    snap.check()


def test_failing_create_runtime_hook_leaves_nothing(rt, bundle):
    bundle.config["hooks"] = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]}
    snap = Leftovers(rt, bundle, bundle.id)
    r = rt.create(bundle.id, bundle, check=False)
    assert r.returncode != 0 and r.stderr.strip()
    snap.check()


def test_failing_create_container_hook_fails_create(rt, bundle):
    bundle.config["hooks"] = {"createContainer": [{"path": "/bin/false", "args": ["false"]}]}
    snap = Leftovers(rt, bundle, bundle.id)
    r = rt.create(bundle.id, bundle, check=False)
    assert r.returncode != 0
    snap.check()


def test_missing_hook_binary_fails_create(rt, bundle):
    bundle.config["hooks"] = {"createRuntime": [{"path": "/no/such/hook"}]}
    snap = Leftovers(rt, bundle, bundle.id)
    r = rt.create(bundle.id, bundle, check=False)
    assert r.returncode != 0 and r.stderr.strip()
    snap.check()


def test_failing_poststop_hook_does_not_block_delete(rt, bundle):
    bundle.args("/testinit", "exit", "0")
    bundle.config["hooks"] = {"poststop": [{"path": "/bin/false", "args": ["false"]}]}
    rt.create(bundle.id, bundle)
    rt.start(bundle.id)
    rt.wait_status(bundle.id, "stopped")
    rt("delete", bundle.id)
    assert rt("state", bundle.id).returncode != 0, "container still there after delete"
