/* cella-sched node-info: this machine as a scheduler node, printed as a trace
 * line ({"type":"node",...}) after comment lines that say what was found (and,
 * with no GPUs, why). */
#include <jansson.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/fileio.h"
#include "sched/sched.h"
#ifdef CELLA_HAVE_GPU
#include "gpu/gpu.h"
#endif

int cmd_node_info(int argc, char **argv);

static int64_t pid_max(void)
{
        _cleanup_free_ char *s = NULL;
        if (read_file_at(AT_FDCWD, "/proc/sys/kernel/pid_max", 64, &s, NULL) < 0)
                return 32768;
        return strtoll(s, NULL, 10);
}

int cmd_node_info(int argc, char **argv)
{
        const char *nvml = NULL;
        char id[SCHED_ID_MAX] = "";
        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--nvml") && i + 1 < argc)
                        nvml = argv[++i];
                else if (streq(argv[i], "--id") && i + 1 < argc)
                        snprintf(id, sizeof(id), "%s", argv[++i]);
                else {
                        fprintf(stderr, "usage: cella-sched node-info [--nvml PATH] [--id ID]\n");
                        return 2;
                }
        }
        if (!id[0] && gethostname(id, sizeof(id) - 1) < 0)
                snprintf(id, sizeof(id), "localhost");
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        int64_t mem = (int64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
        json_t *cap = json_pack("{s:I,s:I,s:I}", "cpu", (json_int_t)cpus * 1000, "memory", (json_int_t)mem, "pids",
                                (json_int_t)pid_max());
        json_t *gpus = json_array();
        printf("# cpus: %ld, memory: %lld MiB\n", cpus, (long long)(mem >> 20));
#ifdef CELLA_HAVE_GPU
        gpu_inventory *inv = calloc(1, sizeof(*inv));
        cella_error *e = NULL;
        if (!inv || gpu_discover(nvml, inv, &e) < 0) {
                fprintf(stderr, "cella-sched: node-info: %s\n", e && e->msg ? e->msg : "out of memory");
                err_free(e);
                free(inv);
                json_decref(cap);
                json_decref(gpus);
                return 1;
        }
        if (inv->count == 0)
                printf("# gpus: none: %s\n", inv->why_none);
        else
                printf("# gpus: %zu (driver %s, NVML %s)\n", inv->count, inv->driver_version, inv->nvml_version);
        for (size_t i = 0; i < inv->count; i++) {
                const gpu_device *d = &inv->devices[i];
                printf("# gpu %u: %s %s, %llu MiB, /dev/nvidia%u, pci %s, numa %d, mig %s, %u nvlink peers\n",
                       d->index, d->uuid, d->name, (unsigned long long)(d->memory_total >> 20), d->minor,
                       d->pci_bus_id, d->numa_node, d->mig_enabled ? "on" : "off", d->nvlink_peer_count);
                json_t *peers = json_array();
                for (unsigned p = 0; p < d->nvlink_peer_count; p++)
                        if (d->nvlink_peers[p] < inv->count)
                                json_array_append_new(peers, json_string(inv->devices[d->nvlink_peers[p]].uuid));
                json_array_append_new(gpus, json_pack("{s:s,s:s,s:I,s:i,s:o}", "uuid", d->uuid, "model", d->name,
                                                      "memory", (json_int_t)d->memory_total, "numa", d->numa_node,
                                                      "nvlink", peers));
        }
        free(inv);
#else
        (void)nvml;
        printf("# gpus: none: cella-sched was built without src/gpu\n");
#endif
        json_t *node = json_pack("{s:s,s:s,s:o,s:o}", "type", "node", "id", id, "capacity", cap, "gpus", gpus);
        char *s = json_dumps(node, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(node);
        if (!s)
                return 1;
        puts(s);
        free(s);
        return 0;
}
