"""tests/vm/run: boot a throwaway guest, run one command in it, power off.

Exit status: the command's own, or one of vmlib.errors' EXIT_* codes (then
a line starting with "cella-vm:" on stderr says which). See README.md.
"""
import argparse
import os
import re
import shlex
import shutil
import signal
import sys
import tempfile
import time

from . import initramfs, kernel as kmod, qemu
from .errors import EXIT_GUEST, EXIT_MISSING, EXIT_TIMEOUT, GuestFailed, Missing

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PID1 = os.path.join(HERE, "guest", "pid1.sh")
LAYOUTS = ("v2", "v1", "hybrid")
GUEST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DISK_MIB = 256
CONSOLE_TAIL = 80
MAX_ENV = 256


class Interrupted(Exception):
    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum, _frame):
    # Once: a second signal must not cut the cleanup short.
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    raise Interrupted(signum)


def say(msg):
    print(f"cella-vm: {msg}", file=sys.stderr, flush=True)


def parse_mem(s):
    m = re.fullmatch(r"(\d+)([MG]?)", s.strip().upper().removesuffix("B").removesuffix("I"))
    if not m:
        raise argparse.ArgumentTypeError(f"--mem {s!r}: expected MiB as N, NM or NG")
    mib = int(m[1]) * (1024 if m[2] == "G" else 1)
    if not 128 <= mib <= 65536:
        raise argparse.ArgumentTypeError(f"--mem {s!r}: must be 128M..64G")
    return f"{mib}M"


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="tests/vm/run", usage="%(prog)s --layout v2|v1|hybrid [options] -- CMD [ARGS...]",
        description="Run CMD in a throwaway qemu guest with the chosen cgroup layout.")
    ap.add_argument("--layout", choices=LAYOUTS, help="cgroup layout of the guest (required)")
    ap.add_argument("--timeout", type=float, default=600,
                    help="seconds CMD may run before the guest is killed (default 600)")
    ap.add_argument("--boot-timeout", type=float, default=180,
                    help="seconds the guest may take to boot up to CMD (default 180)")
    ap.add_argument("--mem", type=parse_mem, default="1024M", help="guest memory (default 1024M)")
    ap.add_argument("--cpus", type=int, default=2, choices=range(1, 17), metavar="N",
                    help="guest CPUs, 1..16 (default 2)")
    ap.add_argument("--results", metavar="DIR",
                    help="host folder shared read-write; the guest sees it as $CELLA_VM_RESULTS")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="set in the command's environment (CELLA_* of the caller pass through)")
    ap.add_argument("--modules", default="", metavar="M1,M2",
                    help="extra kernel modules to load (also $CELLA_VM_MODULES)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (console log)")
    ap.add_argument("--quiet", "-q", action="store_true", help="no status lines on stderr")
    ap.add_argument("--pidfile", help="write qemu's pid here once it runs (for tests)")
    ap.add_argument("--check", action="store_true",
                    help="only check that kernel, qemu and busybox are there (exit 0 or 126)")
    ap.add_argument("--guest-init", default=PID1, help=argparse.SUPPRESS)  # fault tests
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)
    if a.cmd[:1] == ["--"]:
        a.cmd = a.cmd[1:]
    if not a.check:
        if not a.layout:
            ap.error("--layout v2|v1|hybrid is required")
        if not a.cmd:
            ap.error("no command given after --")
    for name in ("timeout", "boot_timeout"):
        if not 1 <= getattr(a, name) <= 86400:
            ap.error(f"--{name.replace('_', '-')} must be 1..86400 seconds")
    if len(a.env) > MAX_ENV:
        ap.error(f"at most {MAX_ENV} --env")
    for e in a.env:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", e, re.S):
            ap.error(f"--env {e!r}: expected NAME=VALUE")
    return a


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def kept_folders(paths):
    """The guest mounts fresh tmpfs on /tmp and /run; folders of ours under
    them (a checkout in /tmp, as CI may make) are carried over by the guest's
    init. Nested ones collapse into the outermost."""
    out = []
    for p in sorted({os.path.realpath(p) for p in paths}):
        if not (p.startswith("/tmp/") or p.startswith("/run/")):
            continue
        if any(p == o or p.startswith(o + "/") for o in out):
            continue
        if any(c.isspace() or c == "," for c in p):
            raise GuestFailed(f"folder {p!r} has a space or comma (kernel command line)")
        out.append(p)
    return out


