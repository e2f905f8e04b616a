/* Docker's default profile (src/oci/seccomp_default.c): its shape, that it
 * compiles, what it denies in a child that runs under it, and the compiled
 * filter cache (identical program, no libseccomp call on a hit, faster,
 * damaged entries recompiled, unsafe folder refused). Prints the compile
 * and cache-hit times. */
#include "runtime/seccomp.h"
#include "seccomp_json.h"
#include "tap.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* Count libseccomp compilations: this executable's seccomp_init wraps the
 * library's, so a cache hit can be shown to make no libseccomp call. */
static int n_seccomp_init;
scmp_filter_ctx seccomp_init(uint32_t def_action)
{
        static scmp_filter_ctx (*real)(uint32_t);
        if (!real)
                real = (scmp_filter_ctx (*)(uint32_t))dlsym(RTLD_NEXT, "seccomp_init");
        n_seccomp_init++;
        return real(def_action);
}

static double now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
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

static int has_name(const json_t *calls, const char *name, const char *action)
{
        size_t i, k;
        json_t *c, *n;
        json_array_foreach(calls, i, c) {
                if (action && strcmp(json_string_value(json_object_get(c, "action")), action) != 0)
                        continue;
                json_array_foreach(json_object_get(c, "names"), k, n)
                        if (strcmp(json_string_value(n), name) == 0)
                                return 1;
        }
        return 0;
}

static void test_shape(json_t *j)
{
        ok(j != NULL, "oci_seccomp_docker_default() returns an object");
        if (!j)
                return;
        ok(strcmp(json_string_value(json_object_get(j, "defaultAction")), "SCMP_ACT_ERRNO") == 0 &&
           json_integer_value(json_object_get(j, "defaultErrnoRet")) == EPERM,
           "default action: errno EPERM");
#if defined(__x86_64__)
        json_t *a = json_object_get(j, "architectures");
        ok(json_array_size(a) == 3 && strcmp(json_string_value(json_array_get(a, 0)), "SCMP_ARCH_X86_64") == 0,
           "architectures: x86_64 with x86 and x32");
        ok(has_name(json_object_get(j, "syscalls"), "arch_prctl", "SCMP_ACT_ALLOW"), "arch_prctl allowed on x86_64");
#endif
        json_t *calls = json_object_get(j, "syscalls");
        static const char *const allowed[] = { "read", "write", "execve", "clone", "chroot", "ptrace",
                                               "personality", "socket", "io_uring_setup", NULL };
        static const char *const absent[] = { "mount", "umount2", "unshare", "setns", "keyctl", "add_key",
                                              "reboot", "bpf", "init_module", "kexec_load", "open_by_handle_at",
                                              "pivot_root", "swapon", "perf_event_open", NULL };
        int all = 1;
        for (int i = 0; allowed[i]; i++)
                if (!has_name(calls, allowed[i], "SCMP_ACT_ALLOW")) {
                        diag("not allowed: %s", allowed[i]);
                        all = 0;
                }
        ok(all, "the allowlist has read, write, execve, clone (masked), chroot, ptrace, ...");
        all = 1;
        for (int i = 0; absent[i]; i++)
                if (has_name(calls, absent[i], NULL)) {
                        diag("listed: %s", absent[i]);
                        all = 0;
                }
        ok(all, "no rule for mount, unshare, setns, keyctl, reboot, bpf, ... (denied by default)");
        ok(has_name(calls, "clone3", "SCMP_ACT_ERRNO"), "clone3 -> errno (ENOSYS)");
        /* Every name must be one libseccomp knows (on some architecture). */
        size_t i, k, total = 0, unknown = 0;
        json_t *c, *n;
        json_array_foreach(calls, i, c)
                json_array_foreach(json_object_get(c, "names"), k, n) {
                        total++;
                        if (seccomp_syscall_resolve_name(json_string_value(n)) == __NR_SCMP_ERROR) {
                                diag("unknown to libseccomp: %s", json_string_value(n));
                                unknown++;
                        }
                }
        ok(unknown == 0 && total > 350, "%zu names, all known to libseccomp", total);

        int ncaps = 0, prefixed = 1;
        for (; oci_docker_default_caps[ncaps]; ncaps++)
                prefixed &= strncmp(oci_docker_default_caps[ncaps], "CAP_", 4) == 0;
        ok(ncaps == 14 && prefixed, "14 default capabilities, CAP_ prefixed");
}

