/* testinit: a small static program that the integration tests run as a
 * container's process. It reports what the process sees (as one JSON object)
 * or does one thing the test asks for. It has no dependencies beyond libc so
 * it runs in a rootfs that holds nothing but busybox and itself.
 *
 *   testinit report [PATH]        JSON report to stdout, or atomically to PATH
 *   testinit sleep N              sleep N seconds (fractions allowed)
 *   testinit exit N               exit with status N
 *   testinit signal-exit          print "ready", wait for SIGTERM, exit 143
 *   testinit write PATH TEXT      write TEXT to PATH; JSON {ok, errno}
 *   testinit read PATH            JSON {ok, errno, data}
 *   testinit stat PATH...         JSON {PATH: {type, mode, uid, gid, major, minor} | {errno}}
 *   testinit try-syscall NAME [ARG...]  raw syscall; ARGs numeric or strings;
 *                                 JSON {ret, errno}
 *   testinit show-fds             JSON {fd: target}
 *   testinit fork-bomb N          fork up to N children that sleep; report forks
 *   testinit cpu-hog SECONDS      spin on the CPU; report CPU seconds used
 *   testinit exec-self-overwrite [SECONDS]  CVE-2019-5736 attempt (see below)
 *
 * Output is unbuffered: containers are often killed right after they print.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#include "tinit.h"

/* ---- helpers ---- */
static void jw_lines_of(jw *w, const char *key, const char *path)
{
        int e;
        char *s = slurp(path, 1 << 20, &e);
        jw_key(w, key);
        if (!s) {
                jw_str(w, NULL);
                return;
        }
        jw_open(w, '[');
        char *save = NULL;
        for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                jw_str(w, l);
        jw_close(w, ']');
        free(s);
}

/* The value of "Key:" in /proc/self/status, trimmed. */
static void status_field(const char *key, char *out, size_t outsz)
{
        int e;
        char *s = slurp("/proc/self/status", 1 << 16, &e);
        out[0] = 0;
        if (!s)
                return;
        size_t kl = strlen(key);
        for (char *l = s; l && *l; ) {
                char *nl = strchr(l, '\n');
                if (nl)
                        *nl = 0;
                if (strncmp(l, key, kl) == 0 && l[kl] == ':') {
                        const char *v = l + kl + 1;
                        while (*v == ' ' || *v == '\t')
                                v++;
                        snprintf(out, outsz, "%s", v);
                        break;
                }
                l = nl ? nl + 1 : NULL;
        }
        free(s);
}

static void jw_fds(jw *w)
{
        jw_open(w, '{');
        DIR *d = opendir("/proc/self/fd");
        int self = d ? dirfd(d) : -1;
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.' || atoi(de->d_name) == self)
                        continue;
                char p[300], t[4096];
                snprintf(p, sizeof p, "/proc/self/fd/%s", de->d_name);
                ssize_t n = readlink(p, t, sizeof t - 1);
                t[n > 0 ? n : 0] = 0;
                jw_key(w, de->d_name);
                jw_str(w, t);
        }
        if (d)
                closedir(d);
        jw_close(w, '}');
}

