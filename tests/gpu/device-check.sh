#!/bin/sh
# gpu-device-check.sh: build cella's GPU discovery (src/gpu) on a machine with
# a real NVIDIA GPU and print its inventory beside nvidia-smi's, with a PASS or
# FAIL line per fact compared.
#
# Written for the lent H200 machine (driver 580, libraries under
# /usr/local/nvidia, nvidia-smi present, no package registry, and no meson
# project deps: maybe no libjansson-dev). NOT YET RUN ON A GPU: the session
# that wrote it had no device machine. Run it from the repository root.
#
# Two steps:
#   1. On the development machine (has libjansson-dev), in the repo root:
#        sh tests/gpu/device-check.sh --prepare
#      copies jansson's header and static library into build-gpu-device/deps
#      (an ignored folder, matched by /build*/ in .gitignore).
#   2. Through the device tool, from the repo root, with carry ["build-gpu-device"]:
#        sh tests/gpu/device-check.sh
#
#      Output: the build log, nvidia-smi's view, gpu-info's JSON, a CDI spec
#      for GPU 0, an NVML struct-layout probe, the unit tests against the fake
#      NVML, and CHECK lines. Files also land in $OUT when OUT is set.
#
# Exit status: 0 when every CHECK passed, 1 otherwise.
set -u
here=build-gpu-device
deps=$here/deps
out=${OUT:-$here/out}

if [ "${1:-}" = "--prepare" ]; then
        set -e
        mkdir -p "$deps/include" "$deps/lib"
        if [ -f /usr/include/jansson.h ] && [ -f /usr/lib/x86_64-linux-gnu/libjansson.a ]; then
                cp /usr/include/jansson.h /usr/include/jansson_config.h "$deps/include/"
                cp /usr/lib/x86_64-linux-gnu/libjansson.a "$deps/lib/"
        else
                # Debian's registry, through its ordinary client.
                (cd "$deps" && apt-get download libjansson-dev)
                dpkg-deb -x "$deps"/libjansson-dev_*.deb "$deps/x"
                cp "$deps"/x/usr/include/jansson*.h "$deps/include/"
                cp "$deps"/x/usr/lib/*/libjansson.a "$deps/lib/"
                rm -rf "$deps/x" "$deps"/*.deb
        fi
        cp "$0" "$here/check.sh"
        echo "prepared $deps; now run: sh $here/check.sh   (device tool, carry [\"$here\"])"
        exit 0
fi

[ -f src/gpu/gpu.h ] || { echo "run me from the cella repository root" >&2; exit 2; }
mkdir -p "$out" "$here/bin"
fails=0
check() {       # check NAME CONDITION-STATUS DETAIL
        if [ "$2" = 0 ]; then echo "CHECK $1: PASS ($3)"; else echo "CHECK $1: FAIL ($3)"; fails=$((fails + 1)); fi
}

echo "== machine"
uname -a
date -u
cat /etc/os-release 2>/dev/null | grep PRETTY_NAME

echo "== nvidia-smi"
if ! command -v nvidia-smi >/dev/null; then
        for d in /usr/local/nvidia/bin /usr/bin; do [ -x $d/nvidia-smi ] && PATH=$PATH:$d; done
fi
nvidia-smi -L | tee "$out/smi-L.txt"
nvidia-smi --query-gpu=index,uuid,name,memory.total,pci.bus_id,driver_version,mig.mode.current \
        --format=csv,noheader,nounits | tee "$out/smi-query.csv"
nvidia-smi topo -m 2>&1 | head -20
nvidia-smi nvlink --status 2>&1 | head -20

echo "== NVML library"
ldconfig -p 2>/dev/null | grep libnvidia-ml || echo "(libnvidia-ml not in the ld.so cache)"
nvml=
for f in /usr/local/nvidia/lib64/libnvidia-ml.so.1 /usr/local/nvidia/lib/libnvidia-ml.so.1 \
         /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1 /usr/lib64/libnvidia-ml.so.1; do
        [ -e "$f" ] && { nvml=$f; break; }
done
echo "NVML file: ${nvml:-none found}"
ls /proc/driver/nvidia/gpus/ 2>/dev/null && cat /proc/driver/nvidia/gpus/*/information 2>/dev/null