def job_script(cmd, cwd, env):
    """The script PID 1 runs in the guest: cwd, a clean environment, CMD."""
    q = shlex.quote
    base = [f"PATH={GUEST_PATH}", "HOME=/tmp/home", "TERM=dumb", "LANG=C.UTF-8",
            "TMPDIR=/tmp", "PYTHONDONTWRITEBYTECODE=1", "CELLA_VM=1",
            # The guest's memory hierarchy is its own (unlike the build hosts'):
            # tests that refuse to touch an unmasked one may here.
            "CELLA_OWN_MEMORY_CGROUP=1"]
    guest_vars = ["CELLA_VM_LAYOUT", "CELLA_VM_RESULTS", "CELLA_VM_DISK", "CELLA_VM_DISK_DEVNO",
                  "CELLA_VM_SWAP_DISK", "CELLA_VM_SWAP_DISK_DEVNO"]
    err = '"$CELLA_VM_RESULTS/.cella-vm/error"'
    nocwd = (f"the working folder {cwd} does not exist in the guest (only the host root "
             "is shared; /tmp and /run are the guest's own)")
    lines = ["# written by tests/vm/run",
             f"cd {q(cwd)} 2>/dev/null || {{ echo {q(nocwd)} >{err}; exit 125; }}",
             "exec env -i " + " ".join(q(b) for b in base) + " \\",
             "  " + " ".join(f'"{v}=${v}"' for v in guest_vars) + " \\"]
    if env:
        lines.append("  " + " ".join(q(e) for e in env) + " \\")
    lines.append("  " + " ".join(q(c) for c in cmd))
    return "\n".join(lines) + "\n"


def caller_env(extra):
    """CELLA_* of the caller (not the harness's own CELLA_VM_* knobs), then --env."""
    out = [f"{k}={v}" for k, v in sorted(os.environ.items())
           if k.startswith("CELLA_") and not k.startswith("CELLA_VM")]
    return out + list(extra)


class Streamer:
    """Copies the command's output file to our stdout as it grows."""

    def __init__(self, path):
        self.path, self.f = path, None

    def pump(self):
        if self.f is None:
            try:
                self.f = open(self.path, "rb")
            except FileNotFoundError:
                return
        while chunk := self.f.read(65536):
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()

    def close(self):
        self.pump()
        if self.f:
            self.f.close()


def show_console(guest, why):
    text = guest.read_console()
    lines = text.rstrip("\n").split("\n") if text else []
    say(f"{why}; guest console log (last {min(len(lines), CONSOLE_TAIL)} of {len(lines)} lines):")
    for l in lines[-CONSOLE_TAIL:]:
        print(f"  | {l}", file=sys.stderr)
    err = guest.read_stderr().strip()
    if err:
        say("qemu said: " + err.replace("\n", "\n  | "))
    sys.stderr.flush()


def boot_files(a):
    """(kernel, initramfs path); raises Missing naming the bootstrap step."""
    kern = kmod.find_kernel()
    qemu.qemu_binary()
    mods = kmod.BOOT_MODULES + kmod.DEFAULT_EXTRA_MODULES
    mods += [m for m in (a.modules + "," + os.environ.get("CELLA_VM_MODULES", "")).split(",") if m]
    try:
        return kern, initramfs.build(kern, mods)
    except ValueError as e:
        raise GuestFailed(str(e)) from None


