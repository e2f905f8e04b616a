"""OCI lifecycle through the CLI: create, start, state, kill, delete, run."""
import json
import os
import time

from itlib import last_json, procs_in


def test_create_waits_until_start(rt, bundle):
    out = bundle.add_out()
    bundle.args("/testinit", "write", "/out/marker", "started")
    rt.create(bundle.id, bundle)
    st = rt.state(bundle.id)
    assert st["status"] == "created"
    assert st["pid"] > 0 and os.path.exists(f"/proc/{st['pid']}")
    # The init exists but has not exec'd the user program yet.
    time.sleep(0.3)
    assert not os.path.exists(os.path.join(out, "marker")), "process ran before start"
    rt.start(bundle.id)
    end = time.monotonic() + 10
    while not os.path.exists(os.path.join(out, "marker")) and time.monotonic() < end:
        time.sleep(0.02)
    with open(os.path.join(out, "marker")) as f:
        assert f.read() == "started"
    rt.wait_status(bundle.id, "stopped")


def test_state_fields(rt, bundle):
    bundle.args("/testinit", "sleep", "30")
    bundle.config["annotations"] = {"org.cella.test": "yes", "other": "1"}
    rt.create(bundle.id, bundle)
    st = rt.state(bundle.id)
    assert st["id"] == bundle.id
    assert st["status"] == "created"
    assert isinstance(st["ociVersion"], str) and st["ociVersion"].startswith("1.")
    assert os.path.realpath(st["bundle"]) == os.path.realpath(bundle.dir)
    assert st.get("annotations", {}).get("org.cella.test") == "yes"
    assert isinstance(st["pid"], int) and st["pid"] > 1


def test_transitions_created_running_stopped(rt, bundle):
    bundle.args("/testinit", "sleep", "0.5")
    rt.create(bundle.id, bundle)
    assert rt.status(bundle.id) == "created"
    rt.start(bundle.id)
    assert rt.status(bundle.id) == "running"
    rt.wait_status(bundle.id, "stopped")
    # A stopped container can be deleted without --force, and is gone after.
    rt("delete", bundle.id, check=True)
    r = rt("state", bundle.id)
    assert r.returncode != 0
    assert bundle.id in r.stderr or "not exist" in r.stderr or "not found" in r.stderr.lower()


def test_start_twice_fails(rt, bundle):
    bundle.args("/testinit", "sleep", "30")
    rt.create(bundle.id, bundle)
    rt.start(bundle.id)
    r = rt.start(bundle.id, check=False)
    assert r.returncode != 0 and r.stderr.strip()


def test_kill_by_name_and_number(rt, make_bundle):
    for sig in ("SIGTERM", "TERM", "15"):
        b = make_bundle("/testinit", "signal-exit")
        rt.create(b.id, b)
        rt.start(b.id)
        end = time.monotonic() + 5
        while "ready" not in b.stdout() and time.monotonic() < end:
            time.sleep(0.02)
        rt("kill", b.id, sig, check=True)
        rt.wait_status(b.id, "stopped")
        assert "got SIGTERM" in b.stdout(), f"signal {sig} did not reach the handler"


def test_kill_default_is_sigterm(rt, bundle):
    bundle.args("/testinit", "signal-exit")
    rt.create(bundle.id, bundle)
    rt.start(bundle.id)
    end = time.monotonic() + 5
    while "ready" not in bundle.stdout() and time.monotonic() < end:
        time.sleep(0.02)
    rt("kill", bundle.id, check=True)
    rt.wait_status(bundle.id, "stopped")
    assert "got SIGTERM" in bundle.stdout()


def test_kill_sigkill_and_all(rt, bundle):
    # sh starts two background sleepers; --all must reach every process.
    bundle.args("/bin/sh", "-c", "/testinit sleep 60 & /testinit sleep 60 & wait")
    rt.create(bundle.id, bundle)
    rt.start(bundle.id)
    pid = rt.state(bundle.id)["pid"]
    end = time.monotonic() + 5
    kids = []
    while len(kids) < 2 and time.monotonic() < end:
        kids = [int(x) for x in open(f"/proc/{pid}/task/{pid}/children").read().split()]
        time.sleep(0.02)
    assert len(kids) == 2
    rt("kill", "--all", bundle.id, "KILL", check=True)
    rt.wait_status(bundle.id, "stopped")
    time.sleep(0.1)
    for k in kids:
        assert not os.path.exists(f"/proc/{k}") or "Z" in open(f"/proc/{k}/stat").read().split()[2]


def test_kill_bad_signal_fails(rt, bundle):
    bundle.args("/testinit", "sleep", "30")
    rt.create(bundle.id, bundle)
    r = rt("kill", bundle.id, "SIGNOPE")
    assert r.returncode != 0 and r.stderr.strip()
    assert rt.status(bundle.id) == "created"