echo "== build (cc directly: the device machine has no meson project deps)"
cc=$(command -v cc || command -v gcc || command -v clang) || { echo "no C compiler" >&2; exit 1; }
$cc --version | head -1
jflags=
if ! echo '#include <jansson.h>' | $cc -E - >/dev/null 2>&1; then
        [ -f "$deps/include/jansson.h" ] || { echo "no jansson.h: run --prepare here and carry $here" >&2; exit 1; }
        jflags="-I$deps/include"
fi
jlib=-ljansson
[ -f "$deps/lib/libjansson.a" ] && jlib=$deps/lib/libjansson.a
cflags="-std=gnu11 -O2 -g -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Werror -Isrc $jflags"
gpu_src="src/base/error.c src/gpu/nvml_load.c src/gpu/discover.c src/gpu/topology.c src/gpu/gpu_json.c src/gpu/cdi.c"
set -x
$cc $cflags -o $here/bin/gpu-info src/gpu/gpu-info.c $gpu_src $jlib -ldl
build=$?
# ASan build: catches our own overruns while real NVML fills our buffers.
$cc $cflags -fsanitize=address,undefined -fno-omit-frame-pointer -o $here/bin/gpu-info-asan \
        src/gpu/gpu-info.c $gpu_src $jlib -ldl
# The fake NVML and the unit tests, to see them pass on this machine too.
$cc $cflags -shared -fPIC -fvisibility=hidden -o $here/bin/libnvidia-ml.so.1 tests/fakes/fake_nvml.c tests/fakes/fake_topology.c
$cc $cflags -shared -fPIC -fvisibility=hidden -DFAKE_NVML_OLD -o $here/bin/libnvidia-ml-old.so.1 \
        tests/fakes/fake_nvml.c tests/fakes/fake_topology.c
for t in test_gpu_discover test_gpu_cdi; do
        $cc $cflags -Itests/unit/gpu -o $here/bin/$t tests/unit/gpu/$t.c $gpu_src src/base/fileio.c $jlib -ldl
done
set +x
check build "$build" "src/gpu compiled and linked with $cc"
[ "$build" = 0 ] || exit 1

echo "== NVML struct layout probe (bytes each call writes into a sentinel-filled buffer)"
cat > $here/probe.c <<'EOF'
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include "gpu/nvml_abi.h"
static int written(const unsigned char *b, int n) { int last = -1; for (int i = 0; i < n; i++) if (b[i] != 0xAB) last = i; return last + 1; }
int main(int argc, char **argv) {
        void *dl = dlopen(argc > 1 ? argv[1] : "libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!dl) { printf("dlopen: %s\n", dlerror()); return 1; }
        nvmlInit_v2_fn init = (nvmlInit_v2_fn)dlsym(dl, "nvmlInit_v2");
        nvmlDeviceGetHandleByIndex_v2_fn handle = (nvmlDeviceGetHandleByIndex_v2_fn)dlsym(dl, "nvmlDeviceGetHandleByIndex_v2");
        nvmlDeviceGetPciInfo_v3_fn pci = (nvmlDeviceGetPciInfo_v3_fn)dlsym(dl, "nvmlDeviceGetPciInfo_v3");
        nvmlDeviceGetMemoryInfo_fn mem = (nvmlDeviceGetMemoryInfo_fn)dlsym(dl, "nvmlDeviceGetMemoryInfo");
        nvmlDeviceGetNvLinkRemotePciInfo_v2_fn rpci = (nvmlDeviceGetNvLinkRemotePciInfo_v2_fn)dlsym(dl, "nvmlDeviceGetNvLinkRemotePciInfo_v2");
        nvmlDevice_t h;
        if (!init || init() != 0 || !handle || handle(0, &h) != 0) { printf("no GPU 0\n"); return 1; }
        unsigned char b[512];
        memset(b, 0xAB, sizeof(b)); int r = pci(h, (nvmlPciInfo_t *)(void *)b);
        printf("PROBE nvmlDeviceGetPciInfo_v3 rc=%d wrote=%d limit=%zu busId@36='%.32s'\n", r, written(b, 512), sizeof(nvmlPciInfo_t), (char *)b + 36);
        memset(b, 0xAB, sizeof(b)); r = mem(h, (nvmlMemory_t *)(void *)b);
        printf("PROBE nvmlDeviceGetMemoryInfo rc=%d wrote=%d limit=%zu total=%llu\n", r, written(b, 512), sizeof(nvmlMemory_t), ((nvmlMemory_t *)(void *)b)->total);
        for (unsigned l = 0; rpci && l < 18; l++) {
                memset(b, 0xAB, sizeof(b)); r = rpci(h, l, (nvmlPciInfo_t *)(void *)b);
                if (r == 0) printf("PROBE nvmlDeviceGetNvLinkRemotePciInfo_v2 link=%u wrote=%d limit=%zu busId='%.32s'\n", l, written(b, 512), sizeof(nvmlPciInfo_t), (char *)b + 36);
        }
        return 0;
}
EOF
$cc $cflags -o $here/bin/probe $here/probe.c -ldl && $here/bin/probe ${nvml:+"$nvml"} | tee "$out/probe.txt"
awk '/^PROBE/ { split($0, a, "wrote="); split(a[2], w, " "); split($0, c, "limit="); split(c[2], m, " ");
     if (w[1] + 0 > m[1] + 0) bad = 1 } END { exit bad }' "$out/probe.txt"
