/* The manager: create a container's cgroup in every hierarchy (walking
 * down with openat/mkdirat from each mount, enabling v2 controllers on
 * the way), attach, destroy. */
#include "cgroup-internal.h"
#include "base/macros.h"
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void dir_done(cg_dir *d)
{
        if (d->fd >= 0)
                close(d->fd);
        d->fd = -1;
        free(d->path);
        d->path = NULL;
        for (size_t i = 0; i < d->n_made; i++)
                free(d->made[i]);
        free(d->made);
        d->made = NULL;
        d->n_made = 0;
}

void cg_free(cg_manager *m)
{
        if (!m)
                return;
        if (m->v2) {
                dir_done(m->v2);
                free(m->v2);
        }
        for (size_t i = 0; i < m->n_v1; i++)
                dir_done(&m->v1[i]);
        free(m->v1);
        free(m->path);
        free(m);
}

int cg_clone_fd(const cg_manager *m)
{
        return m && m->v2 ? m->v2->fd : -1;
}

bool cg_has_v1(const cg_manager *m)
{
        for (size_t i = 0; m && i < m->n_v1; i++)
                if (m->v1[i].fd >= 0)
                        return true;
        return false;
}

const char *cg_path(const cg_manager *m)
{
        return m && m->path ? m->path : "";
}

/* Remove the directories this manager made in d, innermost first. */
static void unmake(cg_dir *d)
{
        for (size_t i = d->n_made; i > 0; i--)
                rmdir(d->made[i - 1]);
}

static const enum cg_ctl v2_order[] = { CG_CTL_CPU, CG_CTL_CPUSET, CG_CTL_BLKIO, CG_CTL_MEMORY, CG_CTL_PIDS,
                                        CG_CTL_HUGETLB, CG_CTL_RDMA, CG_CTL_MISC };

/* Enable `want` in dfd's cgroup.subtree_control; returns what is enabled.
 * Read first: a write that changes nothing still migrates csses under the
 * threadgroup rwsem, which costs an RCU grace period (~10 ms here). Then
 * all missing ones in one write; one by one when that is refused (a
 * controller the level lacks, or processes in a non-root level). */
static unsigned enable_controllers(int dfd, unsigned want)
{
        _cleanup_free_ char *cur = NULL;
        unsigned have = cg_read(dfd, "cgroup.subtree_control", &cur) == 0 ? cg_parse_v2_controllers(cur) : 0;
        unsigned missing = want & ~have;
        char buf[128] = "";
        size_t len = 0;
        for (size_t i = 0; i < ARRAY_SIZE(v2_order); i++)
                if (missing & CG_BIT(v2_order[i]))
                        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s+%s", len ? " " : "",
                                                cg_ctl_v2_name(v2_order[i]));
        if (!len || cg_write(dfd, "cgroup.subtree_control", buf, NULL) == 0)
                return want;
        unsigned got = want & have;
        for (size_t i = 0; i < ARRAY_SIZE(v2_order); i++) {
                if (!(missing & CG_BIT(v2_order[i])))
                        continue;
                snprintf(buf, sizeof(buf), "+%s", cg_ctl_v2_name(v2_order[i]));
                if (cg_write(dfd, "cgroup.subtree_control", buf, NULL) == 0)
                        got |= CG_BIT(v2_order[i]) | (v2_order[i] == CG_CTL_CPU ? CG_BIT(CG_CTL_CPUACCT) : 0);
        }
        return got;
}

static int push_made(cg_dir *d, const char *path, size_t len)
{
        char **nm = realloc(d->made, (d->n_made + 1) * sizeof(*nm));
        if (!nm)
                return -ENOMEM;
        d->made = nm;
        if (!(nm[d->n_made] = strndup(path, len)))
                return -ENOMEM;
        d->n_made++;
        return 0;
}

