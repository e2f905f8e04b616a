/* gpu_inventory_to_json and gpu_cdi_spec: their JSON, field by field. */
#include <errno.h>
#include <stdbool.h>
#include "tap.h"
#include "gpu_test_util.h"

static gpu_inventory inv;

static const char *jstr(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static void test_inventory_json(void)
{
        use_topology(topo_path("dgx8.topo"));
        ok(gpu_discover(NULL, &inv, NULL) == 0 && inv.count == 8, "dgx8 discovered");
        json_t *j = gpu_inventory_to_json(&inv);
        ok(j != NULL, "inventory JSON built");
        is_str(jstr(j, "driver_version"), "580.95.05", "JSON driver_version");
        ok(json_object_get(j, "why_none") == NULL, "JSON: no why_none when there are GPUs");
        json_t *gpus = json_object_get(j, "gpus");
        is_int(json_array_size(gpus), 8, "JSON: 8 gpus");
        json_t *g6 = json_array_get(gpus, 6);
        is_int(json_integer_value(json_object_get(g6, "index")), 6, "JSON gpu 6 index");
        is_str(jstr(g6, "uuid"), inv.devices[6].uuid, "JSON gpu 6 uuid");
        is_str(jstr(g6, "name"), "NVIDIA H200", "JSON gpu 6 name");
        is_int(json_integer_value(json_object_get(g6, "memory_bytes")), 143771LL << 20, "JSON gpu 6 memory_bytes");
        is_int(json_integer_value(json_object_get(g6, "minor")), 6, "JSON gpu 6 minor");
        is_str(jstr(g6, "pci_bus_id"), "00000000:CB:00.0", "JSON gpu 6 pci_bus_id");
        is_int(json_integer_value(json_object_get(g6, "numa_node")), 1, "JSON gpu 6 numa_node");
        ok(json_is_true(json_object_get(g6, "mig_enabled")), "JSON gpu 6 mig_enabled true");
        ok(json_is_false(json_object_get(json_array_get(gpus, 0), "mig_enabled")), "JSON gpu 0 mig_enabled false");
        json_t *peers = json_object_get(g6, "nvlink_peers");
        ok(json_array_size(peers) == 3 && streq(json_string_value(json_array_get(peers, 0)), inv.devices[4].uuid) &&
           streq(json_string_value(json_array_get(peers, 2)), inv.devices[7].uuid),
           "JSON gpu 6 nvlink_peers are the UUIDs of GPUs 4, 5, 7");
        json_decref(j);

        gpu_inventory none;
        use_topology(topo_path("nodriver.topo"));
        ok(gpu_discover(NULL, &none, NULL) == 0 && none.count == 0, "nodriver discovered");
        j = gpu_inventory_to_json(&none);
        ok(j && json_array_size(json_object_get(j, "gpus")) == 0, "JSON without GPUs: empty gpus");
        has_str(jstr(j, "why_none"), "Driver Not Loaded", "JSON without GPUs: why_none");
        json_decref(j);
}

static bool mounted(json_t *mounts, const char *path)
{
        size_t i;
        json_t *m;
        json_array_foreach(mounts, i, m)
                if (streq(jstr(m, "hostPath"), path) && streq(jstr(m, "containerPath"), path))
                        return true;
        return false;
}

static void test_cdi(void)
{
        char dirs[1024], path[512];
        put_file("lib1/libnvidia-ml.so.1", "x");
        put_file("lib2/libnvidia-ml.so.1", "x");
        put_file("lib2/libcuda.so.1", "x");
        put_file("lib2/libunrelated.so.1", "x");
        put_file("bin/nvidia-smi", "x");
        snprintf(dirs, sizeof(dirs), "%s/lib1:%s/missing::%s/lib2", scratch, scratch, scratch);
        setenv("CELLA_NVIDIA_LIBDIRS", dirs, 1);
        snprintf(dirs, sizeof(dirs), "%s/bin", scratch);
        setenv("CELLA_NVIDIA_BINDIRS", dirs, 1);

        unsigned pick[2] = { 2, 0 };
        json_t *spec = NULL;
        cella_error *err = NULL;
        int r = gpu_cdi_spec(&inv, pick, 2, &spec, &err);
        is_int(r, 0, "CDI spec for GPUs 2 and 0");
        if (r < 0) {
                printf("# %s\n", err->msg);
                err_free(err);
                return;
        }
        is_str(jstr(spec, "cdiVersion"), "0.6.0", "CDI cdiVersion");
        is_str(jstr(spec, "kind"), "nvidia.com/gpu", "CDI kind");
        json_t *devs = json_object_get(spec, "devices");
        is_int(json_array_size(devs), 2, "CDI: two devices");
        json_t *d0 = json_array_get(devs, 0);
        is_str(jstr(d0, "name"), "2", "CDI device 0 is named by its index");
        json_t *n0 = json_array_get(json_object_get(json_object_get(d0, "containerEdits"), "deviceNodes"), 0);
        is_str(jstr(n0, "path"), "/dev/nvidia2", "CDI device 0 node path");
        ok(streq(jstr(n0, "type"), "c") && json_integer_value(json_object_get(n0, "major")) == 195 &&
           json_integer_value(json_object_get(n0, "minor")) == 2, "CDI device 0 node is char 195:2");
        is_str(jstr(json_array_get(devs, 1), "name"), "0", "CDI device 1 is GPU 0");

        json_t *edits = json_object_get(spec, "containerEdits");
        json_t *env = json_object_get(edits, "env");
        char want[300];
        snprintf(want, sizeof(want), "NVIDIA_VISIBLE_DEVICES=%s,%s", inv.devices[2].uuid, inv.devices[0].uuid);
        is_str(json_string_value(json_array_get(env, 0)), want, "CDI env NVIDIA_VISIBLE_DEVICES lists the UUIDs");
        is_str(json_string_value(json_array_get(env, 1)), "NVIDIA_DRIVER_CAPABILITIES=compute,utility",
               "CDI env NVIDIA_DRIVER_CAPABILITIES");
        json_t *nodes = json_object_get(edits, "deviceNodes");
        ok(json_array_size(nodes) == 3 && streq(jstr(json_array_get(nodes, 0), "path"), "/dev/nvidiactl") &&
           json_integer_value(json_object_get(json_array_get(nodes, 0), "minor")) == 255 &&
           streq(jstr(json_array_get(nodes, 1), "path"), "/dev/nvidia-uvm") &&
           streq(jstr(json_array_get(nodes, 2), "path"), "/dev/nvidia-uvm-tools"),
           "CDI common nodes: nvidiactl (195:255), nvidia-uvm, nvidia-uvm-tools");
        json_t *mounts = json_object_get(edits, "mounts");
        is_int(json_array_size(mounts), 3, "CDI: three driver files found and mounted");
        snprintf(path, sizeof(path), "%s/lib1/libnvidia-ml.so.1", scratch);
        ok(mounted(mounts, path), "CDI mounts libnvidia-ml.so.1 from the first dir that has it");
        snprintf(path, sizeof(path), "%s/lib2/libcuda.so.1", scratch);
        ok(mounted(mounts, path), "CDI mounts libcuda.so.1");
        snprintf(path, sizeof(path), "%s/bin/nvidia-smi", scratch);
        ok(mounted(mounts, path), "CDI mounts nvidia-smi");
        json_t *opts = json_object_get(json_array_get(mounts, 0), "options");
        ok(json_array_size(opts) == 4 && streq(json_string_value(json_array_get(opts, 0)), "ro") &&
           streq(json_string_value(json_array_get(opts, 3)), "bind"), "CDI mount options ro,nosuid,nodev,bind");
        json_decref(spec);

        /* No driver files anywhere: the spec still has devices, and no mounts. */
        setenv("CELLA_NVIDIA_LIBDIRS", "/nonexistent", 1);
        setenv("CELLA_NVIDIA_BINDIRS", "", 1);
        ok(gpu_cdi_spec(&inv, pick, 1, &spec, NULL) == 0 &&
           json_array_size(json_object_get(json_object_get(spec, "containerEdits"), "mounts")) == 0,
           "CDI without driver files: empty mounts");
        json_decref(spec);
}

static void cdi_refused(const char *label, const unsigned *pick, size_t n, int want_r, const char *want_msg)
{
        json_t *spec = (json_t *)0x1;  /* must stay untouched */
        cella_error *err = NULL;
        int r = gpu_cdi_spec(&inv, pick, n, &spec, &err);
        ok(r == want_r && spec == (json_t *)0x1, "%s: refused with %d (got %d)", label, want_r, r);
        has_str(err ? err->msg : NULL, want_msg, label);
        err_free(err);
}

static void test_cdi_errors(void)
{
        unsigned out[1] = { 8 }, dup[2] = { 1, 1 }, mig[1] = { 6 };
        cdi_refused("index past the inventory", out, 1, -EINVAL, "GPU index 8 is not in the inventory (8 GPUs)");
        cdi_refused("duplicate index", dup, 2, -EINVAL, "GPU index 1 chosen twice");
        cdi_refused("no GPUs", out, 0, -EINVAL, "no GPUs chosen");
        cdi_refused("MIG GPU", mig, 1, -ENOTSUP, "MIG mode");
}

int main(void)
{
        if (!fake_lib()) {
                printf("1..0 # SKIP CELLA_NVML_LIBRARY not set (run through meson test)\n");
                return 0;
        }
        scratch_init();
        test_inventory_json();
        test_cdi();
        test_cdi_errors();
        scratch_done();
        return tap_done();
}
