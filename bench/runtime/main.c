/* bench-runtime: the coordinator. Normally started by bench/runtime/run,
 * which builds the runtimes' bundle templates; see docs/bench.md.
 *
 *   bench-runtime [-n RUNS] [-w WARMUP] [--exec] [--no-hybrid] --dir DIR
 *                 --masked-ns PATH --cella PATH --crun PATH --runc PATH
 *
 * DIR holds config-plain.json, config-seccomp.json and (for --exec)
 * config-exec.json, each with "@CGPATH@" as linux.cgroupsPath. */
#include "bench.h"
#include "base/macros.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

const char *const bench_worker_names[W_N] = { "v1", "hybrid" };

struct opts {
        unsigned runs, warmup;
        bool exec, hybrid;
        const char *dir, *masked_ns;
        const char *rt[RT_N];
};

struct wproc {
        pid_t pid;
        FILE *to, *from;
        bool up;
};

static int usage(void)
{
        fprintf(stderr, "usage: bench-runtime [-n RUNS] [-w WARMUP] [--exec] [--no-hybrid] --dir DIR\n"
                        "                     --masked-ns PATH --cella PATH --crun PATH --runc PATH\n"
                        "(normally started by bench/runtime/run; see docs/bench.md)\n");
        return 2;
}

static int parse_uint(const char *s, const char *what, unsigned lo, unsigned hi, unsigned *ret)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || end == s || v < lo || v > hi) {
                fprintf(stderr, "bench-runtime: %s: '%s' is not a number in [%u, %u]\n", what, s, lo, hi);
                return -EINVAL;
        }
        *ret = (unsigned)v;
        return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
        enum { O_EXEC = 256, O_NOHYB, O_DIR, O_MNS, O_CELLA, O_CRUN, O_RUNC };
        static const struct option lo[] = {
                { "exec", no_argument, NULL, O_EXEC }, { "no-hybrid", no_argument, NULL, O_NOHYB },
                { "dir", required_argument, NULL, O_DIR }, { "masked-ns", required_argument, NULL, O_MNS },
                { "cella", required_argument, NULL, O_CELLA }, { "crun", required_argument, NULL, O_CRUN },
                { "runc", required_argument, NULL, O_RUNC }, { "help", no_argument, NULL, 'h' }, { 0 },
        };
        *o = (struct opts){ .runs = 50, .warmup = 3, .hybrid = true };
        int c;
        while ((c = getopt_long(argc, argv, "n:w:h", lo, NULL)) != -1) {
                switch (c) {
                case 'n': if (parse_uint(optarg, "-n", 1, BENCH_MAX_SAMPLES, &o->runs)) return -EINVAL; break;
                case 'w': if (parse_uint(optarg, "-w", 1, 1000, &o->warmup)) return -EINVAL; break;
                case O_EXEC: o->exec = true; break;
                case O_NOHYB: o->hybrid = false; break;
                case O_DIR: o->dir = optarg; break;
                case O_MNS: o->masked_ns = optarg; break;
                case O_CELLA: o->rt[RT_CELLA] = optarg; break;
                case O_CRUN: o->rt[RT_CRUN] = optarg; break;
                case O_RUNC: o->rt[RT_RUNC] = optarg; break;
                default: return -EINVAL;
                }
        }
        if (optind != argc || !o->dir || !o->masked_ns)
                return -EINVAL;
        const char *what[] = { "--cella", "--crun", "--runc", "--masked-ns" };
        const char *path[] = { o->rt[RT_CELLA], o->rt[RT_CRUN], o->rt[RT_RUNC], o->masked_ns };
        for (size_t i = 0; i < ARRAY_SIZE(what); i++) {
                /* posix_spawn, not spawnp: say exactly which binary ran. */
                if (!path[i] || path[i][0] != '/' || access(path[i], X_OK) < 0) {
                        fprintf(stderr, "bench-runtime: %s %s: need an absolute path to an executable\n", what[i],
                                path[i] ? path[i] : "(missing)");
                        return -EINVAL;
                }
        }
        return 0;
}

