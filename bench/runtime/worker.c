/* The worker: lives in a private mount namespace (scripts/masked-ns), spawns
 * one runtime process per request from the coordinator and times it.
 *
 *   bench-runtime --worker TAG --dir DIR --cg-parent NAME --parent-ns DEV:INO
 *                 --cella P --crun P --runc P
 *
 * Requests on stdin, one per line; one reply line each on stdout:
 *   RUN <rt> <kind> <seq>     `<rt> run` of the <kind> bundle (plain, seccomp)
 *   CHECK <rt> <kind>         `run` of the check bundle of <kind>; one more reply
 *                             line: "C <what it printed>"
 *   EXEC_SETUP <rt>           `run -d` of the exec bundle (a sleeping container)
 *   EXEC <rt> <seq>           `<rt> exec ID /bin/true` into it
 *   EXEC_TEARDOWN <rt>        `delete --force` it
 * Reply: "R ok status wall_ns cpu_us maxrss_kib orphans leftovers".
 * EOF or QUIT: remove what is left and exit. */
#include "bench.h"
#include "base/macros.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct worker {
        const char *tag, *dir, *parent, *parent_ns;
        const char *rt[RT_N];
        char *tmpl[K_N];                /* NULL: that bundle kind was not provided */
        char *check[K_EXEC];            /* the plain and seccomp bundles printing their confinement */
        char base[PATH_MAX / 2];        /* DIR/TAG */
        int logfd;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        bench_path hier[BENCH_MAX_HIER];
        int n_hier;
        int shown[RT_N];
        bool exec_up[RT_N];
};

static int load_template(const char *path, char **ret)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT) {
                        *ret = NULL;
                        return 0;
                }
                return -errno;
        }
        _cleanup_free_ char *buf = malloc(BENCH_TEMPLATE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        size_t n = 0;
        for (;;) {
                ssize_t k = RETRY_EINTR(read(fd, buf + n, BENCH_TEMPLATE_MAX - n));
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += (size_t)k;
                if (n == BENCH_TEMPLATE_MAX)
                        return -EFBIG;
        }
        buf[n] = '\0';
        char *m = strstr(buf, BENCH_CGPATH_MARK);
        if (!m || strstr(m + 1, BENCH_CGPATH_MARK))
                return -EINVAL;         /* exactly one linux.cgroupsPath placeholder */
        *ret = TAKE_PTR(buf);
        return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
        while (n) {
                ssize_t k = RETRY_EINTR(write(fd, p, n));
                if (k < 0)
                        return -errno;
                p += k;
                n -= (size_t)k;
        }
        return 0;
}

/* BUNDLE/config.json = the template with the placeholder replaced by cgpath. */
static int write_config(const char *bundle, const char *tmpl, const char *cgpath)
{
        if (mkdir(bundle, 0755) < 0 && errno != EEXIST)
                return -errno;
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/config.json", bundle);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        const char *m = strstr(tmpl, BENCH_CGPATH_MARK);
        int r;
        if ((r = write_all(fd, tmpl, (size_t)(m - tmpl))) < 0 ||
            (r = write_all(fd, cgpath, strlen(cgpath))) < 0)
                return r;
        m += strlen(BENCH_CGPATH_MARK);
        return write_all(fd, m, strlen(m));
}

static uint64_t tv_us(struct timeval t) { return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_usec; }

static int reap_orphans(void)
{
        int n = 0;
        while (waitpid(-1, NULL, WNOHANG) > 0)
                n++;
        return n;
}

/* The timed part: posix_spawn .. wait4 of the runtime process. CPU is the
 * RUSAGE_CHILDREN delta, so it holds the runtime and every descendant it (or
 * we, as subreaper) reaped: container processes and runc's `runc init`. */
