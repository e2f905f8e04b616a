/* The verbs that act on an existing container through its saved state. */
#include "runtime.h"
#include "create_internal.h"
#include "hooks.h"
#include "state.h"
#include "base/fileio.h"
#include "base/json.h"
#include "base/log.h"
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* A loaded container: its state, the state root and its cgroup. */
struct loaded {
        int root_fd;
        rt_state *st;
        cg_manager *cg;
};

static void loaded_clear(struct loaded *l)
{
        if (l->root_fd >= 0)
                close(l->root_fd);
        rt_state_free(l->st);
        cg_free(l->cg);
}
#define _cleanup_loaded_ _cleanup_(loaded_clear)

static int load(const rt_opts *o, const char *id, struct loaded *l, cella_error **err)
{
        l->root_fd = -1;
        l->st = NULL;
        l->cg = NULL;
        int r = rt_id_validate(id, err);
        if (r < 0)
                return r;
        r = rt_root_open(rt_root_path(o), false, &l->root_fd, NULL);
        if (r < 0)
                return err_setx(err, ENOENT, "container \"%s\" does not exist", id);
        r = rt_state_load(l->root_fd, id, &l->st, err);
        if (r < 0)
                return r;
        if (l->st->cgroup) {
                r = cg_from_json(l->st->cgroup, &l->cg, err);
                if (r < 0)
                        return err_wrap(err, "container \"%s\"", id);
        }
        return 0;
}

static enum rt_status status_of(const struct loaded *l)
{
        return rt_state_status(l->root_fd, l->st, l->cg);
}

int rt_get_state(const rt_opts *o, const char *id, json_t **ret, cella_error **err)
{
        _cleanup_loaded_ struct loaded l;
        int r = load(o, id, &l, err);
        if (r < 0)
                return r;
        *ret = rt_state_to_oci(l.st, status_of(&l));
        return *ret ? 0 : err_setx(err, ENOMEM, "out of memory");
}

static char *state_json(const struct loaded *l, enum rt_status s)
{
        json_t *j = rt_state_to_oci(l->st, s);
        char *text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        return text;
}

/* Hooks saved in the state at create time, parsed with the config parser. */
static int saved_hooks(const struct loaded *l, enum oci_hook_kind kind, const char *state, cella_error **err)
{
        if (!l->st->hooks || !json_object_get(l->st->hooks, oci_hook_kind_names[kind]))
                return 0;
        json_t *doc = json_pack("{s:s, s:{s:s}, s:O}", "ociVersion", "1.2.0", "root", "path", "/",
                                "hooks", l->st->hooks);
        _cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        oci_config *cfg = NULL;
        int r = oci_config_parse("state hooks", text, strlen(text), &cfg, err);
        if (r < 0)
                return r;
        r = rt_hooks_run(&cfg->hooks, kind, state, err);
        oci_config_free(cfg);
        return r;
}

static bool init_alive(const rt_state *st)
{
        return st->pid > 0 && rt_proc_start_time(st->pid) == st->pid_start;
}

