/* Small I/O helpers: every knob is read or written relative to a cgroup
 * directory fd the manager keeps open. */
#include "cgroup-internal.h"
#include "base/fileio.h"
#include "base/macros.h"
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int cg_write(int dfd, const char *file, const char *value, cella_error **err)
{
        _cleanup_close_ int fd = openat(dfd, file, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return err_set(err, errno, "open %s", file);
        size_t len = strlen(value);
        /* One write(2): cgroup knobs parse each write on its own. */
        ssize_t n = RETRY_EINTR(write(fd, value, len));
        if (n < 0)
                return err_set(err, errno, "write \"%s\" to %s", value, file);
        if ((size_t)n != len)
                return err_setx(err, EIO, "write \"%s\" to %s: short write", value, file);
        return 0;
}

int cg_writef(int dfd, const char *file, cella_error **err, const char *fmt, ...)
{
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return err_setx(err, EINVAL, "value for %s too long", file);
        return cg_write(dfd, file, buf, err);
}

int cg_read(int dfd, const char *file, char **ret)
{
        return read_file_at(dfd, file, 1u << 20, ret, NULL);
}

int cg_read_u64(int dfd, const char *file, uint64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        int r = cg_read(dfd, file, &s);
        if (r < 0)
                return r;
        if (strneq(s, "max", 3)) {
                *ret = UINT64_MAX;
                return 0;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s)
                return -EINVAL;
        *ret = v;
        return 0;
}

int cg_kv_get(const char *text, const char *key, uint64_t *ret)
{
        size_t kl = strlen(key);
        for (const char *p = text; p && *p;) {
                if (strneq(p, key, kl) && (p[kl] == ' ' || p[kl] == '\t')) {
                        const char *v = p + kl + 1;
                        if (strneq(v, "max", 3)) {
                                *ret = UINT64_MAX;
                                return 0;
                        }
                        char *end;
                        unsigned long long x = strtoull(v, &end, 10);
                        if (end == v)
                                return -EINVAL;
                        *ret = x;
                        return 0;
                }
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        return -ENOENT;
}

cg_dir *cg_dir_for(const cg_manager *m, enum cg_ctl c)
{
        for (size_t i = 0; i < m->n_v1; i++)
                if (m->v1[i].fd >= 0 && (m->v1[i].ctls & CG_BIT(c)))
                        return &m->v1[i];
        if (m->v2 && m->v2->fd >= 0 &&
            (c == CG_CTL_DEVICES || c == CG_CTL_FREEZER || (m->v2->ctls & CG_BIT(c))))
                return m->v2;
        return NULL;
}
