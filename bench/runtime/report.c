/* The table and the RESULT lines. */
#include "bench.h"
#include "base/macros.h"

#include <stdio.h>
#include <string.h>

struct summary {
        bool have;
        double wall, wall90, cpu, cpu90, rss;
};

static struct summary summarize(struct bench_series *x)
{
        struct summary m = { .have = x->n > 0 };
        if (!m.have)
                return m;
        m.wall = bench_quantile(x->wall_ms, x->n, 0.5);
        m.wall90 = bench_quantile(x->wall_ms, x->n, 0.9);
        m.cpu = bench_quantile(x->cpu_ms, x->n, 0.5);
        m.cpu90 = bench_quantile(x->cpu_ms, x->n, 0.9);
        m.rss = bench_quantile(x->rss_kib, x->n, 0.5);
        return m;
}

static struct summary *find(struct bench_series *s, struct summary *m, size_t n, int worker, int rt, int kind)
{
        for (size_t i = 0; i < n; i++)
                if (s[i].worker == worker && s[i].rt == rt && s[i].kind == kind)
                        return &m[i];
        return NULL;
}

/* "NA" stands where a series has no successful sample: never a made-up number. */
static void fmt(char *buf, size_t size, const struct summary *m, double v, int decimals)
{
        if (m && m->have)
                snprintf(buf, size, "%.*f", decimals, v);
        else
                snprintf(buf, size, "NA");
}

static void ratio(char *buf, size_t size, const struct summary *a, const struct summary *b)
{
        if (a && b && a->have && b->have && b->wall > 0)
                snprintf(buf, size, "%.2f", a->wall / b->wall);
        else
                snprintf(buf, size, "NA");
}

static double wall(const struct summary *m) { return m ? m->wall : 0; }
static double rss(const struct summary *m) { return m ? m->rss : 0; }

