"""Start, watch and kill one qemu guest.

TCG (-accel tcg -cpu max) unless /dev/kvm really works: the device must
answer KVM_GET_API_VERSION and KVM_CREATE_VM, and a probe boot of the guest
kernel under KVM must reach the initramfs (the result is cached per host
kernel, qemu and guest kernel). /dev/kvm can exist and still fail to run a
stock kernel (see MACHINE-NOTES), hence the probe boot.
CELLA_VM_ACCEL=tcg|kvm overrides the choice.

The qemu child gets PR_SET_PDEATHSIG(SIGKILL), so it dies with the harness
even when the harness is SIGKILLed; every other exit path kills it by pid.
"""
import ctypes
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from .errors import Missing
from .kernel import cache_dir

QEMU = os.environ.get("CELLA_VM_QEMU", "qemu-system-x86_64")
# qboot (qemu-system-data) starts a guest seconds sooner than SeaBIOS under TCG.
QBOOT = "/usr/share/qemu/qboot.rom"
PR_SET_PDEATHSIG = 1
KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01


def qemu_binary():
    path = shutil.which(QEMU)
    if not path:
        raise Missing(f"{QEMU} not found; run scripts/bootstrap as root "
                      "(scripts/deps/vm.list installs qemu-system-x86)")
    return path


def _die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # The parent may already be gone between fork and prctl.
    if os.getppid() == 1:
        os._exit(1)


class Guest:
    """One qemu process. workdir holds console.log and qemu.stderr."""

    def __init__(self, kernel, initrd, append, workdir, mem="1024M", cpus=2,
                 shares=(), disks=(), accel="tcg"):
        self.workdir = workdir
        self.console = os.path.join(workdir, "console.log")
        self.stderr_path = os.path.join(workdir, "qemu.stderr")
        cpu = ["-cpu", "host" if accel == "kvm" else os.environ.get("CELLA_VM_CPU", "max")]
        self.argv = [qemu_binary(), "-nodefaults", "-no-user-config", "-no-reboot",
                     "-display", "none", "-M", "pc", "-accel", accel, *cpu,
                     "-m", str(mem), "-smp", str(cpus),
                     *(["-bios", QBOOT] if os.path.exists(QBOOT) else []),
                     "-kernel", kernel.boot_image(), "-initrd", initrd, "-append", append,
                     "-chardev", f"file,id=con,path={self._opt(self.console)}", "-serial", "chardev:con"]
        for tag, path, ro in shares:
            opts = f"local,path={self._opt(path)},mount_tag={tag},security_model=none,multidevs=remap"
            self.argv += ["-virtfs", opts + (",readonly=on" if ro else "")]
        for i, (serial, path) in enumerate(disks):
            self.argv += ["-drive", f"if=none,id=d{i},file={self._opt(path)},format=raw,cache=unsafe",
                          "-device", f"virtio-blk-pci,drive=d{i},serial={serial}"]
        self.proc = None

    @staticmethod
    def _opt(path):
        """A path inside a qemu option list: commas are doubled."""
        return path.replace(",", ",,")

    def start(self):
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err, close_fds=True,
                                         start_new_session=True,
                                         preexec_fn=_die_with_parent)
        return self.proc.pid

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def poll(self, wait_s):
        """Exit status, or None if still running after wait_s."""
        try:
            return self.proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        """Kill qemu by pid (TERM, then KILL) and reap it. Idempotent."""
        p = self.proc
        if p is None or p.returncode is not None:
            return
        for sig, grace in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 10.0)):
            try:
                os.kill(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(grace)
                return
            except subprocess.TimeoutExpired:
                continue

    def read_console(self):
        try:
            with open(self.console, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def read_stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""


def _kvm_device_works():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if fcntl.ioctl(fd, KVM_GET_API_VERSION) != 12:
            return False
        vm = fcntl.ioctl(fd, KVM_CREATE_VM, 0)
        os.close(vm)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def probe_boot(kernel, initrd, accel, timeout=30):
    """Boot the initramfs only (cella.probe: it prints a marker and powers
    off). True if the marker reached the console."""
    with tempfile.TemporaryDirectory(prefix="cella-vm-probe-") as wd:
        g = Guest(kernel, initrd, "console=ttyS0 panic=-1 quiet cella.probe", wd,
                  mem="256M", cpus=1, accel=accel)
        g.start()
        try:
            g.poll(timeout)
        finally:
            g.kill()
        return "CELLA-VM-PROBE-OK" in g.read_console()


def choose_accel(kernel, initrd):
    forced = os.environ.get("CELLA_VM_ACCEL")
    if forced in ("tcg", "kvm"):
        return forced
    if not _kvm_device_works():
        return "tcg"
    qver = subprocess.run([qemu_binary(), "--version"], capture_output=True,
                          text=True).stdout.split("\n")[0]
    key = hashlib.sha256("\0".join([os.uname().release, qver, kernel.release])
                         .encode()).hexdigest()[:16]
    stamp = os.path.join(cache_dir(), f"kvm-probe-{key}")
    try:
        with open(stamp) as f:
            return f.read().strip()
    except OSError:
        pass
    t = time.monotonic()
    accel = "kvm" if probe_boot(kernel, initrd, "kvm") else "tcg"
    try:
        with open(stamp + ".tmp", "w") as f:
            f.write(accel + "\n")
        os.rename(stamp + ".tmp", stamp)
    except OSError:
        pass  # unwritable cache: probe again next time
    print(f"cella-vm: KVM probe boot ({time.monotonic() - t:.1f} s): using {accel}",
          file=sys.stderr, flush=True)
    return accel