static int spawn_worker(struct wproc *w, const struct opts *o, int which, const char *self, const char *parent)
{
        struct stat ns;
        if (stat("/proc/self/ns/mnt", &ns) < 0)
                return -errno;
        char nsid[64];
        snprintf(nsid, sizeof(nsid), "%ju:%ju", (uintmax_t)ns.st_dev, (uintmax_t)ns.st_ino);
        int in[2], out[2];
        if (pipe2(in, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(out, O_CLOEXEC) < 0) {
                close(in[0]);
                close(in[1]);
                return -errno;
        }
        const char *argv[24];
        int a = 0;
        argv[a++] = o->masked_ns;
        if (which == W_V1)
                argv[a++] = "--mask-unified";
        const char *tail[] = { self, "--worker", bench_worker_names[which], "--dir", o->dir, "--cg-parent", parent,
                               "--parent-ns", nsid, "--cella", o->rt[RT_CELLA], "--crun", o->rt[RT_CRUN],
                               "--runc", o->rt[RT_RUNC] };
        for (size_t i = 0; i < ARRAY_SIZE(tail); i++)
                argv[a++] = tail[i];
        argv[a] = NULL;

        /* Each worker gets its own namespace even if we run inside one. */
        size_t ne = 0;
        for (char **e = environ; *e; e++)
                ne++;
        _cleanup_free_ char **env = calloc(ne + 1, sizeof(*env));
        if (!env)
                return -ENOMEM;
        size_t k = 0;
        for (char **e = environ; *e; e++)
                if (!strneq(*e, "CELLA_MASKED_NS=", 16))
                        env[k++] = *e;

        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        int r = posix_spawn(&w->pid, o->masked_ns, &fa, NULL, (char *const *)argv, env);
        posix_spawn_file_actions_destroy(&fa);
        close(in[0]);
        close(out[1]);
        if (r != 0) {
                close(in[1]);
                close(out[0]);
                return -r;
        }
        w->to = fdopen(in[1], "w");
        w->from = fdopen(out[0], "r");
        if (!w->to || !w->from)
                return -ENOMEM;
        w->up = true;
        return 0;
}

static char *read_line(struct wproc *w)
{
        static char *line;
        static size_t cap;
        if (getline(&line, &cap, w->from) <= 0)
                return NULL;
        return line;
}

_printf_(3, 4) static int request(struct wproc *w, struct bench_sample *s, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vfprintf(w->to, fmt, ap);
        va_end(ap);
        if (fflush(w->to) != 0)
                return -EPIPE;
        char *line = read_line(w);
        if (!line)
                return -EPIPE;
        return bench_parse_sample(line, s);
}

static void stop_worker(struct wproc *w)
{
        if (!w->up)
                return;
        fputs("QUIT\n", w->to);
        fclose(w->to);
        fclose(w->from);
        int st;
        RETRY_EINTR(waitpid(w->pid, &st, 0));
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                fprintf(stderr, "bench-runtime: worker %d ended with status %#x\n", (int)w->pid, st);
        w->up = false;
}

static int add_series(struct bench_series *s, size_t *n, int worker, int rt, int kind, unsigned runs)
{
        struct bench_series *x = &s[(*n)++];
        *x = (struct bench_series){ .worker = worker, .rt = rt, .kind = kind, .first_ms = -1 };
        x->wall_ms = calloc(runs, sizeof(double));
        x->cpu_ms = calloc(runs, sizeof(double));
        x->rss_kib = calloc(runs, sizeof(double));
        return x->wall_ms && x->cpu_ms && x->rss_kib ? 0 : -ENOMEM;
}

static int sample(struct wproc *w, struct bench_series *x, unsigned i, unsigned warmup)
{
        struct bench_sample s;
        int r = x->kind == K_EXEC ? request(w, &s, "EXEC %s %u\n", bench_rt_names[x->rt], i)
                                  : request(w, &s, "RUN %s %s %u\n", bench_rt_names[x->rt],
                                            bench_kind_names[x->kind], i);
        if (r < 0)
                return r;
        x->orphans += s.orphans;
        x->leftovers += s.leftovers;
        if (!s.ok) {
                x->fail++;
                return 0;
        }
        if (i == 0)
                x->first_ms = (double)s.wall_ns / 1e6;
        if (i < warmup)
                return 0;
        x->wall_ms[x->n] = (double)s.wall_ns / 1e6;
        x->cpu_ms[x->n] = (double)s.cpu_us / 1e3;
        x->rss_kib[x->n] = (double)s.maxrss_kib;
        x->n++;
        return 0;
}

/* Before timing anything: each runtime runs the check bundle of each kind,
 * whose process prints its capabilities, no_new_privs and seccomp state. All
 * must agree, or the comparison is not like for like. */
static int check_confinement(struct wproc *w, struct bench_series *s, size_t ns, int *ret_mismatch)
{
        char first[K_EXEC][512] = { "", "" };
        for (size_t j = 0; j < ns; j++) {
                struct bench_series *x = &s[j];
                if (x->kind == K_EXEC)
                        continue;
                struct bench_sample r;
                int k = request(&w[x->worker], &r, "CHECK %s %s\n", bench_rt_names[x->rt],
                                bench_kind_names[x->kind]);
                char *line = k < 0 ? NULL : read_line(&w[x->worker]);
                if (!line || !strneq(line, "C ", 2))
                        return -EPIPE;
                line[strcspn(line, "\n")] = '\0';
                const char *out = r.ok ? line + 2 : "(run failed)";
                bool differs = *first[x->kind] && !streq(first[x->kind], out);
                if (!*first[x->kind])
                        snprintf(first[x->kind], sizeof(first[0]), "%s", out);
                printf("# check %-6s %-5s %-7s: %s%s\n", bench_worker_names[x->worker], bench_rt_names[x->rt],
                       bench_kind_names[x->kind], out, differs ? "   <-- DIFFERS" : "");
                if (differs || !r.ok)
                        (*ret_mismatch)++;
        }
        return 0;
}

/* What the workers could not remove shows from here, PID 1's view, too. */
static int host_leftovers(const char *parent)
{
        const char *h[] = { "blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "pids", "systemd",
                            "unified", "hugetlb", "net_cls", "perf_event", "rdma", "misc", "" };
        int n = 0;
        for (size_t i = 0; i < ARRAY_SIZE(h); i++) {
                char p[PATH_MAX];
                snprintf(p, sizeof(p), "/sys/fs/cgroup/%s%s%s", h[i], *h[i] ? "/" : "", parent);
                if (access(p, F_OK) == 0) {
                        fprintf(stderr, "bench-runtime: left behind: %s\n", p);
                        n++;
                }
        }
        return n;
}

static void print_loadavg(const char *when)
{
        char buf[128] = "";
        FILE *f = fopen("/proc/loadavg", "re");
        if (f) {
                if (!fgets(buf, sizeof(buf), f))
                        buf[0] = '\0';
                fclose(f);
        }
        buf[strcspn(buf, "\n")] = '\0';
        printf("# loadavg %s: %s (%ld CPUs online)\n", when, buf, sysconf(_SC_NPROCESSORS_ONLN));
}

int main(int argc, char **argv)
{
        if (argc > 1 && streq(argv[1], "--worker"))
                return bench_worker_main(argc, argv);

        struct opts o;
        if (parse_opts(argc, argv, &o) < 0)
                return usage();
        char self[PATH_MAX];
        ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (sl < 0)
                return perror("bench-runtime: readlink /proc/self/exe"), 2;
        self[sl] = '\0';
        char parent[64];
        snprintf(parent, sizeof(parent), "cella-bench-%d", (int)getpid());
        signal(SIGPIPE, SIG_IGN);

        struct wproc w[W_N] = { 0 };
        long floor_kib[W_N] = { -1, -1 };
        for (int i = 0; i < W_N; i++) {
                if (i == W_HYBRID && !o.hybrid)
                        continue;
                int r = spawn_worker(&w[i], &o, i, self, parent);
                char *line = r < 0 ? NULL : read_line(&w[i]);
                if (!line || !strneq(line, "READY ", 6)) {
                        fprintf(stderr, "bench-runtime: worker %s did not start%s%s\n", bench_worker_names[i],
                                r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
                        for (int j = 0; j <= i; j++)
                                stop_worker(&w[j]);
                        return 2;
                }
                printf("# worker %s: %s", bench_worker_names[i], line + 6);
                if (sscanf(line, "READY rss_floor_kib=%ld", &floor_kib[i]) != 1)
                        floor_kib[i] = -1;
        }

        struct bench_series s[16];
        size_t ns = 0;
        unsigned total = o.warmup + o.runs;
        int kinds[] = { K_PLAIN, K_SECCOMP, K_EXEC };
        for (size_t k = 0; k < (o.exec ? 3u : 2u); k++) {
                for (int rt = 0; rt < RT_N; rt++)
                        if (add_series(s, &ns, W_V1, rt, kinds[k], total) < 0)
                                return 2;
                if (o.hybrid && add_series(s, &ns, W_HYBRID, RT_CELLA, kinds[k], total) < 0)
                        return 2;
        }
        for (size_t j = 0; j < ns; j++)
                s[j].rss_floor_kib = floor_kib[s[j].worker];
        printf("# %u measured runs per series after %u warm-up runs, round-robin over %zu series\n", o.runs,
               o.warmup, ns);
        print_loadavg("before");
        fflush(stdout);

        int mismatch = 0;
        int r = check_confinement(w, s, ns, &mismatch);
        if (mismatch)
                printf("# WARNING: the runtimes did not run the bundles alike (see the check lines)\n");
        fflush(stdout);
        for (size_t j = 0; j < ns && r >= 0; j++)
                if (s[j].kind == K_EXEC) {
                        struct bench_sample x;
                        r = request(&w[s[j].worker], &x, "EXEC_SETUP %s\n", bench_rt_names[s[j].rt]);
                        s[j].broken = r >= 0 && !x.ok;
                }
        /* Interleave: each iteration runs every series once, starting one
         * further along each time so no runtime always follows another. */
        for (unsigned i = 0; i < total && r >= 0; i++)
                for (size_t j = 0; j < ns && r >= 0; j++) {
                        struct bench_series *x = &s[(i + j) % ns];
                        if (!x->broken)
                                r = sample(&w[x->worker], x, i, o.warmup);
                }
        for (size_t j = 0; j < ns && r >= 0; j++)
                if (s[j].kind == K_EXEC) {
                        struct bench_sample x;
                        r = request(&w[s[j].worker], &x, "EXEC_TEARDOWN %s\n", bench_rt_names[s[j].rt]);
                        if (r >= 0)
                                s[j].leftovers += x.leftovers;
                }
        if (r < 0)
                fprintf(stderr, "bench-runtime: a worker stopped answering (%s); reporting what was measured\n",
                        strerror(-r));
        for (int i = 0; i < W_N; i++)
                stop_worker(&w[i]);
        int left = host_leftovers(parent);

        print_loadavg("after");
        int failed = bench_report(s, ns, o.runs, o.warmup);
        for (size_t j = 0; j < ns; j++) {
                free(s[j].wall_ms);
                free(s[j].cpu_ms);
                free(s[j].rss_kib);
        }
        return r < 0 || failed || left || mismatch ? 1 : 0;
}
