/* dlopen libnvidia-ml and resolve the symbols cella uses. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include "gpu_internal.h"

#define DEFAULT_NVML "libnvidia-ml.so.1"

static void *sym(void *dl, const char *name)
{
        return dlsym(dl, name);
}

int gpu_nvml_open(const char *path, gpu_nvml *ret, char *why, size_t why_len)
{
        if (!path || !*path)
                path = getenv("CELLA_NVML_LIBRARY");
        if (!path || !*path)
                path = DEFAULT_NVML;

        /* RTLD_LOCAL: NVML's symbols must not leak into the global namespace
         * of whatever program embeds us. */
        void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                const char *e = dlerror();
                bool missing = e && strstr(e, "No such file");
                snprintf(why, why_len, "%s %s: %s", path, missing ? "not found" : "cannot be loaded",
                         e ? e : "unknown dlopen error");
                return 1;
        }

        gpu_nvml n = { .dl = dl };
        const char *absent = NULL;
#define REQUIRED(field, name) \
        do { if (!absent && !(n.field = (__typeof__(n.field))sym(dl, name))) absent = name; } while (0)
#define OPTIONAL(field, name) n.field = (__typeof__(n.field))sym(dl, name)
        REQUIRED(init, "nvmlInit_v2");
        REQUIRED(shutdown, "nvmlShutdown");
        REQUIRED(get_count, "nvmlDeviceGetCount_v2");
        REQUIRED(get_handle, "nvmlDeviceGetHandleByIndex_v2");
        REQUIRED(get_uuid, "nvmlDeviceGetUUID");
        OPTIONAL(error_string, "nvmlErrorString");
        OPTIONAL(driver_version, "nvmlSystemGetDriverVersion");
        OPTIONAL(nvml_version, "nvmlSystemGetNVMLVersion");
        OPTIONAL(get_name, "nvmlDeviceGetName");
        OPTIONAL(get_memory, "nvmlDeviceGetMemoryInfo");
        OPTIONAL(get_minor, "nvmlDeviceGetMinorNumber");
        OPTIONAL(get_pci, "nvmlDeviceGetPciInfo_v3");
        OPTIONAL(get_numa, "nvmlDeviceGetNumaNodeId");
        OPTIONAL(get_mig, "nvmlDeviceGetMigMode");
        OPTIONAL(link_state, "nvmlDeviceGetNvLinkState");
        OPTIONAL(link_remote_pci, "nvmlDeviceGetNvLinkRemotePciInfo_v2");
        OPTIONAL(link_remote_type, "nvmlDeviceGetNvLinkRemoteDeviceType");
#undef REQUIRED
#undef OPTIONAL
        if (absent) {
                snprintf(why, why_len, "%s is not a usable NVML: it lacks %s", path, absent);
                dlclose(dl);
                return 1;
        }
        *ret = n;
        return 0;
}

void gpu_nvml_close(gpu_nvml *n)
{
        if (n->dl)
                dlclose(n->dl);
        n->dl = NULL;
}

const char *gpu_nvml_strerror(const gpu_nvml *n, nvmlReturn_t r)
{
        const char *s = n->error_string ? n->error_string(r) : NULL;
        if (s && *s)
                return s;
        switch (r) {
        case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
        case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
        case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
        default: return "unknown NVML error";
        }
}