int rt_start(const rt_opts *o, const char *id, cella_error **err)
{
        _cleanup_loaded_ struct loaded l;
        int r = load(o, id, &l, err);
        if (r < 0)
                return r;
        enum rt_status s = status_of(&l);
        if (s != RT_CREATED)
                return err_setx(err, EINVAL, "cannot start container \"%s\": it is %s, not created", id, rt_status_name(s));
        char fifo[1200];
        snprintf(fifo, sizeof(fifo), "%s/%s", id, RT_FIFO_FILE);
        _cleanup_close_ int fd = openat(l.root_fd, fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return err_set(err, errno, "cannot start container \"%s\": open exec fifo", id);
        /* The init writes "0" once startContainer hooks ran (or "1" and an
         * error), then execs; its end of the fifo closes at execve, so EOF
         * means the user's process runs. Give up if the init dies first. */
        char buf[1024];
        size_t got = 0;
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int n = RETRY_EINTR(poll(&p, 1, 100));
                if (n > 0) {
                        ssize_t k = read(fd, buf + got, sizeof(buf) - 1 - got);
                        if (k > 0) {
                                got += k;
                                continue;
                        }
                        if (k == 0 && got > 0)
                                break;
                        if (k < 0 && errno != EAGAIN)
                                break;
                }
                if (!init_alive(l.st)) {
                        if (got > 0)
                                break;
                        return err_setx(err, ESRCH, "cannot start container \"%s\": its init exited", id);
                }
        }
        buf[got] = '\0';
        if (got == 0 || buf[0] != '0') {
                unlinkat(l.root_fd, fifo, 0);
                return err_setx(err, EIO, "cannot start container \"%s\": %s", id,
                                got > 1 ? buf + 1 : "its init exited before exec");
        }
        unlinkat(l.root_fd, fifo, 0);
        l.st->started = true;
        r = rt_state_save(l.root_fd, l.st, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *state = state_json(&l, RT_RUNNING);
        cella_error *e2 = NULL;
        if (saved_hooks(&l, OCI_HOOK_POSTSTART, state, &e2) < 0)
                log_warn("container \"%s\": %s", id, e2->msg);
        err_free(e2);
        return 0;
}

static int signal_init(const rt_state *st, int sig, cella_error **err)
{
        int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
        if (pidfd < 0)
                return err_setx(err, ESRCH, "container \"%s\" is not running", st->id);
        /* Re-check after pinning the pid: it cannot be reused any more. */
        int r = 0;
        if (!init_alive(st))
                r = err_setx(err, ESRCH, "container \"%s\" is not running", st->id);
        else if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
                r = err_set(err, errno, "signal container \"%s\"", st->id);
        close(pidfd);
        return r;
}

int rt_kill(const rt_opts *o, const char *id, int sig, bool all, cella_error **err)
{
        _cleanup_loaded_ struct loaded l;
        int r = load(o, id, &l, err);
        if (r < 0)
                return r;
        enum rt_status s = status_of(&l);
        if (s == RT_STOPPED && !all)
                return err_setx(err, ESRCH, "container \"%s\" is not running", id);
        if (all && l.cg)
                return cg_kill_all(l.cg, sig, err);
        return signal_init(l.st, sig, err);
}

/* Wait (bounded) until the init is gone. */
static void wait_gone(const rt_state *st)
{
        int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
        if (pidfd >= 0) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                RETRY_EINTR(poll(&p, 1, 10000));
                close(pidfd);
        }
        /* Reap it when it is our own child (run). */
        waitpid(st->pid, NULL, WNOHANG);
        for (int i = 0; i < 1000 && init_alive(st); i++)
                usleep(1000);
}

int rt_delete(const rt_opts *o, const char *id, bool force, cella_error **err)
{
        _cleanup_loaded_ struct loaded l;
        int r = load(o, id, &l, err);
        if (r < 0) {
                /* --force removes a container whose state cannot be read. */
                if (force && l.root_fd >= 0 && rt_id_validate(id, NULL) == 0 && r != -ENOENT) {
                        log_warn("container \"%s\": removing unreadable state", id);
                        if (err) {
                                err_free(*err);
                                *err = NULL;
                        }
                        return rm_rf_at(l.root_fd, id);
                }
                return r;
        }
        enum rt_status s = status_of(&l);
        if (s == RT_RUNNING || s == RT_PAUSED) {
                if (!force)
                        return err_setx(err, EBUSY, "cannot delete container \"%s\" that is not stopped: %s",
                                        id, rt_status_name(s));
        }
        if (s != RT_STOPPED) {
                if (l.cg) {
                        cg_kill_all(l.cg, SIGKILL, NULL);
                        if (s == RT_PAUSED)
                                cg_freeze(l.cg, false, NULL);
                }
                signal_init(l.st, SIGKILL, NULL);
                wait_gone(l.st);
        }
        if (l.cg) {
                for (int i = 0;; i++) {
                        cella_error *e2 = NULL;
                        r = cg_destroy(l.cg, &e2);
                        if (r != -EBUSY || i >= 200) {
                                if (r < 0)
                                        log_warn("container \"%s\": %s", id, e2 ? e2->msg : "cgroup removal failed");
                                err_free(e2);
                                break;
                        }
                        err_free(e2);
                        cg_kill_all(l.cg, SIGKILL, NULL);
                        usleep(5000);
                }
        }
        _cleanup_free_ char *state = state_json(&l, RT_STOPPED);
        cella_error *e2 = NULL;
        if (saved_hooks(&l, OCI_HOOK_POSTSTOP, state, &e2) < 0)
                log_warn("container \"%s\": %s", id, e2->msg);
        err_free(e2);
        r = rm_rf_at(l.root_fd, id);
        if (r < 0)
                return err_set(err, -r, "remove state of container \"%s\"", id);
        return 0;
}

int rt_list(const rt_opts *o, json_t **ret, cella_error **err)
{
        json_t *arr = json_array();
        const char *root = rt_root_path(o);
        _cleanup_closedir_ DIR *d = opendir(root);
        if (!d) {
                if (errno == ENOENT) {
                        *ret = arr;
                        return 0;
                }
                json_decref(arr);
                return err_set(err, errno, "open state root %s", root);
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || de->d_name[0] == '@' || rt_id_validate(de->d_name, NULL) < 0)
                        continue;
                _cleanup_loaded_ struct loaded l;
                cella_error *e2 = NULL;
                if (load(o, de->d_name, &l, &e2) < 0) {
                        log_warn("%s", e2 ? e2->msg : de->d_name);
                        err_free(e2);
                        continue;
                }
                json_array_append_new(arr, rt_state_to_oci(l.st, status_of(&l)));
        }
        *ret = arr;
        return 0;
}

