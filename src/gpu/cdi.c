/* gpu_cdi_spec: a CDI spec (cdiVersion 0.6.0) that puts chosen GPUs into a
 * container: their device nodes, the driver's control nodes, the driver's
 * user-space files as read-only bind mounts, and the NVIDIA_* environment.
 *
 * Driver files are looked up at call time in CELLA_NVIDIA_LIBDIRS /
 * CELLA_NVIDIA_BINDIRS (colon-separated) or in the usual places; each is
 * mounted at the same path inside the container, as the NVIDIA container
 * toolkit does. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "base/macros.h"
#include "gpu_internal.h"

#define NVIDIA_MAJOR 195          /* fixed by the driver: /dev/nvidiaN, /dev/nvidiactl */
#define NVIDIACTL_MINOR 255

static const char *const default_libdirs =
        "/usr/local/nvidia/lib64:/usr/local/nvidia/lib:/usr/lib/x86_64-linux-gnu:/usr/lib64:/usr/lib";
static const char *const default_bindirs = "/usr/local/nvidia/bin:/usr/bin";

/* The driver's user-space libraries a CUDA or NVML program loads by soname. */
static const char *const driver_libs[] = {
        "libnvidia-ml.so.1", "libcuda.so.1", "libcudadebugger.so.1", "libnvidia-ptxjitcompiler.so.1",
        "libnvidia-nvvm.so.4", "libnvidia-cfg.so.1", "libnvidia-allocator.so.1", "libnvidia-opencl.so.1",
        "libnvidia-pkcs11-openssl3.so.1",
};
static const char *const driver_bins[] = {
        "nvidia-smi", "nvidia-debugdump", "nvidia-persistenced", "nvidia-cuda-mps-control",
        "nvidia-cuda-mps-server",
};
static const char *const driver_sockets[] = { "/run/nvidia-persistenced/socket" };

static json_t *device_node(const char *path, int major, int minor)
{
        json_t *o = json_pack("{s:s, s:s, s:s}", "path", path, "hostPath", path, "permissions", "rwm");
        if (o && major >= 0 && (json_object_set_new(o, "type", json_string("c")) < 0 ||
                                json_object_set_new(o, "major", json_integer(major)) < 0 ||
                                json_object_set_new(o, "minor", json_integer(minor)) < 0)) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static int append(json_t *arr, json_t *v)
{
        return v && json_array_append_new(arr, v) == 0 ? 0 : -ENOMEM;
}

static int add_mount(json_t *mounts, const char *path, bool is_socket)
{
        json_t *m = json_pack("{s:s, s:s, s:[sss]}", "hostPath", path, "containerPath", path, "options",
                              is_socket ? "rw" : "ro", "nosuid", "nodev");
        if (m && json_array_append_new(json_object_get(m, "options"), json_string("bind")) < 0) {
                json_decref(m);
                m = NULL;
        }
        return append(mounts, m);
}

/* Mount the first existing dir/name for each name, searching dirs in order. */
static int add_found(json_t *mounts, const char *dirs, const char *const *names, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const char *p = dirs;
                while (*p) {
                        size_t len = strcspn(p, ":");
                        char path[512];
                        struct stat st;
                        if (len > 0 && len < 400) {
                                snprintf(path, sizeof(path), "%.*s/%s", (int)len, p, names[i]);
                                if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                                        if (add_mount(mounts, path, false) < 0)
                                                return -ENOMEM;
                                        break;
                                }
                        }
                        p += len + (p[len] == ':');
                }
        }
        return 0;
}

