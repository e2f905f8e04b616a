/* gpu_discover: walk NVML's devices into a gpu_inventory.
 *
 * Per call (docs/gpu.md has the table): identity and capacity (count,
 * handle, UUID, name, memory, minor, PCI, MIG) are errors when NVML fails
 * them, since the inventory would be wrong; a missing symbol or
 * NVML_ERROR_NOT_SUPPORTED degrades the field instead. Topology hints (NUMA
 * node, NVLink) always degrade: a wrong hint costs placement quality, not
 * correctness. */
#include <stdio.h>
#include <string.h>
#include "base/macros.h"
#include "gpu_internal.h"

#define ERR_NVML(err, n, r, call, idx) \
        err_setx(err, EIO, "%s on GPU %u: %s (NVML error %d)", call, idx, gpu_nvml_strerror(n, r), r)

/* NOT_SUPPORTED, or a symbol the library does not have. */
static bool degraded(nvmlReturn_t r)
{
        return r == NVML_ERROR_NOT_SUPPORTED || r == NVML_ERROR_FUNCTION_NOT_FOUND;
}

static void copy_str(char *dst, size_t len, const char *src)
{
        snprintf(dst, len, "%s", src);
}

static void scan_links(const gpu_nvml *n, nvmlDevice_t h, gpu_link_scan *scan)
{
        if (!n->link_state)
                return;
        for (unsigned l = 0; l < NVML_NVLINK_MAX_LINKS; l++) {
                nvmlEnableState_t active = NVML_FEATURE_DISABLED;
                nvmlReturn_t r = n->link_state(h, l, &active);
                if (r == NVML_ERROR_INVALID_ARGUMENT)
                        break;          /* past this GPU's last link */
                if (r == NVML_ERROR_NOT_SUPPORTED && l == 0)
                        break;          /* no NVLink on this GPU at all */
                if (r != NVML_SUCCESS || active != NVML_FEATURE_ENABLED)
                        continue;

                nvmlIntNvLinkDeviceType_t type = NVML_NVLINK_DEVICE_TYPE_GPU;
                if (n->link_remote_type && n->link_remote_type(h, l, &type) != NVML_SUCCESS)
                        type = NVML_NVLINK_DEVICE_TYPE_GPU; /* then the bus id decides */
                if (type == NVML_NVLINK_DEVICE_TYPE_SWITCH) {
                        scan->switch_attached = true;
                        continue;
                }
                if (type != NVML_NVLINK_DEVICE_TYPE_GPU || !n->link_remote_pci)
                        continue;
                nvmlPciInfo_t pci;
                memset(&pci, 0, sizeof(pci));
                if (n->link_remote_pci(h, l, &pci) != NVML_SUCCESS)
                        continue;
                pci.busId[sizeof(pci.busId) - 1] = '\0';
                copy_str(scan->remote[scan->n_remote++], sizeof(scan->remote[0]), pci.busId);
        }
}

static int discover_device(const gpu_nvml *n, unsigned i, gpu_device *d, gpu_link_scan *scan,
                           cella_error **err)
{
        nvmlDevice_t h = NULL;
        nvmlReturn_t r = n->get_handle(i, &h);
        if (r != NVML_SUCCESS)
                return ERR_NVML(err, n, r, "nvmlDeviceGetHandleByIndex_v2", i);

        d->index = i;
        char buf[NVML_DEVICE_UUID_V2_BUFFER_SIZE] = "";
        r = n->get_uuid(h, buf, sizeof(buf));
        if (r != NVML_SUCCESS)
                return ERR_NVML(err, n, r, "nvmlDeviceGetUUID", i);
        buf[sizeof(buf) - 1] = '\0';
        if (!buf[0])
                return err_setx(err, EIO, "nvmlDeviceGetUUID on GPU %u: empty UUID", i);
        copy_str(d->uuid, sizeof(d->uuid), buf);

        char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE] = "";
        r = n->get_name ? n->get_name(h, name, sizeof(name)) : NVML_ERROR_FUNCTION_NOT_FOUND;
        if (r != NVML_SUCCESS && !degraded(r))
                return ERR_NVML(err, n, r, "nvmlDeviceGetName", i);
        name[sizeof(name) - 1] = '\0';
        copy_str(d->name, sizeof(d->name), r == NVML_SUCCESS ? name : "");

        nvmlMemory_t mem = { 0 };
        r = n->get_memory ? n->get_memory(h, &mem) : NVML_ERROR_FUNCTION_NOT_FOUND;
        if (r != NVML_SUCCESS && !degraded(r))
                return ERR_NVML(err, n, r, "nvmlDeviceGetMemoryInfo", i);
        d->memory_total = r == NVML_SUCCESS ? mem.total : 0;

        nvmlPciInfo_t pci;
        memset(&pci, 0, sizeof(pci));
        r = n->get_pci ? n->get_pci(h, &pci) : NVML_ERROR_FUNCTION_NOT_FOUND;
        if (r != NVML_SUCCESS && !degraded(r))
                return ERR_NVML(err, n, r, "nvmlDeviceGetPciInfo_v3", i);
        pci.busId[sizeof(pci.busId) - 1] = '\0';
        copy_str(d->pci_bus_id, sizeof(d->pci_bus_id), r == NVML_SUCCESS ? pci.busId : "");

        unsigned minor = 0;
        r = n->get_minor ? n->get_minor(h, &minor) : NVML_ERROR_FUNCTION_NOT_FOUND;
        if (r != NVML_SUCCESS && !degraded(r))
                return ERR_NVML(err, n, r, "nvmlDeviceGetMinorNumber", i);
        d->minor = r == NVML_SUCCESS ? minor : gpu_procfs_minor(d->pci_bus_id);

        unsigned current = NVML_DEVICE_MIG_DISABLE, pending = NVML_DEVICE_MIG_DISABLE;
        r = n->get_mig ? n->get_mig(h, &current, &pending) : NVML_ERROR_FUNCTION_NOT_FOUND;
        if (r != NVML_SUCCESS && !degraded(r))
                return ERR_NVML(err, n, r, "nvmlDeviceGetMigMode", i);
        /* NOT_SUPPORTED: a GPU without MIG, so MIG is off. */
        d->mig_enabled = r == NVML_SUCCESS && current == NVML_DEVICE_MIG_ENABLE;

        unsigned node = 0;
        r = n->get_numa ? n->get_numa(h, &node) : NVML_ERROR_FUNCTION_NOT_FOUND;
        d->numa_node = r == NVML_SUCCESS && node <= 65535 ? (int)node : gpu_sysfs_numa_node(d->pci_bus_id);

        scan_links(n, h, scan);
        return 0;
}

