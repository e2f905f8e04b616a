/* Internal to src/gpu: the loaded NVML symbol table and topology helpers. */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include "gpu/gpu.h"
#include "gpu/nvml_abi.h"

/* gpu_device.minor when neither NVML nor /proc/driver/nvidia knows it. */
#define GPU_MINOR_UNKNOWN UINT_MAX

typedef struct gpu_nvml {
        void *dl;
        /* Required: without these there is no inventory at all. */
        nvmlInit_v2_fn init;
        nvmlShutdown_fn shutdown;
        nvmlDeviceGetCount_v2_fn get_count;
        nvmlDeviceGetHandleByIndex_v2_fn get_handle;
        nvmlDeviceGetUUID_fn get_uuid;
        /* Optional: NULL degrades the field (see docs/gpu.md). */
        nvmlErrorString_fn error_string;
        nvmlSystemGetDriverVersion_fn driver_version;
        nvmlSystemGetNVMLVersion_fn nvml_version;
        nvmlDeviceGetName_fn get_name;
        nvmlDeviceGetMemoryInfo_fn get_memory;
        nvmlDeviceGetMinorNumber_fn get_minor;
        nvmlDeviceGetPciInfo_v3_fn get_pci;
        nvmlDeviceGetNumaNodeId_fn get_numa;
        nvmlDeviceGetMigMode_fn get_mig;
        nvmlDeviceGetNvLinkState_fn link_state;
        nvmlDeviceGetNvLinkRemotePciInfo_v2_fn link_remote_pci;
        nvmlDeviceGetNvLinkRemoteDeviceType_fn link_remote_type;
} gpu_nvml;

/* dlopen the library and resolve symbols. Returns 0 when loaded, 1 when NVML
 * is unusable (no library, or one without the required symbols) with why[]
 * saying so; never fails otherwise. */
int gpu_nvml_open(const char *path, gpu_nvml *ret, char *why, size_t why_len);
void gpu_nvml_close(gpu_nvml *n);
/* NVML's own text for a return code, or a fallback when it has none. */
const char *gpu_nvml_strerror(const gpu_nvml *n, nvmlReturn_t r);

/* Parse "00000000:19:00.0" (any domain width, any case). */
bool gpu_pci_parse(const char *bus_id, unsigned *domain, unsigned *bus, unsigned *dev, unsigned *fn);
/* The sysfs spelling of a bus id, "0000:19:00.0"; false when it does not parse. */
bool gpu_pci_sysfs_name(const char *bus_id, char *out, size_t out_len);
bool gpu_pci_same(const char *a, const char *b);

/* Read /sys/bus/pci/devices/<id>/numa_node (under CELLA_GPU_HOST_ROOT when
 * set, for tests); -1 when absent or unknown. */
int gpu_sysfs_numa_node(const char *bus_id);
/* "Device Minor:" from /proc/driver/nvidia/gpus/<id>/information; GPU_MINOR_UNKNOWN when absent. */
unsigned gpu_procfs_minor(const char *bus_id);

/* Resolve every device's NVLink peers to inventory indexes (sorted, unique,
 * symmetric). links[i] holds the raw per-link data gathered by discovery. */
typedef struct gpu_link_scan {
        unsigned n_remote;                         /* GPU-typed remote ends seen */
        char remote[GPU_MAX_NVLINKS][NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE];
        bool switch_attached;                      /* at least one active link ends on an NVSwitch */
} gpu_link_scan;
void gpu_resolve_peers(gpu_inventory *inv, const gpu_link_scan *scans);
