"""Build (and cache) the guest's initramfs from busybox-static.

Contents: /bin/busybox, /init (guest/initramfs-init), /dev/console, the
kernel modules to load under /lib/modules/ and their load order in
/modules.list. Written as an uncompressed newc cpio by this module (no cpio
tool, no root needed: the device node is only a cpio header). Cached under
the harness cache, keyed by a hash of every input, so a change to busybox,
the init script, the kernel or the module set rebuilds it.
"""
import hashlib
import os
import stat
import tempfile

from .errors import Missing
from .kernel import writable_cache_dir

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INIT_SCRIPT = os.path.join(HERE, "guest", "initramfs-init")
BUSYBOX = os.environ.get("CELLA_VM_BUSYBOX", "/bin/busybox")
FORMAT = b"cella-vm initramfs v1"


class Cpio:
    """Minimal newc ("070701") archive writer."""

    def __init__(self, f):
        self.f = f
        self.ino = 1

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0]
        self.ino += 1
        hdr = b"070701" + b"".join(b"%08X" % v for v in fields)
        self.f.write(hdr + name_b + b"\0" * (-(len(hdr) + len(name_b)) % 4))
        self.f.write(data + b"\0" * (-len(data) % 4))

    def dir(self, name, perm=0o755):
        self._entry(name, stat.S_IFDIR | perm)

    def file(self, name, data, perm=0o644):
        self._entry(name, stat.S_IFREG | perm, data)

    def chardev(self, name, major, minor, perm=0o600):
        self._entry(name, stat.S_IFCHR | perm, rdev=(major, minor))

    def close(self):
        self._entry("TRAILER!!!", 0)


def _read(path, what):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise Missing(f"{what} {path} not found; run scripts/bootstrap "
                      "(busybox-static is in scripts/deps)") from None


def build(kernel, modules):
    """Return the path of an initramfs for kernel that loads modules (names;
    dependencies are added). Reuses a cached one when nothing changed."""
    rels = kernel.resolve(modules)
    busybox = _read(BUSYBOX, "busybox-static binary")
    init = _read(INIT_SCRIPT, "initramfs init script")
    mods = [(os.path.basename(r), _read(os.path.join(kernel.moddir, r), "kernel module"))
            for r in rels]

    h = hashlib.sha256(FORMAT)
    for part in [busybox, init, kernel.release.encode()] + [m for pair in mods for m in
                                                           (pair[0].encode(), pair[1])]:
        h.update(hashlib.sha256(part).digest())
    key = h.hexdigest()[:16]

    cdir = writable_cache_dir()
    path = os.path.join(cdir, f"initramfs-{key}.cpio")
    if os.path.exists(path):
        os.utime(path)  # recently used: _prune keeps it
        return path

    fd, tmp = tempfile.mkstemp(prefix=".initramfs-", dir=cdir)
    try:
        with os.fdopen(fd, "wb") as f:
            c = Cpio(f)
            for d in ("bin", "dev", "lib", "lib/modules", "proc", "sys", "newroot"):
                c.dir(d)
            c.chardev("dev/console", 5, 1)
            c.file("bin/busybox", busybox, 0o755)
            c.file("init", init, 0o755)
            for name, data in mods:
                c.file(f"lib/modules/{name}", data)
            c.file("modules.list", "".join(n + "\n" for n, _ in mods).encode())
            c.close()
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    _prune(cdir, keep=path)
    return path


def _prune(cdir, keep, max_kept=4):
    """Keep the few newest initramfs images (parallel runs may use a few
    module sets); drop older ones."""
    imgs = sorted((os.path.join(cdir, n) for n in os.listdir(cdir)
                   if n.startswith("initramfs-") and n.endswith(".cpio")),
                  key=lambda p: os.stat(p).st_mtime, reverse=True)
    for p in imgs[max_kept:]:
        if p != keep:
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
