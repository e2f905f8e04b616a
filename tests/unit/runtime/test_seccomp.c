/* Seccomp: every action, argument conditions, flags, errors, notify with
 * the listener sent over a socket. Each filter is prepared in the parent
 * and installed in a forked child (with no_new_privs: no root needed),
 * which reports through its exit status. */
#include "runtime/seccomp.h"
#include "seccomp_json.h"
#include "tap.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Child status codes: 0 pass; 1..99 which check failed; 100+ setup failed. */
typedef int (*child_fn)(void *arg);

static int prepare_text(const char *json, rt_seccomp_prog *p, cella_error **err)
{
        oci_seccomp s;
        int r = test_seccomp_from_text(json, &s);
        if (r >= 0)
                r = rt_seccomp_prepare(&s, NULL, p, err);
        test_seccomp_free(&s);
        return r;
}

/* Fork; the child sets no_new_privs, installs p, runs fn and _exits with
 * its result (never returns to the test's atexit/LSan). Returns the raw
 * wait status. */
static int run_child(const rt_seccomp_prog *p, child_fn fn, void *arg)
{
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                struct rlimit nocore = { 0, 0 };
                setrlimit(RLIMIT_CORE, &nocore);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(100);
                cella_error *err = NULL;
                int lfd = -1;
                if (rt_seccomp_install(p, &lfd, &err) < 0) {
                        fprintf(stderr, "install: %s\n", err ? err->msg : "?");
                        _exit(101);
                }
                _exit(fn(arg));
        }
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return -1;
        return st;
}

static int exited_ok(int st)
{
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 1;
        if (WIFEXITED(st))
                diag("child exited %d", WEXITSTATUS(st));
        else if (WIFSIGNALED(st))
                diag("child killed by signal %d", WTERMSIG(st));
        return 0;
}

#define EXPECT(n, cond) do { if (!(cond)) return (n); } while (0)

static int child_getpid_42(void *arg)
{
        errno = 0;
        long r = syscall(SYS_getpid);
        EXPECT(1, r == -1 && errno == 42);
        EXPECT(2, syscall(SYS_gettid) > 0);     /* other syscalls untouched */
        return 0;
}

static int child_getppid(void *arg)
{
        syscall(SYS_getppid);
        return 0;       /* only reached when not killed */
}

static volatile sig_atomic_t trapped_nr = -1;
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
        if (si->si_code == 1 /* SYS_SECCOMP */)
                trapped_nr = si->si_syscall;
}

static int child_trap(void *arg)
{
        struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
        sigaction(SIGSYS, &sa, NULL);
        syscall(SYS_getppid);
        EXPECT(1, trapped_nr == SYS_getppid);
        return 0;
}

static int child_trace_enosys(void *arg)
{
        errno = 0;
        long r = syscall(SYS_getppid);
        EXPECT(1, r == -1 && errno == ENOSYS);  /* no tracer attached */
        return 0;
}

static int child_log_allowed(void *arg)
{
        EXPECT(1, syscall(SYS_getppid) > 0);
        return 0;
}

static int child_personality(void *arg)
{
        errno = 0;
        EXPECT(1, syscall(SYS_personality, 0xffffffffUL) == -1 && errno == 33);
        EXPECT(2, syscall(SYS_personality, 0UL) >= 0);  /* PER_LINUX: allowed */
        return 0;
}

/* dup(x) of a huge fd is EBADF when allowed, our errno when denied. */
static int dup_errno(long fd)
{
        errno = 0;
        return syscall(SYS_dup, fd) == -1 ? errno : 0;
}

static int dup3_errno(long a, long b)
{
        errno = 0;
        return syscall(SYS_dup3, a, b, 0) == -1 ? errno : 0;
}

struct op_case { const char *op; long v2; long probe[3]; int denied[3]; };

static int child_op(void *arg)
{
        const struct op_case *c = arg;
        for (int i = 0; i < 3; i++)
                EXPECT(1 + i, dup_errno(c->probe[i]) == (c->denied[i] ? 50 : EBADF));
        return 0;
}

static int child_and(void *arg)
{
        EXPECT(1, dup3_errno(5000, 6000) == 51);
        EXPECT(2, dup3_errno(5000, 6001) == EBADF);
        EXPECT(3, dup3_errno(5001, 6000) == EBADF);
        return 0;
}

static int child_split(void *arg)
{
        EXPECT(1, dup3_errno(8000, 1) == 52);
        EXPECT(2, dup3_errno(8001, 1) == 52);
        EXPECT(3, dup3_errno(8002, 1) == EBADF);
        /* runc/crun: once split, the index-1 test stands alone too (OR). */
        EXPECT(4, dup3_errno(8002, 9000) == 52);
        return 0;
}

