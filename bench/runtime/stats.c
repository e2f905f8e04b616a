/* Names, the worker's reply line, and quantiles. */
#include "bench.h"
#include "base/macros.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const bench_rt_names[RT_N] = { "cella", "crun", "runc" };
const char *const bench_kind_names[K_N] = { "plain", "seccomp", "exec" };

int bench_rt_from_name(const char *name)
{
        for (int i = 0; i < RT_N; i++)
                if (streq(name, bench_rt_names[i]))
                        return i;
        return -1;
}

int bench_kind_from_name(const char *name)
{
        for (int i = 0; i < K_N; i++)
                if (streq(name, bench_kind_names[i]))
                        return i;
        return -1;
}

int bench_format_sample(char *buf, size_t size, const struct bench_sample *s)
{
        int n = snprintf(buf, size, "R %d %d %" PRIu64 " %" PRIu64 " %ld %d %d\n", s->ok ? 1 : 0, s->status,
                         s->wall_ns, s->cpu_us, s->maxrss_kib, s->orphans, s->leftovers);
        return n < 0 || (size_t)n >= size ? -ENOBUFS : 0;
}

int bench_parse_sample(const char *line, struct bench_sample *ret)
{
        struct bench_sample s = { 0 };
        int ok;
        if (sscanf(line, "R %d %d %" SCNu64 " %" SCNu64 " %ld %d %d", &ok, &s.status, &s.wall_ns, &s.cpu_us,
                   &s.maxrss_kib, &s.orphans, &s.leftovers) != 7)
                return -EBADMSG;
        s.ok = ok == 1;
        *ret = s;
        return 0;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

/* Nearest rank on the sorted values; the median of an even count is the
 * mean of the two middle ones. */
double bench_quantile(double *v, size_t n, double q)
{
        qsort(v, n, sizeof(*v), cmp_double);
        if (q == 0.5 && n % 2 == 0)
                return (v[n / 2 - 1] + v[n / 2]) / 2;
        size_t rank = (size_t)(q * (double)n + 0.999999);
        if (rank < 1)
                rank = 1;
        if (rank > n)
                rank = n;
        return v[rank - 1];
}