/* Create (or join) the cgroup at absolute path `cg` in hierarchy h. */
static int make_dir(const cg_hier *h, const char *cg, cg_dir *d, cella_error **err)
{
        int r = cg_fs_path(h, cg, &d->path);
        if (r < 0)
                return err_set(err, -r, "cgroup path");
        d->v2 = h->v2;
        d->named_systemd = h->named_systemd;
        d->ctls = h->ctls;
        d->fd = -1;
        int cur = open(h->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0)
                return err_set(err, errno, "open %s", h->mnt);
        size_t base = streq(h->mnt, "/") ? 0 : strlen(h->mnt);
        const char *p = d->path + base;
        bool cpuset = !h->v2 && (h->ctls & CG_BIT(CG_CTL_CPUSET));
        while (*p) {
                p += strspn(p, "/");
                size_t n = strcspn(p, "/");
                if (n == 0)
                        break;
                if (n > 255) {
                        close(cur);
                        return err_setx(err, ENAMETOOLONG, "cgroup path component too long in %s", d->path);
                }
                char comp[256];
                memcpy(comp, p, n);
                comp[n] = '\0';
                p += n;
                if (h->v2 && d->ctls)
                        d->ctls = enable_controllers(cur, d->ctls);
                if (mkdirat(cur, comp, 0755) == 0) {
                        if ((r = push_made(d, d->path, (size_t)(p - d->path))) < 0) {
                                close(cur);
                                return err_set(err, -r, "cgroup");
                        }
                } else if (errno != EEXIST) {
                        r = err_set(err, errno, "create cgroup %.*s", (int)(p - d->path), d->path);
                        close(cur);
                        return r;
                }
                int next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                        r = err_set(err, errno, "open cgroup %.*s", (int)(p - d->path), d->path);
                        close(cur);
                        return r;
                }
                if (cpuset && (r = cg_v1_cpuset_init(cur, next, err)) < 0) {
                        close(next);
                        close(cur);
                        return err_wrap(err, "initialise cpuset of %.*s", (int)(p - d->path), d->path);
                }
                close(cur);
                cur = next;
        }
        d->fd = cur;
        return 0;
}

static void remove_all(cg_manager *m)
{
        if (m->v2)
                unmake(m->v2);
        for (size_t i = 0; i < m->n_v1; i++)
                unmake(&m->v1[i]);
}

static bool rootless_skippable(int r)
{
        return r == -EACCES || r == -EPERM || r == -EROFS || r == -ENOENT;
}

int cg_create(const char *path, const char *id, const oci_resources *res, bool rootless, cg_manager **ret,
              cella_error **err)
{
        const cg_host *h;
        /* Only a relative path (or none) is resolved against our own cgroup. */
        bool need_own = !path || !*path || (path[0] != '/' && !strchr(path, ':'));
        int r = cg_host_get(&h, need_own, err);
        if (r < 0)
                return r;
        cg_manager *m = calloc(1, sizeof(*m));
        if (!m)
                return err_set(err, ENOMEM, "cgroup");
        m->layout = h->layout;
        m->rootless = rootless;
        if (h->layout == CG_LAYOUT_NONE && !rootless) {
                cg_free(m);
                return err_setx(err, ENODEV, "no cgroup hierarchy is mounted");
        }
        if (!(m->v1 = calloc(h->n_v1 ? h->n_v1 : 1, sizeof(*m->v1)))) {
                cg_free(m);
                return err_set(err, ENOMEM, "cgroup");
        }
        if (h->v2) {
                _cleanup_free_ char *cg = NULL;
                if ((r = cg_resolve_path(path, id, h->v2->own, &cg, err)) < 0)
                        goto fail;
                if (!(m->v2 = calloc(1, sizeof(*m->v2)))) {
                        r = err_set(err, ENOMEM, "cgroup");
                        goto fail;
                }
                m->v2->fd = -1;
                if ((r = make_dir(h->v2, cg, m->v2, err)) < 0) {
                        if (!rootless || !rootless_skippable(r))
                                goto fail;
                        unmake(m->v2);
                        dir_done(m->v2);
                        free(m->v2);
                        m->v2 = NULL;
                        if (err)
                                err_freep(err);
                } else
                        m->path = TAKE_PTR(cg);
        }
        for (size_t i = 0; i < h->n_v1; i++) {
                const cg_hier *hh = &h->v1[i];
                /* On hybrid hosts the unified hierarchy tracks processes;
                 * joining name=systemd too would only cost a migration. */
                if (hh->named_systemd && !hh->ctls && h->v2)
                        continue;
                _cleanup_free_ char *cg = NULL;
                if ((r = cg_resolve_path(path, id, hh->own, &cg, err)) < 0)
                        goto fail;
                cg_dir *d = &m->v1[m->n_v1++];
                d->fd = -1;
                if ((r = make_dir(hh, cg, d, err)) < 0) {
                        if (!rootless || !rootless_skippable(r))
                                goto fail;
                        unmake(d);
                        dir_done(d);
                        m->n_v1--;
                        if (err)
                                err_freep(err);
                        continue;
                }
                if (!m->path || (hh->ctls & CG_BIT(CG_CTL_PIDS) && !h->v2)) {
                        free(m->path);
                        m->path = TAKE_PTR(cg);
                }
        }
        if (res && (r = cg_apply(m, res, err)) < 0)
                goto fail;
        *ret = m;
        return 0;
fail:
        remove_all(m);
        cg_free(m);
        return r;
}

