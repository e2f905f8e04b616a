/* Stats in the shape of runc's types.Stats (libcontainer/cgroups/stats.go
 * as printed by `runc events --stats`): Go's omitempty is honoured, so a
 * zero counter is left out exactly where runc leaves it out. */
#include "cgroup-internal.h"
#include "base/macros.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>

static void put(json_t *o, const char *k, uint64_t v, bool omitempty)
{
        if (!omitempty || v)
                json_object_set_new(o, k, json_integer((json_int_t)(v > INT64_MAX ? INT64_MAX : v)));
}

static uint64_t rd(int dfd, const char *file)
{
        uint64_t v = 0;
        if (dfd < 0 || cg_read_u64(dfd, file, &v) < 0)
                return 0;
        return v;
}

json_t *cg_stats_percpu(const char *text)
{
        json_t *a = json_array();
        for (const char *p = text; p && *p;) {
                char *end;
                unsigned long long v = strtoull(p, &end, 10);
                if (end == p)
                        break;
                json_array_append_new(a, json_integer((json_int_t)v));
                p = end + strspn(end, " \n");
        }
        return a;
}

json_t *cg_stats_raw(const char *text)
{
        json_t *o = json_object();
        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                const char *sp = memchr(p, ' ', len);
                if (sp && (size_t)(sp - p) < 128) {
                        char key[128];
                        memcpy(key, p, (size_t)(sp - p));
                        key[sp - p] = '\0';
                        json_object_set_new(o, key, json_integer((json_int_t)strtoull(sp + 1, NULL, 10)));
                }
                p = nl ? nl + 1 : p + len;
        }
        return o;
}

static json_t *blkio_entry(unsigned long long maj, unsigned long long min, const char *op, unsigned long long v)
{
        json_t *e = json_object();
        put(e, "major", maj, true);
        put(e, "minor", min, true);
        if (*op)
                json_object_set_new(e, "op", json_string(op));
        put(e, "value", v, true);
        return e;
}

json_t *cg_stats_blkio_v1(const char *text)
{
        json_t *a = json_array();
        for (const char *p = text; p && *p;) {
                unsigned long long maj, min, v;
                char op[32];
                if (sscanf(p, "%llu:%llu %31s %llu", &maj, &min, op, &v) == 4)
                        json_array_append_new(a, blkio_entry(maj, min, op, v));
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        return a;
}

void cg_stats_io_v2(const char *text, json_t **bytes, json_t **ios)
{
        *bytes = json_array();
        *ios = json_array();
        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                _cleanup_free_ char *line = strndup(p, len);
                p = nl ? nl + 1 : p + len;
                unsigned long long maj, min;
                if (!line || sscanf(line, "%llu:%llu", &maj, &min) != 2)
                        continue;
                uint64_t v[4] = { 0 };
                static const char *const keys[4] = { "rbytes", "wbytes", "rios", "wios" };
                char *save = NULL;
                for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save))
                        for (int k = 0; k < 4; k++) {
                                size_t kl = strlen(keys[k]);
                                if (strneq(t, keys[k], kl) && t[kl] == '=')
                                        v[k] = strtoull(t + kl + 1, NULL, 10);
                        }
                json_array_append_new(*bytes, blkio_entry(maj, min, "Read", v[0]));
                json_array_append_new(*bytes, blkio_entry(maj, min, "Write", v[1]));
                json_array_append_new(*ios, blkio_entry(maj, min, "Read", v[2]));
                json_array_append_new(*ios, blkio_entry(maj, min, "Write", v[3]));
        }
}