static int discover_all(const gpu_nvml *n, gpu_inventory *inv, gpu_link_scan *scans, cella_error **err)
{
        char buf[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE] = "";
        if (n->driver_version && n->driver_version(buf, sizeof(buf)) == NVML_SUCCESS) {
                buf[sizeof(buf) - 1] = '\0';
                copy_str(inv->driver_version, sizeof(inv->driver_version), buf);
        }
        char vbuf[NVML_SYSTEM_NVML_VERSION_BUFFER_SIZE] = "";
        if (n->nvml_version && n->nvml_version(vbuf, sizeof(vbuf)) == NVML_SUCCESS) {
                vbuf[sizeof(vbuf) - 1] = '\0';
                copy_str(inv->nvml_version, sizeof(inv->nvml_version), vbuf);
        }

        unsigned count = 0;
        nvmlReturn_t r = n->get_count(&count);
        if (r != NVML_SUCCESS)
                return err_setx(err, EIO, "nvmlDeviceGetCount_v2: %s (NVML error %d)",
                                gpu_nvml_strerror(n, r), r);
        if (count > GPU_MAX_DEVICES)
                return err_setx(err, E2BIG, "nvmlDeviceGetCount_v2 reports %u GPUs, more than the %d supported",
                                count, GPU_MAX_DEVICES);
        for (unsigned i = 0; i < count; i++) {
                int k = discover_device(n, i, &inv->devices[i], &scans[i], err);
                if (k < 0)
                        return k;
        }
        inv->count = count;
        gpu_resolve_peers(inv, scans);
        if (count == 0)
                copy_str(inv->why_none, sizeof(inv->why_none), "NVML reports no GPUs");
        return 0;
}

int gpu_discover(const char *nvml_path, gpu_inventory *ret, cella_error **err)
{
        /* Built aside so that *ret stays untouched on failure. */
        _cleanup_free_ gpu_inventory *inv = calloc(1, sizeof(*inv));
        _cleanup_free_ gpu_link_scan *scans = calloc(GPU_MAX_DEVICES, sizeof(*scans));
        if (!inv || !scans)
                return err_set(err, ENOMEM, "GPU discovery");

        gpu_nvml n;
        if (gpu_nvml_open(nvml_path, &n, inv->why_none, sizeof(inv->why_none)) != 0) {
                *ret = *inv;
                return 0;
        }

        nvmlReturn_t r = n.init();
        if (r != NVML_SUCCESS) {
                /* No driver, a driver/library mismatch, no permission: in every
                 * case this node has no GPU that NVML can hand out. */
                snprintf(inv->why_none, sizeof(inv->why_none), "nvmlInit_v2 failed: %s (NVML error %d)",
                         gpu_nvml_strerror(&n, r), r);
                gpu_nvml_close(&n);
                *ret = *inv;
                return 0;
        }
        int k = discover_all(&n, inv, scans, err);
        n.shutdown();
        gpu_nvml_close(&n);
        if (k < 0)
                return k;
        *ret = *inv;
        return 0;
}