int cg_attach(cg_manager *m, pid_t pid, bool skip_unified, cella_error **err)
{
        char buf[24];
        snprintf(buf, sizeof(buf), "%d", (int)pid);
        for (size_t i = 0; i < m->n_v1; i++) {
                if (m->v1[i].fd < 0)
                        continue;
                int r = cg_write(m->v1[i].fd, "cgroup.procs", buf, err);
                if (r < 0 && !(m->rootless && rootless_skippable(r)))
                        return err_wrap(err, "move %d into %s", (int)pid, m->v1[i].path);
        }
        if (m->v2 && m->v2->fd >= 0 && !skip_unified) {
                int r = cg_write(m->v2->fd, "cgroup.procs", buf, err);
                if (r < 0 && !(m->rootless && rootless_skippable(r)))
                        return err_wrap(err, "move %d into %s", (int)pid, m->v2->path);
        }
        return 0;
}

/* rmdir child cgroups (a nested container's) depth first. */
static void remove_children(const char *path, int depth)
{
        if (depth > 32)
                return;
        DIR *dir = opendir(path);
        if (!dir)
                return;
        struct dirent *de;
        while ((de = readdir(dir))) {
                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                _cleanup_free_ char *sub = NULL;
                if (asprintf(&sub, "%s/%s", path, de->d_name) < 0)
                        break;
                remove_children(sub, depth + 1);
                rmdir(sub);
        }
        closedir(dir);
}

static uint64_t now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Exiting processes leave the cgroup a moment after they are reaped: retry
 * EBUSY until `deadline` (one budget for all the hierarchies). */
static int remove_leaf(const char *path, uint64_t deadline, cella_error **err)
{
        unsigned delay_us = 1000;
        for (;;) {
                if (rmdir(path) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY && errno != ENOTEMPTY)
                        return err_set(err, errno, "remove cgroup %s", path);
                remove_children(path, 0);
                if (rmdir(path) == 0 || errno == ENOENT)
                        return 0;
                if (now_us() >= deadline)
                        return err_set(err, EBUSY, "remove cgroup %s (processes still in it)", path);
                struct timespec ts = { 0, (long)delay_us * 1000 };
                nanosleep(&ts, NULL);
                if (delay_us < 16000)
                        delay_us *= 2;
        }
}

static int destroy_dir(cg_dir *d, uint64_t deadline, cella_error **err)
{
        if (!d->path)
                return 0;
        /* The fd stays usable (kill, then destroy again) until the dir is gone. */
        int r = remove_leaf(d->path, deadline, err);
        if (r < 0)
                return r;
        if (d->fd >= 0) {
                close(d->fd);
                d->fd = -1;
        }
        /* Parents stay, as with runc and crun: removing one races with
         * another container being created under it. (A failed create still
         * removes every directory it made.) */
        return 0;
}

int cg_destroy(cg_manager *m, cella_error **err)
{
        if (!m)
                return 0;
        int ret = 0;
        uint64_t deadline = now_us() + 200000;
        for (size_t i = 0; i < m->n_v1; i++) {
                int r = destroy_dir(&m->v1[i], deadline, ret < 0 ? NULL : err);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        if (m->v2) {
                int r = destroy_dir(m->v2, deadline, ret < 0 ? NULL : err);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}