static void spawn_measure(struct worker *w, char *const argv[], struct bench_sample *s)
{
        struct rusage before, after, ru;
        struct timespec t0, t1;
        pid_t pid;
        int st = 0;
        memset(s, 0, sizeof(*s));
        if (ftruncate(w->logfd, 0) < 0) {
                s->status = -errno;
                return;
        }
        getrusage(RUSAGE_CHILDREN, &before);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int r = posix_spawn(&pid, argv[0], &w->fa, &w->attr, argv, environ);
        if (r != 0) {
                s->status = -r;
                return;
        }
        pid_t k = RETRY_EINTR(wait4(pid, &st, 0, &ru));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (k < 0) {
                s->status = -errno;
                return;
        }
        s->orphans = reap_orphans();
        getrusage(RUSAGE_CHILDREN, &after);
        s->wall_ns = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
        s->cpu_us = tv_us(after.ru_utime) + tv_us(after.ru_stime) - tv_us(before.ru_utime) - tv_us(before.ru_stime);
        s->maxrss_kib = ru.ru_maxrss;
        s->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        s->ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* A failure is reported, not hidden: the first three per runtime show the
 * runtime's own output on our stderr (the coordinator's terminal). */
static void show_failure(struct worker *w, int rt, const char *what, const struct bench_sample *s)
{
        if (w->shown[rt]++ >= 3)
                return;
        fprintf(stderr, "bench-runtime[%s]: %s %s failed: %s %d; its output:\n", w->tag, bench_rt_names[rt],
                what, s->status < 0 ? "could not spawn, errno" : "exit status",
                s->status < 0 ? -s->status : s->status);
        char buf[4096];
        ssize_t n = pread(w->logfd, buf, sizeof(buf), 0);
        if (n > 0)
                fwrite(buf, 1, (size_t)n, stderr);
        fputs("---\n", stderr);
}

static void paths(struct worker *w, int rt, const char *leaf, char *id, size_t id_size, char *root,
                  size_t root_size)
{
        snprintf(id, id_size, "%s-%s", w->parent, leaf);
        snprintf(root, root_size, "%s/roots/%s", w->base, bench_rt_names[rt]);
}

/* Untimed: a leftover container after a failed or odd run. */
static void force_delete(struct worker *w, int rt, const char *root, const char *id)
{
        char *argv[] = { (char *)w->rt[rt], (char *)"--root", (char *)root, (char *)"delete",
                         (char *)"--force", (char *)id, NULL };
        struct bench_sample s;
        spawn_measure(w, argv, &s);
}

/* After the sample, untimed: the runtime must have removed its cgroup and
 * its state; count (and clear) what it left. */
static void check_leftovers(struct worker *w, int rt, const char *leaf, const char *root, const char *id,
                            struct bench_sample *s)
{
        int n = bench_cg_leaf_exists(w->hier, w->n_hier, w->parent, leaf);
        char state[PATH_MAX];
        if (snprintf(state, sizeof(state), "%s/%s", root, id) < (int)sizeof(state) && access(state, F_OK) == 0) {
                n++;
                force_delete(w, rt, root, id);
        }
        if (n) {
                s->leftovers = n;
                bench_cg_remove_leaf(w->hier, w->n_hier, w->parent, leaf);
        }
}

/* `run` of the bundle made from tmpl, named <tag>-<rt>-<name>-<seq>. */
static void do_run(struct worker *w, int rt, const char *name, const char *tmpl, unsigned seq,
                   struct bench_sample *s)
{
        char leaf[128], id[256], root[PATH_MAX], bundle[PATH_MAX], cgpath[256];
        snprintf(leaf, sizeof(leaf), "%s-%s-%s-%u", w->tag, bench_rt_names[rt], name, seq);
        paths(w, rt, leaf, id, sizeof(id), root, sizeof(root));
        snprintf(bundle, sizeof(bundle), "%s/bundles/%s-%s", w->base, bench_rt_names[rt], name);
        snprintf(cgpath, sizeof(cgpath), "/%s/%s", w->parent, leaf);
        int r = write_config(bundle, tmpl, cgpath);
        if (r < 0) {
                memset(s, 0, sizeof(*s));
                s->status = r;
                fprintf(stderr, "bench-runtime[%s]: write %s/config.json: %s\n", w->tag, bundle, strerror(-r));
                return;
        }
        char *argv[] = { (char *)w->rt[rt], (char *)"--root", root, (char *)"run", (char *)"--bundle", bundle,
                         id, NULL };
        spawn_measure(w, argv, s);
        if (!s->ok)
                show_failure(w, rt, "run", s);
        check_leftovers(w, rt, leaf, root, id, s);
}

