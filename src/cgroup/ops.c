/* Operations on a running container's cgroup: list, signal, freeze. */
#include "cgroup-internal.h"
#include "base/macros.h"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#define MAX_PIDS (1u << 22)

/* The dir whose cgroup.procs lists the container: v2, else a v1
 * hierarchy every container joins. */
static const cg_dir *procs_dir(const cg_manager *m)
{
        if (m->v2 && m->v2->fd >= 0)
                return m->v2;
        static const enum cg_ctl pref[] = { CG_CTL_PIDS, CG_CTL_DEVICES, CG_CTL_FREEZER };
        for (size_t k = 0; k < ARRAY_SIZE(pref); k++)
                for (size_t i = 0; i < m->n_v1; i++)
                        if (m->v1[i].fd >= 0 && (m->v1[i].ctls & CG_BIT(pref[k])))
                                return &m->v1[i];
        for (size_t i = 0; i < m->n_v1; i++)
                if (m->v1[i].fd >= 0)
                        return &m->v1[i];
        return NULL;
}

typedef struct pidvec { pid_t *v; size_t n, cap; } pidvec;

/* cgroup.procs of dfd and of every cgroup below it (runc's GetAllPids). */
static int collect(int dfd, pidvec *pv, int depth)
{
        _cleanup_free_ char *s = NULL;
        int r = cg_read(dfd, "cgroup.procs", &s);
        if (r < 0)
                return r;
        for (char *p = s; *p;) {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p)
                        break;
                if (pv->n == pv->cap) {
                        if (pv->cap >= MAX_PIDS)
                                return -E2BIG;
                        size_t nc = pv->cap ? pv->cap * 2 : 64;
                        pid_t *nv = realloc(pv->v, nc * sizeof(*nv));
                        if (!nv)
                                return -ENOMEM;
                        pv->v = nv;
                        pv->cap = nc;
                }
                pv->v[pv->n++] = (pid_t)v;
                p = end + strspn(end, "\n");
        }
        if (depth >= 16)
                return 0;
        int dup_fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dup_fd < 0)
                return NEG_ERRNO();
        DIR *d = fdopendir(dup_fd);
        if (!d) {
                close(dup_fd);
                return NEG_ERRNO();
        }
        struct dirent *de;
        r = 0;
        while ((de = readdir(d)) && r == 0) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                _cleanup_close_ int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (sub >= 0)
                        r = collect(sub, pv, depth + 1);
        }
        closedir(d);
        return r == -ENOENT ? 0 : r;
}

int cg_pids(const cg_manager *m, pid_t **ret, size_t *ret_n, cella_error **err)
{
        const cg_dir *d = procs_dir(m);
        pidvec pv = { 0 };
        if (d) {
                int r = collect(d->fd, &pv, 0);
                if (r < 0) {
                        free(pv.v);
                        return err_set(err, -r, "read %s/cgroup.procs", d->path);
                }
        }
        *ret = pv.v ? pv.v : calloc(1, sizeof(pid_t));
        *ret_n = pv.n;
        return *ret ? 0 : err_set(err, ENOMEM, "pids");
}

int cg_kill_all(const cg_manager *m, int sig, cella_error **err)
{
        if (sig == SIGKILL && m->v2 && m->v2->fd >= 0 && cg_write(m->v2->fd, "cgroup.kill", "1", NULL) == 0)
                return 0;
        /* No cgroup.kill: freeze first so nothing forks past the loop. */
        bool frozen = sig == SIGKILL && cg_dir_for(m, CG_CTL_FREEZER) && cg_freeze(m, true, NULL) == 0;
        pid_t *pids = NULL;
        size_t n = 0;
        int r = cg_pids(m, &pids, &n, err);
        if (r == 0)
                for (size_t i = 0; i < n; i++)
                        if (kill(pids[i], sig) < 0 && errno != ESRCH && r == 0)
                                r = err_set(err, errno, "kill %d", (int)pids[i]);
        free(pids);
        if (frozen)
                cg_freeze(m, false, NULL);
        return r;
}

static void pause_us(unsigned *delay_us, unsigned *waited_us)
{
        struct timespec ts = { 0, (long)*delay_us * 1000 };
        nanosleep(&ts, NULL);
        *waited_us += *delay_us;
        if (*delay_us < 10000)
                *delay_us *= 2;
}

static int state_now(const cg_dir *d, bool *ret)
{
        _cleanup_free_ char *s = NULL;
        if (d->v2) {
                uint64_t v = 0;
                int r = cg_read(d->fd, "cgroup.events", &s);
                if (r < 0)
                        return r;
                if ((r = cg_kv_get(s, "frozen", &v)) < 0)
                        return r;
                *ret = v == 1;
                return 0;
        }
        int r = cg_read(d->fd, "freezer.state", &s);
        if (r < 0)
                return r;
        *ret = strneq(s, "FROZEN", 6);
        return 0;
}

int cg_freeze(const cg_manager *m, bool frozen, cella_error **err)
{
        const cg_dir *d = cg_dir_for(m, CG_CTL_FREEZER);
        if (!d)
                return err_setx(err, ENODEV, "freeze: no freezer (cgroup v2 or the v1 freezer controller) on this host");
        const char *file = d->v2 ? "cgroup.freeze" : "freezer.state";
        const char *val = d->v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
        unsigned delay_us = 100, waited_us = 0;
        for (;;) {
                /* v1 can stay FREEZING while tasks race; re-asking helps (runc does too). */
                int r = cg_write(d->fd, file, val, err);
                if (r < 0)
                        return err_wrap(err, "%s %s", frozen ? "freeze" : "thaw", d->path);
                bool now;
                if ((r = state_now(d, &now)) < 0)
                        return err_set(err, -r, "read the freezer state of %s", d->path);
                if (now == frozen)
                        return 0;
                if (waited_us > 5000000) {
                        if (frozen)
                                cg_write(d->fd, file, d->v2 ? "0" : "THAWED", NULL);
                        return err_setx(err, ETIMEDOUT, "%s %s: timed out", frozen ? "freeze" : "thaw", d->path);
                }
                pause_us(&delay_us, &waited_us);
        }
}

int cg_is_frozen(const cg_manager *m, bool *ret, cella_error **err)
{
        const cg_dir *d = cg_dir_for(m, CG_CTL_FREEZER);
        if (!d) {
                *ret = false;
                return 0;
        }
        int r = state_now(d, ret);
        return r < 0 ? err_set(err, -r, "read the freezer state of %s", d->path) : 0;
}
