/* exec: a new process inside a running container. The runtime joins the
 * container's pid namespace itself (which only affects its children), so
 * one clone3 gives a child that is already in the container's pid
 * namespace and v2 cgroup; the child joins the rest through the init's
 * pidfd in one setns() call, enters the container's root, and becomes
 * the process. */
#include "runtime.h"
#include "create_internal.h"
#include "process.h"
#include "state.h"
#include "sync.h"
#include "base/fdpass.h"
#include "base/fileio.h"
#include "base/json.h"
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

int rt_process_load(const char *path, oci_config **ret_holder, cella_error **err)
{
        json_t *proc = NULL;
        int r = json_load_path(path, OCI_CONFIG_MAX_BYTES, &proc, err);
        if (r < 0)
                return r;
        r = rt_process_from_json(path, proc, ret_holder, err);
        json_decref(proc);
        return r;
}

int rt_process_from_json(const char *name, json_t *proc, oci_config **ret_holder, cella_error **err)
{
        const char *path = name;
        json_t *doc = json_pack("{s:s, s:{s:s}, s:O}", "ociVersion", "1.2.0", "root", "path", "/", "process", proc);
        _cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        int r = oci_config_parse(path, text, strlen(text), ret_holder, err);
        if (r < 0)
                return r;
        if (!(*ret_holder)->process.n_args) {
                oci_config_free(*ret_holder);
                *ret_holder = NULL;
                return err_setx(err, EINVAL, "%s: process.args must not be empty", path);
        }
        return 0;
}

/* The namespaces of the container that differ from ours. */
static int ns_flags_of(pid_t pid)
{
        static const struct { const char *name; int flag; } ns[] = {
                { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS }, { "net", CLONE_NEWNET },
                { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "cgroup", CLONE_NEWCGROUP },
                { "time", CLONE_NEWTIME }, { "pid", CLONE_NEWPID },
        };
        int flags = 0;
        for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
                char theirs[64], ours[64];
                struct stat a, b;
                snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", pid, ns[i].name);
                snprintf(ours, sizeof(ours), "/proc/self/ns/%s", ns[i].name);
                if (stat(theirs, &a) == 0 && stat(ours, &b) == 0 && (a.st_ino != b.st_ino || a.st_dev != b.st_dev))
                        flags |= ns[i].flag;
        }
        return flags;
}

struct exec_child {
        oci_process *proc;
        const rt_seccomp_prog *seccomp;
        int pidfd, root_fd, sync, console;
        int flags;
        unsigned preserve_fds;
};

