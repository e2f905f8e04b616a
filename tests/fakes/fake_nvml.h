/* The fake NVML's model of a machine, loaded from a topology file. */
#pragma once
#include <stdbool.h>
#include "gpu/nvml_abi.h"

#define streq(a, b) (strcmp((a), (b)) == 0)

#define FAKE_MAX_GPUS 128       /* above GPU_MAX_DEVICES, to test its limit */
#define FAKE_MAX_LINKS NVML_NVLINK_MAX_LINKS
#define FAKE_MAX_ERRORS 64
#define FAKE_ANY (-1)           /* an `error` line's index `*` or `-` */

typedef struct fake_link {
        bool active;
        bool to_switch;
        char remote_pci[32];
} fake_link;

typedef struct fake_gpu {
        int index;
        char uuid[96];
        char name[96];
        unsigned long long memory;
        int minor;              /* -1: nvmlDeviceGetMinorNumber says NOT_SUPPORTED */
        char pci[32];
        int numa;               /* -1: nvmlDeviceGetNumaNodeId says NOT_SUPPORTED */
        int mig;                /* 0 off, 1 on, -1 NOT_SUPPORTED */
        int nvlinks;            /* link slots; 0: NVLink calls say NOT_SUPPORTED */
        fake_link links[FAKE_MAX_LINKS];
} fake_gpu;

typedef struct fake_error {
        char function[64];
        int index;
        nvmlReturn_t code;
} fake_error;

typedef struct fake_topology {
        char driver[80];
        char nvml[80];
        nvmlReturn_t init_code;
        int n_gpus;
        fake_gpu gpus[FAKE_MAX_GPUS];
        int n_errors;
        fake_error errors[FAKE_MAX_ERRORS];
} fake_topology;

/* Parse path into *t. On a bad file, prints "fake_nvml: FILE:LINE: why" to
 * stderr and returns -1. */
int fake_topology_load(const char *path, fake_topology *t);
