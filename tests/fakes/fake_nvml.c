/* A fake libnvidia-ml.so.1 for tests: serves the GPUs and NVLink topology
 * described by the file named in CELLA_FAKE_NVML_TOPOLOGY, through the same
 * ABI (src/gpu/nvml_abi.h) that the real library has. The format is in
 * docs/gpu.md; topology.c here parses it. Built twice: FAKE_NVML_OLD leaves
 * out the functions an old driver lacks (NUMA id, MIG, NVLink remote type). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_nvml.h"

#define API __attribute__((visibility("default")))

/* Prototypes from the ABI header's function types: the compiler checks each
 * definition below against the signature src/gpu calls through. */
#define DECLARE(name) API __typeof__(*(name##_fn)0) name;
DECLARE(nvmlInit_v2)
DECLARE(nvmlShutdown)
DECLARE(nvmlErrorString)
DECLARE(nvmlSystemGetDriverVersion)
DECLARE(nvmlSystemGetNVMLVersion)
DECLARE(nvmlDeviceGetCount_v2)
DECLARE(nvmlDeviceGetHandleByIndex_v2)
DECLARE(nvmlDeviceGetUUID)
DECLARE(nvmlDeviceGetName)
DECLARE(nvmlDeviceGetMemoryInfo)
DECLARE(nvmlDeviceGetMinorNumber)
DECLARE(nvmlDeviceGetPciInfo_v3)
DECLARE(nvmlDeviceGetNumaNodeId)
DECLARE(nvmlDeviceGetMigMode)
DECLARE(nvmlDeviceGetNvLinkState)
DECLARE(nvmlDeviceGetNvLinkRemotePciInfo_v2)
DECLARE(nvmlDeviceGetNvLinkRemoteDeviceType)

static fake_topology topo;
static int init_count;

/* The code an `error` line injects for this call, or NVML_SUCCESS. */
static nvmlReturn_t injected(const char *fn, int index)
{
        for (int i = 0; i < topo.n_errors; i++) {
                const fake_error *e = &topo.errors[i];
                if (streq(e->function, fn) && (e->index == FAKE_ANY || e->index == index))
                        return e->code;
        }
        return NVML_SUCCESS;
}

/* Resolve a handle to its GPU, applying the injected error for fn. */
static nvmlReturn_t gpu_of(nvmlDevice_t h, const char *fn, fake_gpu **ret)
{
        if (init_count == 0)
                return NVML_ERROR_UNINITIALIZED;
        fake_gpu *g = (fake_gpu *)(void *)h;
        if (!g || g < topo.gpus || g >= topo.gpus + topo.n_gpus)
                return NVML_ERROR_INVALID_ARGUMENT;
        nvmlReturn_t r = injected(fn, g->index);
        if (r != NVML_SUCCESS)
                return r;
        *ret = g;
        return NVML_SUCCESS;
}

static nvmlReturn_t copy_out(const char *s, char *buf, unsigned len)
{
        if (!buf)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (strlen(s) + 1 > len)
                return NVML_ERROR_INSUFFICIENT_SIZE;
        memcpy(buf, s, strlen(s) + 1);
        return NVML_SUCCESS;
}

API nvmlReturn_t nvmlInit_v2(void)
{
        if (init_count > 0) {
                init_count++;
                return NVML_SUCCESS;
        }
        const char *path = getenv("CELLA_FAKE_NVML_TOPOLOGY");
        if (!path || !*path) {
                fprintf(stderr, "fake_nvml: CELLA_FAKE_NVML_TOPOLOGY is not set\n");
                return NVML_ERROR_UNKNOWN;
        }
        if (fake_topology_load(path, &topo) < 0)
                return NVML_ERROR_UNKNOWN;    /* fake_topology_load said why on stderr */
        if (topo.init_code != NVML_SUCCESS)
                return topo.init_code;
        nvmlReturn_t r = injected("nvmlInit_v2", FAKE_ANY);
        if (r != NVML_SUCCESS)
                return r;
        init_count = 1;
        return NVML_SUCCESS;
}