check layout $? "no NVML call wrote past the struct size cella declares"

echo "== gpu-info (default dlopen name, then the explicit file)"
$here/bin/gpu-info > "$out/inventory.json"; rc=$?
cat "$out/inventory.json"
check discover-default "$rc" "gpu_discover with dlopen(\"libnvidia-ml.so.1\")"
if [ -n "$nvml" ]; then
        $here/bin/gpu-info --nvml "$nvml" > "$out/inventory-explicit.json"; rc=$?
        check discover-explicit "$rc" "gpu_discover with $nvml"
        cmp -s "$out/inventory.json" "$out/inventory-explicit.json"
        check same-inventory $? "both loads give the same inventory"
        ASAN_OPTIONS=detect_leaks=1 $here/bin/gpu-info-asan --nvml "$nvml" > /dev/null
        check asan $? "the ASan+UBSan build ran clean against the real NVML"
fi
echo "== CDI spec for GPU 0"
$here/bin/gpu-info --cdi 0 | tee "$out/cdi.json"
check cdi $? "gpu_cdi_spec for GPU 0"

echo "== compare with nvidia-smi"
python3 - "$out/inventory.json" "$out/smi-query.csv" <<'EOF'
import json, sys
inv = json.load(open(sys.argv[1]))
rows = [[c.strip() for c in l.split(",")] for l in open(sys.argv[2]) if l.strip()]
def check(name, ok, detail):
    print(f"CHECK {name}: {'PASS' if ok else 'FAIL'} ({detail})")
    return 0 if ok else 1
bad = check("count", len(inv["gpus"]) == len(rows), f"cella {len(inv['gpus'])}, nvidia-smi {len(rows)}")
for g, r in zip(inv["gpus"], rows):
    idx, uuid, name, mem_mib, bus, drv, mig = r
    i = g["index"]
    bad += check(f"gpu{i}-uuid", g["uuid"] == uuid, g["uuid"])
    bad += check(f"gpu{i}-name", g["name"] == name, g["name"])
    bad += check(f"gpu{i}-memory", g["memory_bytes"] >> 20 == int(mem_mib), f"{g['memory_bytes'] >> 20} MiB vs {mem_mib} MiB")
    bad += check(f"gpu{i}-pci", g["pci_bus_id"].upper() == bus.upper(), g["pci_bus_id"])
    bad += check(f"gpu{i}-mig", g["mig_enabled"] == (mig == "Enabled"), f"mig {g['mig_enabled']} vs '{mig}'")
    bad += check(f"gpu{i}-minor", g["minor"] >= 0, f"/dev/nvidia{g['minor']}")
    print(f"INFO gpu{i} numa_node={g['numa_node']} nvlink_peers={g['nvlink_peers']}")
    bad += check("driver", inv["driver_version"] == drv, inv["driver_version"])
sys.exit(1 if bad else 0)
EOF
[ $? = 0 ] || fails=$((fails + 1))

echo "== unit tests against the fake NVML, on this machine"
for t in test_gpu_discover test_gpu_cdi; do
        CELLA_NVML_LIBRARY=$PWD/$here/bin/libnvidia-ml.so.1 CELLA_FAKE_NVML_OLD=$PWD/$here/bin/libnvidia-ml-old.so.1 \
                CELLA_FAKE_TOPO_DIR=$PWD/tests/fakes/topo $here/bin/$t > "$out/$t.tap"
        rc=$?
        check "$t" "$rc" "$(grep -c '^ok' "$out/$t.tap") ok, $(grep -c '^not ok' "$out/$t.tap") not ok"
done

echo "== $fails failed check(s)"
[ "$fails" = 0 ]