/* In a child under Docker's profile: what it denies without CAP_SYS_ADMIN. */
static int child_docker(void)
{
#define EXPECT_ERR(n, call, e) do { errno = 0; if ((call) != -1 || errno != (e)) return (n); } while (0)
        EXPECT_ERR(1, unshare(CLONE_NEWUSER), EPERM);
        EXPECT_ERR(2, unshare(CLONE_NEWNS), EPERM);
        EXPECT_ERR(3, mount("none", "/tmp", "tmpfs", 0, NULL), EPERM);
        EXPECT_ERR(4, syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0), EPERM);
        EXPECT_ERR(5, syscall(SYS_add_key, "user", "x", "y", 1, -3), EPERM);
        struct clone_args ca = { .exit_signal = SIGCHLD };
        EXPECT_ERR(6, syscall(SYS_clone3, &ca, sizeof(ca)), ENOSYS);
        EXPECT_ERR(7, socket(AF_VSOCK, SOCK_STREAM, 0), EPERM);
        EXPECT_ERR(8, syscall(SYS_personality, 0x0040000UL /* ADDR_NO_RANDOMIZE */), EPERM);
        EXPECT_ERR(9, syscall(SYS_setns, 0, 0), EPERM);
        EXPECT_ERR(10, syscall(SYS_reboot, 0, 0, 0, 0), EPERM);
        /* clone with a namespace flag: the masked-equal rule fails, default errno */
        long r = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0, 0, 0, 0);
        if (r == 0)
                _exit(0);
        if (r != -1 || errno != EPERM)
                return 11;
        /* and what it allows */
        if (syscall(SYS_personality, 0xffffffffUL) == -1)
                return 20;
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        if (s < 0)
                return 21;
        close(s);
        pid_t pid = fork();     /* glibc: clone without namespace flags */
        if (pid < 0)
                return 22;
        if (pid == 0)
                _exit(0);
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
                return 23;
        return 0;
}

static void test_docker_in_child(const rt_seccomp_prog *p)
{
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                cella_error *err = NULL;
                int lfd;
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || rt_seccomp_install(p, &lfd, &err) < 0)
                        _exit(100);
                _exit(child_docker());
        }
        int st = 0;
        waitpid(pid, &st, 0);
        ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "under Docker's profile: unshare, mount, keyctl, add_key, "
           "setns, reboot, clone(CLONE_NEWUSER), socket(AF_VSOCK) EPERM; clone3 ENOSYS; fork, "
           "personality query, AF_UNIX work (child status %d)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static int same_prog(const rt_seccomp_prog *a, const rt_seccomp_prog *b)
{
        return a->n_insns == b->n_insns && a->flags == b->flags && a->notify == b->notify &&
               memcmp(a->insns, b->insns, a->n_insns * sizeof(struct sock_filter)) == 0;
}