def prepare(a, workdir):
    kern, initrd = boot_files(a)
    if a.results:
        results = os.path.abspath(a.results)
        if not os.path.isdir(results):
            raise GuestFailed(f"--results {a.results}: not a folder")
    else:
        results = os.path.join(workdir, "results")
        os.mkdir(results)
    ctl = os.path.join(results, ".cella-vm")
    shutil.rmtree(ctl, ignore_errors=True)
    os.mkdir(ctl)
    with open(os.path.join(ctl, "job.sh"), "w") as f:
        f.write(job_script(a.cmd, os.getcwd(), caller_env(a.env)))
    disks = []
    for serial in ("cella-scratch", "cella-swap"):
        p = os.path.join(workdir, serial + ".img")
        with open(p, "wb") as f:
            f.truncate(DISK_MIB << 20)  # sparse
        disks.append((serial, p))
    if any(c.isspace() for c in a.guest_init):
        raise GuestFailed(f"guest init path {a.guest_init!r} has a space (kernel command line)")
    keep = kept_folders([REPO, os.getcwd()])
    append = (f"console=ttyS0 panic=-1 quiet loglevel=4 mitigations=off cryptomgr.notests "
              f"cella.layout={a.layout} cella.init={a.guest_init} "
              + (f"cella.keep={','.join(keep)} " if keep else "")
              + os.environ.get("CELLA_VM_APPEND", ""))  # debugging: extra kernel args
    accel = qemu.choose_accel(kern, initrd)
    guest = qemu.Guest(kern, initrd, append, workdir, mem=a.mem, cpus=a.cpus,
                       shares=[("host0", "/", True), ("results", results, False)],
                       disks=disks, accel=accel)
    return guest, ctl, accel


def run(a):
    workdir = tempfile.mkdtemp(prefix="cella-vm-")
    guest = None
    t0 = time.monotonic()
    try:
        guest, ctl, accel = prepare(a, workdir)
        guest.start()
        if a.pidfile:
            with open(a.pidfile, "w") as f:
                f.write(f"{guest.pid}\n")
        if not a.quiet:
            say(f"{a.layout} guest starting ({accel}, qemu pid {guest.pid})")
        out = Streamer(os.path.join(ctl, "output"))
        booted = None
        deadline = t0 + a.boot_timeout
        while guest.poll(0.2) is None:
            out.pump()
            now = time.monotonic()
            if booted is None and os.path.exists(os.path.join(ctl, "booted")):
                booted = now - t0
                deadline = now + a.timeout
            if now > deadline:
                guest.kill()
                out.close()
                what = (f"command timed out after {a.timeout:g} s" if booted is not None else
                        f"guest did not boot within {a.boot_timeout:g} s")
                show_console(guest, f"{what}: killed qemu (pid {guest.pid})")
                return EXIT_TIMEOUT
        out.close()
        total = time.monotonic() - t0
        if booted is None and os.path.exists(os.path.join(ctl, "booted")):
            booted = total
        err = _read(os.path.join(ctl, "error"))
        rc = _read(os.path.join(ctl, "rc"))
        if err:
            show_console(guest, "guest could not run the command: " + err.strip())
            return EXIT_GUEST
        if rc is None or not rc.strip().isdigit():
            con = guest.read_console()
            why = ("guest kernel panicked" if "Kernel panic" in con else
                   "guest failed to boot or stopped before the command finished")
            show_console(guest, f"{why} (qemu exit status {guest.proc.returncode})")
            return EXIT_GUEST
        if not a.quiet:
            b = f"boot {booted:.1f} s, " if booted is not None else ""
            say(f"{a.layout} guest done: {b}total {total:.1f} s, exit code {rc.strip()}")
        return int(rc)
    finally:
        if guest:
            guest.kill()
        if a.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _on_signal)
    try:
        if a.check:
            kern, _ = boot_files(a)
            kern.boot_image()
            if not a.quiet:
                say(f"ready: kernel {kern.release}, {qemu.qemu_binary()}")
            return 0
        return run(a)
    except Missing as e:
        say(f"error: {e}")
        return EXIT_MISSING
    except GuestFailed as e:
        say(f"error: {e}")
        return EXIT_GUEST
    except Interrupted as e:
        say(f"interrupted by signal {e.signum}: guest killed")
        return 128 + e.signum
