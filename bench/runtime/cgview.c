/* The cgroup view a worker runs the runtimes in, and cgroup cleanup.
 *
 * An earlier scripts/masked-ns left a read-only tmpfs where the host's v1
 * memory hierarchy was. runc and cella skip it (it is not a cgroup mount),
 * but crun 1.8.1 takes its controller list from /proc/self/cgroup, tries to
 * mkdir under that folder and fails. Where /sys/fs/cgroup holds anything but
 * the hierarchies we keep, the worker (in its own private mount namespace)
 * stacks a fresh read-only tmpfs over it holding bind mounts of those
 * hierarchies: a controller whose folder does not exist is skipped by all
 * three runtimes alike. The current masked-ns already leaves such a view;
 * then nothing is mounted here and the view is only checked. */
#include "bench.h"
#include "base/macros.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define CG_ROOT "/sys/fs/cgroup"

struct mnt {
        bench_path point;
        char fstype[32];
        char super[256];
};

_printf_(3, 4) static int fail(char *why, size_t size, const char *fmt, ...)
{
        int saved = errno;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, size, fmt, ap);
        va_end(ap);
        return saved > 0 ? -saved : -EIO;
}

/* Mounts are only ever touched in a namespace of our own: masked-ns made one
 * (CELLA_MASKED_NS) and it differs from the coordinator's (parent_ns, as
 * "dev:ino" of /proc/self/ns/mnt) and, where we may look, from PID 1's. */
int bench_check_private_ns(const char *parent_ns, char *why, size_t why_size)
{
        const char *e = getenv("CELLA_MASKED_NS");
        if (!e || !streq(e, "1")) {
                errno = EPERM;
                return fail(why, why_size, "not started through scripts/masked-ns (CELLA_MASKED_NS unset)");
        }
        struct stat self, init;
        if (stat("/proc/self/ns/mnt", &self) < 0)
                return fail(why, why_size, "stat /proc/self/ns/mnt: %s", strerror(errno));
        char mine[64];
        snprintf(mine, sizeof(mine), "%ju:%ju", (uintmax_t)self.st_dev, (uintmax_t)self.st_ino);
        if (!parent_ns || streq(mine, parent_ns)) {
                errno = EPERM;
                return fail(why, why_size, "still in the coordinator's mount namespace: refusing to touch mounts");
        }
        if (stat("/proc/1/ns/mnt", &init) == 0 && self.st_ino == init.st_ino && self.st_dev == init.st_dev) {
                errno = EPERM;
                return fail(why, why_size, "still in PID 1's mount namespace: refusing to touch mounts");
        }
        return 0;
}

static bool has_token(const char *list, const char *tok)
{
        size_t n = strlen(tok);
        for (const char *p = list; p && *p; ) {
                const char *c = strchr(p, ',');
                size_t len = c ? (size_t)(c - p) : strlen(p);
                if (len == n && strneq(p, tok, n))
                        return true;
                p = c ? c + 1 : NULL;
        }
        return false;
}

static bool under_root(const char *point)
{
        return streq(point, CG_ROOT) || (strneq(point, CG_ROOT "/", sizeof(CG_ROOT)));
}

/* The mounts at or under /sys/fs/cgroup that are visible now. mountinfo's
 * order does not say which mount covers which (a moved mount keeps its old
 * place in the list), so a mount counts where stat() of its mount point
 * shows its device. */
