/* The manager persisted in the container's state, so that a later
 * process (kill, pause, events, delete --force after a crash) finds the
 * same directories without scanning mountinfo again. */
#include "cgroup-internal.h"
#include "base/macros.h"
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/vfs.h>

static json_t *dir_json(const cg_dir *d)
{
        json_t *ctl = json_array(), *made = json_array();
        for (int c = 0; c < CG_CTL__COUNT; c++)
                if (d->ctls & CG_BIT(c))
                        json_array_append_new(ctl, json_string(cg_ctl_v1_names[c]));
        for (size_t i = 0; i < d->n_made; i++)
                json_array_append_new(made, json_string(d->made[i]));
        return json_pack("{s:s, s:b, s:b, s:o, s:o}", "path", d->path, "v2", d->v2, "systemd", d->named_systemd,
                         "controllers", ctl, "made", made);
}

json_t *cg_to_json(const cg_manager *m)
{
        json_t *dirs = json_array();
        if (m->v2 && m->v2->path)
                json_array_append_new(dirs, dir_json(m->v2));
        for (size_t i = 0; i < m->n_v1; i++)
                if (m->v1[i].path)
                        json_array_append_new(dirs, dir_json(&m->v1[i]));
        return json_pack("{s:s, s:s, s:b, s:o}", "layout", cg_layout_name(m->layout), "path", cg_path(m),
                         "rootless", m->rootless, "dirs", dirs);
}

static bool safe_path(const char *p)
{
        if (!p || p[0] != '/' || strlen(p) >= CG_MAX_PATH)
                return false;
        for (const char *s = p; (s = strstr(s, "..")); s += 2)
                if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
                        return false;
        return true;
}

/* A state file names directories that destroy will rmdir: they must lie on
 * a cgroup filesystem (checked on the nearest part of the path that exists,
 * so a directory already removed is still accepted). */
static bool on_cgroupfs(const char *path)
{
        char buf[CG_MAX_PATH];
        snprintf(buf, sizeof(buf), "%s", path);
        for (;;) {
                struct statfs st;
                if (statfs(buf, &st) == 0)
                        return st.f_type == CGROUP_SUPER_MAGIC || st.f_type == CGROUP2_SUPER_MAGIC;
                char *slash = strrchr(buf, '/');
                if (errno != ENOENT || !slash || slash == buf)
                        return false;
                *slash = '\0';
        }
}

static int dir_from_json(json_t *j, size_t idx, cg_dir *d, cella_error **err)
{
        const char *path = NULL;
        int v2 = 0, sd = 0;
        json_t *ctl = NULL, *made = NULL;
        json_error_t je;
        if (json_unpack_ex(j, &je, 0, "{s:s, s:b, s?b, s:o, s:o}", "path", &path, "v2", &v2, "systemd", &sd,
                           "controllers", &ctl, "made", &made) < 0)
                return err_setx(err, EINVAL, "cgroup state: dirs[%zu]: %s", idx, je.text);
        if (!safe_path(path) || !on_cgroupfs(path))
                return err_setx(err, EINVAL, "cgroup state: dirs[%zu].path: \"%s\" is not a cgroup directory", idx,
                                path);
        if (!json_is_array(ctl) || !json_is_array(made) || json_array_size(made) > 256)
                return err_setx(err, EINVAL, "cgroup state: dirs[%zu]: bad controllers or made list", idx);
        d->fd = -1;
        d->v2 = v2;
        d->named_systemd = sd;
        if (!(d->path = strdup(path)))
                return err_set(err, ENOMEM, "cgroup state");
        size_t i;
        json_t *v;
        json_array_foreach(ctl, i, v) {
                int c = json_is_string(v) ? cg_ctl_from_v1_name(json_string_value(v)) : -1;
                if (c < 0)
                        return err_setx(err, EINVAL, "cgroup state: dirs[%zu].controllers[%zu]: unknown", idx, i);
                d->ctls |= CG_BIT(c);
        }
        if (!(d->made = calloc(json_array_size(made) + 1, sizeof(char *))))
                return err_set(err, ENOMEM, "cgroup state");
        json_array_foreach(made, i, v) {
                if (!safe_path(json_string_value(v)) || !on_cgroupfs(json_string_value(v)))
                        return err_setx(err, EINVAL, "cgroup state: dirs[%zu].made[%zu]: bad path", idx, i);
                if (!(d->made[d->n_made] = strdup(json_string_value(v))))
                        return err_set(err, ENOMEM, "cgroup state");
                d->n_made++;
        }
        /* Gone already (a crash half way through delete): destroy copes. */
        d->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d->fd < 0 && errno != ENOENT)
                return err_set(err, errno, "open %s", path);
        return 0;
}

int cg_from_json(const json_t *j, cg_manager **ret, cella_error **err)
{
        const char *layout = NULL, *path = NULL;
        int rootless = 0;
        json_t *dirs = NULL;
        json_error_t je;
        if (json_unpack_ex((json_t *)j, &je, 0, "{s:s, s:s, s?b, s:o}", "layout", &layout, "path", &path,
                           "rootless", &rootless, "dirs", &dirs) < 0)
                return err_setx(err, EINVAL, "cgroup state: %s", je.text);
        if (!json_is_array(dirs) || json_array_size(dirs) > CG_MAX_HIER + 1)
                return err_setx(err, EINVAL, "cgroup state: dirs: expected an array of at most %d", CG_MAX_HIER + 1);
        cg_manager *m = calloc(1, sizeof(*m));
        if (!m)
                return err_set(err, ENOMEM, "cgroup state");
        m->rootless = rootless;
        m->layout = streq(layout, "v2") ? CG_LAYOUT_V2 : streq(layout, "v1") ? CG_LAYOUT_V1
                  : streq(layout, "hybrid") ? CG_LAYOUT_HYBRID : CG_LAYOUT_NONE;
        m->path = strdup(path);
        m->v1 = calloc(json_array_size(dirs) + 1, sizeof(*m->v1));
        if (!m->path || !m->v1) {
                cg_free(m);
                return err_set(err, ENOMEM, "cgroup state");
        }
        size_t i;
        json_t *v;
        json_array_foreach(dirs, i, v) {
                cg_dir d = { .fd = -1 };
                int r = dir_from_json(v, i, &d, err);
                bool is_v2 = d.v2;
                if (r == 0 && is_v2 && m->v2)
                        r = err_setx(err, EINVAL, "cgroup state: two v2 directories");
                if (r == 0 && is_v2 && !(m->v2 = malloc(sizeof(*m->v2))))
                        r = err_set(err, ENOMEM, "cgroup state");
                if (r < 0) {
                        if (d.fd >= 0)
                                close(d.fd);
                        free(d.path);
                        for (size_t k = 0; k < d.n_made; k++)
                                free(d.made[k]);
                        free(d.made);
                        cg_free(m);
                        return r;
                }
                if (is_v2)
                        *m->v2 = d;
                else
                        m->v1[m->n_v1++] = d;
        }
        *ret = m;
        return 0;
}
