"""CLI verbs beyond the lifecycle: exec, list, ps, spec, features, --version,
and the global flags --root, --log, --log-format, --debug."""
import json
import os
import subprocess

import pytest

import itlib
from itlib import ConsoleSocket, last_json


@pytest.fixture
def running(rt, bundle):
    bundle.args("/testinit", "sleep", "120")
    bundle.config["hostname"] = "exec-host"
    rt.create(bundle.id, bundle)
    rt.start(bundle.id)
    return bundle


def test_exec_args_same_namespaces(rt, running):
    init = rt.state(running.id)["pid"]
    r = rt("exec", running.id, "/testinit", "report", check=True)
    rep = last_json(r.stdout)
    assert rep["pid"] != 1 and rep["hostname"] == "exec-host"
    for ns in ("mnt", "pid", "net", "uts", "ipc"):
        assert rep["ns"][ns] == os.readlink(f"/proc/{init}/ns/{ns}"), ns


def test_exec_exit_code(rt, running):
    r = rt("exec", running.id, "/testinit", "exit", "5")
    assert r.returncode == 5


def test_exec_env_cwd_user(rt, running):
    r = rt("exec", "--env", "FOO=bar", "--env", "ANSWER=42", "--cwd", "/tmp", "--user", "1234:2345",
           running.id, "/testinit", "report", check=True)
    rep = last_json(r.stdout)
    assert "FOO=bar" in rep["env"] and "ANSWER=42" in rep["env"]
    assert rep["cwd"] == "/tmp"
    assert (rep["uid"], rep["gid"]) == (1234, 2345)


def test_exec_process_file(rt, running):
    proc = {"terminal": False, "user": {"uid": 65534, "gid": 65534, "additionalGids": [5, 7]},
            "args": ["/testinit", "report"], "env": ["FROM_PROCESS_FILE=1", "PATH=/bin"], "cwd": "/etc"}
    pf = os.path.join(running.dir, "process.json")
    with open(pf, "w") as f:
        json.dump(proc, f)
    r = rt("exec", "--process", pf, running.id, check=True)
    rep = last_json(r.stdout)
    assert rep["uid"] == 65534 and rep["gid"] == 65534
    assert {5, 7} <= set(rep["groups"])
    assert "FROM_PROCESS_FILE=1" in rep["env"] and rep["cwd"] == "/etc"


def test_exec_detached_pid_file(rt, running):
    pf = os.path.join(running.dir, "exec.pid")
    out = os.path.join(running.dir, "exec.out")
    with open(out, "w") as o:
        # The detached process inherits stdio: files, not pipes.
        r = subprocess.run(rt.cmd("exec", "-d", "--pid-file", pf, running.id, "/testinit", "sleep", "30"),
                           stdout=o, stderr=o, stdin=subprocess.DEVNULL, timeout=20)
    assert r.returncode == 0, itlib.read(out)
    pid = int(open(pf).read().strip())
    init = rt.state(running.id)["pid"]
    assert os.readlink(f"/proc/{pid}/ns/pid") == os.readlink(f"/proc/{init}/ns/pid")
    assert "sleep" in open(f"/proc/{pid}/cmdline").read()


def test_exec_tty_console_socket(rt, running):
    cs = ConsoleSocket(os.path.join(running.dir, "console.sock"))
    try:
        # As podman does it: detached, the pty master goes to the socket.
        r = subprocess.run(rt.cmd("exec", "-d", "-t", "--console-socket", cs.path, running.id,
                                  "/testinit", "report"),
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=20)
        cs.wait_master()
        rep = last_json(cs.read_until_eof(5))
        assert r.returncode == 0, r.stderr
        assert rep["isatty"] == [True, True, True]
    finally:
        cs.close()


def test_exec_into_stopped_fails(rt, bundle):
    bundle.args("/testinit", "exit", "0")
    rt.create(bundle.id, bundle)
    rt.start(bundle.id)
    rt.wait_status(bundle.id, "stopped")
    r = rt("exec", bundle.id, "/testinit", "report")
    assert r.returncode != 0 and r.stderr.strip()


def test_exec_missing_binary_fails(rt, running):
    r = rt("exec", running.id, "/no/such/binary")
    assert r.returncode != 0
    assert "no such file" in r.stderr.lower() or "not found" in r.stderr.lower() or \
        "/no/such/binary" in r.stderr


def test_list_quiet_and_json(rt, make_bundle):
    a, b = make_bundle("/testinit", "sleep", "60"), make_bundle("/testinit", "sleep", "60")
    rt.create(a.id, a)
    rt.create(b.id, b)
    rt.start(b.id)
    r = rt("list", "-q", check=True)
    assert sorted(r.stdout.split()) == sorted([a.id, b.id])
    r = rt("list", "--format", "json", check=True)
    items = {c["id"]: c for c in json.loads(r.stdout)}
    assert set(items) == {a.id, b.id}
    assert items[a.id]["status"] == "created" and items[b.id]["status"] == "running"
    assert items[b.id]["pid"] == rt.state(b.id)["pid"]
    assert os.path.realpath(items[a.id]["bundle"]) == os.path.realpath(a.dir)
    r = rt("list", check=True)  # table form: a header and one row each
    assert "ID" in r.stdout.splitlines()[0] and a.id in r.stdout and b.id in r.stdout