static int common_edits(json_t *edits, const gpu_inventory *inv, const unsigned *idx, size_t n)
{
        char visible[GPU_MAX_DEVICES * 97] = "";
        size_t off = 0;
        for (size_t i = 0; i < n; i++)
                off += (size_t)snprintf(visible + off, sizeof(visible) - off, "%s%s", i ? "," : "",
                                        inv->devices[idx[i]].uuid);
        char env_visible[sizeof(visible) + 32];
        snprintf(env_visible, sizeof(env_visible), "NVIDIA_VISIBLE_DEVICES=%s", visible);

        json_t *env = json_pack("[ss]", env_visible, "NVIDIA_DRIVER_CAPABILITIES=compute,utility");
        json_t *nodes = json_array(), *mounts = json_array();
        int r = env && nodes && mounts ? 0 : -ENOMEM;
        if (r == 0)
                r = append(nodes, device_node("/dev/nvidiactl", NVIDIA_MAJOR, NVIDIACTL_MINOR));
        /* nvidia-uvm's major is allocated at module load: the runtime reads it
         * from the host node when it creates the container's. */
        if (r == 0)
                r = append(nodes, device_node("/dev/nvidia-uvm", -1, 0));
        if (r == 0)
                r = append(nodes, device_node("/dev/nvidia-uvm-tools", -1, 0));

        const char *libdirs = getenv("CELLA_NVIDIA_LIBDIRS"), *bindirs = getenv("CELLA_NVIDIA_BINDIRS");
        if (r == 0)
                r = add_found(mounts, libdirs ? libdirs : default_libdirs, driver_libs, ARRAY_SIZE(driver_libs));
        if (r == 0)
                r = add_found(mounts, bindirs ? bindirs : default_bindirs, driver_bins, ARRAY_SIZE(driver_bins));
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(driver_sockets); i++) {
                struct stat st;
                if (stat(driver_sockets[i], &st) == 0 && S_ISSOCK(st.st_mode))
                        r = add_mount(mounts, driver_sockets[i], true);
        }
        if (r < 0) {
                json_decref(env);
                json_decref(nodes);
                json_decref(mounts);
                return r;
        }
        if (json_object_set_new(edits, "env", env) < 0 || json_object_set_new(edits, "deviceNodes", nodes) < 0 ||
            json_object_set_new(edits, "mounts", mounts) < 0)
                return -ENOMEM;
        return 0;
}

static int check_indexes(const gpu_inventory *inv, const unsigned *idx, size_t n, cella_error **err)
{
        if (n == 0 || !idx)
                return err_setx(err, EINVAL, "CDI spec: no GPUs chosen");
        if (n > inv->count)
                return err_setx(err, EINVAL, "CDI spec: %zu GPUs chosen, the inventory holds %zu", n, inv->count);
        for (size_t i = 0; i < n; i++) {
                if (idx[i] >= inv->count)
                        return err_setx(err, EINVAL, "CDI spec: GPU index %u is not in the inventory (%zu GPUs)",
                                        idx[i], inv->count);
                for (size_t j = 0; j < i; j++)
                        if (idx[j] == idx[i])
                                return err_setx(err, EINVAL, "CDI spec: GPU index %u chosen twice", idx[i]);
                const gpu_device *d = &inv->devices[idx[i]];
                if (d->minor == GPU_MINOR_UNKNOWN)
                        return err_setx(err, EINVAL, "CDI spec: GPU %u (%s) has no known minor number",
                                        idx[i], d->uuid);
                if (d->mig_enabled)
                        return err_setx(err, ENOTSUP, "CDI spec: GPU %u (%s) is in MIG mode; "
                                        "MIG devices (/dev/nvidia-caps) are not supported", idx[i], d->uuid);
        }
        return 0;
}

int gpu_cdi_spec(const gpu_inventory *inv, const unsigned *indexes, size_t n, json_t **ret, cella_error **err)
{
        int r = check_indexes(inv, indexes, n, err);
        if (r < 0)
                return r;

        json_t *spec = json_pack("{s:s, s:s}", "cdiVersion", "0.6.0", "kind", "nvidia.com/gpu");
        json_t *devices = json_array(), *edits = json_object();
        r = spec && devices && edits ? 0 : -ENOMEM;
        for (size_t i = 0; r == 0 && i < n; i++) {
                const gpu_device *d = &inv->devices[indexes[i]];
                char path[32], name[16];
                snprintf(path, sizeof(path), "/dev/nvidia%u", d->minor);
                snprintf(name, sizeof(name), "%u", d->index);
                json_t *node = device_node(path, NVIDIA_MAJOR, (int)d->minor);
                json_t *dev = node ? json_pack("{s:s, s:{s:[o]}}", "name", name, "containerEdits",
                                               "deviceNodes", node) : NULL;
                r = append(devices, dev);
        }
        if (r == 0)
                r = common_edits(edits, inv, indexes, n);
        if (r == 0 && (json_object_set(spec, "devices", devices) < 0 ||
                       json_object_set(spec, "containerEdits", edits) < 0))
                r = -ENOMEM;
        json_decref(devices);
        json_decref(edits);
        if (r < 0) {
                json_decref(spec);
                return err_set(err, -r, "CDI spec");
        }
        *ret = spec;
        return 0;
}