int bench_report(struct bench_series *s, size_t n, unsigned runs, unsigned warmup)
{
        struct summary m[16];
        int failed = 0;
        printf("\n%-7s %-6s %-8s %4s %4s %9s %9s %9s %9s %8s %9s  %s\n", "ns", "rt", "bundle", "n", "fail",
               "wall_med", "wall_p90", "cpu_med", "cpu_p90", "rss_kib", "first_ms", "notes");
        for (size_t i = 0; i < n && i < ARRAY_SIZE(m); i++) {
                struct bench_series *x = &s[i];
                m[i] = summarize(x);
                char notes[256] = "";
                if (x->broken)
                        snprintf(notes, sizeof(notes), "setup failed, not measured");
                else if (x->n < runs)
                        snprintf(notes, sizeof(notes), "only %zu of %u measured runs succeeded", x->n, runs);
                if (x->orphans || x->leftovers)
                        snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), "%sorphans=%d leftovers=%d",
                                 *notes ? "; " : "", x->orphans, x->leftovers);
                if (m[i].have && x->rss_floor_kib > 0 && m[i].rss <= (double)x->rss_floor_kib * 1.02)
                        snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes),
                                 "%srss is the worker's floor (%ld KiB), not the runtime's", *notes ? "; " : "",
                                 x->rss_floor_kib);
                if (x->fail || x->broken)
                        failed++;
                char c[6][24];
                fmt(c[0], sizeof(c[0]), &m[i], m[i].wall, 2);
                fmt(c[1], sizeof(c[1]), &m[i], m[i].wall90, 2);
                fmt(c[2], sizeof(c[2]), &m[i], m[i].cpu, 2);
                fmt(c[3], sizeof(c[3]), &m[i], m[i].cpu90, 2);
                fmt(c[4], sizeof(c[4]), &m[i], m[i].rss, 0);
                if (x->first_ms >= 0)
                        snprintf(c[5], sizeof(c[5]), "%.2f", x->first_ms);
                else
                        snprintf(c[5], sizeof(c[5]), "NA");
                printf("%-7s %-6s %-8s %4zu %4d %9s %9s %9s %9s %8s %9s  %s\n", bench_worker_names[x->worker],
                       bench_rt_names[x->rt], bench_kind_names[x->kind], x->n, x->fail, c[0], c[1], c[2], c[3],
                       c[4], c[5], notes);
        }
        printf("(ms; cpu = user+system of the runtime and its reaped descendants; rss_kib = median of wait4's "
               "ru_maxrss; first_ms = first warm-up run, discarded; %u warm-up runs per series)\n\n", warmup);

        char a[24], b[24], c[24], d[24], e[24];
        for (int k = 0; k < K_N; k++) {
                struct summary *ce = find(s, m, n, W_V1, RT_CELLA, k), *cr = find(s, m, n, W_V1, RT_CRUN, k),
                               *rc = find(s, m, n, W_V1, RT_RUNC, k);
                if (!ce)
                        continue;
                ratio(a, sizeof(a), ce, cr);
                ratio(b, sizeof(b), ce, rc);
                ratio(c, sizeof(c), cr, rc);
                printf("ratios %-8s (median wall): cella/crun %s  cella/runc %s  crun/runc %s\n",
                       bench_kind_names[k], a, b, c);
        }
        printf("\n");

        struct summary *ce = find(s, m, n, W_V1, RT_CELLA, K_PLAIN), *cr = find(s, m, n, W_V1, RT_CRUN, K_PLAIN),
                       *rc = find(s, m, n, W_V1, RT_RUNC, K_PLAIN);
        struct summary *hy = find(s, m, n, W_HYBRID, RT_CELLA, K_PLAIN),
                       *hys = find(s, m, n, W_HYBRID, RT_CELLA, K_SECCOMP),
                       *hye = find(s, m, n, W_HYBRID, RT_CELLA, K_EXEC);
        struct summary *ces = find(s, m, n, W_V1, RT_CELLA, K_SECCOMP), *crs = find(s, m, n, W_V1, RT_CRUN, K_SECCOMP);
        struct summary *cee = find(s, m, n, W_V1, RT_CELLA, K_EXEC), *cre = find(s, m, n, W_V1, RT_CRUN, K_EXEC),
                       *rce = find(s, m, n, W_V1, RT_RUNC, K_EXEC);
        if (cee) {
                fmt(a, sizeof(a), cee, wall(cee), 2);
                fmt(b, sizeof(b), cre, wall(cre), 2);
                fmt(c, sizeof(c), rce, wall(rce), 2);
                ratio(d, sizeof(d), cee, cre);
                printf("RESULT_EXEC cella_ms=%s crun_ms=%s runc_ms=%s ratio_crun=%s\n", a, b, c, d);
        }
        if (hy) {
                fmt(a, sizeof(a), hy, wall(hy), 2);
                fmt(b, sizeof(b), hys, wall(hys), 2);
                printf("RESULT_HYBRID cella_hybrid_ms=%s cella_hybrid_seccomp_ms=%s", a, b);
                if (hye) {
                        fmt(c, sizeof(c), hye, wall(hye), 2);
                        printf(" cella_hybrid_exec_ms=%s", c);
                }
                printf("\n");
        }
        fmt(a, sizeof(a), ces, wall(ces), 2);
        fmt(b, sizeof(b), crs, wall(crs), 2);
        ratio(c, sizeof(c), ces, crs);
        printf("RESULT_SECCOMP cella_ms=%s crun_ms=%s ratio_crun=%s\n", a, b, c);

        fmt(a, sizeof(a), ce, wall(ce), 2);
        fmt(b, sizeof(b), cr, wall(cr), 2);
        fmt(c, sizeof(c), rc, wall(rc), 2);
        ratio(d, sizeof(d), ce, cr);
        fmt(e, sizeof(e), ce, rss(ce), 0);
        char f[24];
        fmt(f, sizeof(f), cr, rss(cr), 0);
        printf("RESULT cella_ms=%s crun_ms=%s runc_ms=%s ratio_crun=%s rss_kib=%s crun_rss_kib=%s\n", a, b, c, d, e,
               f);
        fflush(stdout);
        return failed;
}
