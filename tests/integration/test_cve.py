"""Escape attempts of two known classes, which must fail:
CVE-2019-5736 (overwrite the runtime binary through /proc/<pid>/exe) and
CVE-2024-21626 (a host fd or host cwd leaking into the container)."""
import errno
import os
import shutil
import subprocess
import time

import pytest

from itlib import CAP_NUM, Runtime, host_bounding_caps, last_json, sha256


def all_caps():
    host = host_bounding_caps()
    return [c for c, n in CAP_NUM.items() if n in host]


@pytest.mark.slow
def test_cve_2019_5736_runtime_binary_not_writable(rt, bundle, workdir):
    # Attack a private copy of the runtime, so a vulnerable runtime damages
    # only the copy.
    copy = os.path.join(workdir, "runtime-copy")
    shutil.copy2(rt.path, copy)
    before = sha256(copy)
    rt2 = Runtime(copy, rt.root, workdir)
    out = bundle.add_out()
    # The strongest container: root with every capability the host allows.
    bundle.process["capabilities"] = {k: all_caps() for k in ("bounding", "effective", "permitted")}
    bundle.process["noNewPrivileges"] = False
    with open(os.path.join(bundle.rootfs, "evil"), "w") as f:
        f.write("#!/proc/self/exe\n")
    os.chmod(os.path.join(bundle.rootfs, "evil"), 0o755)
    bundle.args("/bin/sh", "-c", "/testinit exec-self-overwrite 3 > /out/attack.tmp; mv /out/attack.tmp /out/attack.json")
    rt2.create(bundle.id, bundle)
    rt2.start(bundle.id)
    # While the attacker watches /proc, make the runtime enter the container:
    # once through the "#!/proc/self/exe" trap, and with plain execs.
    t_end = time.monotonic() + 2.5
    while time.monotonic() < t_end:
        subprocess.run(rt2.cmd("exec", bundle.id, "/evil"), capture_output=True, timeout=20)
        subprocess.run(rt2.cmd("exec", bundle.id, "/testinit", "sleep", "0.05"), capture_output=True, timeout=20)
    rep = bundle.out_json("attack.json", timeout=10)
    rt2("delete", "--force", bundle.id)
    print(f"attacker saw {rep['seen']} foreign executables: {rep['tries']}")
    assert rep["seen"] >= 1, "inconclusive: the attacker never saw the runtime inside the container"
    assert rep["self_errno"] == errno.ETXTBSY
    assert rep["wrote"] == 0, f"the container wrote into a runtime binary: {rep['tries']}"
    assert sha256(copy) == before, "runtime binary changed"
    assert not os.path.exists(os.path.join(out, "pwned"))


def fds_of(rep):
    return {int(k): v for k, v in rep["fds"].items()}


def test_no_host_fd_leaks_run(rt, bundle, workdir):
    """fds the caller leaks into the runtime (no CLOEXEC) do not reach the
    container: it sees exactly 0, 1, 2."""
    leak_dir = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    leak_file = os.open(os.path.join(workdir, "leak"), os.O_RDWR | os.O_CREAT)
    bundle.save()
    try:
        r = subprocess.run(rt.cmd("run", "--bundle", bundle.dir, bundle.id), capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, pass_fds=(leak_dir, leak_file), timeout=30)
        rt.ids.append(bundle.id)
    finally:
        os.close(leak_dir)
        os.close(leak_file)
    assert r.returncode == 0, r.stderr
    assert sorted(fds_of(last_json(r.stdout))) == [0, 1, 2], last_json(r.stdout)["fds"]


def test_no_host_fd_leaks_create_start_exec(rt, bundle):
    bundle.add_out()
    bundle.args("/bin/sh", "-c", "exec /testinit report /out/init.json")
    bundle.save()
    leak = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    try:
        subprocess.run(rt.cmd("create", "--bundle", bundle.dir, bundle.id), check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(leak,), timeout=30)
        rt.ids.append(bundle.id)
        subprocess.run(rt.cmd("start", bundle.id), check=True, pass_fds=(leak,), timeout=30)
    finally:
        os.close(leak)
    rep = bundle.out_json("init.json")
    assert sorted(fds_of(rep)) == [0, 1, 2], rep["fds"]
    assert not any(t == "/" or t.startswith("/sys") for t in rep["fds"].values())


def test_exec_sees_only_stdio(rt, bundle):
    bundle.args("/testinit", "sleep", "60")
    rt.create(bundle.id, bundle)
    rt.start(bundle.id)
    leak = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    try:
        r = subprocess.run(rt.cmd("exec", bundle.id, "/testinit", "show-fds"), capture_output=True, text=True,
                           pass_fds=(leak,), timeout=30)
    finally:
        os.close(leak)
    assert r.returncode == 0, r.stderr
    assert sorted(int(k) for k in last_json(r.stdout)) == [0, 1, 2], r.stdout


@pytest.mark.parametrize("n", range(3, 10))
def test_cwd_proc_self_fd_stays_inside(rt, bundle, n):
    """process.cwd = /proc/self/fd/N (the CVE-2024-21626 trick): either the
    runtime refuses, or the cwd resolves inside the container."""
    bundle.process["cwd"] = f"/proc/self/fd/{n}"
    bundle.args("/bin/sh", "-c", "/testinit report; /testinit stat ../../../../work ../../../../etc/hostname")
    r = rt.run(bundle.id, bundle)
    if r.returncode != 0:
        return
    out = [x for x in r.stdout.splitlines() if x.startswith("{")]
    rep, st = last_json(out[0]), last_json(out[1])
    assert rep["cwd"] and rep["cwd"].startswith("/") and "unreachable" not in rep["cwd"], rep["cwd"]
    assert st["../../../../work"].get("errno") == errno.ENOENT, "host /work reachable from the cwd"


@pytest.mark.parametrize("n", [3, 4, 5, 6, 7, 8])
def test_exec_cwd_proc_self_fd_stays_inside(rt, bundle, n):
    bundle.args("/testinit", "sleep", "60")
    rt.create(bundle.id, bundle)
    rt.start(bundle.id)
    r = rt("exec", "--cwd", f"/proc/self/fd/{n}", bundle.id, "/bin/sh", "-c",
           "/testinit report; readlink /proc/self/cwd")
    if r.returncode != 0:
        return
    cwd = last_json(r.stdout)["cwd"]
    where = r.stdout.strip().splitlines()[-1]
    # getcwd() fails (null) when the cwd lies outside the container's root.
    assert cwd and cwd.startswith("/") and "unreachable" not in cwd, \
        f"exec'd process has a cwd outside the container: /proc/self/cwd -> {where}"
