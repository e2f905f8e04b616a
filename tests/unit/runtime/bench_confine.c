/* Confinement costs on the start path, Docker's defaults:
 *   compile   rt_seccomp_prepare without cache (libseccomp)
 *   hit       rt_seccomp_prepare with a warm cache
 *   install   rt_seccomp_install (seccomp(2)), in a fresh child each time
 *   caps      rt_caps_prepare + rt_caps_apply of the 14 caps (root only)
 *   syscall   cost of one getppid() with and without the filter
 * Usage: bench-rt-confine [iterations]. Prints medians in microseconds. */
#include "runtime/caps.h"
#include "runtime/seccomp.h"
#include "seccomp_json.h"
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double cpu_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static double median(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(double), cmp_double);
        return v[n / 2];
}

/* After median(): the fastest run, the cost without other load. */
static double fastest(const double *v)
{
        return v[0];
}

/* Time fn in a fresh child (the child reports its own duration). */
static double in_child(int what, const rt_seccomp_prog *p, const oci_caps *caps)
{
        int pfd[2];
        if (pipe(pfd) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                close(pfd[0]);
                cella_error *err = NULL;
                int lfd, r;
                double t0 = 0, t1 = 0;
                if (what == 2 || what == 3) {
                        if (what == 3) {
                                prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                                if (rt_seccomp_install(p, &lfd, &err) < 0)
                                        _exit(1);
                        }
                        enum { CALLS = 200000 };
                        t0 = now_us();
                        for (int i = 0; i < CALLS; i++)
                                syscall(SYS_getppid);
                        t1 = now_us();
                        double ns = (t1 - t0) * 1000.0 / CALLS;
                        (void)!write(pfd[1], &ns, sizeof(ns));
                        _exit(0);
                }
                if (what == 0) {
                        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                        t0 = now_us();
                        r = rt_seccomp_install(p, &lfd, &err);
                        t1 = now_us();
                } else {
                        t0 = now_us();
                        r = rt_caps_prepare(caps, &err);
                        if (r >= 0)
                                r = rt_caps_apply(caps, &err);
                        t1 = now_us();
                }
                double d = r < 0 ? -1 : t1 - t0;
                (void)!write(pfd[1], &d, sizeof(d));
                _exit(0);
        }
        close(pfd[1]);
        double d = -1;
        if (read(pfd[0], &d, sizeof(d)) != sizeof(d))
                d = -1;
        close(pfd[0]);
        waitpid(pid, NULL, 0);
        return d;
}

int main(int argc, char **argv)
{
        int n = argc > 1 ? atoi(argv[1]) : 50;
        if (n < 3 || n > 100000)
                n = 50;
        double *t = calloc((size_t)n, sizeof(double));
        json_t *j = oci_seccomp_docker_default();
        oci_seccomp s = { 0 };
        if (!t || !j || test_seccomp_from_json(j, &s) < 0) {
                fprintf(stderr, "setup failed\n");
                return 1;
        }
        json_decref(j);
        char dir[] = "/tmp/cella-bench-confine.XXXXXX";
        if (!mkdtemp(dir))
                return 1;
        char cache[300];
        snprintf(cache, sizeof(cache), "%s/seccomp", dir);

        rt_seccomp_prog p = { 0 };
        cella_error *err = NULL;
        double *c = calloc((size_t)n, sizeof(double));
        for (int i = 0; c && i < n; i++) {
                rt_seccomp_prog_clear(&p);
                double t0 = now_us(), c0 = cpu_us();
                if (rt_seccomp_prepare(&s, NULL, &p, &err) < 0) {
                        fprintf(stderr, "prepare: %s\n", err ? err->msg : "?");
                        return 1;
                }
                c[i] = cpu_us() - c0;
                t[i] = now_us() - t0;
        }
        double compile = median(t, n), compile_min = fastest(t), compile_cpu = c ? median(c, n) : 0;
        rt_seccomp_prog q = { 0 };
        (void)rt_seccomp_prepare(&s, cache, &q, NULL);  /* fill the cache */
        for (int i = 0; c && i < n; i++) {
                rt_seccomp_prog_clear(&q);
                double t0 = now_us(), c0 = cpu_us();
                if (rt_seccomp_prepare(&s, cache, &q, NULL) < 0)
                        return 1;
                c[i] = cpu_us() - c0;
                t[i] = now_us() - t0;
        }
        double hit = median(t, n), hit_min = fastest(t), hit_cpu = c ? median(c, n) : 0;
        free(c);
        rt_seccomp_prog_clear(&q);
        for (int i = 0; i < n; i++)
                t[i] = in_child(0, &p, NULL);
        double install = median(t, n), install_min = fastest(t);
        double plain[5], filtered[5];
        for (int i = 0; i < 5; i++) {
                plain[i] = in_child(2, &p, NULL);
                filtered[i] = in_child(3, &p, NULL);
        }
        printf("BENCH getppid_ns plain=%.0f docker_filter=%.0f\n", median(plain, 5), median(filtered, 5));
        printf("BENCH seccomp_compile_us=%.1f (cpu %.1f) seccomp_cache_hit_us=%.1f (cpu %.1f) "
               "seccomp_install_us=%.1f insns=%zu speedup=%.0f\n", compile, compile_cpu, hit, hit_cpu, install,
               p.n_insns, compile / hit);
        printf("BENCH fastest: seccomp_compile_us=%.1f seccomp_cache_hit_us=%.1f seccomp_install_us=%.1f\n",
               compile_min, hit_min, install_min);

        if (geteuid() == 0) {
                static int d14[] = { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD,
                                     CAP_NET_RAW, CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP,
                                     CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE };
                oci_caps caps = { .present = true, .bounding = d14, .n_bounding = 14, .effective = d14,
                                  .n_effective = 14, .permitted = d14, .n_permitted = 14 };
                for (int i = 0; i < n; i++)
                        t[i] = in_child(1, NULL, &caps);
                double caps_med = median(t, n);
                printf("BENCH caps_prepare_apply_us=%.1f (fastest %.1f)\n", caps_med, fastest(t));
        }
        rt_seccomp_prog_clear(&p);
        test_seccomp_free(&s);
        free(t);
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
        (void)!system(cmd);
        return 0;
}
