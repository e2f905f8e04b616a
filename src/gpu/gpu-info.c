/* gpu-info: print this machine's GPU inventory (and optionally a CDI spec)
 * as JSON. A test and bring-up tool; `cella-sched node-info` is the user's.
 *
 *   gpu-info [--nvml PATH] [--cdi 0,1,...]
 * Exit status: 0 (also when there are no GPUs), 1 on a discovery error, 2 on usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpu/gpu.h"

static int usage(void)
{
        fprintf(stderr, "usage: gpu-info [--nvml PATH] [--cdi INDEX[,INDEX...]]\n");
        return 2;
}

static int print_json(json_t *j)
{
        char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(j);
        if (!s) {
                fprintf(stderr, "gpu-info: out of memory\n");
                return 1;
        }
        puts(s);
        free(s);
        return 0;
}

int main(int argc, char **argv)
{
        const char *nvml = NULL, *cdi = NULL;
        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--nvml") && i + 1 < argc)
                        nvml = argv[++i];
                else if (streq(argv[i], "--cdi") && i + 1 < argc)
                        cdi = argv[++i];
                else
                        return usage();
        }

        static gpu_inventory inv;
        cella_error *err = NULL;
        if (gpu_discover(nvml, &inv, &err) < 0) {
                fprintf(stderr, "gpu-info: %s\n", err ? err->msg : "GPU discovery failed");
                err_free(err);
                return 1;
        }
        if (inv.count == 0)
                fprintf(stderr, "gpu-info: no GPUs: %s\n", inv.why_none);
        if (!cdi)
                return print_json(gpu_inventory_to_json(&inv));

        unsigned idx[GPU_MAX_DEVICES];
        size_t n = 0;
        for (const char *p = cdi; *p;) {
                char *end;
                unsigned long v = strtoul(p, &end, 10);
                if (end == p || (*end && *end != ',') || n == GPU_MAX_DEVICES || v > 1000)
                        return usage();
                idx[n++] = (unsigned)v;
                p = *end ? end + 1 : end;
        }
        json_t *spec = NULL;
        if (gpu_cdi_spec(&inv, idx, n, &spec, &err) < 0) {
                fprintf(stderr, "gpu-info: %s\n", err ? err->msg : "CDI spec failed");
                err_free(err);
                return 1;
        }
        return print_json(spec);
}
