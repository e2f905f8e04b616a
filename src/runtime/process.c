#include "process.h"
#include "caps.h"
#include "rootfs.h"
#include "sync.h"
#include "base/fdpass.h"
#include "base/fileio.h"
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>

int rt_process_limits(const oci_process *p, cella_error **err)
{
        for (size_t i = 0; i < p->n_rlimits; i++) {
                const oci_rlimit *l = &p->rlimits[i];
                struct rlimit rl = { .rlim_cur = l->soft, .rlim_max = l->hard };
                if (setrlimit(l->resource, &rl) < 0) {
                        int e = errno;
                        struct rlimit cur;
                        getrlimit(l->resource, &cur);
                        if (e == EPERM && l->hard > cur.rlim_max)
                                return err_setx(err, EPERM, "process.rlimits[%zu] %s: hard limit %llu exceeds what the "
                                                "runtime may set (%llu; raising it needs CAP_SYS_RESOURCE)", i, l->type,
                                                (unsigned long long)l->hard, (unsigned long long)cur.rlim_max);
                        return err_set(err, e, "process.rlimits[%zu] %s: set soft %llu hard %llu", i, l->type,
                                       (unsigned long long)l->soft, (unsigned long long)l->hard);
                }
        }
        if (p->has_oom_score_adj) {
                char buf[32];
                snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
                int r = write_str_at(AT_FDCWD, "/proc/self/oom_score_adj", buf);
                if (r < 0)
                        return err_set(err, -r, "process.oomScoreAdj %d", p->oom_score_adj);
        }
        return 0;
}

static const char *env_get(const oci_process *p, const char *name)
{
        size_t n = strlen(name);
        for (size_t i = 0; i < p->n_env; i++)
                if (strneq(p->env[i], name, n) && p->env[i][n] == '=')
                        return p->env[i] + n + 1;
        return NULL;
}

static bool is_executable(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

int rt_process_find_exec(const oci_process *p, char **ret_path, cella_error **err)
{
        const char *name = p->args[0];
        if (strchr(name, '/')) {
                struct stat st;
                if (stat(name, &st) < 0)
                        return err_set(err, errno, "exec: \"%s\"", name);
                if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
                        return err_setx(err, EACCES, "exec: \"%s\": permission denied", name);
                *ret_path = strdup(name);
                return 0;
        }
        const char *path = env_get(p, "PATH");
        if (!path)
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                char full[4096];
                snprintf(full, sizeof(full), "%s/%s", *dir ? dir : ".", name);
                if (is_executable(full)) {
                        *ret_path = strdup(full);
                        return 0;
                }
        }
        return err_setx(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

int rt_process_console(const oci_process *p, int console_sock, bool bind_console, cella_error **err)
{
        _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return err_set(err, errno, "open /dev/ptmx");
        if (unlockpt(master) < 0)
                return err_set(err, errno, "unlockpt");
        char name[128];
        if (ptsname_r(master, name, sizeof(name)) != 0)
                return err_set(err, errno, "ptsname");
        _cleanup_close_ int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return err_set(err, errno, "open %s", name);
        if (p->has_console_size) {
                struct winsize ws = { .ws_row = p->console_height, .ws_col = p->console_width };
                if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
                        return err_set(err, errno, "set console size");
        }
        int r = fd_send(console_sock, master);
        if (r < 0)
                return err_set(err, -r, "send the console to --console-socket");
        if (bind_console && rt_rootfs_bind_console(name, err) < 0)
                return -EPERM;
        if (setsid() < 0 && errno != EPERM)
                return err_set(err, errno, "setsid");
        if (ioctl(slave, TIOCSCTTY, 0) < 0)
                return err_set(err, errno, "make %s the controlling terminal", name);
        for (int i = 0; i < 3; i++)
                if (dup2(slave, i) < 0)
                        return err_set(err, errno, "dup2 console");
        return 0;
}

static int switch_user(const oci_user *u, cella_error **err)
{
        if (setgroups(u->n_additional_gids, u->additional_gids) < 0 && errno != EPERM)
                return err_set(err, errno, "process.user.additionalGids: setgroups");
        if (setresgid(u->gid, u->gid, u->gid) < 0)
                return err_set(err, errno, "process.user.gid %u: setresgid", u->gid);
        if (setresuid(u->uid, u->uid, u->uid) < 0)
                return err_set(err, errno, "process.user.uid %u: setresuid", u->uid);
        return 0;
}

static int install_seccomp(const rt_seccomp_prog *s, int sync_fd, cella_error **err)
{
        int listener = -1;
        int r = rt_seccomp_install(s, &listener, err);
        if (r < 0)
                return r;
        if (listener >= 0) {
                r = rt_sync_send_fd(sync_fd, SYNC_SECCOMP_FD, listener);
                close(listener);
                if (r < 0)
                        return err_set(err, -r, "send the seccomp listener to the runtime");
        }
        return 0;
}

int rt_process_confine(const oci_process *p, const rt_seccomp_prog *seccomp, int sync_fd, cella_error **err)
{
        bool have_seccomp = seccomp && seccomp->insns;
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return err_set(err, errno, "process.noNewPrivileges: prctl");
        /* Without no_new_privs the filter needs CAP_SYS_ADMIN: install it
         * before the capabilities go. */
        if (have_seccomp && !p->no_new_privileges && install_seccomp(seccomp, sync_fd, err) < 0)
                return -EPERM;
        const oci_caps *caps = p->caps.present ? &p->caps : NULL;
        int r = rt_caps_prepare(caps, err);
        if (r < 0)
                return r;
        r = switch_user(&p->user, err);
        if (r < 0)
                return r;
        r = rt_caps_apply(caps, err);
        if (r < 0)
                return r;
        if (p->user.has_umask)
                umask(p->user.umask);
        if (p->cwd && chdir(p->cwd) < 0)
                return err_set(err, errno, "process.cwd %s", p->cwd);
        if (have_seccomp && p->no_new_privileges && install_seccomp(seccomp, sync_fd, err) < 0)
                return -EPERM;
        return 0;
}

int rt_process_exec(const oci_process *p, const char *path, unsigned preserve, const int *ours, size_t n_ours,
                    cella_error **err)
{
        /* The container gets exactly stdio and the fds it was told to keep:
         * nothing of ours crosses exec. */
        syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
        for (unsigned fd = 3; fd < 3 + preserve; fd++) {
                bool mine = false;
                for (size_t i = 0; i < n_ours; i++)
                        mine |= ours[i] == (int)fd;
                if (!mine)
                        fcntl((int)fd, F_SETFD, 0);
        }
        execve(path, p->args, p->env ? p->env : (char *[]){ NULL });
        return err_set(err, errno, "exec %s", path);
}

/* Called with every signal blocked: reap the init (checking first, so a
 * SIGCHLD that came before we waited is not lost) and pass any other
 * signal on to it. */
void rt_process_wait(pid_t pid, const sigset_t *all, int *ret_exit)
{
        for (;;) {
                int status;
                pid_t w;
                while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
                        if (w != pid)
                                continue;
                        *ret_exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                        return;
                }
                if (w < 0 && errno == ECHILD) {
                        *ret_exit = 255;
                        return;
                }
                siginfo_t si;
                int sig = sigwaitinfo(all, &si);
                if (sig > 0 && sig != SIGCHLD)
                        kill(pid, sig);
        }
}