/* The check bundle's output (its process prints its own confinement from
 * /proc/self/status), on one line. */
static void check_output(struct worker *w, char *buf, size_t size)
{
        ssize_t n = pread(w->logfd, buf, size - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        for (char *p = buf; *p; p++)
                if (*p == '\n' || *p == '\t')
                        *p = ' ';
}

static void exec_leaf(struct worker *w, int rt, char *leaf, size_t size)
{
        snprintf(leaf, size, "%s-%s-exec", w->tag, bench_rt_names[rt]);
}

static void do_exec_setup(struct worker *w, int rt, struct bench_sample *s)
{
        char leaf[128], id[256], root[PATH_MAX], bundle[PATH_MAX], cgpath[256];
        exec_leaf(w, rt, leaf, sizeof(leaf));
        paths(w, rt, leaf, id, sizeof(id), root, sizeof(root));
        snprintf(bundle, sizeof(bundle), "%s/bundles/%s-exec", w->base, bench_rt_names[rt]);
        snprintf(cgpath, sizeof(cgpath), "/%s/%s", w->parent, leaf);
        int r = write_config(bundle, w->tmpl[K_EXEC], cgpath);
        if (r < 0) {
                memset(s, 0, sizeof(*s));
                s->status = r;
                return;
        }
        char *argv[] = { (char *)w->rt[rt], (char *)"--root", root, (char *)"run", (char *)"-d",
                         (char *)"--bundle", bundle, id, NULL };
        spawn_measure(w, argv, s);
        w->exec_up[rt] = true;  /* even on failure: teardown removes what there is */
        if (!s->ok)
                show_failure(w, rt, "run -d (exec setup)", s);
}

static void do_exec(struct worker *w, int rt, unsigned seq, struct bench_sample *s)
{
        char leaf[128], id[256], root[PATH_MAX];
        (void)seq;
        exec_leaf(w, rt, leaf, sizeof(leaf));
        paths(w, rt, leaf, id, sizeof(id), root, sizeof(root));
        char *argv[] = { (char *)w->rt[rt], (char *)"--root", root, (char *)"exec", id, (char *)"/bin/true", NULL };
        spawn_measure(w, argv, s);
        if (!s->ok)
                show_failure(w, rt, "exec", s);
}

static void do_exec_teardown(struct worker *w, int rt, struct bench_sample *s)
{
        char leaf[128], id[256], root[PATH_MAX];
        exec_leaf(w, rt, leaf, sizeof(leaf));
        paths(w, rt, leaf, id, sizeof(id), root, sizeof(root));
        char *argv[] = { (char *)w->rt[rt], (char *)"--root", root, (char *)"delete", (char *)"--force", id, NULL };
        spawn_measure(w, argv, s);
        w->exec_up[rt] = false;
        if (!s->ok)
                show_failure(w, rt, "delete --force (exec teardown)", s);
        /* The sleeping container's init was reparented to us: reap it. */
        for (int i = 0; i < 100; i++) {
                s->orphans += reap_orphans();
                if (bench_cg_leaf_exists(w->hier, w->n_hier, w->parent, leaf) == 0)
                        break;
                usleep(10000);
        }
        s->leftovers = bench_cg_leaf_exists(w->hier, w->n_hier, w->parent, leaf);
        bench_cg_remove_leaf(w->hier, w->n_hier, w->parent, leaf);
}

static long vm_hwm_kib(void)
{
        long kib = -1;
        char line[256];
        FILE *f = fopen("/proc/self/status", "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
                        break;
        fclose(f);
        return kib;
}

static int setup(struct worker *w)
{
        char why[512], path[PATH_MAX];
        int r;
        if ((r = bench_check_private_ns(w->parent_ns, why, sizeof(why))) < 0) {
                fprintf(stderr, "bench-runtime[%s]: %s\n", w->tag, why);
                return r;
        }
        snprintf(w->base, sizeof(w->base), "%s/%s", w->dir, w->tag);
        const char *sub[] = { "", "/roots", "/bundles" };
        for (size_t i = 0; i < ARRAY_SIZE(sub); i++) {
                snprintf(path, sizeof(path), "%s%s", w->base, sub[i]);
                if (mkdir(path, 0700) < 0 && errno != EEXIST) {
                        fprintf(stderr, "bench-runtime[%s]: mkdir %s: %s\n", w->tag, path, strerror(errno));
                        return -errno;
                }
        }
        for (int k = 0; k < K_N; k++) {
                snprintf(path, sizeof(path), "%s/config-%s.json", w->dir, bench_kind_names[k]);
                if ((r = load_template(path, &w->tmpl[k])) < 0) {
                        fprintf(stderr, "bench-runtime[%s]: %s: %s\n", w->tag, path,
                                r == -EINVAL ? "needs exactly one \"" BENCH_CGPATH_MARK "\" (linux.cgroupsPath)"
                                             : strerror(-r));
                        return r;
                }
                if (k == K_EXEC)
                        continue;
                snprintf(path, sizeof(path), "%s/config-check-%s.json", w->dir, bench_kind_names[k]);
                if ((r = load_template(path, &w->check[k])) < 0) {
                        fprintf(stderr, "bench-runtime[%s]: %s: %s\n", w->tag, path, strerror(-r));
                        return r;
                }
        }
        snprintf(path, sizeof(path), "%s/cgview", w->base);
        if ((r = bench_cgview_setup(path, w->hier, &w->n_hier, why, sizeof(why))) < 0) {
                fprintf(stderr, "bench-runtime[%s]: cgroup view: %s\n", w->tag, why);
                return r;
        }
        if ((r = bench_cg_create_parent(w->hier, w->n_hier, w->parent)) < 0) {
                fprintf(stderr, "bench-runtime[%s]: create cgroup /%s: %s\n", w->tag, w->parent, strerror(-r));
                return r;
        }
        snprintf(path, sizeof(path), "%s/log", w->base);
        w->logfd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
        if (w->logfd < 0)
                return -errno;
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_init(&w->attr);
        posix_spawnattr_setsigmask(&w->attr, &none);
        posix_spawnattr_setsigdefault(&w->attr, &all);
        posix_spawnattr_setflags(&w->attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        posix_spawn_file_actions_init(&w->fa);
        posix_spawn_file_actions_addopen(&w->fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&w->fa, w->logfd, 1);
        posix_spawn_file_actions_adddup2(&w->fa, w->logfd, 2);
        /* Orphans (a container init whose runtime exited) come to us, so
         * their CPU is counted and nothing is left running. */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                return -errno;
        return 0;
}

static int parse_args(struct worker *w, int argc, char **argv)
{
        for (int i = 1; i + 1 < argc; i += 2) {
                const char *k = argv[i], *v = argv[i + 1];
                int rt;
                if (streq(k, "--worker"))
                        w->tag = v;
                else if (streq(k, "--dir"))
                        w->dir = v;
                else if (streq(k, "--cg-parent"))
                        w->parent = v;
                else if (streq(k, "--parent-ns"))
                        w->parent_ns = v;
                else if (strneq(k, "--", 2) && (rt = bench_rt_from_name(k + 2)) >= 0)
                        w->rt[rt] = v;
                else
                        return -EINVAL;
        }
        if (!w->tag || !w->dir || !w->parent || !w->parent_ns || (argc - 1) % 2)
                return -EINVAL;
        for (int rt = 0; rt < RT_N; rt++)
                if (!w->rt[rt])
                        return -EINVAL;
        return 0;
}

static void handle(struct worker *w, char *line)
{
        char verb[32] = "", a[32] = "", b[32] = "";
        unsigned seq = 0;
        struct bench_sample s = { .status = -EINVAL };
        int n = sscanf(line, "%31s %31s %31s %u", verb, a, b, &seq);
        int rt = n >= 2 ? bench_rt_from_name(a) : -1;
        int kind = n >= 3 ? bench_kind_from_name(b) : -1;
        char extra[512] = "";
        if (streq(verb, "RUN") && n == 4 && rt >= 0 && (kind == K_PLAIN || kind == K_SECCOMP) && w->tmpl[kind])
                do_run(w, rt, bench_kind_names[kind], w->tmpl[kind], seq, &s);
        else if (streq(verb, "CHECK") && n == 3 && rt >= 0 && (kind == K_PLAIN || kind == K_SECCOMP) &&
                 w->check[kind]) {
                char name[32];
                snprintf(name, sizeof(name), "check-%s", bench_kind_names[kind]);
                do_run(w, rt, name, w->check[kind], 0, &s);
                check_output(w, extra, sizeof(extra));
        }
        else if (streq(verb, "EXEC_SETUP") && rt >= 0 && w->tmpl[K_EXEC])
                do_exec_setup(w, rt, &s);
        else if (streq(verb, "EXEC") && rt >= 0 && w->exec_up[rt] && sscanf(line, "%*s %*s %u", &seq) == 1)
                do_exec(w, rt, seq, &s);
        else if (streq(verb, "EXEC_TEARDOWN") && rt >= 0)
                do_exec_teardown(w, rt, &s);
        else
                fprintf(stderr, "bench-runtime[%s]: bad request: %s", w->tag, line);
        char out[256];
        bench_format_sample(out, sizeof(out), &s);
        fputs(out, stdout);
        if (streq(verb, "CHECK"))
                printf("C %s\n", extra);
        fflush(stdout);
}

int bench_worker_main(int argc, char **argv)
{
        struct worker w = { .logfd = -1 };
        if (parse_args(&w, argc, argv) < 0) {
                fprintf(stderr, "usage: bench-runtime --worker TAG --dir DIR --cg-parent NAME --parent-ns DEV:INO "
                        "--cella PATH --crun PATH --runc PATH\n");
                return 2;
        }
        /* Ctrl-C reaches the whole process group: let the coordinator go
         * first; its pipe's EOF then tells us to clean up. */
        signal(SIGINT, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        if (setup(&w) < 0) {
                printf("ERR setup failed (see stderr)\n");
                fflush(stdout);
                return 1;
        }
        /* A spawned child's ru_maxrss starts from our own peak (exec
         * records the old mm's high-water mark, and posix_spawn's child
         * shares our mm until exec): say where that floor is. */
        printf("READY rss_floor_kib=%ld hierarchies=%d", vm_hwm_kib(), w.n_hier);
        for (int i = 0; i < w.n_hier; i++)
                printf(" %s", w.hier[i]);
        printf("\n");
        fflush(stdout);

        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, stdin) > 0 && !strneq(line, "QUIT", 4))
                handle(&w, line);

        for (int rt = 0; rt < RT_N; rt++)
                if (w.exec_up[rt]) {
                        struct bench_sample s;
                        do_exec_teardown(&w, rt, &s);
                }
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "%s-", w.tag);
        int r = bench_cg_remove_parent(w.hier, w.n_hier, w.parent, prefix);
        if (r < 0)
                fprintf(stderr, "bench-runtime[%s]: removing cgroup /%s: %s\n", w.tag, w.parent, strerror(-r));
        posix_spawn_file_actions_destroy(&w.fa);
        posix_spawnattr_destroy(&w.attr);
        close(w.logfd);
        for (int k = 0; k < K_N; k++)
                free(w.tmpl[k]);
        for (int k = 0; k < K_EXEC; k++)
                free(w.check[k]);
        return r < 0 ? 1 : 0;
}
