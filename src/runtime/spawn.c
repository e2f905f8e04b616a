/* Spawning the container init. The fast path is one clone3() that creates
 * every namespace and places the child in its v2 cgroup
 * (CLONE_INTO_CGROUP: no later migration). Namespaces joined by path need
 * setns() first and, for a pid namespace, a second fork. */
#include "create_internal.h"
#include "sync.h"
#include "base/fileio.h"
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static pid_t do_clone3(uint64_t flags, int cgroup_fd)
{
        struct clone_args args = { .flags = flags, .exit_signal = SIGCHLD };
        if (cgroup_fd >= 0) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t)cgroup_fd;
        }
        pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
        if (pid < 0 && cgroup_fd >= 0 && (errno == EINVAL || errno == E2BIG || errno == EBUSY)) {
                /* Kernels or cgroups that refuse CLONE_INTO_CGROUP: place later. */
                args.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
                args.cgroup = 0;
                pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
                if (pid >= 0)
                        errno = EAGAIN; /* tell the caller the cgroup was not applied */
        }
        return pid;
}

static int write_map(pid_t pid, const char *file, const oci_idmap *m, size_t n, cella_error **err)
{
        char buf[4096];
        size_t k = 0;
        for (size_t i = 0; i < n && k < sizeof(buf); i++)
                k += snprintf(buf + k, sizeof(buf) - k, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
        if (k >= sizeof(buf))
                return err_setx(err, E2BIG, "too many %s entries", file);
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
        int r = write_file_at(AT_FDCWD, path, buf, k, 0, 0);
        if (r < 0)
                return err_set(err, -r, "write %s", path);
        return 0;
}

static int write_maps(const struct rt_create_ctx *c, pid_t pid, cella_error **err)
{
        const oci_linux *l = &c->cfg->linux_;
        if (geteuid() != 0) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
                write_file_at(AT_FDCWD, path, "deny", 4, 0, 0);
        }
        int r = write_map(pid, "uid_map", l->uid_mappings, l->n_uid_mappings, err);
        if (r < 0)
                return r;
        return write_map(pid, "gid_map", l->gid_mappings, l->n_gid_mappings, err);
}

/* Stage 1 of the slow path: join, unshare, and fork the real init when the
 * pid namespace changes (setns/unshare of CLONE_NEWPID only affects children). */
static _noreturn_ void stage1(struct rt_create_ctx *c)
{
        cella_error *err = NULL;
        const oci_linux *l = &c->cfg->linux_;
        int fds[OCI_NS__COUNT];
        bool pid_changes = false;
        for (int i = 0; i < OCI_NS__COUNT; i++)
                fds[i] = -1;
        /* A new cgroup ns takes the cgroups we are in as its root: wait until
         * the runtime has placed us in every hierarchy. */
        if ((c->clone_flags & CLONE_NEWCGROUP) && rt_sync_recv(c->sync_child, SYNC_SETUP_ACK, NULL, &err) < 0)
                goto fail;
        for (size_t i = 0; i < l->n_namespaces; i++) {
                const oci_namespace *ns = &l->namespaces[i];
                if (!ns->path)
                        continue;
                fds[ns->type] = open(ns->path, O_RDONLY | O_CLOEXEC);
                if (fds[ns->type] < 0) {
                        err_set(&err, errno, "linux.namespaces: open %s namespace %s", oci_ns_type_names[ns->type], ns->path);
                        goto fail;
                }
        }
        /* The user namespace first: the others are then joined with its rights. */
        static const int order[] = { OCI_NS_USER, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK, OCI_NS_PID,
                                     OCI_NS_CGROUP, OCI_NS_TIME, OCI_NS_MOUNT };
        for (size_t k = 0; k < ARRAY_SIZE(order); k++) {
                int t = order[k];
                if (fds[t] < 0)
                        continue;
                if (setns(fds[t], oci_ns_clone_flag(t)) < 0) {
                        err_set(&err, errno, "linux.namespaces: join %s namespace", oci_ns_type_names[t]);
                        goto fail;
                }
                close(fds[t]);
                if (t == OCI_NS_PID)
                        pid_changes = true;
        }
        if (c->clone_flags & CLONE_NEWUSER) {
                if (unshare(CLONE_NEWUSER) < 0) {
                        err_set(&err, errno, "create user namespace");
                        goto fail;
                }
                rt_sync_send(c->sync_child, SYNC_USERMAP_PLS, 0, NULL);
                if (rt_sync_recv(c->sync_child, SYNC_USERMAP_ACK, NULL, &err) < 0)
                        goto fail;
                if (setresuid(0, 0, 0) < 0 || setresgid(0, 0, 0) < 0) {
                        err_set(&err, errno, "become root in the user namespace");
                        goto fail;
                }
        }
        int rest = c->clone_flags & ~CLONE_NEWUSER;
        if (rest && unshare(rest) < 0) {
                err_set(&err, errno, "create namespaces");
                goto fail;
        }
        if (rest & CLONE_NEWPID)
                pid_changes = true;
        if (!pid_changes) {
                rt_sync_send(c->sync_child, SYNC_CHILD_PID, 0, NULL);
                c->wait_maps = false; /* maps already done */
                rt_init_main(c);
        }
        pid_t pid = fork();
        if (pid < 0) {
                err_set(&err, errno, "fork the container init");
                goto fail;
        }
        if (pid == 0) {
                c->wait_maps = false;
                rt_init_main(c);
        }
        rt_sync_send(c->sync_child, SYNC_CHILD_PID, pid, NULL);
        _exit(0);
fail:
        rt_sync_send_error(c->sync_child, err);
        _exit(1);
}

