/* gpu_discover against the fake NVML: the shipped topologies seen exactly,
 * missing and failing calls degrade or fail as docs/gpu.md says, and no
 * library / no driver give zero GPUs with a reason. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include "tap.h"
#include "gpu_test_util.h"
#include "gpu/gpu_internal.h"

static const unsigned buses[8] = { 0x19, 0x3b, 0x4c, 0x5d, 0x9b, 0xbb, 0xcb, 0xdb };

static gpu_inventory inv;

static int discover(const char *lib, cella_error **err)
{
        memset(&inv, 0x5a, sizeof(inv));  /* garbage, to show every field is set */
        return gpu_discover(lib, &inv, err);
}

static bool peers_are(const gpu_device *d, const unsigned *want, unsigned n)
{
        if (d->nvlink_peer_count != n)
                return false;
        for (unsigned i = 0; i < n; i++)
                if (d->nvlink_peers[i] != want[i])
                        return false;
        return true;
}

/* tests/fakes/topo/dgx8.topo, with the sysfs fallback for GPU 5's NUMA node. */
static void test_dgx8(void)
{
        put_file("host/sys/bus/pci/devices/0000:bb:00.0/numa_node", "1\n");
        char root[300];
        snprintf(root, sizeof(root), "%s/host", scratch);
        setenv("CELLA_GPU_HOST_ROOT", root, 1);
        use_topology(topo_path("dgx8.topo"));

        cella_error *err = NULL;
        int r = discover(NULL, &err);
        is_int(r, 0, "dgx8: gpu_discover succeeds");
        if (r < 0)
                printf("# %s\n", err->msg);
        err_free(err);
        is_int(inv.count, 8, "dgx8: 8 GPUs");
        is_str(inv.driver_version, "580.95.05", "dgx8: driver version");
        is_str(inv.nvml_version, "13.580.95.05", "dgx8: NVML version");
        for (unsigned i = 0; i < 8 && i < inv.count; i++) {
                const gpu_device *d = &inv.devices[i];
                char want[96], name[64];
                snprintf(want, sizeof(want), "GPU-8c1f0a52-%04x-4d2e-9b7a-5e3c0d4f%04x", i, 0x1000 + i * 0x111);
                snprintf(name, sizeof(name), "dgx8: GPU %u uuid", i);
                is_str(d->uuid, want, name);
                snprintf(want, sizeof(want), "00000000:%02X:00.0", buses[i]);
                snprintf(name, sizeof(name), "dgx8: GPU %u PCI bus id", i);
                is_str(d->pci_bus_id, want, name);
                ok(d->index == i && d->minor == i, "dgx8: GPU %u index and minor", i);
                ok(streq(d->name, "NVIDIA H200") && d->memory_total == 143771ULL << 20,
                   "dgx8: GPU %u name and memory", i);
                /* GPU 5's NVML NUMA query fails (injected); sysfs says 1. */
                snprintf(name, sizeof(name), "dgx8: GPU %u NUMA node", i);
                is_int(d->numa_node, i / 4, name);
                snprintf(name, sizeof(name), "dgx8: GPU %u MIG", i);
                is_int(d->mig_enabled, i == 6, name);
                unsigned want_peers[3], n = 0;
                for (unsigned j = (i / 4) * 4; j < (i / 4) * 4 + 4; j++)
                        if (j != i)
                                want_peers[n++] = j;
                ok(peers_are(d, want_peers, 3), "dgx8: GPU %u peers are the other three of its group", i);
        }

        /* Without the sysfs fallback, GPU 5's NUMA node is unknown, not an error. */
        setenv("CELLA_GPU_HOST_ROOT", scratch, 1);  /* a root with no sysfs in it */
        r = discover(NULL, NULL);
        ok(r == 0 && inv.count == 8 && inv.devices[5].numa_node == -1 && inv.devices[4].numa_node == 1,
           "dgx8 without sysfs: GPU 5 NUMA node degrades to -1");
        unsetenv("CELLA_GPU_HOST_ROOT");
}

