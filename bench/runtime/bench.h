/* bench-runtime: cella-runtime vs crun vs runc, measured side by side.
 *
 * One coordinator process (main.c) drives two worker processes (worker.c),
 * each started through scripts/masked-ns in its own private mount namespace:
 * worker "v1" with --mask-unified (the view crun needs; all three runtimes run
 * there) and worker "hybrid" without it (cella only, as an extra series). The
 * coordinator sends one request at a time over a pipe, so samples never
 * overlap, and the workers time each runtime process they spawn. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { RT_CELLA, RT_CRUN, RT_RUNC, RT_N };
enum { K_PLAIN, K_SECCOMP, K_EXEC, K_N };

extern const char *const bench_rt_names[RT_N];
extern const char *const bench_kind_names[K_N];

/* The placeholder the config templates carry where linux.cgroupsPath goes. */
#define BENCH_CGPATH_MARK "@CGPATH@"
/* Limits on what the templates and the protocol may make us allocate. */
#define BENCH_TEMPLATE_MAX (1 << 20)
#define BENCH_MAX_SAMPLES 100000
#define BENCH_MAX_HIER 32

/* One timed runtime invocation, as the worker reports it. */
struct bench_sample {
        bool ok;                /* spawned, exited 0 */
        int status;             /* exit code, 128+signal, or -errno when it could not be spawned */
        uint64_t wall_ns;       /* CLOCK_MONOTONIC from posix_spawn to wait4's return */
        uint64_t cpu_us;        /* RUSAGE_CHILDREN user+system delta: the runtime and what it reaped */
        long maxrss_kib;        /* wait4's ru_maxrss: largest peak RSS in the runtime's reaped tree */
        int orphans;            /* processes reparented to the worker (subreaper) and reaped after it */
        int leftovers;          /* cgroup dirs or state dirs the runtime left behind */
};

int bench_worker_main(int argc, char **argv);

/* The coordinator's record of one series: one runtime, one bundle kind, in
 * one worker's namespace. Only successful measured samples are kept. */
enum { W_V1, W_HYBRID, W_N };
extern const char *const bench_worker_names[W_N];

struct bench_series {
        int worker, rt, kind;
        double *wall_ms, *cpu_ms, *rss_kib;
        size_t n;
        int fail, orphans, leftovers;
        bool broken;            /* exec setup failed: no samples taken */
        double first_ms;        /* the first warm-up run (cold caches); < 0: none */
        long rss_floor_kib;     /* the worker's own peak RSS: no ru_maxrss reads lower */
};

/* report.c: the table and the RESULT lines; returns how many series had failures. */
int bench_report(struct bench_series *s, size_t n, unsigned runs, unsigned warmup);

/* Protocol lines (worker -> coordinator), one per request. */
int bench_format_sample(char *buf, size_t size, const struct bench_sample *s);
int bench_parse_sample(const char *line, struct bench_sample *ret);

/* stats.c: sorts v in place; nearest-rank quantile, q in [0, 1]. n > 0. */
double bench_quantile(double *v, size_t n, double q);
int bench_rt_from_name(const char *name);
int bench_kind_from_name(const char *name);

/* cgview.c: namespace checks and the cgroup view the workers run in. */
int bench_check_private_ns(const char *parent_ns, char *why, size_t why_size);

typedef char bench_path[256];
int bench_cgview_setup(const char *staging, bench_path *ret_hier, int *ret_n, char *why, size_t why_size);
int bench_cg_create_parent(const bench_path *hier, int n, const char *parent);
int bench_cg_leaf_exists(const bench_path *hier, int n, const char *parent, const char *leaf);
int bench_cg_remove_leaf(const bench_path *hier, int n, const char *parent, const char *leaf);
int bench_cg_remove_parent(const bench_path *hier, int n, const char *parent, const char *prefix);