int rt_spawn_init(struct rt_create_ctx *c, cella_error **err)
{
        const oci_linux *l = &c->cfg->linux_;
        bool joined = false;
        c->clone_flags = 0;
        c->userns = false;
        for (size_t i = 0; i < l->n_namespaces; i++) {
                if (l->namespaces[i].type == OCI_NS_USER)
                        c->userns = true;
                if (l->namespaces[i].path)
                        joined = true;
                else
                        c->clone_flags |= oci_ns_clone_flag(l->namespaces[i].type);
        }
        /* A time namespace entered at clone cannot take offsets any more: the
         * init unshares it, writes the offsets, and enters it at execve. */
        c->new_timens = c->clone_flags & CLONE_NEWTIME;
        c->clone_flags &= ~CLONE_NEWTIME;
        /* clone3 places us in the v2 cgroup only; with v1 hierarchies the
         * cgroup ns must wait until we are attached to them too. */
        bool v1 = c->cg && cg_has_v1(c->cg);
        c->defer_cgroupns = !joined && v1 && (c->clone_flags & CLONE_NEWCGROUP);
        c->wait_maps = !joined && (c->clone_flags & CLONE_NEWUSER);
        bool setup_ack = c->wait_maps || c->defer_cgroupns || (joined && (c->clone_flags & CLONE_NEWCGROUP));
        uint64_t flags = joined ? 0 : (uint64_t)c->clone_flags;
        if (c->defer_cgroupns)
                flags &= ~(uint64_t)CLONE_NEWCGROUP;
        int cgfd = c->cg ? cg_clone_fd(c->cg) : -1;
        errno = 0;
        pid_t pid = do_clone3(flags, cgfd);
        if (pid < 0)
                return err_set(err, errno, "clone3 the container process");
        bool in_cgroup = cgfd >= 0 && errno != EAGAIN;
        if (pid == 0) {
                close(c->sync_parent);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (joined)
                        stage1(c);
                rt_init_main(c);
        }
        close(c->sync_child);
        c->sync_child = -1;
        c->pid = pid;
        int r = 0;
        if (c->cg) {
                r = cg_attach(c->cg, pid, in_cgroup, err);
                if (r < 0)
                        return r;
        }
        if (c->wait_maps) {
                r = write_maps(c, pid, err);
                if (r < 0)
                        return r;
        }
        if (setup_ack)
                rt_sync_send(c->sync_parent, SYNC_SETUP_ACK, 0, NULL);
        if (!joined)
                return 0;
        /* The intermediate may ask for maps, then reports the init's pid. */
        int v = 0;
        if (c->clone_flags & CLONE_NEWUSER) {
                r = rt_sync_recv(c->sync_parent, SYNC_USERMAP_PLS, NULL, err);
                if (r < 0)
                        return r;
                r = write_maps(c, pid, err);
                if (r < 0)
                        return r;
                rt_sync_send(c->sync_parent, SYNC_USERMAP_ACK, 0, NULL);
        }
        r = rt_sync_recv(c->sync_parent, SYNC_CHILD_PID, &v, err);
        if (r < 0)
                return r;
        if (v > 0) {
                RETRY_EINTR(waitpid(pid, NULL, 0));
                c->pid = v;
        }
        return 0;
}
