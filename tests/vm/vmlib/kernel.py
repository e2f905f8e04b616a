"""Find the unpacked guest kernel and resolve the modules the guest loads.

scripts/deps/vm-kernel.sh unpacks a Debian linux-image-6.1.0-N-amd64 package
(dpkg-deb -x, never installed) into CACHE/<package>_<version>/ and points
CACHE/current at it. The package ships no modules.dep (depmod runs at install
time), so dependencies are read from each module's own .modinfo depends=.
"""
import glob
import lzma
import os
import tempfile

from .errors import Missing

DEFAULT_CACHE = "/var/cache/cella-vm"
BOOTSTRAP_HINT = ("run scripts/bootstrap as root (its step scripts/deps/vm-kernel.sh "
                  "fetches and unpacks the Debian 6.1 kernel)")

# Needed to reach the host root and the scratch disks.
BOOT_MODULES = ["virtio_pci", "virtio_blk", "9pnet_virtio", "9p"]
# Needed by the tests run in the guest (the guest cannot autoload modules:
# the host has no modprobe or /lib/modules for this kernel). Each insmod costs
# time under TCG: others (bridge, loop, nf_tables...) on request through
# --modules or CELLA_VM_MODULES.
DEFAULT_EXTRA_MODULES = ["overlay", "veth"]
MAX_MODULES = 256


def cache_dir():
    return os.environ.get("CELLA_VM_CACHE", DEFAULT_CACHE)


class Kernel:
    def __init__(self, tree):
        self.tree = tree
        images = sorted(glob.glob(os.path.join(tree, "boot", "vmlinuz-*")))
        if not images:
            raise Missing(f"no guest kernel: {tree}/boot/vmlinuz-* not found; {BOOTSTRAP_HINT}")
        self.image = images[-1]
        self.release = os.path.basename(self.image)[len("vmlinuz-"):]
        self.moddir = os.path.join(tree, "lib", "modules", self.release)
        order = os.path.join(self.moddir, "modules.order")
        if not os.path.exists(order):
            raise Missing(f"guest kernel {self.release}: {order} not found; {BOOTSTRAP_HINT}")
        self._paths = {}
        with open(order) as f:
            for line in f:
                rel = line.strip()
                if rel.endswith(".ko"):
                    self._paths[_norm(os.path.basename(rel)[:-3])] = rel
        self._builtin = set()
        builtin = os.path.join(self.moddir, "modules.builtin")
        if os.path.exists(builtin):
            with open(builtin) as f:
                self._builtin = {_norm(os.path.basename(l.strip())[:-3]) for l in f if l.strip()}

    def boot_image(self):
        """The kernel file to give qemu: the uncompressed ELF vmlinux when it
        can be extracted (qemu boots it through PVH, skipping the in-guest
        xz decompression: ~20 s of a loaded host's TCG boot), else vmlinuz.
        Extracted once into the cache."""
        cdir = writable_cache_dir()
        st = os.stat(self.image)
        out = os.path.join(cdir, f"vmlinux-{self.release}-{st.st_size}-{int(st.st_mtime)}")
        if os.path.exists(out):
            return out
        with open(self.image, "rb") as f:
            data = f.read()
        at = data.find(b"\xfd7zXZ\x00")
        if at < 0:
            return self.image
        try:
            elf = lzma.LZMADecompressor().decompress(data[at:], max_length=512 << 20)
        except lzma.LZMAError:
            return self.image
        if elf[:4] != b"\x7fELF":
            return self.image
        fd, tmp = tempfile.mkstemp(prefix=".vmlinux-", dir=cdir)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(elf)
            os.chmod(tmp, 0o644)
            os.rename(tmp, out)
        except BaseException:
            os.unlink(tmp)
            raise
        for old in glob.glob(os.path.join(cdir, "vmlinux-*")):
            if old != out:
                os.unlink(old)
        return out

    def resolve(self, names):
        """Return module paths (relative to moddir) for names and everything
        they depend on, dependencies first. Built-in modules are skipped."""
        out, seen = [], set()

        def visit(name, chain):
            name = _norm(name)
            if name in seen or name in self._builtin:
                return
            if name in chain:
                raise ValueError(f"module dependency loop: {' -> '.join(chain + [name])}")
            rel = self._paths.get(name)
            if rel is None:
                raise ValueError(f"module {name!r} is neither built into nor shipped with "
                                 f"kernel {self.release}")
            for dep in _depends(os.path.join(self.moddir, rel)):
                visit(dep, chain + [name])
            seen.add(name)
            out.append(rel)
            if len(out) > MAX_MODULES:
                raise ValueError(f"more than {MAX_MODULES} modules requested")

        for n in names:
            visit(n, [])
        return out


def writable_cache_dir():
    """The cache folder if we may write there (root), else a per-user one."""
    d = cache_dir()
    if not (os.access(d, os.W_OK) if os.path.isdir(d) else
            os.access(os.path.dirname(d.rstrip("/")) or "/", os.W_OK)):
        d = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                         "cella-vm")
    os.makedirs(d, exist_ok=True)
    return d


def _norm(name):
    return name.replace("-", "_")


def _depends(path):
    """The depends= entry of a module's .modinfo (NUL-separated key=value
    strings; modules here are uncompressed)."""
    with open(path, "rb") as f:
        data = f.read()
    i = data.find(b"\0depends=")
    if i < 0:
        return []
    j = data.find(b"\0", i + 1)
    val = data[i + len(b"\0depends="):j].decode()
    return [d for d in val.split(",") if d]


def find_kernel():
    """The Kernel to boot: $CELLA_VM_KERNEL_DIR (a dpkg-deb -x tree) or the
    cache's current one. Raises Missing with the bootstrap step named."""
    tree = os.environ.get("CELLA_VM_KERNEL_DIR")
    if not tree:
        tree = os.path.join(cache_dir(), "current")
        if not os.path.isdir(tree):
            raise Missing(f"no guest kernel in {tree}; {BOOTSTRAP_HINT}")
    elif not os.path.isdir(tree):
        raise Missing(f"CELLA_VM_KERNEL_DIR={tree} is not a folder; {BOOTSTRAP_HINT}")
    return Kernel(os.path.realpath(tree))