static int read_mounts(struct mnt *m, int max, int *ret_n, char *why, size_t why_size)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return fail(why, why_size, "open /proc/self/mountinfo: %s", strerror(errno));
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        int n = 0;
        while (getline(&line, &cap, f) > 0) {
                char *save = NULL, *point = NULL, *fstype = NULL, *super = NULL;
                unsigned maj = 0, min = 0;
                bool dash = false, have_dev = false;
                int field = 0, after = 0;
                for (char *t = strtok_r(line, " \n", &save); t; t = strtok_r(NULL, " \n", &save), field++) {
                        if (field == 2)
                                have_dev = sscanf(t, "%u:%u", &maj, &min) == 2;
                        else if (field == 4)
                                point = t;
                        else if (!dash && field > 5 && streq(t, "-"))
                                dash = true;
                        else if (dash) {
                                if (after == 0)
                                        fstype = t;
                                else if (after == 2)
                                        super = t;
                                after++;
                        }
                }
                struct stat st;
                if (!point || !fstype || !have_dev || !under_root(point) || strchr(point, '\\') ||
                    stat(point, &st) < 0 || st.st_dev != makedev(maj, min))
                        continue;
                int i = 0;
                while (i < n && !streq(m[i].point, point))
                        i++;
                if (i == max) {
                        errno = E2BIG;
                        return fail(why, why_size, "more than %d mounts under " CG_ROOT, max);
                }
                snprintf(m[i].point, sizeof(m[i].point), "%s", point);
                snprintf(m[i].fstype, sizeof(m[i].fstype), "%s", fstype);
                snprintf(m[i].super, sizeof(m[i].super), "%s", super ? super : "");
                if (i == n)
                        n++;
        }
        *ret_n = n;
        return 0;
}

static bool is_cgroup(const struct mnt *m) { return streq(m->fstype, "cgroup") || streq(m->fstype, "cgroup2"); }
static bool is_memory_v1(const struct mnt *m) { return streq(m->fstype, "cgroup") && has_token(m->super, "memory"); }

/* A hierarchy we keep: a cgroup mount directly under /sys/fs/cgroup, not memory. */
static const char *kept_name(const struct mnt *m)
{
        const char *name = m->point + sizeof(CG_ROOT);
        if (strlen(m->point) < sizeof(CG_ROOT) || !is_cgroup(m) || is_memory_v1(m) || !*name || strchr(name, '/'))
                return NULL;
        return name;
}

/* Does /sys/fs/cgroup hold anything but the hierarchies we keep (a stub
 * folder where memory or unified was)? Then it needs rebuilding. */
static bool view_is_clean(const struct mnt *m, int n)
{
        _cleanup_closedir_ DIR *d = opendir(CG_ROOT);
        if (!d)
                return false;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (streq(e->d_name, ".") || streq(e->d_name, ".."))
                        continue;
                bool kept = false;
                for (int i = 0; i < n && !kept; i++) {
                        const char *name = kept_name(&m[i]);
                        kept = name && streq(name, e->d_name);
                }
                if (!kept)
                        return false;
        }
        return true;
}

