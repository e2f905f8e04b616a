#!/bin/sh
# bootstrap step (run as root): fetch the Debian 6.1 kernel the throwaway-VM
# harness (tests/vm/run) boots, and unpack it into a cache folder.
#
# The kernel is downloaded and unpacked, never installed: installing it pulls
# in initramfs-tools, writes /boot and /lib/modules and upgrades host
# packages. The full flavour (linux-image-6.1.0-N-amd64) is needed: -cloud
# has no 9p. Result:
#   $CELLA_VM_CACHE/<package>_<version>/{boot,lib}  (dpkg-deb -x tree)
#   $CELLA_VM_CACHE/current -> <package>_<version>
# Idempotent: a version already unpacked (marked by .complete) is skipped.
set -eu
CACHE=${CELLA_VM_CACHE:-/var/cache/cella-vm}

say() { echo "vm-kernel: $*"; }

newest() {
	apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' 2>/dev/null |
		awk '{print $1}' | sort -V | tail -n 1
}

pkg=$(newest)
if [ -z "$pkg" ]; then
	# Package lists may not be there yet (fresh machine, or they were cleaned).
	apt-get update -q >/dev/null 2>&1 || true
	pkg=$(newest)
fi
if [ -z "$pkg" ]; then
	if [ -e "$CACHE/current/.complete" ]; then
		say "no 6.1 kernel listed by apt; keeping cached $(readlink "$CACHE/current")"
		exit 0
	fi
	say "error: apt-cache lists no linux-image-6.1.0-N-amd64 (is the Debian 12 archive in sources.list?)" >&2
	exit 1
fi
ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2; exit}')
name="${pkg}_${ver}"
dest="$CACHE/$name"

if [ -e "$dest/.complete" ]; then
	say "$name already unpacked in $dest"
else
	mkdir -p "$CACHE"
	tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT INT TERM
	say "downloading $pkg $ver"
	# apt-get download writes into the cwd as the sandbox user _apt; give it
	# the folder (the download is checked against the signed lists either way).
	chmod 755 "$tmp"
	if id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
	(cd "$tmp" && apt-get download -q "$pkg=$ver" >/dev/null)
	deb=$(ls "$tmp"/*.deb)
	mkdir "$tmp/tree"
	dpkg-deb -x "$deb" "$tmp/tree"
	# The harness needs the kernel image and modules.order (the package
	# ships no modules.dep: depmod runs at install time; the harness reads
	# each module's own depends= instead).
	if ! ls "$tmp/tree/boot/vmlinuz-"* >/dev/null 2>&1 ||
		! ls "$tmp/tree/lib/modules/"*/modules.order >/dev/null 2>&1; then
		say "error: $deb has no boot/vmlinuz-* or lib/modules/*/modules.order" >&2
		exit 1
	fi
	rm -rf "$dest"
	mv "$tmp/tree" "$dest"
	touch "$dest/.complete"
	say "unpacked into $dest"
fi

# Point current at it (atomically) and drop versions it replaced.
ln -sfn "$name" "$CACHE/.current.new"
mv -T "$CACHE/.current.new" "$CACHE/current"
for d in "$CACHE"/*/; do
	d=${d%/}
	[ "$(basename "$d")" = "$name" ] || [ -L "$d" ] || rm -rf "$d"
done
