/* linux.cgroupsPath -> a path inside each hierarchy, the way runc's
 * cgroupfs driver does it (libcontainer/cgroups/fs/paths.go, subsysPath):
 * an absolute path is taken from the root of each hierarchy, a relative
 * one is joined to the caller's own cgroup (/proc/self/cgroup), and no
 * path at all means "<own cgroup>/<id>". */
#include "cgroup-internal.h"
#include "base/macros.h"
#include <string.h>

/* Append the components of `in` to buf (at *len), dropping empty and "."
 * ones; ".." is refused: a container must not climb out of its parent. */
static int append_components(char *buf, size_t *len, const char *in, const char *what, cella_error **err)
{
        const char *p = in;
        while (*p) {
                p += strspn(p, "/");
                size_t n = strcspn(p, "/");
                if (n == 0)
                        break;
                if (n == 1 && p[0] == '.') {
                        p += n;
                        continue;
                }
                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return err_setx(err, EINVAL, "%s: \"..\" is not allowed in \"%s\"", what, in);
                if (*len + 1 + n + 1 > CG_MAX_PATH)
                        return err_setx(err, ENAMETOOLONG, "%s: path too long", what);
                buf[(*len)++] = '/';
                memcpy(buf + *len, p, n);
                *len += n;
                buf[*len] = '\0';
                p += n;
        }
        return 0;
}

/* systemd's slice naming: "a-b-c.slice" lives at /a.slice/a-b.slice/a-b-c.slice. */
static int expand_slice(const char *slice, char *buf, size_t *len, cella_error **err)
{
        size_t sl = strlen(slice);
        if (sl < 7 || !streq(slice + sl - 6, ".slice") || strchr(slice, '/'))
                return err_setx(err, EINVAL, "linux.cgroupsPath: invalid slice name \"%s\"", slice);
        if (streq(slice, "-.slice"))
                return 0;       /* the root slice */
        const char *base_end = slice + sl - 6;
        for (const char *p = slice; p <= base_end; p++) {
                if (p != base_end && *p != '-')
                        continue;
                if (p == slice || p[-1] == '-' || (p != base_end && p + 1 == base_end))
                        return err_setx(err, EINVAL, "linux.cgroupsPath: invalid slice name \"%s\"", slice);
                size_t n = (size_t)(p - slice);
                if (*len + n + 8 > CG_MAX_PATH)
                        return err_setx(err, ENAMETOOLONG, "linux.cgroupsPath: path too long");
                buf[(*len)++] = '/';
                memcpy(buf + *len, slice, n);
                memcpy(buf + *len + n, ".slice", 7);
                *len += n + 6;
        }
        return 0;
}

int cg_systemd_path(const char *spec, char **ret, cella_error **err)
{
        const char *c1 = strchr(spec, ':');
        const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || strchr(c2 + 1, ':'))
                return err_setx(err, EINVAL, "linux.cgroupsPath: \"%s\": expected \"slice:prefix:name\"", spec);
        _cleanup_free_ char *slice = strndup(spec, (size_t)(c1 - spec));
        _cleanup_free_ char *prefix = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
        const char *name = c2 + 1;
        if (!slice || !prefix)
                return err_set(err, ENOMEM, "linux.cgroupsPath");
        if (!*name || strchr(name, '/') || strchr(prefix, '/') || streq(name, "..") || streq(name, "."))
                return err_setx(err, EINVAL, "linux.cgroupsPath: \"%s\": invalid unit name", spec);
        _cleanup_free_ char *buf = malloc(CG_MAX_PATH);
        if (!buf)
                return err_set(err, ENOMEM, "linux.cgroupsPath");
        size_t len = 0;
        buf[0] = '\0';
        /* runc's default slice for a system container. */
        int r = expand_slice(*slice ? slice : "system.slice", buf, &len, err);
        if (r < 0)
                return r;
        size_t nl = strlen(name), need = strlen(prefix) + nl + 16;
        if (len + need > CG_MAX_PATH)
                return err_setx(err, ENAMETOOLONG, "linux.cgroupsPath: path too long");
        if (nl > 6 && streq(name + nl - 6, ".slice"))
                len += (size_t)snprintf(buf + len, CG_MAX_PATH - len, "/%s", name);
        else if (*prefix)
                len += (size_t)snprintf(buf + len, CG_MAX_PATH - len, "/%s-%s.scope", prefix, name);
        else
                len += (size_t)snprintf(buf + len, CG_MAX_PATH - len, "/%s.scope", name);
        *ret = TAKE_PTR(buf);
        return 0;
}

int cg_resolve_path(const char *path, const char *id, const char *own, char **ret, cella_error **err)
{
        const char *what = "linux.cgroupsPath";
        if (path && *path && *path != '/' && strchr(path, ':'))
                return cg_systemd_path(path, ret, err);
        _cleanup_free_ char *buf = malloc(CG_MAX_PATH);
        if (!buf)
                return err_set(err, ENOMEM, "%s", what);
        size_t len = 0;
        buf[0] = '\0';
        int r;
        if (!path || !*path) {
                if (!id || !*id || strchr(id, '/') || streq(id, ".") || streq(id, ".."))
                        return err_setx(err, EINVAL, "container id \"%s\" cannot name a cgroup", id ? id : "");
                if ((r = append_components(buf, &len, own ? own : "/", "own cgroup", err)) < 0 ||
                    (r = append_components(buf, &len, id, "container id", err)) < 0)
                        return r;
        } else {
                if (*path != '/' && (r = append_components(buf, &len, own ? own : "/", "own cgroup", err)) < 0)
                        return r;
                if ((r = append_components(buf, &len, path, what, err)) < 0)
                        return r;
        }
        if (len == 0)
                return err_setx(err, EINVAL, "%s: \"%s\" names the root cgroup", what, path ? path : "");
        *ret = TAKE_PTR(buf);
        return 0;
}

int cg_fs_path(const cg_hier *h, const char *path, char **ret)
{
        const char *rest = path;
        size_t rl = strlen(h->root);
        /* A mount of a sub-tree (a container's view): paths under its root
         * are relative to it. */
        if (!streq(h->root, "/") && strneq(path, h->root, rl) && (path[rl] == '/' || path[rl] == '\0'))
                rest = path + rl;
        if (asprintf(ret, "%s%s", streq(h->mnt, "/") ? "" : h->mnt, rest) < 0)
                return -ENOMEM;
        return 0;
}