static void test_actions(void)
{
        static const struct { const char *name, *json; child_fn fn; int sig; } cases[] = {
                { "errno 42", "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
                  "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42}]}", child_getpid_42, 0 },
                { "kill_process", "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
                  "\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}", child_getppid, SIGSYS },
                { "kill_thread", "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
                  "\"action\":\"SCMP_ACT_KILL_THREAD\"}]}", child_getppid, SIGSYS },
                { "kill (= kill_thread)", "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                  "[\"getppid\"],\"action\":\"SCMP_ACT_KILL\"}]}", child_getppid, SIGSYS },
                /* no rules at all: the default action still applies */
                { "no rules, default kill_process", "{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\"}",
                  child_getppid, SIGSYS },
                { "trap", "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
                  "\"action\":\"SCMP_ACT_TRAP\"}]}", child_trap, 0 },
                { "trace without tracer", "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                  "[\"getppid\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":7}]}", child_trace_enosys, 0 },
                { "log", "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
                  "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_LOG\"}]}", child_log_allowed, 0 },
                { "default errno + allow list", "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":42,"
                  "\"syscalls\":[{\"names\":[\"gettid\",\"exit_group\",\"exit\",\"write\",\"rt_sigreturn\","
                  /* ASan calls sigaltstack before every noreturn call (_exit) */
                  "\"sigaltstack\",\"mmap\",\"munmap\"],"
                  "\"action\":\"SCMP_ACT_ALLOW\"}]}", child_getpid_42, 0 },
                { "default log, SPEC_ALLOW", "{\"defaultAction\":\"SCMP_ACT_LOG\",\"flags\":"
                  "[\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],\"syscalls\":[{\"names\":[\"getpid\"],"
                  "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42}]}", child_getpid_42, 0 },
                { "personality(0xffffffff) only", "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
                  "\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":33,\"args\":[{"
                  "\"index\":0,\"value\":4294967295,\"op\":\"SCMP_CMP_EQ\"}]}]}", child_personality, 0 },
                { "args on distinct indexes are ANDed", "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
                  "[{\"names\":[\"dup3\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":51,\"args\":[{\"index\":0,"
                  "\"value\":5000,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":6000,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                  child_and, 0 },
                { "args on one index twice are split (runc rule)", "{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                  "\"syscalls\":[{\"names\":[\"dup3\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":52,\"args\":["
                  "{\"index\":0,\"value\":8000,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":8001,\"op\":"
                  "\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":9000,\"op\":\"SCMP_CMP_EQ\"}]}]}", child_split, 0 },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                rt_seccomp_prog p = { 0 };
                cella_error *err = NULL;
                int r = prepare_text(cases[i].json, &p, &err);
                if (r < 0) {
                        ok(0, "%s: prepare: %s", cases[i].name, err ? err->msg : "?");
                        err_free(err);
                        continue;
                }
                int st = run_child(&p, cases[i].fn, NULL);
                if (cases[i].sig)
                        ok(WIFSIGNALED(st) && WTERMSIG(st) == cases[i].sig, "%s: child killed by signal %d",
                           cases[i].name, cases[i].sig);
                else
                        ok(exited_ok(st), "%s", cases[i].name);
                rt_seccomp_prog_clear(&p);
        }
}