static _noreturn_ void child_main(struct exec_child *x)
{
        cella_error *err = NULL;
        _cleanup_free_ char *path = NULL;
        /* Only what we need crosses into the container (CVE-2024-21626). */
        const int keep[] = { x->pidfd, x->root_fd, x->sync, x->console };
        fd_close_all_except(3 + x->preserve_fds, keep, ARRAY_SIZE(keep));
        setsid();       /* see rt_init_main: the caller's process group stays out of reach */
        int others = x->flags & ~CLONE_NEWPID;
        if (others && setns(x->pidfd, others) < 0) {
                err_set(&err, errno, "join the container's namespaces");
                goto fail;
        }
        /* The container's root, also for --no-pivot containers (chroot). */
        if (fchdir(x->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
                err_set(&err, errno, "enter the container's root");
                goto fail;
        }
        close(x->root_fd);
        close(x->pidfd);
        if (x->proc->terminal) {
                if (x->console < 0) {
                        err_setx(&err, EINVAL, "process.terminal needs --console-socket");
                        goto fail;
                }
                if (rt_process_console(x->proc, x->console, false, &err) < 0)
                        goto fail;
        }
        if (rt_process_limits(x->proc, &err) < 0 || rt_process_find_exec(x->proc, &path, &err) < 0 ||
            rt_process_confine(x->proc, x->seccomp, x->sync, &err) < 0)
                goto fail;
        rt_sync_send(x->sync, SYNC_READY, 0, NULL);
        rt_process_exec(x->proc, path, x->preserve_fds, keep, ARRAY_SIZE(keep), &err);
fail:
        rt_sync_send_error(x->sync, err);
        _exit(127);
}

int rt_exec(const rt_opts *o, const char *id, oci_process *proc, int *ret_exit, cella_error **err)
{
        int r = rt_id_validate(id, err);
        if (r < 0)
                return r;
        _cleanup_close_ int root_fd = -1;
        if (rt_root_open(rt_root_path(o), false, &root_fd, NULL) < 0)
                return err_setx(err, ENOENT, "container \"%s\" does not exist", id);
        rt_state *stp = NULL;
        r = rt_state_load(root_fd, id, &stp, err);
        if (r < 0)
                return r;
        _cleanup_(rt_state_freep) rt_state *st = stp;
        cg_manager *cgp = NULL;
        if (st->cgroup && cg_from_json(st->cgroup, &cgp, err) < 0)
                return -EINVAL;
        _cleanup_(cg_freep) cg_manager *cg = cgp;
        enum rt_status s = rt_state_status(root_fd, st, cg);
        if (s != RT_RUNNING && s != RT_CREATED)
                return err_setx(err, EINVAL, "cannot exec in container \"%s\": it is %s", id, rt_status_name(s));

        /* The container's seccomp profile applies to exec'd processes too. */
        char cfgpath[4200];
        snprintf(cfgpath, sizeof(cfgpath), "%s/config.json", st->bundle);
        oci_config *cfgp = NULL;
        rt_seccomp_prog seccomp = { 0 };
        if (oci_config_load(cfgpath, &cfgp, NULL) == 0 && cfgp->linux_.seccomp.present) {
                char cache[4200];
                snprintf(cache, sizeof(cache), "%s/%s", rt_root_path(o), RT_SECCOMP_CACHE);
                r = rt_seccomp_prepare(&cfgp->linux_.seccomp, cache, &seccomp, err);
                if (r < 0) {
                        oci_config_free(cfgp);
                        return r;
                }
        }
        oci_config_free(cfgp);

        struct exec_child x = { .proc = proc, .seccomp = seccomp.insns ? &seccomp : NULL, .pidfd = -1,
                                .root_fd = -1, .sync = -1, .console = -1, .preserve_fds = o->preserve_fds };
        int sp[2] = { -1, -1 };
        pid_t pid = -1;
        x.pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
        if (x.pidfd < 0 || rt_proc_start_time(st->pid) != st->pid_start) {
                r = err_setx(err, ESRCH, "container \"%s\" is not running", id);
                goto out;
        }
        char rootp[64];
        snprintf(rootp, sizeof(rootp), "/proc/%d/root", st->pid);
        x.root_fd = open(rootp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (x.root_fd < 0) {
                r = err_set(err, errno, "open %s", rootp);
                goto out;
        }
        x.flags = ns_flags_of(st->pid);
        if (proc->terminal && o->console_socket) {
                x.console = unix_connect(o->console_socket);
                if (x.console < 0) {
                        r = err_set(err, -x.console, "--console-socket %s", o->console_socket);
                        goto out;
                }
        }
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
                r = err_set(err, errno, "socketpair");
                goto out;
        }
        /* Only our children see the container's pid namespace. */
        if ((x.flags & CLONE_NEWPID) && setns(x.pidfd, CLONE_NEWPID) < 0) {
                r = err_set(err, errno, "join the container's pid namespace");
                goto out;
        }
        int cgfd = cg ? cg_clone_fd(cg) : -1;
        struct clone_args ca = { .exit_signal = SIGCHLD };
        if (cgfd >= 0) {
                ca.flags |= CLONE_INTO_CGROUP;
                ca.cgroup = (uint64_t)cgfd;
        }
        pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
        if (pid < 0 && cgfd >= 0) {
                ca.flags = 0;
                ca.cgroup = 0;
                cgfd = -1;
                pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
        }
        if (pid < 0) {
                r = err_set(err, errno, "clone3");
                goto out;
        }
        if (pid == 0) {
                close(sp[0]);
                x.sync = sp[1];
                child_main(&x);
        }
        close(sp[1]);
        sp[1] = -1;
        if (cg && (r = cg_attach(cg, pid, cgfd >= 0, err)) < 0)
                goto kill_out;
        r = rt_sync_recv(sp[0], SYNC_READY, NULL, err);
        if (r < 0) {
                /* The child has exited; collect it. */
                RETRY_EINTR(waitpid(pid, NULL, 0));
                pid = -1;
                goto out;
        }
        if (o->pid_file) {
                char buf[32];
                int n = snprintf(buf, sizeof(buf), "%d", pid);
                r = write_file_atomic(o->pid_file, buf, n, 0644);
                if (r < 0) {
                        err_set(err, -r, "--pid-file %s", o->pid_file);
                        goto kill_out;
                }
        }
        if (o->detach) {
                r = 0;
                goto out;
        }
        {
                sigset_t all, old;
                sigfillset(&all);
                sigprocmask(SIG_BLOCK, &all, &old);
                rt_process_wait(pid, &all, ret_exit);
                sigprocmask(SIG_SETMASK, &old, NULL);
                r = 0;
        }
        goto out;
kill_out:
        kill(pid, SIGKILL);
        RETRY_EINTR(waitpid(pid, NULL, 0));
out:
        if (x.pidfd >= 0) close(x.pidfd);
        if (x.root_fd >= 0) close(x.root_fd);
        if (x.console >= 0) close(x.console);
        if (sp[0] >= 0) close(sp[0]);
        if (sp[1] >= 0) close(sp[1]);
        rt_seccomp_prog_clear(&seccomp);
        return r;
}