def test_delete_running_needs_force(rt, bundle):
    bundle.args("/testinit", "sleep", "60")
    rt.create(bundle.id, bundle)
    rt.start(bundle.id)
    pid = rt.state(bundle.id)["pid"]
    r = rt("delete", bundle.id)
    assert r.returncode != 0, "delete of a running container must fail without --force"
    assert rt.status(bundle.id) == "running"
    rt("delete", "--force", bundle.id, check=True)
    assert rt("state", bundle.id).returncode != 0
    time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}") or "Z" in open(f"/proc/{pid}/stat").read().split()[2]
    assert not procs_in(bundle.dir)


def test_delete_created(rt, bundle):
    out = bundle.add_out()
    bundle.args("/testinit", "write", "/out/marker", "x")
    rt.create(bundle.id, bundle)
    pid = rt.state(bundle.id)["pid"]
    rt("delete", "--force", bundle.id, check=True)
    assert rt("state", bundle.id).returncode != 0
    time.sleep(0.05)
    assert not os.path.exists(os.path.join(out, "marker"))
    assert not os.path.exists(f"/proc/{pid}") or "Z" in open(f"/proc/{pid}/stat").read().split()[2]


def test_delete_nonexistent_fails(rt):
    r = rt("delete", "no-such-container")
    assert r.returncode != 0 and r.stderr.strip()


def test_run_foreground_exit_code(rt, bundle):
    bundle.args("/testinit", "exit", "7")
    r = rt.run(bundle.id, bundle)
    assert r.returncode == 7, r.stderr


def test_run_foreground_output(rt, bundle):
    bundle.args("/bin/sh", "-c", "echo hello-from-container; echo err-line >&2")
    r = rt.run(bundle.id, bundle)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "hello-from-container"
    assert "err-line" in r.stderr


def test_run_foreground_signal_exit(rt, bundle):
    # A process killed by a signal: the runtime reports 128+signal. (No pid
    # namespace: a pid-namespace init cannot SIGKILL itself.)
    bundle.ns("pid", remove=True)
    bundle.args("/bin/sh", "-c", "kill -9 $$")
    r = rt.run(bundle.id, bundle)
    assert r.returncode == 137, (r.returncode, r.stderr)


def test_run_detached(rt, bundle):
    bundle.args("/testinit", "sleep", "30")
    rt.run_detached(bundle.id, bundle)
    assert rt.status(bundle.id) == "running"
    rt("kill", bundle.id, "KILL", check=True)
    rt.wait_status(bundle.id, "stopped")


def test_run_stdin_passes_through(rt, bundle):
    bundle.args("/bin/cat")
    r = rt.run(bundle.id, bundle, input="piped-in\n")
    assert r.returncode == 0 and r.stdout == "piped-in\n"


def test_pid_file(rt, bundle):
    bundle.args("/testinit", "sleep", "30")
    pf = os.path.join(bundle.dir, "pidfile")
    rt.create(bundle.id, bundle, "--pid-file", pf)
    with open(pf) as f:
        assert int(f.read().strip()) == rt.state(bundle.id)["pid"]


def test_state_survives_runtime_process(rt, bundle):
    """create in one process; state, start, kill, delete each from another
    (every CLI call is its own process, with a fresh environment)."""
    bundle.args("/testinit", "signal-exit")
    rt.create(bundle.id, bundle)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    st = json.loads(rt("state", bundle.id, env=env, check=True).stdout)
    assert st["status"] == "created"
    rt("start", bundle.id, env=env, check=True)
    assert json.loads(rt("state", bundle.id, env=env, check=True).stdout)["status"] == "running"
    rt("kill", bundle.id, "TERM", env=env, check=True)
    rt.wait_status(bundle.id, "stopped")
    rt("delete", bundle.id, env=env, check=True)
    assert rt("state", bundle.id, env=env).returncode != 0


def test_reports_pid1_and_hostname(rt, bundle):
    bundle.config["hostname"] = "lifecycle-host"
    r = rt.run(bundle.id, bundle)
    assert r.returncode == 0, r.stderr
    rep = last_json(r.stdout)
    assert rep["pid"] == 1
    assert rep["hostname"] == "lifecycle-host"


def test_container_stops_when_init_exits_under_create_start(rt, bundle):
    bundle.args("/testinit", "exit", "3")
    rt.create(bundle.id, bundle)
    rt.start(bundle.id)
    rt.wait_status(bundle.id, "stopped")
    st = rt.state(bundle.id)
    assert st["status"] == "stopped"
    assert st.get("pid", 0) == 0 or not os.path.exists(f"/proc/{st['pid']}") or \
        "Z" in open(f"/proc/{st['pid']}/stat").read().split()[2]