static json_t *cpu_stats(const cg_manager *m)
{
        json_t *usage = json_object(), *thr = json_object();
        const cg_dir *acct = cg_dir_for(m, CG_CTL_CPUACCT), *cpu = cg_dir_for(m, CG_CTL_CPU);
        _cleanup_free_ char *s = NULL;
        uint64_t v;
        if (acct && !acct->v2) {
                put(usage, "total", rd(acct->fd, "cpuacct.usage"), true);
                if (cg_read(acct->fd, "cpuacct.usage_percpu", &s) == 0) {
                        json_t *pc = cg_stats_percpu(s);
                        if (json_array_size(pc))
                                json_object_set_new(usage, "percpu", pc);
                        else
                                json_decref(pc);
                }
                free(s);
                s = NULL;
                /* cpuacct.stat counts USER_HZ ticks. */
                long hz = sysconf(_SC_CLK_TCK);
                uint64_t ns = hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull;
                if (cg_read(acct->fd, "cpuacct.stat", &s) == 0) {
                        put(usage, "kernel", cg_kv_get(s, "system", &v) == 0 ? v * ns : 0, false);
                        put(usage, "user", cg_kv_get(s, "user", &v) == 0 ? v * ns : 0, false);
                }
        } else if (m->v2 && m->v2->fd >= 0 && cg_read(m->v2->fd, "cpu.stat", &s) == 0) {
                /* cpu.stat's usage lines exist on every v2 cgroup. */
                put(usage, "total", cg_kv_get(s, "usage_usec", &v) == 0 ? v * 1000 : 0, true);
                put(usage, "kernel", cg_kv_get(s, "system_usec", &v) == 0 ? v * 1000 : 0, false);
                put(usage, "user", cg_kv_get(s, "user_usec", &v) == 0 ? v * 1000 : 0, false);
        }
        if (!json_object_get(usage, "kernel"))
                put(usage, "kernel", 0, false);
        if (!json_object_get(usage, "user"))
                put(usage, "user", 0, false);
        free(s);
        s = NULL;
        if (cpu && cg_read(cpu->fd, "cpu.stat", &s) == 0) {
                put(thr, "periods", cg_kv_get(s, "nr_periods", &v) == 0 ? v : 0, true);
                put(thr, "throttledPeriods", cg_kv_get(s, "nr_throttled", &v) == 0 ? v : 0, true);
                if (cg_kv_get(s, "throttled_time", &v) == 0)
                        put(thr, "throttledTime", v, true);
                else if (cg_kv_get(s, "throttled_usec", &v) == 0)
                        put(thr, "throttledTime", v * 1000, true);
        }
        return json_pack("{s:o, s:o}", "usage", usage, "throttling", thr);
}

static json_t *mem_entry(int dfd, const char *prefix)
{
        char f[96];
        json_t *e = json_object();
        snprintf(f, sizeof(f), "%s.limit_in_bytes", prefix);
        put(e, "limit", rd(dfd, f), false);
        snprintf(f, sizeof(f), "%s.usage_in_bytes", prefix);
        put(e, "usage", rd(dfd, f), true);
        snprintf(f, sizeof(f), "%s.max_usage_in_bytes", prefix);
        put(e, "max", rd(dfd, f), true);
        snprintf(f, sizeof(f), "%s.failcnt", prefix);
        put(e, "failcnt", rd(dfd, f), false);
        return e;
}

static json_t *memory_stats(const cg_manager *m)
{
        const cg_dir *d = cg_dir_for(m, CG_CTL_MEMORY);
        json_t *o = json_object();
        _cleanup_free_ char *stat = NULL;
        uint64_t v;
        if (d && !d->v2) {
                json_object_set_new(o, "usage", mem_entry(d->fd, "memory"));
                json_object_set_new(o, "swap", mem_entry(d->fd, "memory.memsw"));
                json_object_set_new(o, "kernel", mem_entry(d->fd, "memory.kmem"));
                json_object_set_new(o, "kernelTCP", mem_entry(d->fd, "memory.kmem.tcp"));
                if (cg_read(d->fd, "memory.stat", &stat) == 0 && cg_kv_get(stat, "cache", &v) == 0)
                        put(o, "cache", v, true);
        } else if (d) {
                uint64_t cur = rd(d->fd, "memory.current"), max = rd(d->fd, "memory.max");
                uint64_t scur = rd(d->fd, "memory.swap.current"), smax = rd(d->fd, "memory.swap.max");
                json_t *u = json_object(), *sw = json_object();
                put(u, "limit", max, false);
                put(u, "usage", cur, true);
                put(u, "max", rd(d->fd, "memory.peak"), true);
                put(u, "failcnt", 0, false);
                /* runc reports v2 swap as memory+swap, like v1's memsw. */
                put(sw, "limit", (smax == UINT64_MAX || max == UINT64_MAX) ? UINT64_MAX : smax + max, false);
                put(sw, "usage", cur + scur, true);
                put(sw, "failcnt", 0, false);
                json_object_set_new(o, "usage", u);
                json_object_set_new(o, "swap", sw);
                json_object_set_new(o, "kernel", json_pack("{s:i, s:i}", "limit", 0, "failcnt", 0));
                json_object_set_new(o, "kernelTCP", json_pack("{s:i, s:i}", "limit", 0, "failcnt", 0));
                if (cg_read(d->fd, "memory.stat", &stat) == 0 && cg_kv_get(stat, "file", &v) == 0)
                        put(o, "cache", v, true);
        } else {
                static const char *const keys[] = { "usage", "swap", "kernel", "kernelTCP" };
                for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                        json_object_set_new(o, keys[i], json_pack("{s:i, s:i}", "limit", 0, "failcnt", 0));
        }
        if (stat) {
                json_t *raw = cg_stats_raw(stat);
                if (json_object_size(raw))
                        json_object_set_new(o, "raw", raw);
                else
                        json_decref(raw);
        }
        return o;
}

static json_t *blkio_first(int dfd, const char *const *files, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *s = NULL;
                if (cg_read(dfd, files[i], &s) < 0)
                        continue;
                json_t *a = cg_stats_blkio_v1(s);
                if (json_array_size(a))
                        return a;
                json_decref(a);
        }
        return NULL;
}

