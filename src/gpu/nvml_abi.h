/* The slice of NVML's C ABI that cella uses, declared here because Debian
 * main ships no nvml.h. Values and layouts follow NVIDIA's public nvml.h
 * (driver r5xx); the static asserts pin the layouts, since a wrong struct
 * size would let the real library write past our buffers.
 *
 * Shared by src/gpu (the dlopen side) and tests/fakes (the fake library). */
#pragma once
#include <stddef.h>

typedef int nvmlReturn_t;       /* enum nvmlReturn_enum: int-sized */

#define NVML_SUCCESS                       0
#define NVML_ERROR_UNINITIALIZED           1
#define NVML_ERROR_INVALID_ARGUMENT        2
#define NVML_ERROR_NOT_SUPPORTED           3
#define NVML_ERROR_NO_PERMISSION           4
#define NVML_ERROR_NOT_FOUND               6
#define NVML_ERROR_INSUFFICIENT_SIZE       7
#define NVML_ERROR_DRIVER_NOT_LOADED       9
#define NVML_ERROR_LIBRARY_NOT_FOUND      12
#define NVML_ERROR_FUNCTION_NOT_FOUND     13
#define NVML_ERROR_GPU_IS_LOST            15
#define NVML_ERROR_LIB_RM_VERSION_MISMATCH 18
#define NVML_ERROR_UNKNOWN               999

typedef struct nvmlDevice_st *nvmlDevice_t;

/* Buffer sizes NVML guarantees to be enough (the _V2_ sizes for name and UUID). */
#define NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE 80
#define NVML_SYSTEM_NVML_VERSION_BUFFER_SIZE   80
#define NVML_DEVICE_UUID_V2_BUFFER_SIZE        96
#define NVML_DEVICE_NAME_V2_BUFFER_SIZE        96
#define NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE     32
#define NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE  16
#define NVML_NVLINK_MAX_LINKS                  18

/* nvmlPciInfo_t as filled by nvmlDeviceGetPciInfo_v3 and
 * nvmlDeviceGetNvLinkRemotePciInfo_v2 (the v1 functions used an older
 * layout with busId first: never call those). */
typedef struct nvmlPciInfo_st {
        char busIdLegacy[NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE];
        unsigned int domain;
        unsigned int bus;
        unsigned int device;
        unsigned int pciDeviceId;
        unsigned int pciSubSystemId;
        char busId[NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE];
} nvmlPciInfo_t;
_Static_assert(sizeof(nvmlPciInfo_t) == 68, "nvmlPciInfo_t must be 68 bytes");
_Static_assert(offsetof(nvmlPciInfo_t, busId) == 36, "nvmlPciInfo_t.busId at offset 36");

/* nvmlMemory_t (v1), as filled by nvmlDeviceGetMemoryInfo. */
typedef struct nvmlMemory_st {
        unsigned long long total;
        unsigned long long free;
        unsigned long long used;
} nvmlMemory_t;
_Static_assert(sizeof(nvmlMemory_t) == 24, "nvmlMemory_t must be 24 bytes");

typedef int nvmlEnableState_t;  /* enum: NVML_FEATURE_DISABLED 0, _ENABLED 1 */
#define NVML_FEATURE_DISABLED 0
#define NVML_FEATURE_ENABLED  1

#define NVML_DEVICE_MIG_DISABLE 0
#define NVML_DEVICE_MIG_ENABLE  1

typedef int nvmlIntNvLinkDeviceType_t;  /* enum */
#define NVML_NVLINK_DEVICE_TYPE_GPU     0x00
#define NVML_NVLINK_DEVICE_TYPE_IBMNPU  0x01
#define NVML_NVLINK_DEVICE_TYPE_SWITCH  0x02
#define NVML_NVLINK_DEVICE_TYPE_UNKNOWN 0xFF

/* Function types, one per symbol looked up with dlsym. */
typedef nvmlReturn_t (*nvmlInit_v2_fn)(void);
typedef nvmlReturn_t (*nvmlShutdown_fn)(void);
typedef const char *(*nvmlErrorString_fn)(nvmlReturn_t result);
typedef nvmlReturn_t (*nvmlSystemGetDriverVersion_fn)(char *version, unsigned int length);
typedef nvmlReturn_t (*nvmlSystemGetNVMLVersion_fn)(char *version, unsigned int length);
typedef nvmlReturn_t (*nvmlDeviceGetCount_v2_fn)(unsigned int *count);
typedef nvmlReturn_t (*nvmlDeviceGetHandleByIndex_v2_fn)(unsigned int index, nvmlDevice_t *device);
typedef nvmlReturn_t (*nvmlDeviceGetUUID_fn)(nvmlDevice_t device, char *uuid, unsigned int length);
typedef nvmlReturn_t (*nvmlDeviceGetName_fn)(nvmlDevice_t device, char *name, unsigned int length);
typedef nvmlReturn_t (*nvmlDeviceGetMemoryInfo_fn)(nvmlDevice_t device, nvmlMemory_t *memory);
typedef nvmlReturn_t (*nvmlDeviceGetMinorNumber_fn)(nvmlDevice_t device, unsigned int *minor);
typedef nvmlReturn_t (*nvmlDeviceGetPciInfo_v3_fn)(nvmlDevice_t device, nvmlPciInfo_t *pci);
typedef nvmlReturn_t (*nvmlDeviceGetNumaNodeId_fn)(nvmlDevice_t device, unsigned int *node);
typedef nvmlReturn_t (*nvmlDeviceGetMigMode_fn)(nvmlDevice_t device, unsigned int *current,
                                                unsigned int *pending);
typedef nvmlReturn_t (*nvmlDeviceGetNvLinkState_fn)(nvmlDevice_t device, unsigned int link,
                                                    nvmlEnableState_t *is_active);
typedef nvmlReturn_t (*nvmlDeviceGetNvLinkRemotePciInfo_v2_fn)(nvmlDevice_t device, unsigned int link,
                                                               nvmlPciInfo_t *pci);
typedef nvmlReturn_t (*nvmlDeviceGetNvLinkRemoteDeviceType_fn)(nvmlDevice_t device, unsigned int link,
                                                               nvmlIntNvLinkDeviceType_t *type);