static void test_ops(void)
{
        static const struct op_case cases[] = {
                { "SCMP_CMP_NE", 0, { 4999, 5000, 5001 }, { 1, 0, 1 } },
                { "SCMP_CMP_LT", 0, { 4999, 5000, 5001 }, { 1, 0, 0 } },
                { "SCMP_CMP_LE", 0, { 4999, 5000, 5001 }, { 1, 1, 0 } },
                { "SCMP_CMP_EQ", 0, { 4999, 5000, 5001 }, { 0, 1, 0 } },
                { "SCMP_CMP_GE", 0, { 4999, 5000, 5001 }, { 0, 1, 1 } },
                { "SCMP_CMP_GT", 0, { 4999, 5000, 5001 }, { 0, 0, 1 } },
                /* value = mask 0xff00, valueTwo = 0x1200 */
                { "SCMP_CMP_MASKED_EQ", 0x1200, { 0x12ab, 0x13ab, 0x1200 }, { 1, 0, 1 } },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char json[512];
                long v = cases[i].v2 ? 0xff00 : 5000;
                /* NE, LT, LE would catch dup's ordinary callers; only probe >= 4000. */
                snprintf(json, sizeof(json), "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                         "[\"dup\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":50,\"args\":[{\"index\":0,"
                         "\"value\":%ld,\"valueTwo\":%ld,\"op\":\"%s\"}]}]}", v, cases[i].v2, cases[i].op);
                rt_seccomp_prog p = { 0 };
                cella_error *err = NULL;
                if (prepare_text(json, &p, &err) < 0) {
                        ok(0, "op %s: prepare: %s", cases[i].op, err ? err->msg : "?");
                        err_free(err);
                        continue;
                }
                ok(exited_ok(run_child(&p, child_op, (void *)&cases[i])), "op %s", cases[i].op);
                rt_seccomp_prog_clear(&p);
        }
}

/* Errors: each names what is wrong. */
static void test_errors(void)
{
        static const struct { const char *json, *want; } cases[] = {
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\",\"BOGUS\"]}",
                  "linux.seccomp.flags[1]: unknown flag \"BOGUS\"" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_VAX\"]}",
                  "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],\"action\":"
                  "\"SCMP_ACT_ERRNO\",\"errnoRet\":5000}]}",
                  "linux.seccomp.syscalls[0]: errnoRet 5000 out of range (0..4095)" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"dup\"],\"action\":"
                  "\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                  "linux.seccomp.syscalls[0].args[0]: index 6 out of range (0..5)" },
                /* same as the default action: skipped, but its args are still checked */
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"dup\"],\"action\":"
                  "\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":9,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                  "linux.seccomp.syscalls[0].args[0]: index 9 out of range (0..5)" },
                { "{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", "SCMP_ACT_NOTIFY cannot be the default action" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                rt_seccomp_prog p = { 0 };
                cella_error *err = NULL;
                int r = prepare_text(cases[i].json, &p, &err);
                ok(r < 0 && err && strstr(err->msg, cases[i].want), "error: %s (got: %s)", cases[i].want,
                   err ? err->msg : "success");
                err_free(err);
                rt_seccomp_prog_clear(&p);
        }
        /* Names libseccomp knows on other architectures only, or not at all
         * (a syscall newer than libseccomp), are skipped as runc and crun do. */
        rt_seccomp_prog p = { 0 };
        cella_error *err = NULL;
        int r = prepare_text("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"chown32\","
                             "\"s390_runtime_instr\",\"no_such_call\",\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}", &p, &err);
        ok(r == 0 && p.n_insns > 0, "names of other architectures are skipped (%s)", err ? err->msg : "ok");
        err_free(err);
        rt_seccomp_prog_clear(&p);
        /* Absent profile: nothing to install. */
        oci_seccomp none = { 0 };
        r = rt_seccomp_prepare(&none, NULL, &p, NULL);
        int lfd = 7;
        ok(r == 0 && p.n_insns == 0 && rt_seccomp_install(&p, &lfd, NULL) == 0 && lfd == -1,
           "absent profile: empty program, install is a no-op");
}

/* A flag the kernel refuses is named (bit 20: no kernel has it). */
static int child_bad_flag(void *arg)
{
        rt_seccomp_prog *p = arg;
        cella_error *err = NULL;
        int lfd;
        p->flags |= 1u << 20;
        int r = rt_seccomp_install(p, &lfd, &err);
        return r == -EINVAL && err && strstr(err->msg, "this kernel does not support flag 0x100000") ? 0 : 1;
}

static void test_bad_flag(void)
{
        rt_seccomp_prog p = { 0 };
        if (prepare_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
                         "\"action\":\"SCMP_ACT_ERRNO\"}]}", &p, NULL) < 0) {
                ok(0, "bad flag: prepare");
                return;
        }
        rt_seccomp_prog none = { 0 };
        ok(exited_ok(run_child(&none, child_bad_flag, &p)), "a flag the kernel refuses is named in the error");
        rt_seccomp_prog_clear(&p);
}

/* Notify: the child sends the listener to our socket, then calls getppid;
 * we answer with errno 55. */

