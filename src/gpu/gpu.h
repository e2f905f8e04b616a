#pragma once
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "base/error.h"

#define GPU_MAX_DEVICES 64
#define GPU_MAX_NVLINKS 18

typedef struct gpu_device {
        unsigned index;              /* NVML index */
        char uuid[96];               /* "GPU-..." */
        char name[96];               /* "NVIDIA H200" */
        uint64_t memory_total;       /* bytes */
        unsigned minor;              /* /dev/nvidia<minor> */
        char pci_bus_id[32];         /* "00000000:19:00.0" */
        int numa_node;               /* -1 when unknown */
        int mig_enabled;             /* 1 when MIG mode is on */
        unsigned nvlink_peer_count;
        unsigned nvlink_peers[GPU_MAX_NVLINKS]; /* indexes of peer GPUs in this inventory */
} gpu_device;

typedef struct gpu_inventory {
        size_t count;
        gpu_device devices[GPU_MAX_DEVICES];
        char driver_version[80];
        char nvml_version[80];
        char why_none[256];          /* set when count == 0: why ("libnvidia-ml.so.1 not found: ...") */
} gpu_inventory;

/* Discover GPUs through dlopen(nvml_path ? nvml_path : getenv("CELLA_NVML_LIBRARY") ?: "libnvidia-ml.so.1").
 * No library or no driver: returns 0 with count == 0 and why_none set (not an error).
 * Returns a negative errno only for real failures (NVML present but a call on a device failed in a way
 * that makes the inventory wrong); err names the NVML call and device. */
int gpu_discover(const char *nvml_path, gpu_inventory *ret, cella_error **err);

/* {"driver_version":..,"gpus":[{"index","uuid","name","memory_bytes","minor","pci_bus_id",
 *   "numa_node","mig_enabled","nvlink_peers":[uuid...]}]} */
json_t *gpu_inventory_to_json(const gpu_inventory *inv);

/* A CDI spec (cdiVersion "0.6.0", kind "nvidia.com/gpu") describing how to put the given GPUs
 * (by index into inv) into a container: device nodes /dev/nvidiaN, nvidiactl, nvidia-uvm,
 * nvidia-uvm-tools; driver files to bind-mount; env NVIDIA_VISIBLE_DEVICES etc. */
int gpu_cdi_spec(const gpu_inventory *inv, const unsigned *indexes, size_t n, json_t **ret, cella_error **err);
