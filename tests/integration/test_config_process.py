"""config.json process, root, hostname and domainname fields, as the process sees them."""
import errno
import os

import pytest

from itlib import ConsoleSocket, last_json


def report(rt, bundle, *extra):
    r = rt.run(bundle.id, bundle, *extra)
    assert r.returncode == 0, f"rc={r.returncode} stderr={r.stderr}"
    return last_json(r.stdout)


def test_hostname(rt, bundle):
    bundle.config["hostname"] = "h-one"
    rep = report(rt, bundle)
    assert rep["hostname"] == "h-one"
    assert rep["ns"]["uts"] != os.readlink("/proc/self/ns/uts")


def test_domainname(rt, bundle):
    # runtime-spec 1.1 field (runc 1.1.5 ignores it: see docs/peers.md).
    bundle.config["domainname"] = "example.test"
    assert report(rt, bundle)["domainname"] == "example.test"


def test_env_exact_and_no_host_leak(rt, bundle):
    bundle.process["env"] = ["PATH=/bin", "A=1", "B=with spaces", "EMPTY="]
    os.environ["CELLA_HOST_ONLY"] = "leak"
    try:
        rep = report(rt, bundle)
    finally:
        del os.environ["CELLA_HOST_ONLY"]
    assert {"PATH=/bin", "A=1", "B=with spaces", "EMPTY="} <= set(rep["env"])
    assert not any(e.startswith("CELLA_HOST_ONLY=") for e in rep["env"])
    # Only what the config says, plus at most HOME (runc and crun add it).
    extra = {e.split("=", 1)[0] for e in rep["env"]} - {"PATH", "A", "B", "EMPTY"}
    assert extra <= {"HOME"}, extra


def test_cwd(rt, bundle):
    bundle.process["cwd"] = "/etc"
    assert report(rt, bundle)["cwd"] == "/etc"


def test_user_uid_gid_groups_umask(rt, bundle):
    bundle.process["user"] = {"uid": 1234, "gid": 2345, "additionalGids": [5, 65534], "umask": 0o027}
    rep = report(rt, bundle)
    assert (rep["uid"], rep["euid"], rep["gid"], rep["egid"]) == (1234, 1234, 2345, 2345)
    assert set(rep["groups"]) >= {5, 65534}
    assert rep["umask"] == 0o027


def test_user_default_umask(rt, bundle):
    bundle.process["user"] = {"uid": 0, "gid": 0}
    assert report(rt, bundle)["umask"] == 0o022


def test_rlimits(rt, bundle):
    bundle.process["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
        {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
        {"type": "RLIMIT_MSGQUEUE", "soft": 4096, "hard": 8192},
    ]
    rl = report(rt, bundle)["rlimits"]
    assert rl["RLIMIT_NOFILE"] == [100, 200]
    assert rl["RLIMIT_CORE"] == [0, 0]
    assert rl["RLIMIT_NPROC"] == [300, 400]
    assert rl["RLIMIT_MSGQUEUE"] == [4096, 8192]


@pytest.mark.parametrize("nnp", [True, False])
def test_no_new_privileges(rt, bundle, nnp):
    bundle.process["noNewPrivileges"] = nnp
    rep = report(rt, bundle)
    assert rep["no_new_privs"] == int(nnp) and rep["NoNewPrivs"] == str(int(nnp))


def test_oom_score_adj(rt, bundle):
    bundle.process["oomScoreAdj"] = 321
    assert report(rt, bundle)["oom_score_adj"] == 321


def test_terminal_console_size(rt, bundle):
    bundle.process["terminal"] = True
    bundle.process["consoleSize"] = {"height": 33, "width": 111}
    bundle.args("/bin/sh", "-c", "/testinit report; /testinit stat /dev/console")
    cs = ConsoleSocket(os.path.join(bundle.dir, "console.sock"))
    try:
        rt.create(bundle.id, bundle, "--console-socket", cs.path)
        cs.wait_master()
        rt.start(bundle.id)
        out = [x for x in cs.read_until_eof(10).replace("\r", "").splitlines() if x.startswith("{")]
        rep, st = last_json(out[0]), last_json(out[1])
        assert rep["isatty"] == [True, True, True]
        assert rep["winsize"] == [33, 111]
        assert rep["fds"]["0"].startswith("/dev/pts/")
        # With a terminal, /dev/console is the container's pty (a char device).
        assert st["/dev/console"].get("type") == "c", st
    finally:
        cs.close()


def test_terminal_without_console_socket_fails(rt, bundle):
    bundle.process["terminal"] = True
    r = rt.create(bundle.id, bundle, check=False)
    assert r.returncode != 0 and r.stderr.strip()


def test_root_readonly(rt, bundle):
    bundle.config["root"]["readonly"] = True
    bundle.add_out()
    bundle.args("/bin/sh", "-c", "/testinit write /etc/x y; /testinit write /out/ok y")
    r = rt.run(bundle.id, bundle)
    assert r.returncode == 0, r.stderr
    lines = [last_json(x) for x in r.stdout.strip().splitlines()]
    assert lines[0]["errno"] == errno.EROFS
    assert lines[1]["errno"] == 0
    assert not os.path.exists(os.path.join(bundle.rootfs, "etc", "x"))


def test_root_writable(rt, bundle):
    bundle.args("/testinit", "write", "/etc/x", "y")
    r = rt.run(bundle.id, bundle)
    assert last_json(r.stdout)["errno"] == 0
    assert open(os.path.join(bundle.rootfs, "etc", "x")).read() == "y"


def test_root_path_absolute(rt, bundle):
    bundle.config["root"]["path"] = bundle.rootfs
    bundle.config["hostname"] = "absroot"
    assert report(rt, bundle)["hostname"] == "absroot"