int rt_ps(const rt_opts *o, const char *id, pid_t **ret, size_t *ret_n, cella_error **err)
{
        _cleanup_loaded_ struct loaded l;
        int r = load(o, id, &l, err);
        if (r < 0)
                return r;
        if (!l.cg) {
                if (status_of(&l) == RT_STOPPED) {
                        *ret = NULL;
                        *ret_n = 0;
                        return 0;
                }
                pid_t *p = malloc(sizeof(pid_t));
                p[0] = l.st->pid;
                *ret = p;
                *ret_n = 1;
                return 0;
        }
        return cg_pids(l.cg, ret, ret_n, err);
}

int rt_pause(const rt_opts *o, const char *id, bool pause, cella_error **err)
{
        _cleanup_loaded_ struct loaded l;
        int r = load(o, id, &l, err);
        if (r < 0)
                return r;
        enum rt_status s = status_of(&l);
        if (pause && s != RT_RUNNING)
                return err_setx(err, EINVAL, "cannot pause container \"%s\": it is %s", id, rt_status_name(s));
        if (!pause && s != RT_PAUSED)
                return err_setx(err, EINVAL, "cannot resume container \"%s\": it is %s, not paused", id, rt_status_name(s));
        if (!l.cg)
                return err_setx(err, ENOTSUP, "container \"%s\" has no cgroup to freeze", id);
        return cg_freeze(l.cg, pause, err);
}

int rt_update(const rt_opts *o, const char *id, const json_t *resources, cella_error **err)
{
        _cleanup_loaded_ struct loaded l;
        int r = load(o, id, &l, err);
        if (r < 0)
                return r;
        if (status_of(&l) == RT_STOPPED)
                return err_setx(err, EINVAL, "cannot update container \"%s\": it is stopped", id);
        if (!l.cg)
                return err_setx(err, ENOTSUP, "container \"%s\" has no cgroup", id);
        json_t *doc = json_pack("{s:s, s:{s:s}, s:{s:O}}", "ociVersion", "1.2.0", "root", "path", "/",
                                "linux", "resources", resources);
        _cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        oci_config *cfg = NULL;
        r = oci_config_parse("resources", text, strlen(text), &cfg, err);
        if (r < 0)
                return r;
        r = cg_set(l.cg, &cfg->linux_.resources, err);
        oci_config_free(cfg);
        return r;
}

int rt_stats(const rt_opts *o, const char *id, json_t **ret, uint64_t *ret_oom, cella_error **err)
{
        _cleanup_loaded_ struct loaded l;
        int r = load(o, id, &l, err);
        if (r < 0)
                return r;
        if (!l.cg)
                return err_setx(err, ENOTSUP, "container \"%s\" has no cgroup", id);
        if (status_of(&l) == RT_STOPPED)
                return err_setx(err, ESRCH, "container \"%s\" is not running", id);
        r = cg_stats(l.cg, ret, err);
        if (r < 0)
                return r;
        if (ret_oom && cg_oom_kills(l.cg, ret_oom, NULL) < 0)
                *ret_oom = 0;
        return 0;
}

int rt_signal_parse(const char *s)
{
        static const struct { const char *name; int sig; } sigs[] = {
                { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
                { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
                { "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
                { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
                { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
                { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
                { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
                { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
        };
        if (!s || !*s)
                return -1;
        char *end;
        long n = strtol(s, &end, 10);
        if (!*end)
                return n > 0 && n < _NSIG ? (int)n : -1;
        if (strneq(s, "SIG", 3))
                s += 3;
        for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
                if (strcasecmp(s, sigs[i].name) == 0)
                        return sigs[i].sig;
        if (strneq(s, "RTMIN", 5)) {
                long k = s[5] == '+' ? strtol(s + 6, NULL, 10) : 0;
                return SIGRTMIN + (int)k <= SIGRTMAX ? SIGRTMIN + (int)k : -1;
        }
        return -1;
}

int rt_container_config(const rt_opts *o, const char *id, json_t **ret, cella_error **err)
{
        _cleanup_loaded_ struct loaded l;
        int r = load(o, id, &l, err);
        if (r < 0)
                return r;
        char path[4200];
        snprintf(path, sizeof(path), "%s/config.json", l.st->bundle);
        return json_load_path(path, OCI_CONFIG_MAX_BYTES, ret, err);
}