static void test_nvswitch(void)
{
        use_topology(topo_path("hgx8-nvswitch.topo"));
        int r = discover(NULL, NULL);
        ok(r == 0 && inv.count == 8, "hgx8: 8 GPUs");
        bool all = true;
        for (unsigned i = 0; i < inv.count; i++) {
                unsigned want[7], n = 0;
                for (unsigned j = 0; j < 8; j++)
                        if (j != i)
                                want[n++] = j;
                all = all && peers_are(&inv.devices[i], want, 7);
        }
        ok(all, "hgx8: NVSwitch-attached GPUs are all peers of each other");
}

static void test_single(void)
{
        use_topology(topo_path("h200x1.topo"));
        int r = discover(NULL, NULL);
        ok(r == 0 && inv.count == 1, "h200x1: one GPU");
        const gpu_device *d = &inv.devices[0];
        is_str(d->uuid, "GPU-5b0c6f2e-7d41-4c8a-a3b9-0e2f1d6c8a47", "h200x1: uuid");
        is_int(d->memory_total >> 20, 143771, "h200x1: 143771 MiB");
        is_int(d->nvlink_peer_count, 0, "h200x1: no NVLink (NOT_SUPPORTED) means no peers");
        is_str(inv.why_none, "", "h200x1: why_none empty");
}

static void test_none(void)
{
        char path[300];
        snprintf(path, sizeof(path), "%s/no-such-libnvidia-ml.so.1", scratch);
        cella_error *err = NULL;
        int r = discover(path, &err);
        ok(r == 0 && inv.count == 0 && !err, "no library: success with 0 GPUs");
        has_str(inv.why_none, "not found", "no library: why_none says not found");
        has_str(inv.why_none, "no-such-libnvidia-ml.so.1", "no library: why_none names the library");

        r = discover("libm.so.6", NULL);
        ok(r == 0 && inv.count == 0, "a library that is not NVML: 0 GPUs");
        has_str(inv.why_none, "lacks nvmlInit_v2", "not NVML: why_none names the missing symbol");

        use_topology(topo_path("nodriver.topo"));
        r = discover(NULL, &err);
        ok(r == 0 && inv.count == 0 && !err, "no driver: success with 0 GPUs");
        has_str(inv.why_none, "Driver Not Loaded", "no driver: why_none says so");
        has_str(inv.why_none, "nvmlInit_v2", "no driver: why_none names nvmlInit_v2");

        use_topology_text("zero.topo", NULL, "driver 580.95.05\n");
        r = discover(NULL, NULL);
        ok(r == 0 && inv.count == 0, "driver but no GPUs: 0 GPUs");
        has_str(inv.why_none, "no GPUs", "driver but no GPUs: why_none");

        use_topology_text("broken.topo", NULL, "gpu 0 colour=blue\n");
        r = discover(NULL, NULL);
        ok(r == 0 && inv.count == 0, "fake with a bad topology: nvmlInit fails, 0 GPUs");
        has_str(inv.why_none, "NVML error 999", "bad topology: why_none carries the code");
}

/* A call that fails must name the call and the GPU and leave *ret alone. */
static void expect_failure(const char *label, const char *extra, const char *want_call, const char *want_msg)
{
        use_topology_text("fault.topo", "dgx8.topo", extra);
        gpu_inventory before;
        memset(&inv, 0x33, sizeof(inv));
        before = inv;
        cella_error *err = NULL;
        int r = gpu_discover(NULL, &inv, &err);
        ok(r == -EIO, "%s: gpu_discover fails with -EIO (got %d)", label, r);
        has_str(err ? err->msg : NULL, want_call, label);
        has_str(err ? err->msg : NULL, want_msg, label);
        ok(memcmp(&before, &inv, sizeof(inv)) == 0, "%s: *ret untouched", label);
        err_free(err);
}