static void test_notify(const char *tmpdir)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/listener.sock", tmpdir);
        int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strcpy(sa.sun_path, path);
        if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0) {
                ok(0, "notify: listening socket: %s", strerror(errno));
                return;
        }
        rt_seccomp_prog p = { 0 };
        cella_error *err = NULL;
        /* WAIT_KILLABLE_RECV is Linux 6.0: a NULL program gives EFAULT
         * where the flag is known, EINVAL where it is not. */
        bool killable = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (1u << 5) | (1u << 3), NULL) < 0 &&
                        errno == EFAULT;
        if (!killable)
                diag("kernel without SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: notify tested without it");
        char json[512];
        snprintf(json, sizeof(json), "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[%s],\"syscalls\":"
                 "[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
                 killable ? "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"" : "");
        if (prepare_text(json, &p, &err) < 0) {
                ok(0, "notify: prepare: %s", err ? err->msg : "?");
                err_free(err);
                close(ls);
                return;
        }
        ok(p.notify, "notify: program marked notify");
        static const char state[] = "{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"],\"pid\":1}";
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                int lfd = -1;
                cella_error *e = NULL;
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || rt_seccomp_install(&p, &lfd, &e) < 0 ||
                    lfd < 0)
                        _exit(101);
                if (!(fcntl(lfd, F_GETFD) & FD_CLOEXEC))
                        _exit(102);
                if (rt_seccomp_send_listener(path, lfd, state, &e) < 0)
                        _exit(103);
                close(lfd);
                errno = 0;
                long r = syscall(SYS_getppid);
                _exit(r == -1 && errno == 55 ? 0 : 1);
        }
        int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
        char buf[512] = { 0 };
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
        union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
                              .msg_controllen = sizeof(u.b) };
        ssize_t n = c >= 0 ? recvmsg(c, &msg, MSG_CMSG_CLOEXEC) : -1;
        int nfd = -1;
        struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
        if (cm && cm->cmsg_type == SCM_RIGHTS)
                memcpy(&nfd, CMSG_DATA(cm), sizeof(int));
        ok(n == (ssize_t)strlen(state) && strcmp(buf, state) == 0 && nfd >= 0,
           "notify: listener fd and state JSON received (%zd bytes)", n);
        int answered = 0;
        if (nfd >= 0) {
                struct seccomp_notif req;
                memset(&req, 0, sizeof(req));
                if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0 && req.data.nr == SYS_getppid) {
                        struct seccomp_notif_resp resp = { .id = req.id, .error = -55 };
                        answered = ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0;
                }
                close(nfd);
        }
        ok(answered, "notify: getppid notification received and answered");
        int st;
        waitpid(pid, &st, 0);
        ok(exited_ok(st), "notify: child saw errno 55 from the supervisor");
        if (c >= 0)
                close(c);
        close(ls);
        unlink(path);
        rt_seccomp_prog_clear(&p);

        err = NULL;
        int r = rt_seccomp_send_listener("/nonexistent/cella.sock", 0, state, &err);
        ok(r < 0 && err && strstr(err->msg, "connect to /nonexistent/cella.sock"),
           "send_listener: error names the path (%s)", err ? err->msg : "");
        err_free(err);
}

/* Without no_new_privs and CAP_SYS_ADMIN the kernel says EACCES: the
 * message says why. Needs root (to have CAP_SYS_ADMIN to drop). */
static void test_needs_nnp(void)
{
        if (geteuid() != 0) {
                skip("install without no_new_privs/CAP_SYS_ADMIN: needs root to drop CAP_SYS_ADMIN");
                return;
        }
        rt_seccomp_prog p = { 0 };
        if (prepare_text("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
                         "\"action\":\"SCMP_ACT_ERRNO\"}]}", &p, NULL) < 0) {
                ok(0, "needs nnp: prepare");
                return;
        }
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                close(pfd[0]);
                if (prctl(PR_CAPBSET_DROP, 21 /* CAP_SYS_ADMIN */, 0, 0, 0) < 0 ||
                    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(100);
                cella_error *err = NULL;
                int lfd;
                int r = rt_seccomp_install(&p, &lfd, &err);
                if (err)
                        (void)!write(pfd[1], err->msg, strlen(err->msg));
                _exit(r == -EACCES ? 0 : 1);
        }
        close(pfd[1]);
        char msg[512] = { 0 };
        (void)!read(pfd[0], msg, sizeof(msg) - 1);
        close(pfd[0]);
        int st;
        waitpid(pid, &st, 0);
        ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && strstr(msg, "neither no_new_privs nor CAP_SYS_ADMIN"),
           "install without no_new_privs or CAP_SYS_ADMIN: clear error (%s)", msg);
        rt_seccomp_prog_clear(&p);
}

int main(void)
{
        char tmpdir[] = "/tmp/cella-seccomp-test.XXXXXX";
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        test_actions();
        test_ops();
        test_errors();
        test_bad_flag();
        test_notify(tmpdir);
        test_needs_nnp();
        rmdir(tmpdir);
        return tap_done();
}
