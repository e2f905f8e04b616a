/* PCI bus ids, the sysfs/procfs fallbacks, and NVLink peer resolution. */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/macros.h"
#include "gpu_internal.h"

bool gpu_pci_parse(const char *bus_id, unsigned *domain, unsigned *bus, unsigned *dev, unsigned *fn)
{
        unsigned d, b, v, f;
        int end = 0;
        if (!bus_id || sscanf(bus_id, "%x:%x:%x.%x%n", &d, &b, &v, &f, &end) != 4 || bus_id[end] != '\0')
                return false;
        if (b > 0xff || v > 0x1f || f > 7)
                return false;
        *domain = d, *bus = b, *dev = v, *fn = f;
        return true;
}

bool gpu_pci_sysfs_name(const char *bus_id, char *out, size_t out_len)
{
        unsigned d, b, v, f;
        if (!gpu_pci_parse(bus_id, &d, &b, &v, &f))
                return false;
        /* The kernel names PCI devices "%04x:%02x:%02x.%d" (pci_name()),
         * while NVML pads the domain to eight digits and uses upper case. */
        int n = snprintf(out, out_len, "%04x:%02x:%02x.%u", d, b, v, f);
        return n > 0 && (size_t)n < out_len;
}

bool gpu_pci_same(const char *a, const char *b)
{
        unsigned ad, ab, av, af, bd, bb, bv, bf;
        return gpu_pci_parse(a, &ad, &ab, &av, &af) && gpu_pci_parse(b, &bd, &bb, &bv, &bf) &&
               ad == bd && ab == bb && av == bv && af == bf;
}

/* Read a small text file under the host root (CELLA_GPU_HOST_ROOT lets tests
 * stand in for /sys and /proc). Returns bytes read or -1. */
static ssize_t read_host_file(const char *path, char *buf, size_t len)
{
        const char *root = getenv("CELLA_GPU_HOST_ROOT");
        char full[512];
        int n = snprintf(full, sizeof(full), "%s%s", root ? root : "", path);
        if (n < 0 || (size_t)n >= sizeof(full))
                return -1;
        _cleanup_close_ int fd = open(full, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t r = RETRY_EINTR(read(fd, buf, len - 1));
        if (r < 0)
                return -1;
        buf[r] = '\0';
        return r;
}

int gpu_sysfs_numa_node(const char *bus_id)
{
        char name[32], path[128], buf[32];
        if (!gpu_pci_sysfs_name(bus_id, name, sizeof(name)))
                return -1;
        snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/numa_node", name);
        if (read_host_file(path, buf, sizeof(buf)) <= 0)
                return -1;
        char *end;
        long v = strtol(buf, &end, 10);
        if (end == buf || (*end && !isspace((unsigned char)*end)) || v < 0 || v > 65535)
                return -1;
        return (int)v;
}

unsigned gpu_procfs_minor(const char *bus_id)
{
        char name[32], path[160], buf[4096];
        if (!gpu_pci_sysfs_name(bus_id, name, sizeof(name)))
                return GPU_MINOR_UNKNOWN;
        snprintf(path, sizeof(path), "/proc/driver/nvidia/gpus/%s/information", name);
        if (read_host_file(path, buf, sizeof(buf)) <= 0)
                return GPU_MINOR_UNKNOWN;
        const char *p = strstr(buf, "Device Minor:");
        if (!p)
                return GPU_MINOR_UNKNOWN;
        p += strlen("Device Minor:");
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v > 255)  /* /dev/nvidia0..254; 255 is nvidiactl */
                return GPU_MINOR_UNKNOWN;
        return (unsigned)v;
}

static void add_peer(gpu_device *d, unsigned peer)
{
        if (peer == d->index)
                return;
        for (unsigned i = 0; i < d->nvlink_peer_count; i++)
                if (d->nvlink_peers[i] == peer)
                        return;
        /* 18 links bound the peers reachable over direct links; only a
         * switch fabric of more than 19 GPUs could overflow, and then the
         * first 18 added are kept (deterministically: scan order). */
        if (d->nvlink_peer_count < GPU_MAX_NVLINKS)
                d->nvlink_peers[d->nvlink_peer_count++] = peer;
}

static int cmp_unsigned(const void *a, const void *b)
{
        unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
        return (x > y) - (x < y);
}

void gpu_resolve_peers(gpu_inventory *inv, const gpu_link_scan *scans)
{
        for (size_t i = 0; i < inv->count; i++)
                inv->devices[i].nvlink_peer_count = 0;

        /* Direct links, matched by PCI bus id; made symmetric so that one
         * side's failed query does not hide a link the other side reports. */
        for (size_t i = 0; i < inv->count; i++)
                for (unsigned l = 0; l < scans[i].n_remote; l++)
                        for (size_t j = 0; j < inv->count; j++)
                                if (j != i && gpu_pci_same(scans[i].remote[l], inv->devices[j].pci_bus_id)) {
                                        add_peer(&inv->devices[i], (unsigned)j);
                                        add_peer(&inv->devices[j], (unsigned)i);
                                }

        /* GPUs whose links end on NVSwitches (HGX boards) reach each other
         * through the switch fabric: one fabric per node is assumed, as
         * NCCL and PyTorch assume. */
        for (size_t i = 0; i < inv->count; i++)
                for (size_t j = 0; j < inv->count; j++)
                        if (j != i && scans[i].switch_attached && scans[j].switch_attached)
                                add_peer(&inv->devices[i], (unsigned)j);

        for (size_t i = 0; i < inv->count; i++)
                qsort(inv->devices[i].nvlink_peers, inv->devices[i].nvlink_peer_count,
                      sizeof(unsigned), cmp_unsigned);
}