static void test_faults(void)
{
        expect_failure("memory lost", "error nvmlDeviceGetMemoryInfo 3 15\n", "nvmlDeviceGetMemoryInfo on GPU 3",
                       "GPU is lost");
        expect_failure("uuid", "error nvmlDeviceGetUUID 0 3\n", "nvmlDeviceGetUUID on GPU 0", "Not Supported");
        expect_failure("count", "error nvmlDeviceGetCount_v2 - 999\n", "nvmlDeviceGetCount_v2", "Unknown Error");
        expect_failure("handle", "error nvmlDeviceGetHandleByIndex_v2 7 4\n", "nvmlDeviceGetHandleByIndex_v2 on GPU 7",
                       "Insufficient Permissions");
        expect_failure("minor", "error nvmlDeviceGetMinorNumber 1 999\n", "nvmlDeviceGetMinorNumber on GPU 1",
                       "NVML error 999");
        expect_failure("pci", "error nvmlDeviceGetPciInfo_v3 4 15\n", "nvmlDeviceGetPciInfo_v3 on GPU 4", "lost");
        expect_failure("mig", "error nvmlDeviceGetMigMode 6 999\n", "nvmlDeviceGetMigMode on GPU 6", "Unknown");

        use_topology(topo_path("gpu-lost.topo"));
        cella_error *err = NULL;
        int r = discover(NULL, &err);
        ok(r == -EIO, "gpu-lost.topo: discovery fails");
        has_str(err ? err->msg : NULL, "nvmlDeviceGetMemoryInfo on GPU 2: GPU is lost", "gpu-lost.topo: message");
        err_free(err);

        /* Degraded, not fatal: NOT_SUPPORTED on identity-adjacent fields, any error on topology. */
        use_topology_text("degrade.topo", "dgx8.topo",
                          "error nvmlDeviceGetName 1 3\n"
                          "error nvmlDeviceGetMemoryInfo 2 3\n"
                          "error nvmlDeviceGetNvLinkState 0 999\n"
                          "error nvmlDeviceGetNvLinkRemotePciInfo_v2 4 15\n"
                          "error nvmlSystemGetDriverVersion - 999\n");
        err = NULL;
        r = discover(NULL, &err);
        ok(r == 0 && inv.count == 8, "degraded fields: discovery succeeds");
        err_free(err);
        is_str(inv.devices[1].name, "", "Name NOT_SUPPORTED: empty name");
        is_int(inv.devices[2].memory_total, 0, "MemoryInfo NOT_SUPPORTED: memory 0");
        is_str(inv.driver_version, "", "driver version failing: empty");
        /* GPU 0's own link queries fail, but its peers report links to it. */
        unsigned want0[3] = { 1, 2, 3 }, want4[3] = { 5, 6, 7 };
        ok(peers_are(&inv.devices[0], want0, 3), "NvLinkState failing on GPU 0: peers still known from the other side");
        ok(peers_are(&inv.devices[4], want4, 3), "remote PCI failing on GPU 4: peers known from the other side");

        /* Every link query failing everywhere: no peers at all, still no error. */
        use_topology_text("nolinks.topo", "dgx8.topo", "error nvmlDeviceGetNvLinkState * 999\n");
        r = discover(NULL, NULL);
        ok(r == 0 && inv.count == 8 && inv.devices[0].nvlink_peer_count == 0 &&
           inv.devices[7].nvlink_peer_count == 0, "NvLinkState failing everywhere: no peers, no error");
}

/* An old driver's NVML lacks nvmlDeviceGetNumaNodeId, nvmlDeviceGetMigMode
 * and nvmlDeviceGetNvLinkRemoteDeviceType: each degrades. */