int bench_cgview_setup(const char *staging, bench_path *ret_hier, int *ret_n, char *why, size_t why_size)
{
        struct mnt m[BENCH_MAX_HIER];
        int n, r;
        if ((r = read_mounts(m, BENCH_MAX_HIER, &n, why, why_size)) < 0)
                return r;
        for (int i = 0; i < n; i++)
                if (streq(m[i].point, CG_ROOT) && streq(m[i].fstype, "cgroup2")) {
                        /* Pure v2: nothing to hide, nothing to rebuild. */
                        snprintf(ret_hier[0], sizeof(ret_hier[0]), CG_ROOT);
                        *ret_n = 1;
                        return 0;
                }

        int keep = 0;
        bench_path hier[BENCH_MAX_HIER];
        for (int i = 0; i < n; i++)
                if (kept_name(&m[i]))
                        memcpy(hier[keep++], m[i].point, sizeof(hier[0]));
        if (keep == 0) {
                errno = ENOENT;
                return fail(why, why_size, "no cgroup hierarchy mounted under " CG_ROOT);
        }
        if (!view_is_clean(m, n)) {
                if (mkdir(staging, 0755) < 0 && errno != EEXIST)
                        return fail(why, why_size, "mkdir %s: %s", staging, strerror(errno));
                if (mount("cella-bench-cgview", staging, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          "size=64k,mode=755") < 0)
                        return fail(why, why_size, "mount tmpfs on %s: %s", staging, strerror(errno));
                for (int i = 0; i < keep; i++) {
                        char dst[PATH_MAX];
                        snprintf(dst, sizeof(dst), "%s/%s", staging, hier[i] + sizeof(CG_ROOT));
                        if (mkdir(dst, 0755) < 0)
                                return fail(why, why_size, "mkdir %s: %s", dst, strerror(errno));
                        if (mount(hier[i], dst, NULL, MS_BIND, NULL) < 0)
                                return fail(why, why_size, "bind %s on %s: %s", hier[i], dst, strerror(errno));
                }
                if (mount(staging, CG_ROOT, NULL, MS_MOVE, NULL) < 0)
                        return fail(why, why_size, "move %s onto " CG_ROOT ": %s", staging, strerror(errno));
                if (mount(NULL, CG_ROOT, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        return fail(why, why_size, "remount " CG_ROOT " read-only: %s", strerror(errno));
                if ((r = read_mounts(m, BENCH_MAX_HIER, &n, why, why_size)) < 0)
                        return r;
        }

        /* Check the result rather than trust it: no memory hierarchy in sight. */
        for (int i = 0; i < n; i++)
                if (is_memory_v1(&m[i])) {
                        errno = EPERM;
                        return fail(why, why_size, "memory hierarchy still visible at %s", m[i].point);
                }
        if (access(CG_ROOT "/memory", F_OK) == 0) {
                errno = EEXIST;
                return fail(why, why_size, CG_ROOT "/memory still exists: crun would try to use it");
        }
        memcpy(ret_hier, hier, sizeof(hier[0]) * (size_t)keep);
        *ret_n = keep;
        return 0;
}

/* The bench-owned parent exists before any runtime runs, as a pod's or a
 * slice's parent does in real use: then no runtime creates or removes it per
 * run (cella removes parents it created itself; runc and crun never do), and
 * the order of the round-robin does not decide who pays for it. */
int bench_cg_create_parent(const bench_path *hier, int n, const char *parent)
{
        for (int i = 0; i < n; i++) {
                char p[PATH_MAX];
                snprintf(p, sizeof(p), "%s/%s", hier[i], parent);
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return -errno;
        }
        return 0;
}

/* cgroupfs holds only folders we may remove (its files go with them). */
static int rmdir_tree(const char *path, int depth)
{
        if (depth > 16)
                return -ELOOP;
        DIR *d = opendir(path);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        int r = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (e->d_type != DT_DIR || streq(e->d_name, ".") || streq(e->d_name, ".."))
                        continue;
                char sub[PATH_MAX];
                if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= (int)sizeof(sub))
                        continue;
                int k = rmdir_tree(sub, depth + 1);
                if (k < 0 && r == 0)
                        r = k;
        }
        closedir(d);
        if (rmdir(path) < 0 && errno != ENOENT && r == 0)
                r = -errno;
        return r;
}

int bench_cg_leaf_exists(const bench_path *hier, int n, const char *parent, const char *leaf)
{
        int found = 0;
        for (int i = 0; i < n; i++) {
                char p[PATH_MAX];
                snprintf(p, sizeof(p), "%s/%s/%s", hier[i], parent, leaf);
                if (access(p, F_OK) == 0)
                        found++;
        }
        return found;
}

int bench_cg_remove_leaf(const bench_path *hier, int n, const char *parent, const char *leaf)
{
        int r = 0;
        for (int i = 0; i < n; i++) {
                char p[PATH_MAX];
                snprintf(p, sizeof(p), "%s/%s/%s", hier[i], parent, leaf);
                int k = rmdir_tree(p, 0);
                if (k < 0 && r == 0)
                        r = k;
        }
        return r;
}

/* Remove this worker's leaves (names starting with prefix) and then the
 * parent itself, which fails harmlessly while the other worker still has
 * leaves there. */
int bench_cg_remove_parent(const bench_path *hier, int n, const char *parent, const char *prefix)
{
        int r = 0;
        for (int i = 0; i < n; i++) {
                char p[PATH_MAX];
                snprintf(p, sizeof(p), "%s/%s", hier[i], parent);
                DIR *d = opendir(p);
                if (!d)
                        continue;
                struct dirent *e;
                while ((e = readdir(d))) {
                        if (e->d_type != DT_DIR || !strneq(e->d_name, prefix, strlen(prefix)))
                                continue;
                        char sub[PATH_MAX];
                        if (snprintf(sub, sizeof(sub), "%s/%s", p, e->d_name) >= (int)sizeof(sub))
                                continue;
                        int k = rmdir_tree(sub, 0);
                        if (k < 0 && r == 0)
                                r = k;
                }
                closedir(d);
                if (rmdir(p) < 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY && r == 0)
                        r = -errno;
        }
        return r;
}