static json_t *blkio_stats(const cg_manager *m)
{
        const cg_dir *d = cg_dir_for(m, CG_CTL_BLKIO);
        json_t *o = json_object(), *bytes = NULL, *ios = NULL;
        if (d && !d->v2) {
                /* CFQ's counters, else BFQ's, else the throttle layer's (runc's order). */
                static const char *const b[] = { "blkio.io_service_bytes_recursive",
                                                 "blkio.bfq.io_service_bytes_recursive",
                                                 "blkio.throttle.io_service_bytes_recursive" };
                static const char *const s[] = { "blkio.io_serviced_recursive", "blkio.bfq.io_serviced_recursive",
                                                 "blkio.throttle.io_serviced_recursive" };
                bytes = blkio_first(d->fd, b, ARRAY_SIZE(b));
                ios = blkio_first(d->fd, s, ARRAY_SIZE(s));
        } else if (d) {
                _cleanup_free_ char *s = NULL;
                if (cg_read(d->fd, "io.stat", &s) == 0)
                        cg_stats_io_v2(s, &bytes, &ios);
        }
        if (bytes && json_array_size(bytes))
                json_object_set_new(o, "ioServiceBytesRecursive", bytes);
        else
                json_decref(bytes);
        if (ios && json_array_size(ios))
                json_object_set_new(o, "ioServicedRecursive", ios);
        else
                json_decref(ios);
        return o;
}

static json_t *hugetlb_stats(const cg_manager *m)
{
        json_t *o = json_object();
        const cg_dir *d = cg_dir_for(m, CG_CTL_HUGETLB);
        DIR *dir = d ? opendir("/sys/kernel/mm/hugepages") : NULL;
        if (!dir)
                return o;
        struct dirent *de;
        while ((de = readdir(dir))) {
                unsigned long long kb;
                if (sscanf(de->d_name, "hugepages-%llukB", &kb) != 1)
                        continue;
                char size[32], f[96];
                if (kb % (1024 * 1024) == 0)
                        snprintf(size, sizeof(size), "%lluGB", kb / (1024 * 1024));
                else if (kb % 1024 == 0)
                        snprintf(size, sizeof(size), "%lluMB", kb / 1024);
                else
                        snprintf(size, sizeof(size), "%lluKB", kb);
                json_t *e = json_object();
                if (d->v2) {
                        snprintf(f, sizeof(f), "hugetlb.%s.current", size);
                        put(e, "usage", rd(d->fd, f), true);
                        _cleanup_free_ char *ev = NULL;
                        uint64_t v = 0;
                        snprintf(f, sizeof(f), "hugetlb.%s.events", size);
                        if (cg_read(d->fd, f, &ev) == 0)
                                cg_kv_get(ev, "max", &v);
                        put(e, "failcnt", v, false);
                } else {
                        snprintf(f, sizeof(f), "hugetlb.%s.usage_in_bytes", size);
                        put(e, "usage", rd(d->fd, f), true);
                        snprintf(f, sizeof(f), "hugetlb.%s.max_usage_in_bytes", size);
                        put(e, "max", rd(d->fd, f), true);
                        snprintf(f, sizeof(f), "hugetlb.%s.failcnt", size);
                        put(e, "failcnt", rd(d->fd, f), false);
                }
                json_object_set_new(o, size, e);
        }
        closedir(dir);
        return o;
}

int cg_stats(const cg_manager *m, json_t **ret, cella_error **err)
{
        json_t *pids = json_object();
        const cg_dir *p = cg_dir_for(m, CG_CTL_PIDS);
        if (p) {
                put(pids, "current", rd(p->fd, "pids.current"), true);
                uint64_t lim = rd(p->fd, "pids.max");
                put(pids, "limit", lim == UINT64_MAX ? 0 : lim, true);  /* runc: 0 is unlimited */
        }
        json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o}", "cpu", cpu_stats(m), "memory", memory_stats(m),
                              "pids", pids, "blkio", blkio_stats(m), "hugetlb", hugetlb_stats(m));
        if (!o)
                return err_set(err, ENOMEM, "stats");
        *ret = o;
        return 0;
}

int cg_oom_kills(const cg_manager *m, uint64_t *ret, cella_error **err)
{
        const cg_dir *d = cg_dir_for(m, CG_CTL_MEMORY);
        *ret = 0;
        if (!d)
                return 0;
        _cleanup_free_ char *s = NULL;
        int r = cg_read(d->fd, d->v2 ? "memory.events" : "memory.oom_control", &s);
        if (r < 0)
                return err_set(err, -r, "read %s/%s", d->path, d->v2 ? "memory.events" : "memory.oom_control");
        uint64_t v = 0;
        if (cg_kv_get(s, "oom_kill", &v) == 0)
                *ret = v;
        return 0;
}
