/* The container init: runs in the new namespaces, builds the container's
 * world, waits for `start` (or for `run`'s go), then execs the user's
 * process. Errors travel to the runtime over the sync socket. */
#include "create_internal.h"
#include "hooks.h"
#include "process.h"
#include "rootfs.h"
#include "sync.h"
#include "base/fileio.h"
#include "base/path.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

static int set_sysctls(const oci_linux *l, cella_error **err)
{
        for (size_t i = 0; i < l->n_sysctl; i++) {
                const char *key = l->sysctl[i].key;
                if (strchr(key, '/') || strstr(key, ".."))
                        return err_setx(err, EINVAL, "linux.sysctl: invalid name \"%s\"", key);
                char path[512];
                int n = snprintf(path, sizeof(path), "/proc/sys/%s", key);
                if (n >= (int)sizeof(path))
                        return err_setx(err, ENAMETOOLONG, "linux.sysctl: name too long");
                for (char *p = path + 10; *p; p++)
                        if (*p == '.')
                                *p = '/';
                int r = write_str_at(AT_FDCWD, path, l->sysctl[i].value);
                if (r < 0)
                        return err_set(err, -r, "linux.sysctl: set %s=%s", key, l->sysctl[i].value);
        }
        return 0;
}

static int set_names(const oci_config *cfg, int flags, cella_error **err)
{
        if (cfg->hostname && *cfg->hostname) {
                if (!(flags & CLONE_NEWUTS))
                        return err_setx(err, EINVAL, "hostname: setting it needs a new uts namespace");
                if (sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
                        return err_set(err, errno, "hostname \"%s\"", cfg->hostname);
        }
        if (cfg->domainname && *cfg->domainname) {
                if (!(flags & CLONE_NEWUTS))
                        return err_setx(err, EINVAL, "domainname: setting it needs a new uts namespace");
                if (setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
                        return err_set(err, errno, "domainname \"%s\"", cfg->domainname);
        }
        return 0;
}

/* Offsets must be written before any process lives in the namespace; the
 * init itself moves into it at execve. */
static int enter_time_namespace(const oci_linux *l, cella_error **err)
{
        if (unshare(CLONE_NEWTIME) < 0)
                return err_set(err, errno, "create time namespace");
        if (!l->has_time_offsets)
                return 0;
        char buf[128];
        int n = snprintf(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n",
                         (long long)l->monotonic_secs, l->monotonic_nanosecs,
                         (long long)l->boottime_secs, l->boottime_nanosecs);
        int r = write_file_at(AT_FDCWD, "/proc/self/timens_offsets", buf, n, 0, 0);
        if (r < 0)
                return err_set(err, -r, "linux.timeOffsets: write /proc/self/timens_offsets");
        return 0;
}

/* Blocks until `start` (or run's go). For start, the exec fifo stays open
 * (close-on-exec) after our status byte, so `start` sees EOF exactly when
 * the user's process has replaced us. Returns the fifo fd (or -1). */
static int wait_for_start(struct rt_create_ctx *c, int *ret_fifo, cella_error **err)
{
        *ret_fifo = -1;
        if (c->run_mode)
                return rt_sync_recv(c->sync_child, SYNC_GO, NULL, err);
        char p[PROC_FD_PATH_MAX];
        path_proc_fd(c->fifo_fd, p);
        int fd = RETRY_EINTR(open(p, O_WRONLY | O_CLOEXEC));
        if (fd < 0)
                return err_set(err, errno, "open the exec fifo");
        close(c->fifo_fd);
        *ret_fifo = fd;
        return 0;
}

/* Tell `start` how startContainer went: "0", or "1" and the error. */
static void report_start(int fifo, const cella_error *err)
{
        if (fifo < 0)
                return;
        if (!err) {
                fd_write_all(fifo, "0", 1);
                return;
        }
        char buf[1024];
        int n = snprintf(buf, sizeof(buf), "1%s", err->msg ? err->msg : "startContainer hook failed");
        fd_write_all(fifo, buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static int setup(struct rt_create_ctx *c, char **ret_exec, cella_error **err)
{
        const oci_config *cfg = c->cfg;
        const oci_process *p = &cfg->process;
        int r;
        if (c->wait_maps || c->defer_cgroupns) {
                r = rt_sync_recv(c->sync_child, SYNC_SETUP_ACK, NULL, err);
                if (r < 0)
                        return r;
        }
        if (c->wait_maps && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
                return err_set(err, errno, "become root in the user namespace");
        if (c->defer_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
                return err_set(err, errno, "create cgroup namespace");
        /* Our pid as the runtime sees it, for the hooks' state: the host's
         * /proc is still mounted here. */
        char self[32];
        ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);
        c->host_pid = n > 0 ? (self[n] = '\0', atoi(self)) : getpid();
        if (c->new_timens) {
                r = enter_time_namespace(&cfg->linux_, err);
                if (r < 0)
                        return r;
        }
        bool mntns = false;
        for (size_t i = 0; i < cfg->linux_.n_namespaces; i++)
                if (cfg->linux_.namespaces[i].type == OCI_NS_MOUNT)
                        mntns = true;
        if (!mntns)
                return err_setx(err, EINVAL, "linux.namespaces: a mount namespace is required");
        r = set_names(cfg, c->clone_flags, err);
        if (r < 0)
                return r;
        r = rt_rootfs_prepare(cfg, c->rootfs, c->userns, err);
        if (r < 0)
                return r;
        if (c->need_hook_sync) {
                rt_sync_send(c->sync_child, SYNC_HOOKS_PLS, 0, NULL);
                r = rt_sync_recv(c->sync_child, SYNC_HOOKS_ACK, NULL, err);
                if (r < 0)
                        return r;
                if (cfg->hooks.n[OCI_HOOK_CREATE_CONTAINER]) {
                        _cleanup_free_ char *state = rt_hook_state(c, "created", c->host_pid);
                        r = rt_hooks_run(&cfg->hooks, OCI_HOOK_CREATE_CONTAINER, state, err);
                        if (r < 0)
                                return r;
                }
        }
        r = rt_rootfs_pivot(c->rootfs, c->opts->no_pivot, err);
        if (r < 0)
                return r;
        r = rt_rootfs_finalize(cfg, err);
        if (r < 0)
                return r;
        r = set_sysctls(&cfg->linux_, err);
        if (r < 0)
                return r;
        if (p->terminal) {
                if (c->console_sock < 0)
                        return err_setx(err, EINVAL, "process.terminal needs --console-socket");
                r = rt_process_console(p, c->console_sock, true, err);
                close(c->console_sock);
                if (r < 0)
                        return r;
        }
        r = rt_process_limits(p, err);
        if (r < 0)
                return r;
        r = rt_process_find_exec(p, ret_exec, err);
        if (r < 0)
                return r;
        return rt_process_confine(p, c->seccomp.insns ? &c->seccomp : NULL, c->sync_child, err);
}

void rt_init_main(struct rt_create_ctx *c)
{
        cella_error *err = NULL;
        char *exec_path = NULL;
        int fifo = -1;
        /* Nothing of the runtime's or its caller's reaches the container. */
        const int keep[] = { c->sync_child, c->fifo_fd, c->console_sock };
        fd_close_all_except(3 + c->opts->preserve_fds, keep, ARRAY_SIZE(keep));
        c->root_fd = -1;
        /* Our own session: process groups span pid namespaces, so in the
         * caller's group a kill(0, ...) in the container would reach the
         * caller (and its shell). */
        setsid();
        if (setup(c, &exec_path, &err) < 0)
                goto fail;
        if (!c->run_mode)
                prctl(PR_SET_PDEATHSIG, 0);
        rt_sync_send(c->sync_child, SYNC_READY, 0, NULL);
        if (wait_for_start(c, &fifo, &err) < 0)
                goto fail_late;
        if (c->cfg->hooks.n[OCI_HOOK_START_CONTAINER]) {
                _cleanup_free_ char *state = rt_hook_state(c, "created", c->host_pid);
                if (rt_hooks_run(&c->cfg->hooks, OCI_HOOK_START_CONTAINER, state, &err) < 0) {
                        report_start(fifo, err);
                        goto fail_late;
                }
        }
        report_start(fifo, NULL);
        close(c->sync_child);
        const int ours[] = { fifo };
        rt_process_exec(&c->cfg->process, exec_path, c->opts->preserve_fds, ours, ARRAY_SIZE(ours), &err);
fail_late:
        /* create has returned: say it on our stderr. */
        if (err && err->msg)
                dprintf(STDERR_FILENO, "cella-runtime: %s\n", err->msg);
        _exit(127);
fail:
        rt_sync_send_error(c->sync_child, err);
        _exit(1);
}
