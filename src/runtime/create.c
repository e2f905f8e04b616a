/* create and run, the runtime's side: validate, claim the id, make the
 * cgroup, spawn the init, run the hooks it asks for, record the state.
 * Any failure undoes everything (process, cgroup, state directory). */
#include "create_internal.h"
#include "console_proxy.h"
#include "devices.h"
#include "hooks.h"
#include "process.h"
#include "state.h"
#include "sync.h"
#include "base/fdpass.h"
#include "base/fileio.h"
#include "base/json.h"
#include "base/log.h"
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

/* The OCI state of the container being created, as hooks and the seccomp
 * agent read it. */
static json_t *hook_state_json(const struct rt_create_ctx *c, const char *status, pid_t pid)
{
        json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", "1.2.0", "id", c->id,
                              "status", status, "pid", (int)pid, "bundle", c->bundle);
        json_t *ann = json_object_get(c->cfg->json, "annotations");
        json_object_set_new(j, "annotations", ann ? json_incref(ann) : json_object());
        return j;
}

char *rt_hook_state(const struct rt_create_ctx *c, const char *status, pid_t pid)
{
        json_t *j = hook_state_json(c, status, pid);
        char *s = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        return s;
}

static int connect_console(const char *path, int *ret, cella_error **err)
{
        int fd = unix_connect(path);
        if (fd < 0)
                return err_set(err, -fd, "--console-socket %s", path);
        *ret = fd;
        return 0;
}

static int load_bundle(struct rt_create_ctx *c, const char *bundle, cella_error **err)
{
        char abs[PATH_MAX];
        if (!realpath(bundle, abs))
                return err_set(err, errno, "bundle %s", bundle);
        c->bundle = strdup(abs);
        char cfgpath[PATH_MAX + 16];
        snprintf(cfgpath, sizeof(cfgpath), "%s/config.json", abs);
        int r = oci_config_load(cfgpath, &c->cfg, err);
        if (r < 0)
                return r;
        r = oci_config_validate(c->cfg, true, err);
        if (r < 0)
                return r;
        char rootpath[PATH_MAX * 2];
        if (c->cfg->root_path[0] == '/')
                snprintf(rootpath, sizeof(rootpath), "%s", c->cfg->root_path);
        else
                snprintf(rootpath, sizeof(rootpath), "%s/%s", abs, c->cfg->root_path);
        if (!realpath(rootpath, abs))
                return err_set(err, errno, "root.path %s", c->cfg->root_path);
        struct stat st;
        if (stat(abs, &st) < 0 || !S_ISDIR(st.st_mode))
                return err_setx(err, ENOTDIR, "root.path %s: not a directory", c->cfg->root_path);
        c->rootfs = strdup(abs);
        /* Relative bind sources are relative to the bundle, as in runc. */
        if (chdir(c->bundle) < 0)
                return err_set(err, errno, "chdir %s", c->bundle);
        return 0;
}

static bool any_hook(const oci_hooks *h, enum oci_hook_kind a, enum oci_hook_kind b, enum oci_hook_kind d)
{
        return h->n[a] || h->n[b] || h->n[d];
}

/* Forward the seccomp listener fd to linux.seccomp.listenerPath, with the
 * container process state the runtime-spec defines. */
static int forward_listener(struct rt_create_ctx *c, int fd, cella_error **err)
{
        json_t *j = json_pack("{s:s, s:[s], s:i, s:s?, s:o}", "ociVersion", "1.2.0", "fds", "seccompFd",
                              "pid", (int)c->pid, "metadata", c->cfg->linux_.seccomp.listener_metadata,
                              "state", hook_state_json(c, "creating", c->pid));
        _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!c->cfg->linux_.seccomp.listener_path)
                return err_setx(err, EINVAL, "linux.seccomp: a notify rule needs linux.seccomp.listenerPath");
        return rt_seccomp_send_listener(c->cfg->linux_.seccomp.listener_path, fd, text, err);
}