static const struct {
        const char *name;
        int res;
} rlimits[] = {
        { "RLIMIT_CPU", RLIMIT_CPU }, { "RLIMIT_FSIZE", RLIMIT_FSIZE }, { "RLIMIT_DATA", RLIMIT_DATA },
        { "RLIMIT_STACK", RLIMIT_STACK }, { "RLIMIT_CORE", RLIMIT_CORE }, { "RLIMIT_RSS", RLIMIT_RSS },
        { "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_NOFILE", RLIMIT_NOFILE },
        { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_LOCKS", RLIMIT_LOCKS },
        { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
        { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

static int do_report(const char *path)
{
        jw w = { 0 };
        struct utsname u;
        char buf[4096];

        jw_open(&w, '{');
        uname(&u);
        jw_key(&w, "hostname");
        jw_str(&w, u.nodename);
        jw_key(&w, "domainname");
        jw_str(&w, u.domainname);
        jw_key(&w, "pid");
        jw_int(&w, getpid());
        jw_key(&w, "ppid");
        jw_int(&w, getppid());
        jw_key(&w, "uid");
        jw_int(&w, getuid());
        jw_key(&w, "euid");
        jw_int(&w, geteuid());
        jw_key(&w, "gid");
        jw_int(&w, getgid());
        jw_key(&w, "egid");
        jw_int(&w, getegid());
        gid_t groups[256];
        int ng = getgroups(256, groups);
        jw_key(&w, "groups");
        jw_open(&w, '[');
        for (int i = 0; i < ng; i++)
                jw_int(&w, groups[i]);
        jw_close(&w, ']');
        jw_key(&w, "cwd");
        jw_str(&w, getcwd(buf, sizeof buf) ? buf : NULL);
        mode_t um = umask(0);
        umask(um);
        jw_key(&w, "umask");
        jw_int(&w, um);
        jw_key(&w, "env");
        jw_open(&w, '[');
        for (char **e = environ; e && *e; e++)
                jw_str(&w, *e);
        jw_close(&w, ']');
        jw_lines_of(&w, "mountinfo", "/proc/self/mountinfo");
        jw_lines_of(&w, "cgroup", "/proc/self/cgroup");
        static const char *const capkeys[] = { "CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb",
                                                "Seccomp", "NoNewPrivs" };
        for (size_t i = 0; i < sizeof capkeys / sizeof *capkeys; i++) {
                status_field(capkeys[i], buf, sizeof buf);
                jw_key(&w, capkeys[i]);
                jw_str(&w, buf[0] ? buf : NULL);
        }
        jw_key(&w, "no_new_privs");
        jw_int(&w, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
        int e;
        char *oom = slurp("/proc/self/oom_score_adj", 64, &e);
        jw_key(&w, "oom_score_adj");
        if (oom)
                jw_int(&w, atoll(oom));
        else
                jw_str(&w, NULL);
        free(oom);
        jw_key(&w, "rlimits");
        jw_open(&w, '{');
        for (size_t i = 0; i < sizeof rlimits / sizeof *rlimits; i++) {
                struct rlimit rl;
                if (getrlimit(rlimits[i].res, &rl) < 0)
                        continue;
                jw_key(&w, rlimits[i].name);
                jw_open(&w, '[');
                jw_int(&w, rl.rlim_cur == RLIM_INFINITY ? -1 : (long long)rl.rlim_cur);
                jw_int(&w, rl.rlim_max == RLIM_INFINITY ? -1 : (long long)rl.rlim_max);
                jw_close(&w, ']');
        }
        jw_close(&w, '}');
        jw_key(&w, "fds");
        jw_fds(&w);
        jw_key(&w, "ns");
        jw_open(&w, '{');
        static const char *const nss[] = { "cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts" };
        for (size_t i = 0; i < sizeof nss / sizeof *nss; i++) {
                char p[64];
                snprintf(p, sizeof p, "/proc/self/ns/%s", nss[i]);
                ssize_t n = readlink(p, buf, sizeof buf - 1);
                jw_key(&w, nss[i]);
                if (n > 0) {
                        buf[n] = 0;
                        jw_str(&w, buf);
                } else {
                        jw_str(&w, NULL);
                }
        }
        jw_close(&w, '}');
        jw_key(&w, "isatty");
        jw_open(&w, '[');
        for (int fd = 0; fd < 3; fd++)
                jw_bool(&w, isatty(fd));
        jw_close(&w, ']');
        struct winsize ws;
        jw_key(&w, "winsize");
        if (ioctl(1, TIOCGWINSZ, &ws) == 0) {
                jw_open(&w, '[');
                jw_int(&w, ws.ws_row);
                jw_int(&w, ws.ws_col);
                jw_close(&w, ']');
        } else {
                jw_str(&w, NULL);
        }
        struct timespec mono, boot;
        clock_gettime(CLOCK_MONOTONIC, &mono);
        clock_gettime(CLOCK_BOOTTIME, &boot);
        jw_key(&w, "monotonic_s");
        jw_int(&w, mono.tv_sec);
        jw_key(&w, "boottime_s");
        jw_int(&w, boot.tv_sec);
        jw_close(&w, '}');
        jw_emit(&w, path);
        free(w.buf);
        return 0;
}

static void sleep_seconds(double s)
{
        struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static volatile sig_atomic_t got_term;
static void on_term(int sig)
{
        (void)sig;
        got_term = 1;
}

static int do_signal_exit(void)
{
        struct sigaction sa = { .sa_handler = on_term };
        sigaction(SIGTERM, &sa, NULL);
        if (write(1, "ready\n", 6) < 0)
                return 1;
        while (!got_term)
                pause();
        if (write(1, "got SIGTERM\n", 12) < 0)
                return 1;
        return 143;
}

static int json_result(long ret, int err)
{
        jw w = { 0 };
        jw_open(&w, '{');
        jw_key(&w, "ret");
        jw_int(&w, ret);
        jw_key(&w, "errno");
        jw_int(&w, err);
        jw_key(&w, "error");
        jw_str(&w, err ? strerror(err) : "");
        jw_close(&w, '}');
        jw_emit(&w, NULL);
        free(w.buf);
        return 0;
}

static int do_write(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return json_result(-1, errno);
        ssize_t n = write(fd, text, strlen(text));
        int err = n < 0 ? errno : 0;
        if (close(fd) < 0 && !err)
                err = errno;
        return json_result(err ? -1 : n, err);
}

static int do_read(const char *path)
{
        int e;
        char *s = slurp(path, 1 << 16, &e);
        jw w = { 0 };
        jw_open(&w, '{');
        jw_key(&w, "ok");
        jw_bool(&w, s != NULL);
        jw_key(&w, "errno");
        jw_int(&w, s ? 0 : e);
        jw_key(&w, "data");
        jw_str(&w, s);
        jw_close(&w, '}');
        jw_emit(&w, NULL);
        free(s);
        free(w.buf);
        return 0;
}

static int do_stat(int argc, char **argv)
{
        jw w = { 0 };
        jw_open(&w, '{');
        for (int i = 0; i < argc; i++) {
                struct stat st;
                jw_key(&w, argv[i]);
                jw_open(&w, '{');
                if (lstat(argv[i], &st) < 0) {
                        jw_key(&w, "errno");
                        jw_int(&w, errno);
                } else {
                        const char *t = S_ISCHR(st.st_mode) ? "c" : S_ISBLK(st.st_mode) ? "b" :
                                        S_ISDIR(st.st_mode) ? "d" : S_ISLNK(st.st_mode) ? "l" :
                                        S_ISFIFO(st.st_mode) ? "p" : S_ISSOCK(st.st_mode) ? "s" : "f";
                        jw_key(&w, "type");
                        jw_str(&w, t);
                        jw_key(&w, "mode");
                        jw_int(&w, st.st_mode & 07777);
                        jw_key(&w, "uid");
                        jw_int(&w, st.st_uid);
                        jw_key(&w, "gid");
                        jw_int(&w, st.st_gid);
                        jw_key(&w, "major");
                        jw_int(&w, major(st.st_rdev));
                        jw_key(&w, "minor");
                        jw_int(&w, minor(st.st_rdev));
                        jw_key(&w, "size");
                        jw_int(&w, st.st_size);
                        if (S_ISLNK(st.st_mode)) {
                                char t2[4096];
                                ssize_t n = readlink(argv[i], t2, sizeof t2 - 1);
                                t2[n > 0 ? n : 0] = 0;
                                jw_key(&w, "target");
                                jw_str(&w, t2);
                        }
                }
                jw_close(&w, '}');
        }
        jw_close(&w, '}');
        jw_emit(&w, NULL);
        free(w.buf);
        return 0;
}

static const struct {
        const char *name;
        long nr;
} syscalls[] = {
        { "getpid", SYS_getpid }, { "getppid", SYS_getppid }, { "uname", SYS_uname },
        { "mkdir", SYS_mkdir }, { "rmdir", SYS_rmdir }, { "chown", SYS_chown }, { "chmod", SYS_chmod },
        { "mknod", SYS_mknod }, { "setuid", SYS_setuid }, { "setgid", SYS_setgid },
        { "sethostname", SYS_sethostname }, { "chroot", SYS_chroot }, { "unshare", SYS_unshare },
        { "personality", SYS_personality }, { "kill", SYS_kill }, { "mount", SYS_mount },
        { "umount2", SYS_umount2 }, { "socket", SYS_socket }, { "setpriority", SYS_setpriority },
        { "getpriority", SYS_getpriority }, { "acct", SYS_acct }, { "reboot", SYS_reboot },
        { "ptrace", SYS_ptrace }, { "syslog", SYS_syslog }, { "settimeofday", SYS_settimeofday },
        { "getcwd", SYS_getcwd }, { "dup", SYS_dup }, { "sync", SYS_sync }, { "umask", SYS_umask },
        { "setns", SYS_setns }, { "keyctl", SYS_keyctl }, { "bpf", SYS_bpf }, { "chdir", SYS_chdir },
        { "getuid", SYS_getuid },
};

static int do_try_syscall(int argc, char **argv)
{
        long nr = -2;
        for (size_t i = 0; i < sizeof syscalls / sizeof *syscalls; i++)
                if (strcmp(syscalls[i].name, argv[0]) == 0)
                        nr = syscalls[i].nr;
        if (nr == -2) {
                char *end;
                nr = strtol(argv[0], &end, 0);
                if (*end) {
                        fprintf(stderr, "testinit: unknown syscall %s\n", argv[0]);
                        return 2;
                }
        }
        long a[6] = { 0 };
        for (int i = 1; i < argc && i <= 6; i++) {
                char *end;
                long v = strtol(argv[i], &end, 0);
                /* Non-numbers are passed as pointers to the string (paths, names). */
                a[i - 1] = (*argv[i] && !*end) ? v : (long)(uintptr_t)argv[i];
        }
        char cwdbuf[4096];
        if (nr == SYS_getcwd && argc == 1) {
                a[0] = (long)(uintptr_t)cwdbuf;
                a[1] = sizeof cwdbuf;
        }
        errno = 0;
        long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        return json_result(r, r < 0 ? errno : 0);
}

static int do_fork_bomb(long n)
{
        long made = 0;
        int first_errno = 0;
        for (long i = 0; i < n; i++) {
                pid_t p = fork();
                if (p == 0) {
                        sleep_seconds(30);
                        _exit(0);
                }
                if (p < 0) {
                        first_errno = errno;
                        break;
                }
                made++;
        }
        jw w = { 0 };
        jw_open(&w, '{');
        jw_key(&w, "forked");
        jw_int(&w, made);
        jw_key(&w, "errno");
        jw_int(&w, first_errno);
        jw_close(&w, '}');
        jw_emit(&w, NULL);
        free(w.buf);
        kill(0, SIGKILL);
        return 0;
}

static int do_cpu_hog(double secs)
{
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        volatile unsigned long x = 0;
        do {
                for (int i = 0; i < 1000000; i++)
                        x += (unsigned long)i;
                clock_gettime(CLOCK_MONOTONIC, &t);
        } while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
        (void)x;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        jw w = { 0 };
        jw_open(&w, '{');
        jw_key(&w, "cpu_us");
        jw_int(&w, (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
                       (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
        jw_close(&w, '}');
        jw_emit(&w, NULL);
        free(w.buf);
        return 0;
}

/* CVE-2019-5736 attempt. For SECONDS, watch /proc for processes whose
 * executable is not this program or busybox (the runtime, while it joins the
 * container for `exec`), and try to open that executable for writing, both
 * directly and by re-opening an O_PATH fd through /proc/self/fd. Any open
 * that succeeds writes a marker into the file. The report lists every try. */
static int do_exec_self_overwrite(double secs)
{
        char self_exe[4096];
        ssize_t sl = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
        self_exe[sl > 0 ? sl : 0] = 0;
        jw w = { 0 };
        jw_open(&w, '{');
        int fd = open("/proc/self/exe", O_WRONLY | O_CLOEXEC);
        jw_key(&w, "self_errno");
        jw_int(&w, fd < 0 ? errno : 0);
        if (fd >= 0)
                close(fd);
        jw_key(&w, "tries");
        jw_open(&w, '[');
        int wrote = 0, seen = 0;
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int tried[4096] = { 0 };
        do {
                DIR *d = opendir("/proc");
                struct dirent *de;
                while (d && (de = readdir(d))) {
                        int pid = atoi(de->d_name);
                        if (pid <= 0 || pid == getpid())
                                continue;
                        char p[64], exe[4096];
                        snprintf(p, sizeof p, "/proc/%d/exe", pid);
                        ssize_t n = readlink(p, exe, sizeof exe - 1);
                        if (n <= 0)
                                continue;
                        exe[n] = 0;
                        if (strcmp(exe, self_exe) == 0 || strstr(exe, "busybox"))
                                continue;
                        if (tried[pid % 4096] == pid)
                                continue;
                        tried[pid % 4096] = pid;
                        seen++;
                        int e1 = 0, e2 = 0;
                        int wfd = open(p, O_WRONLY | O_CLOEXEC);
                        if (wfd < 0) {
                                e1 = errno;
                                int pfd = open(p, O_PATH | O_CLOEXEC);
                                if (pfd >= 0) {
                                        /* Wait a little for the runtime to exit
                                         * (ETXTBSY while it runs), then reopen. */
                                        for (int k = 0; k < 50 && wfd < 0; k++) {
                                                char fp[64];
                                                snprintf(fp, sizeof fp, "/proc/self/fd/%d", pfd);
                                                wfd = open(fp, O_WRONLY | O_CLOEXEC);
                                                if (wfd < 0) {
                                                        e2 = errno;
                                                        sleep_seconds(0.01);
                                                }
                                        }
                                        close(pfd);
                                } else {
                                        e2 = errno;
                                }
                        }
                        if (wfd >= 0) {
                                if (write(wfd, "#!/bin/sh\necho PWNED\n", 21) == 21)
                                        wrote++;
                                close(wfd);
                        }
                        jw_open(&w, '{');
                        jw_key(&w, "pid");
                        jw_int(&w, pid);
                        jw_key(&w, "exe");
                        jw_str(&w, exe);
                        jw_key(&w, "open_errno");
                        jw_int(&w, e1);
                        jw_key(&w, "reopen_errno");
                        jw_int(&w, e2);
                        jw_close(&w, '}');
                }
                if (d)
                        closedir(d);
                sleep_seconds(0.001);
                clock_gettime(CLOCK_MONOTONIC, &t);
        } while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
        jw_close(&w, ']');
        jw_key(&w, "seen");
        jw_int(&w, seen);
        jw_key(&w, "wrote");
        jw_int(&w, wrote);
        jw_close(&w, '}');
        jw_emit(&w, NULL);
        free(w.buf);
        return 0;
}

static int usage(void)
{
        fprintf(stderr, "usage: testinit report|sleep|exit|signal-exit|write|read|stat|try-syscall|"
                        "show-fds|fork-bomb|cpu-hog|exec-self-overwrite ...\n");
        return 2;
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IONBF, 0);
        if (argc < 2)
                return usage();
        const char *m = argv[1];
        if (strcmp(m, "report") == 0)
                return do_report(argc > 2 ? argv[2] : NULL);
        if (strcmp(m, "sleep") == 0 && argc > 2) {
                sleep_seconds(atof(argv[2]));
                return 0;
        }
        if (strcmp(m, "exit") == 0 && argc > 2)
                return atoi(argv[2]);
        if (strcmp(m, "signal-exit") == 0)
                return do_signal_exit();
        if (strcmp(m, "write") == 0 && argc > 3)
                return do_write(argv[2], argv[3]);
        if (strcmp(m, "read") == 0 && argc > 2)
                return do_read(argv[2]);
        if (strcmp(m, "stat") == 0)
                return do_stat(argc - 2, argv + 2);
        if (strcmp(m, "try-syscall") == 0 && argc > 2)
                return do_try_syscall(argc - 2, argv + 2);
        if (strcmp(m, "show-fds") == 0) {
                jw w = { 0 };
                jw_fds(&w);
                jw_emit(&w, NULL);
                free(w.buf);
                return 0;
        }
        if (strcmp(m, "fork-bomb") == 0 && argc > 2)
                return do_fork_bomb(atol(argv[2]));
        if (strcmp(m, "cpu-hog") == 0 && argc > 2)
                return do_cpu_hog(atof(argv[2]));
        if (strcmp(m, "exec-self-overwrite") == 0)
                return do_exec_self_overwrite(argc > 2 ? atof(argv[2]) : 2.0);
        return usage();
}
