"""Faults of the VM harness itself, run on the host (tests/vm/suite runs
this next to the guests). Each boot costs a few seconds under TCG, so every
test boots at most once and most do not boot at all."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(HERE, "run")

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="shares the host root: run as root")


def harness(*args, env=None, timeout=300, **kw):
    return subprocess.run([RUN, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, **kw)


def alive(pid):
    """True if pid is a live (not zombie) qemu process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z" and b"qemu" in cmd


def qemu_pid(pidfile):
    with open(pidfile) as f:
        return int(f.read())


def test_missing_kernel_names_bootstrap(tmp_path):
    r = harness("--layout", "v2", "--", "true", env={"CELLA_VM_CACHE": str(tmp_path / "none")})
    assert r.returncode == 126, r.stderr
    assert "no guest kernel" in r.stderr
    assert "scripts/bootstrap" in r.stderr and "vm-kernel.sh" in r.stderr


def test_kernel_dir_without_image(tmp_path):
    r = harness("--layout", "v1", "--", "true", env={"CELLA_VM_KERNEL_DIR": str(tmp_path)})
    assert r.returncode == 126
    assert "boot/vmlinuz-*" in r.stderr and "scripts/bootstrap" in r.stderr


def test_missing_qemu_names_bootstrap():
    r = harness("--layout", "v2", "--", "true", env={"CELLA_VM_QEMU": "qemu-system-nonexistent"})
    assert r.returncode == 126, r.stderr
    assert "qemu-system-nonexistent not found" in r.stderr
    assert "scripts/bootstrap" in r.stderr and "vm.list" in r.stderr


def test_check_without_booting(tmp_path):
    r = harness("--check")
    assert r.returncode == 0 and "ready: kernel 6.1." in r.stderr, r.stderr
    r = harness("--check", env={"CELLA_VM_CACHE": str(tmp_path)})
    assert r.returncode == 126 and "scripts/bootstrap" in r.stderr


def test_bad_arguments():
    assert harness("--layout", "v3", "--", "true").returncode == 2
    r = harness("--layout", "v2")
    assert r.returncode == 2 and "no command" in r.stderr
    r = harness("--", "true")
    assert r.returncode == 2 and "--layout" in r.stderr
    assert harness("--layout", "v2", "--mem", "lots", "--", "true").returncode == 2
    assert harness("--layout", "v2", "--env", "1X=y", "--", "true").returncode == 2


@needs_root
def test_exit_code_output_and_env(tmp_path):
    res = tmp_path / "res"
    res.mkdir()
    r = harness("--layout", "v2", "--results", str(res), "--env", "GREETING=hi there", "--",
                "sh", "-c", 'echo "out $GREETING"; echo err >&2; pwd; '
                'echo "$CELLA_VM_LAYOUT $CELLA_VM_DISK_DEVNO $CELLA_OWN_MEMORY_CGROUP $CELLA_PASSED '
                '${HOSTILE:-unset}" >"$CELLA_VM_RESULTS/seen"; exit 7',
                cwd="/usr/share", env={"CELLA_PASSED": "yes", "HOSTILE": "leaked"})
    assert r.returncode == 7, r.stderr
    assert r.stdout.split("\n")[:3] == ["out hi there", "err", "/usr/share"]
    layout, devno, own, passed, hostile = (res / "seen").read_text().split()
    assert layout == "v2" and re.fullmatch(r"\d+:\d+", devno)
    assert (own, passed, hostile) == ("1", "yes", "unset")


@needs_root
def test_hung_command_is_killed(tmp_path):
    pidfile = tmp_path / "pid"
    t = time.monotonic()
    r = harness("--layout", "v2", "--timeout", "3", "--pidfile", str(pidfile), "--",
                "sh", "-c", "echo started; sleep 600")
    assert r.returncode == 124, r.stderr
    assert time.monotonic() - t < 200
    assert "command timed out after 3 s" in r.stderr
    assert "guest console log" in r.stderr and "running the job" in r.stderr
    assert r.stdout == "started\n"
    assert not alive(qemu_pid(pidfile))


@needs_root
def test_boot_timeout(tmp_path):
    pidfile = tmp_path / "pid"
    r = harness("--layout", "v2", "--boot-timeout", "1", "--pidfile", str(pidfile), "--", "true")
    assert r.returncode == 124
    assert "guest did not boot within 1 s" in r.stderr
    assert not alive(qemu_pid(pidfile))


@needs_root
def test_panic_shows_console():
    r = harness("--layout", "v2", "--", "sh", "-c", "echo c > /proc/sysrq-trigger; sleep 60")
    assert r.returncode == 125, r.stderr
    assert "guest kernel panicked" in r.stderr
    assert "sysrq" in r.stderr.lower()


@needs_root
def test_bad_init_panics():
    r = harness("--layout", "hybrid", "--guest-init", "/nonexistent/init", "--", "true")
    assert r.returncode == 125, r.stderr
    assert "guest kernel panicked" in r.stderr
    assert "Attempted to kill init" in r.stderr


@needs_root
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_signal_to_harness_kills_qemu(tmp_path, sig):
    pidfile = tmp_path / "pid"
    # TMPDIR: a SIGKILLed harness cannot remove its work folder; keep it in ours.
    p = subprocess.Popen([RUN, "--layout", "v2", "--pidfile", str(pidfile), "--", "sleep", "600"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        for _ in range(300):
            if pidfile.exists() and pidfile.read_text().endswith("\n"):
                break
            assert p.poll() is None, p.stderr.read()
            time.sleep(0.1)
        pid = qemu_pid(pidfile)
        assert alive(pid)
        p.send_signal(sig)
        p.wait(30)
        assert p.returncode == (-sig if sig == signal.SIGKILL else 128 + sig)
        # SIGKILL leaves it to PR_SET_PDEATHSIG: give the kernel a moment.
        for _ in range(50):
            if not alive(pid):
                break
            time.sleep(0.1)
        assert not alive(pid), f"qemu {pid} outlived the harness"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