/* Parent side of the init's setup protocol, up to SYNC_READY. */
static int drive_init(struct rt_create_ctx *c, cella_error **err)
{
        const oci_hooks *h = &c->cfg->hooks;
        int r;
        if (c->need_hook_sync) {
                r = rt_sync_recv(c->sync_parent, SYNC_HOOKS_PLS, NULL, err);
                if (r < 0)
                        return r;
                _cleanup_free_ char *state = rt_hook_state(c, "creating", c->pid);
                r = rt_hooks_run(h, OCI_HOOK_PRESTART, state, err);
                if (r >= 0)
                        r = rt_hooks_run(h, OCI_HOOK_CREATE_RUNTIME, state, err);
                if (r < 0)
                        return r;
                rt_sync_send(c->sync_parent, SYNC_HOOKS_ACK, c->pid, NULL);
        }
        for (;;) {
                int v = 0, fd = -1;
                cella_error *e2 = NULL;
                r = rt_sync_recv_fd(c->sync_parent, SYNC_READY, &v, &fd, &e2);
                if (r == -EBADMSG && fd >= 0) {
                        /* SYNC_SECCOMP_FD: the init's seccomp listener. */
                        err_free(e2);
                        r = forward_listener(c, fd, err);
                        close(fd);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (fd >= 0)
                        close(fd);
                if (r < 0) {
                        if (err) {
                                err_free(*err);
                                *err = e2;
                        } else
                                err_free(e2);
                        return r;
                }
                return 0;
        }
}

static void undo(struct rt_create_ctx *c, bool state_dir)
{
        if (c->pid > 0) {
                kill(c->pid, SIGKILL);
                RETRY_EINTR(waitpid(c->pid, NULL, 0));
        }
        if (c->cg) {
                cg_kill_all(c->cg, SIGKILL, NULL);
                for (int i = 0; i < 100 && cg_destroy(c->cg, NULL) == -EBUSY; i++)
                        usleep(1000);
        }
        if (state_dir)
                rm_rf_at(c->root_fd, c->id);
}

static void ctx_clear(struct rt_create_ctx *c)
{
        oci_config_free(c->cfg);
        free(c->bundle);
        free(c->rootfs);
        cg_free(c->cg);
        rt_seccomp_prog_clear(&c->seccomp);
        if (c->root_fd >= 0) close(c->root_fd);
        if (c->sync_parent >= 0) close(c->sync_parent);
        if (c->sync_child >= 0) close(c->sync_child);
        if (c->console_sock >= 0) close(c->console_sock);
        if (c->fifo_fd >= 0) close(c->fifo_fd);
        if (c->console_proxy >= 0) close(c->console_proxy);
}

static int write_pid_file(const char *path, pid_t pid, cella_error **err)
{
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d", pid);
        int r = write_file_atomic(path, buf, n, 0644);
        return r < 0 ? err_set(err, -r, "--pid-file %s", path) : 0;
}

/* AppArmor and SELinux labels are accepted; where the host has neither
 * LSM they cannot be applied, and the user should hear so. */
static void warn_unsupported_lsm(const oci_config *cfg)
{
        struct stat st;
        const char *aa = cfg->process.apparmor_profile, *se = cfg->process.selinux_label;
        if (aa && *aa && stat("/sys/kernel/security/apparmor", &st) < 0)
                log_warn("process.apparmorProfile \"%s\" ignored: AppArmor is not enabled on this host", aa);
        if (se && *se && stat("/sys/fs/selinux", &st) < 0)
                log_warn("process.selinuxLabel \"%s\" ignored: SELinux is not enabled on this host", se);
        if (cfg->linux_.mount_label && *cfg->linux_.mount_label && stat("/sys/fs/selinux", &st) < 0)
                log_warn("linux.mountLabel \"%s\" ignored: SELinux is not enabled on this host",
                         cfg->linux_.mount_label);
}

static int do_create(struct rt_create_ctx *c, const char *bundle, cella_error **err)
{
        const rt_opts *o = c->opts;
        int r = rt_id_validate(c->id, err);
        if (r < 0)
                return r;
        r = load_bundle(c, bundle, err);
        if (r < 0)
                return err_wrap(err, "create container \"%s\"", c->id);
        warn_unsupported_lsm(c->cfg);
        r = rt_root_open(rt_root_path(o), true, &c->root_fd, err);
        if (r < 0)
                return r;
        if (mkdirat(c->root_fd, c->id, 0700) < 0) {
                if (errno == EEXIST)
                        return err_setx(err, EEXIST, "container \"%s\" already exists", c->id);
                return err_set(err, errno, "create state directory for \"%s\"", c->id);
        }
        const oci_linux *l = &c->cfg->linux_;
        bool rootless = geteuid() != 0;
        oci_resources res = l->resources;
        _cleanup_free_ oci_device_rule *rules = NULL;
        if (rt_device_rules(c->cfg, &rules, &res.n_devices) < 0) {
                r = err_setx(err, ENOMEM, "out of memory");
                goto fail;
        }
        res.devices = rules;
        res.present = true;
        r = cg_create(l->cgroups_path, c->id, &res, rootless, &c->cg, err);
        if (r < 0)
                goto fail;
        if (l->seccomp.present) {
                char cache[PATH_MAX];
                snprintf(cache, sizeof(cache), "%s/%s", rt_root_path(o), RT_SECCOMP_CACHE);
                mkdir(cache, 0700);
                r = rt_seccomp_prepare(&l->seccomp, cache, &c->seccomp, err);
                if (r < 0)
                        goto fail;
        }
        if (!c->run_mode) {
                char fifo[1200];
                snprintf(fifo, sizeof(fifo), "%s/%s", c->id, RT_FIFO_FILE);
                if (mkfifoat(c->root_fd, fifo, 0622) < 0) {
                        r = err_set(err, errno, "create exec fifo");
                        goto fail;
                }
                c->fifo_fd = openat(c->root_fd, fifo, O_PATH | O_CLOEXEC);
                if (c->fifo_fd < 0) {
                        r = err_set(err, errno, "open exec fifo");
                        goto fail;
                }
        }
        if (c->cfg->process.terminal && o->console_socket) {
                r = connect_console(o->console_socket, &c->console_sock, err);
                if (r < 0)
                        goto fail;
        } else if (c->cfg->process.terminal && c->run_mode) {
                /* Foreground run: we hold the pty ourselves (console_proxy.c). */
                int sv[2];
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
                        r = err_set(err, errno, "socketpair");
                        goto fail;
                }
                c->console_sock = sv[1];
                c->console_proxy = sv[0];
        } else if (c->cfg->process.terminal) {
                r = err_setx(err, EINVAL, "process.terminal is true: --console-socket is required");
                goto fail;
        }
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
                r = err_set(err, errno, "socketpair");
                goto fail;
        }
        c->sync_parent = sp[0];
        c->sync_child = sp[1];
        c->need_hook_sync = any_hook(&c->cfg->hooks, OCI_HOOK_PRESTART, OCI_HOOK_CREATE_RUNTIME,
                                     OCI_HOOK_CREATE_CONTAINER);
        r = rt_spawn_init(c, err);
        if (r >= 0)
                r = drive_init(c, err);
        if (r < 0)
                goto fail;
        if (c->console_proxy >= 0) {
                int master = fd_recv(c->console_proxy);
                if (master < 0) {
                        r = err_set(err, -master, "receive the container's console");
                        goto fail;
                }
                close(c->console_proxy);
                c->console_proxy = master;
        }
        char now[64];
        log_time_rfc3339(now);
        rt_state st = {
                .id = (char *)c->id, .bundle = c->bundle, .rootfs = c->rootfs, .pid = c->pid,
                .pid_start = rt_proc_start_time(c->pid), .created = now,
                .no_pivot = o->no_pivot,
                .annotations = json_object_get(c->cfg->json, "annotations"),
                .cgroup = c->cg ? cg_to_json(c->cg) : NULL, .started = c->run_mode,
        };
        st.hooks = json_object_get(c->cfg->json, "hooks");
        r = rt_state_save(c->root_fd, &st, err);
        json_decref(st.cgroup);
        if (r < 0)
                goto fail;
        if (o->pid_file) {
                r = write_pid_file(o->pid_file, c->pid, err);
                if (r < 0)
                        goto fail;
        }
        return 0;