static void test_cache(const oci_seccomp *s, const char *dir, const rt_seccomp_prog *ref)
{
        enum { N_COMPILE = 15, N_HIT = 200 };
        double t[N_HIT];
        cella_error *err = NULL;
        int bad = 0;
        for (int i = 0; i < N_COMPILE; i++) {
                rt_seccomp_prog p = { 0 };
                double t0 = now_us();
                bad |= rt_seccomp_prepare(s, NULL, &p, NULL) < 0;
                t[i] = now_us() - t0;
                bad |= !same_prog(&p, ref);
                rt_seccomp_prog_clear(&p);
        }
        double compile = median(t, N_COMPILE);
        ok(!bad, "compiling again gives the same program");

        char cdir[512];
        snprintf(cdir, sizeof(cdir), "%s/cache/seccomp", dir);  /* created with its parent */
        rt_seccomp_prog miss = { 0 };
        int before = n_seccomp_init;
        int r = rt_seccomp_prepare(s, cdir, &miss, &err);
        ok(r == 0 && same_prog(&miss, ref) && n_seccomp_init == before + 1,
           "cache miss: compiled once, same program (%s)", err ? err->msg : "ok");
        err_freep(&err);
        rt_seccomp_prog_clear(&miss);
        struct stat st;
        ok(stat(cdir, &st) == 0 && (st.st_mode & 0777) == 0700, "cache folder created 0700");

        before = n_seccomp_init;
        bad = 0;
        for (int i = 0; i < N_HIT; i++) {
                rt_seccomp_prog p = { 0 };
                double t0 = now_us();
                bad |= rt_seccomp_prepare(s, cdir, &p, NULL) < 0;
                t[i] = now_us() - t0;
                bad |= !same_prog(&p, ref);
                rt_seccomp_prog_clear(&p);
        }
        double hit = median(t, N_HIT);
        ok(!bad, "cache hit: identical program");
        ok(n_seccomp_init == before, "cache hit: no libseccomp call (%d seccomp_init calls)",
           n_seccomp_init - before);
        ok(hit < compile, "cache hit faster than compiling: hit %.1f us, compile %.1f us (x%.0f)", hit, compile,
           compile / hit);
        printf("# BENCH seccomp docker-default insns=%zu compile_us=%.1f cache_hit_us=%.1f\n", ref->n_insns,
               compile, hit);

        /* The entry: one <sha256>.bpf file, 0600. Damage it: recompiled. */
        char path[1024] = "";
        int fd = open(cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        int nfiles = 0;
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.') {
                        nfiles++;
                        snprintf(path, sizeof(path), "%s/%s", cdir, de->d_name);
                }
        if (d)
                closedir(d);
        ok(nfiles == 1 && strlen(strrchr(path, '/') + 1) == 64 + 4 && stat(path, &st) == 0 &&
           (st.st_mode & 0777) == 0600, "one entry <sha256>.bpf, mode 0600");
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                (void)!pwrite(fd, "\xff\xff", 2, 100);
                close(fd);
        }
        before = n_seccomp_init;
        rt_seccomp_prog p = { 0 };
        r = rt_seccomp_prepare(s, cdir, &p, &err);
        ok(r == 0 && same_prog(&p, ref) && n_seccomp_init == before + 1, "damaged entry: recompiled");
        rt_seccomp_prog_clear(&p);
        err_freep(&err);
        before = n_seccomp_init;
        r = rt_seccomp_prepare(s, cdir, &p, NULL);
        ok(r == 0 && same_prog(&p, ref) && n_seccomp_init == before, "damaged entry: rewritten, a hit again");
        rt_seccomp_prog_clear(&p);

        /* Another profile, another key. */
        oci_seccomp other = *s;
        other.default_errno_ret = 38;
        before = n_seccomp_init;
        r = rt_seccomp_prepare(&other, cdir, &p, NULL);
        ok(r == 0 && !same_prog(&p, ref) && n_seccomp_init == before + 1, "changed profile: a miss");
        rt_seccomp_prog_clear(&p);

        /* Entries others could have written are refused, not used. */
        chmod(path, 0666);
        r = rt_seccomp_prepare(s, cdir, &p, &err);
        ok(r == -EPERM && err && strstr(err->msg, "seccomp cache file") &&
           strstr(err->msg, "not writable by group or others"),
           "a group/world-writable entry is refused (%s)", err ? err->msg : "accepted");
        err_freep(&err);
        rt_seccomp_prog_clear(&p);
        chmod(path, 0600);
        char link2[1100];
        snprintf(link2, sizeof(link2), "%s.link", path);
        r = link(path, link2) == 0 ? rt_seccomp_prepare(s, cdir, &p, &err) : -1;
        ok(r == -EPERM && err && strstr(err->msg, "2 hard links (must have one)"),
           "an entry with a second hard link is refused (%s)", err ? err->msg : "accepted");
        err_freep(&err);
        rt_seccomp_prog_clear(&p);
        unlink(link2);

        /* A miss does not store into a folder others can write. */
        chmod(cdir, 0777);
        other.default_errno_ret = 39;
        r = rt_seccomp_prepare(&other, cdir, &p, &err);
        ok(r == -EPERM && err && strstr(err->msg, "seccomp cache folder") &&
           strstr(err->msg, "not writable by group or others"),
           "a world-writable cache folder is refused (%s)", err ? err->msg : "accepted");
        err_freep(&err);
        rt_seccomp_prog_clear(&p);
        chmod(cdir, 0700);
}

static void rm_tree(const char *dir)
{
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
        (void)!system(cmd);
}

int main(void)
{
        char tmpdir[] = "/tmp/cella-seccomp-default.XXXXXX";
        if (!mkdtemp(tmpdir))
                return 1;
        json_t *j = oci_seccomp_docker_default();
        test_shape(j);
        oci_seccomp s = { 0 };
        int r = j ? test_seccomp_from_json(j, &s) : -EINVAL;
        json_decref(j);
        ok(r == 0, "profile converts to oci_seccomp");
        rt_seccomp_prog ref = { 0 };
        cella_error *err = NULL;
        r = r == 0 ? rt_seccomp_prepare(&s, NULL, &ref, &err) : r;
        ok(r == 0 && ref.n_insns > 0 && !ref.notify, "Docker's profile compiles: %zu instructions (%s)",
           ref.n_insns, err ? err->msg : "ok");
        err_free(err);
        if (r == 0) {
                test_docker_in_child(&ref);
                test_cache(&s, tmpdir, &ref);
        }
        rt_seccomp_prog_clear(&ref);
        test_seccomp_free(&s);
        rm_tree(tmpdir);
        return tap_done();
}