API nvmlReturn_t nvmlShutdown(void)
{
        if (init_count == 0)
                return NVML_ERROR_UNINITIALIZED;
        if (--init_count == 0)
                memset(&topo, 0, sizeof(topo));
        return NVML_SUCCESS;
}

API const char *nvmlErrorString(nvmlReturn_t r)
{
        switch (r) {
        case NVML_SUCCESS: return "Success";
        case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
        case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
        case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
        case NVML_ERROR_NO_PERMISSION: return "Insufficient Permissions";
        case NVML_ERROR_NOT_FOUND: return "Not Found";
        case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
        case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
        case NVML_ERROR_FUNCTION_NOT_FOUND: return "Function Not Found";
        case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
        case NVML_ERROR_LIB_RM_VERSION_MISMATCH: return "RM has detected an NVML/RM version mismatch.";
        default: return "Unknown Error";
        }
}

API nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length)
{
        if (init_count == 0)
                return NVML_ERROR_UNINITIALIZED;
        nvmlReturn_t r = injected("nvmlSystemGetDriverVersion", FAKE_ANY);
        return r != NVML_SUCCESS ? r : copy_out(topo.driver, version, length);
}

API nvmlReturn_t nvmlSystemGetNVMLVersion(char *version, unsigned int length)
{
        if (init_count == 0)
                return NVML_ERROR_UNINITIALIZED;
        nvmlReturn_t r = injected("nvmlSystemGetNVMLVersion", FAKE_ANY);
        return r != NVML_SUCCESS ? r : copy_out(topo.nvml, version, length);
}

API nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count)
{
        if (init_count == 0)
                return NVML_ERROR_UNINITIALIZED;
        if (!count)
                return NVML_ERROR_INVALID_ARGUMENT;
        nvmlReturn_t r = injected("nvmlDeviceGetCount_v2", FAKE_ANY);
        if (r != NVML_SUCCESS)
                return r;
        *count = (unsigned)topo.n_gpus;
        return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
        if (init_count == 0)
                return NVML_ERROR_UNINITIALIZED;
        if (!device || index >= (unsigned)topo.n_gpus)
                return NVML_ERROR_INVALID_ARGUMENT;
        nvmlReturn_t r = injected("nvmlDeviceGetHandleByIndex_v2", (int)index);
        if (r != NVML_SUCCESS)
                return r;
        *device = (nvmlDevice_t)(void *)&topo.gpus[index];
        return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
        fake_gpu *g;
        nvmlReturn_t r = gpu_of(device, "nvmlDeviceGetUUID", &g);
        return r != NVML_SUCCESS ? r : copy_out(g->uuid, uuid, length);
}

API nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
        fake_gpu *g;
        nvmlReturn_t r = gpu_of(device, "nvmlDeviceGetName", &g);
        return r != NVML_SUCCESS ? r : copy_out(g->name, name, length);
}

API nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)
{
        fake_gpu *g;
        nvmlReturn_t r = gpu_of(device, "nvmlDeviceGetMemoryInfo", &g);
        if (r != NVML_SUCCESS)
                return r;
        if (!memory)
                return NVML_ERROR_INVALID_ARGUMENT;
        /* A little in use, as on a real idle GPU (the driver's reservation). */
        memory->total = g->memory;
        memory->used = g->memory / 200;
        memory->free = memory->total - memory->used;
        return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t device, unsigned int *minor)
{
        fake_gpu *g;
        nvmlReturn_t r = gpu_of(device, "nvmlDeviceGetMinorNumber", &g);
        if (r != NVML_SUCCESS)
                return r;
        if (!minor)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (g->minor < 0)
                return NVML_ERROR_NOT_SUPPORTED;
        *minor = (unsigned)g->minor;
        return NVML_SUCCESS;
}

static void fill_pci(const char *bus_id, nvmlPciInfo_t *pci)
{
        unsigned d = 0, b = 0, v = 0, f = 0;
        memset(pci, 0, sizeof(*pci));
        sscanf(bus_id, "%x:%x:%x.%x", &d, &b, &v, &f);
        snprintf(pci->busIdLegacy, sizeof(pci->busIdLegacy), "%04X:%02X:%02X.%X", d, b, v, f);
        snprintf(pci->busId, sizeof(pci->busId), "%08X:%02X:%02X.%X", d, b, v, f);
        pci->domain = d, pci->bus = b, pci->device = v;
        pci->pciDeviceId = 0x233510de;  /* H200 SXM: device 0x2335, vendor 0x10de */
        pci->pciSubSystemId = 0x18be10de;
}

API nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci)
{
        fake_gpu *g;
        nvmlReturn_t r = gpu_of(device, "nvmlDeviceGetPciInfo_v3", &g);
        if (r != NVML_SUCCESS)
                return r;
        if (!pci)
                return NVML_ERROR_INVALID_ARGUMENT;
        fill_pci(g->pci, pci);
        return NVML_SUCCESS;
}

#ifndef FAKE_NVML_OLD
API nvmlReturn_t nvmlDeviceGetNumaNodeId(nvmlDevice_t device, unsigned int *node)
{
        fake_gpu *g;
        nvmlReturn_t r = gpu_of(device, "nvmlDeviceGetNumaNodeId", &g);
        if (r != NVML_SUCCESS)
                return r;
        if (!node)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (g->numa < 0)
                return NVML_ERROR_NOT_SUPPORTED;
        *node = (unsigned)g->numa;
        return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *current, unsigned int *pending)
{
        fake_gpu *g;
        nvmlReturn_t r = gpu_of(device, "nvmlDeviceGetMigMode", &g);
        if (r != NVML_SUCCESS)
                return r;
        if (!current || !pending)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (g->mig < 0)
                return NVML_ERROR_NOT_SUPPORTED;
        *current = *pending = (unsigned)g->mig;
        return NVML_SUCCESS;
}
#endif

/* The link's slot, after the checks every NVLink call makes. */
static nvmlReturn_t link_of(nvmlDevice_t device, unsigned int link, const char *fn, fake_link **ret)
{
        fake_gpu *g;
        nvmlReturn_t r = gpu_of(device, fn, &g);
        if (r != NVML_SUCCESS)
                return r;
        if (g->nvlinks == 0)
                return NVML_ERROR_NOT_SUPPORTED;
        if (link >= (unsigned)g->nvlinks || link >= FAKE_MAX_LINKS)
                return NVML_ERROR_INVALID_ARGUMENT;
        *ret = &g->links[link];
        return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetNvLinkState(nvmlDevice_t device, unsigned int link, nvmlEnableState_t *is_active)
{
        fake_link *l;
        nvmlReturn_t r = link_of(device, link, "nvmlDeviceGetNvLinkState", &l);
        if (r != NVML_SUCCESS)
                return r;
        if (!is_active)
                return NVML_ERROR_INVALID_ARGUMENT;
        *is_active = l->active ? NVML_FEATURE_ENABLED : NVML_FEATURE_DISABLED;
        return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetNvLinkRemotePciInfo_v2(nvmlDevice_t device, unsigned int link, nvmlPciInfo_t *pci)
{
        fake_link *l;
        nvmlReturn_t r = link_of(device, link, "nvmlDeviceGetNvLinkRemotePciInfo_v2", &l);
        if (r != NVML_SUCCESS)
                return r;
        if (!pci)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (!l->active)
                return NVML_ERROR_NOT_FOUND;
        fill_pci(l->remote_pci, pci);
        return NVML_SUCCESS;
}

#ifndef FAKE_NVML_OLD
API nvmlReturn_t nvmlDeviceGetNvLinkRemoteDeviceType(nvmlDevice_t device, unsigned int link,
                                                     nvmlIntNvLinkDeviceType_t *type)
{
        fake_link *l;
        nvmlReturn_t r = link_of(device, link, "nvmlDeviceGetNvLinkRemoteDeviceType", &l);
        if (r != NVML_SUCCESS)
                return r;
        if (!type)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (!l->active)
                return NVML_ERROR_NOT_FOUND;
        *type = l->to_switch ? NVML_NVLINK_DEVICE_TYPE_SWITCH : NVML_NVLINK_DEVICE_TYPE_GPU;
        return NVML_SUCCESS;
}
#endif