fail:
        undo(c, true);
        c->pid = 0;
        return r;
}

#define CTX_INIT(o, id) { .opts = (o), .id = (id), .root_fd = -1, .sync_parent = -1, \
                          .sync_child = -1, .console_sock = -1, .fifo_fd = -1, .console_proxy = -1 }

int rt_create(const rt_opts *o, const char *id, const char *bundle, cella_error **err)
{
        struct rt_create_ctx c = CTX_INIT(o, id);
        int r = do_create(&c, bundle, err);
        ctx_clear(&c);
        return r;
}

int rt_run(const rt_opts *o, const char *id, const char *bundle, int *ret_exit, cella_error **err)
{
        struct rt_create_ctx c = CTX_INIT(o, id);
        c.run_mode = !o->detach;
        /* The init may be a grandchild (joined pid namespace): adopt it. */
        if (c.run_mode)
                prctl(PR_SET_CHILD_SUBREAPER, 1);
        int r = do_create(&c, bundle, err);
        if (r < 0) {
                ctx_clear(&c);
                return r;
        }
        if (o->detach) {
                ctx_clear(&c);
                return rt_start(o, id, err);
        }
        /* Block signals before the go so none is lost between start and wait. */
        sigset_t all, old;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old);
        rt_sync_send(c.sync_parent, SYNC_GO, 0, NULL);
        _cleanup_free_ char *state = NULL;
        if (c.cfg->hooks.n[OCI_HOOK_POSTSTART]) {
                state = rt_hook_state(&c, "running", c.pid);
                cella_error *e2 = NULL;
                if (rt_hooks_run(&c.cfg->hooks, OCI_HOOK_POSTSTART, state, &e2) < 0)
                        log_warn("%s", e2->msg);
                err_free(e2);
        }
        if (c.console_proxy >= 0)
                rt_console_proxy_wait(c.console_proxy, c.pid, &all, ret_exit);
        else
                rt_process_wait(c.pid, &all, ret_exit);
        sigprocmask(SIG_SETMASK, &old, NULL);
        c.pid = 0;
        ctx_clear(&c);
        if (!o->keep)
                return rt_delete(o, id, true, err);
        return 0;
}