def test_list_empty_root(rt):
    r = rt("list", "-q", check=True)
    assert r.stdout.strip() == ""


@pytest.mark.cgroup
def test_ps(rt, running):
    rt("exec", "-d", running.id, "/testinit", "sleep", "30", check=True,
       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    init = rt.state(running.id)["pid"]
    r = rt("ps", running.id, check=True)
    lines = r.stdout.splitlines()
    assert "PID" in lines[0]
    assert len(lines) >= 3, r.stdout
    assert any(str(init) in line.split() for line in lines[1:])
    r = rt("ps", "--format", "json", running.id, check=True)
    pids = json.loads(r.stdout)
    assert init in pids and len(pids) == 2


def _load_spec_and_run(rt, d, testinit, rootless):
    itlib.make_rootfs(os.path.join(d, "rootfs"), testinit)
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    assert cfg["ociVersion"].startswith("1.")
    assert cfg["root"]["path"] == "rootfs"
    nstypes = {n["type"] for n in cfg["linux"]["namespaces"]}
    assert {"pid", "mount"} <= nstypes
    if rootless:
        # Mappings may be left for the runtime to fill in at run time (crun does).
        assert "user" in nstypes
        if "uidMappings" in cfg["linux"]:
            assert cfg["linux"]["uidMappings"] and cfg["linux"]["gidMappings"]
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = ["/testinit", "report"]
    cid = itlib.new_id("spec")
    cfg["linux"]["cgroupsPath"] = itlib.cgroups_path(cid)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)
    rt.ids.append(cid)
    r = subprocess.run(rt.cmd("run", "--bundle", d, cid), capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    assert r.returncode == 0, r.stderr
    return last_json(r.stdout)


@pytest.mark.parametrize("rootless", [False, True], ids=["default", "rootless"])
def test_spec_is_loadable(rt, workdir, testinit, rootless):
    d = os.path.join(workdir, "specbundle")
    os.makedirs(d)
    r = subprocess.run(rt.cmd("spec", *(["--rootless"] if rootless else []), root=False),
                       cwd=d, capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    rep = _load_spec_and_run(rt, d, testinit, rootless)
    assert rep["pid"] == 1


def test_spec_refuses_to_overwrite(rt, workdir):
    with open(os.path.join(workdir, "config.json"), "w") as f:
        f.write("{}")
    r = subprocess.run(rt.cmd("spec", root=False), cwd=workdir, capture_output=True, text=True)
    assert r.returncode != 0
    assert open(os.path.join(workdir, "config.json")).read() == "{}"


def test_features(rt):
    r = rt("features", check=True)
    f = json.loads(r.stdout)
    assert f["ociVersionMin"].startswith("1.") and f["ociVersionMax"].startswith("1.")
    assert {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
            "poststop"} <= set(f["hooks"])
    assert {"ro", "nosuid", "nodev", "noexec", "bind", "rbind"} <= set(f["mountOptions"])
    assert {"pid", "network", "mount", "ipc", "uts", "user", "cgroup"} <= set(f["linux"]["namespaces"])


def test_version(rt):
    r = rt("--version", root=False)
    assert r.returncode == 0
    out = r.stdout.lower()
    assert "version" in out and "spec" in out


def test_root_isolates_state(rt, bundle, workdir):
    bundle.args("/testinit", "sleep", "30")
    rt.create(bundle.id, bundle)
    assert os.listdir(rt.root), "nothing written under --root"
    other = os.path.join(workdir, "other-root")
    os.makedirs(other)
    r = subprocess.run([rt.path, "--root", other, "list", "-q"], capture_output=True, text=True)
    assert r.returncode == 0 and bundle.id not in r.stdout
    r = subprocess.run([rt.path, "--root", other, "state", bundle.id], capture_output=True, text=True)
    assert r.returncode != 0


def _json_lines(path):
    out = []
    for line in itlib.read(path).splitlines():
        line = line.strip()
        if line:
            out.append(json.loads(line))
    return out


def test_log_json_records_failure(rt, workdir):
    log = os.path.join(workdir, "rt.log")
    r = rt("--log", log, "--log-format", "json", "delete", "no-such-container")
    assert r.returncode != 0
    lines = _json_lines(log)  # every line must be JSON
    errs = [x for x in lines if x.get("level") == "error"]
    assert errs, f"no error line in the JSON log: {lines}"
    assert all("msg" in x for x in errs)


def test_log_text_records_failure(rt, workdir):
    log = os.path.join(workdir, "rt.log")
    r = rt("--log", log, "--log-format", "text", "delete", "no-such-container")
    assert r.returncode != 0
    text = itlib.read(log)
    assert "no-such-container" in text or "not exist" in text or "not found" in text.lower()


def test_debug_logs_more(rt, make_bundle, workdir):
    logs = []
    for debug in (False, True):
        b = make_bundle("/testinit", "exit", "0")
        log = os.path.join(workdir, f"debug-{debug}.log")
        rt.global_args = ["--log", log, "--log-format", "json"] + (["--debug"] if debug else [])
        try:
            r = rt.run(b.id, b)
        finally:
            rt.global_args = []
        assert r.returncode == 0, r.stderr
        logs.append(_json_lines(log))
    assert not any(x.get("level") == "debug" for x in logs[0])
    assert any(x.get("level") == "debug" for x in logs[1]), "--debug wrote no debug line"