static void test_old_driver(void)
{
        const char *old = getenv("CELLA_FAKE_NVML_OLD");
        use_topology(topo_path("dgx8.topo"));
        put_file("old/sys/bus/pci/devices/0000:19:00.0/numa_node", "0\n");
        put_file("old/sys/bus/pci/devices/0000:db:00.0/numa_node", "1\n");
        put_file("old/sys/bus/pci/devices/0000:3b:00.0/numa_node", "-1\n");
        char root[300];
        snprintf(root, sizeof(root), "%s/old", scratch);
        setenv("CELLA_GPU_HOST_ROOT", root, 1);
        int r = discover(old, NULL);
        ok(r == 0 && inv.count == 8, "old NVML: 8 GPUs");
        ok(inv.devices[0].numa_node == 0 && inv.devices[7].numa_node == 1,
           "old NVML: NUMA nodes from sysfs");
        ok(inv.devices[1].numa_node == -1 && inv.devices[2].numa_node == -1,
           "old NVML: NUMA -1 where sysfs says -1 or nothing");
        ok(inv.devices[6].mig_enabled == 0, "old NVML: no nvmlDeviceGetMigMode means MIG off");
        unsigned want[3] = { 4, 5, 6 };
        ok(peers_are(&inv.devices[7], want, 3), "old NVML: peers by remote bus id without the remote type call");

        /* Minor number from /proc when NVML does not support it. */
        use_topology_text("nominor.topo", NULL, "gpu 0 pci=00000000:19:00.0 minor=none\n"
                                                "gpu 1 pci=00000000:3B:00.0 minor=none\n");
        put_file("old/proc/driver/nvidia/gpus/0000:19:00.0/information",
                 "Model: \t\t NVIDIA H200\nIRQ:   \t\t 123\nDevice Minor: \t 4\nBus Location: \t 0000:19:00.0\n");
        r = discover(old, NULL);
        ok(r == 0 && inv.count == 2 && inv.devices[0].minor == 4, "minor from /proc/driver/nvidia when NVML lacks it");
        ok(inv.devices[1].minor == UINT_MAX, "minor unknown when neither knows it");
        unsetenv("CELLA_GPU_HOST_ROOT");
}

static void test_limits_and_repeat(void)
{
        char text[100 * 32] = "";
        for (int i = 0; i < 65; i++)
                snprintf(text + strlen(text), sizeof(text) - strlen(text), "gpu %d\n", i);
        use_topology_text("many.topo", NULL, text);
        cella_error *err = NULL;
        int r = discover(NULL, &err);
        ok(r == -E2BIG, "65 GPUs: refused (got %d)", r);
        has_str(err ? err->msg : NULL, "65 GPUs, more than the 64", "65 GPUs: message");
        err_free(err);

        /* Discovery is repeatable: NVML is initialised and shut down each time. */
        use_topology(topo_path("dgx8.topo"));
        static gpu_inventory a, b;
        ok(gpu_discover(NULL, &a, NULL) == 0 && gpu_discover(NULL, &b, NULL) == 0 &&
           a.count == 8 && memcmp(&a, &b, sizeof(a)) == 0, "two discoveries give identical inventories");
}

/* Bus ids match however NVML or sysfs spells them. */
static void test_pci_ids(void)
{
        char name[32];
        ok(gpu_pci_same("00000000:3B:00.0", "0000:3b:00.0"), "PCI: 8- and 4-digit domains, either case, match");
        ok(!gpu_pci_same("00000000:3B:00.0", "00000000:3B:00.1"), "PCI: another function differs");
        ok(!gpu_pci_same("", "") && !gpu_pci_same("zz", "zz"), "PCI: unparsable ids never match");
        ok(gpu_pci_sysfs_name("00000000:BB:00.0", name, sizeof(name)) && streq(name, "0000:bb:00.0"),
           "PCI: sysfs spelling of 00000000:BB:00.0 is 0000:bb:00.0");
        ok(gpu_pci_sysfs_name("00010002:01:1f.7", name, sizeof(name)) && streq(name, "10002:01:1f.7"),
           "PCI: a domain past 0xffff keeps its digits");
        ok(!gpu_pci_sysfs_name("00000000:19:00.0/../..", name, sizeof(name)) &&
           !gpu_pci_sysfs_name("00000000:100:00.0", name, sizeof(name)),
           "PCI: trailing junk and out-of-range fields are refused (no path games in sysfs lookups)");
}

int main(void)
{
        if (!fake_lib()) {
                printf("1..0 # SKIP CELLA_NVML_LIBRARY not set (run through meson test)\n");
                return 0;
        }
        scratch_init();
        test_pci_ids();
        test_dgx8();
        test_nvswitch();
        test_single();
        test_none();
        test_faults();
        test_old_driver();
        test_limits_and_repeat();
        scratch_done();
        return tap_done();
}
