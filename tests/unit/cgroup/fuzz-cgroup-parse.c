/* libFuzzer target for the parsers that read text a host or a user hands
 * us: mountinfo (+ /proc/self/cgroup), cgroupsPath resolution, device
 * rules through the emulator and the BPF builder, stats files. */
#include "cgroup/cgroup-internal.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 1 << 16)
                return 0;
        char *s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        /* Split at the first NUL-free '\x01' into mountinfo | proc cgroup. */
        char *pc = strchr(s, '\x01');
        if (pc)
                *pc++ = '\0';
        cella_error *err = NULL;
        cg_host *h = NULL;
        if (cg_host_parse(s, pc ? pc : "", &h, &err) == 0) {
                for (size_t i = 0; i < h->n_v1; i++) {
                        char *p = NULL, *fs = NULL;
                        if (cg_resolve_path(s, "id", h->v1[i].own, &p, NULL) == 0 && cg_fs_path(&h->v1[i], p, &fs) == 0)
                                free(fs);
                        free(p);
                }
                cg_host_free(h);
        }
        err_free(err);
        err = NULL;
        char *p = NULL;
        if (cg_resolve_path(s, s, "/own", &p, &err) == 0)
                free(p);
        err_free(err);

        /* Bytes as device rules: 5 bytes each. */
        oci_device_rule rules[32];
        size_t n = 0;
        for (size_t i = 0; i + 5 <= size && n < 32; i += 5, n++) {
                static const char types[] = "acbx";
                static const char *const acc[] = { "", "r", "w", "m", "rw", "rm", "wm", "rwm" };
                rules[n].allow = data[i] & 1;
                rules[n].type = types[(data[i] >> 1) & 3];
                rules[n].major = (int64_t)(data[i + 1] % 5) - 1;
                rules[n].minor = (int64_t)(data[i + 2] % 5) - 1;
                strcpy(rules[n].access, acc[data[i + 3] & 7]);
        }
        cg_dev_state st;
        err = NULL;
        if (cg_dev_emulate(rules, n, &st, &err) == 0) {
                cg_bpf_insn *prog = NULL;
                size_t np = 0;
                if (cg_bpf_devices_build(&st, &prog, &np, NULL) == 0)
                        free(prog);
                cg_dev_state_done(&st);
        }
        err_free(err);

        json_decref(cg_stats_blkio_v1(s));
        json_decref(cg_stats_raw(s));
        json_decref(cg_stats_percpu(s));
        json_t *b = NULL, *io = NULL;
        cg_stats_io_v2(s, &b, &io);
        json_decref(b);
        json_decref(io);
        uint64_t v;
        cg_kv_get(s, "oom_kill", &v);
        cg_parse_v2_controllers(s);
        free(s);
        return 0;
}
