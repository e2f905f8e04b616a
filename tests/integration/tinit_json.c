#include "tinit.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void jw_raw(jw *w, const char *s, size_t n)
{
        if (w->len + n + 1 > w->cap) {
                size_t cap = w->cap ? w->cap : 4096;
                while (cap < w->len + n + 1)
                        cap *= 2;
                char *b = realloc(w->buf, cap);
                if (!b)
                        abort();
                w->buf = b;
                w->cap = cap;
        }
        memcpy(w->buf + w->len, s, n);
        w->len += n;
        w->buf[w->len] = 0;
}

void jw_fmt(jw *w, const char *fmt, ...)
{
        char tmp[256];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
        va_end(ap);
        if (n > 0)
                jw_raw(w, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void jw_sep(jw *w)
{
        if (w->need_comma)
                jw_raw(w, ",", 1);
        w->need_comma = 1;
}

void jw_str_raw(jw *w, const char *s, size_t n)
{
        jw_raw(w, "\"", 1);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == '"' || c == '\\') {
                        char e[2] = { '\\', (char)c };
                        jw_raw(w, e, 2);
                } else if (c < 0x20 || c >= 0x7f) {
                        /* Bytes outside ASCII are escaped one by one so the
                         * output is always valid JSON, whatever the input. */
                        jw_fmt(w, "\\u%04x", c);
                } else {
                        jw_raw(w, (const char *)&c, 1);
                }
        }
        jw_raw(w, "\"", 1);
}

void jw_str(jw *w, const char *s)
{
        jw_sep(w);
        if (!s)
                jw_raw(w, "null", 4);
        else
                jw_str_raw(w, s, strlen(s));
}

void jw_key(jw *w, const char *k)
{
        jw_sep(w);
        jw_str_raw(w, k, strlen(k));
        jw_raw(w, ":", 1);
        w->need_comma = 0;
}

void jw_open(jw *w, char c)
{
        jw_sep(w);
        jw_raw(w, &c, 1);
        w->need_comma = 0;
}

void jw_close(jw *w, char c)
{
        jw_raw(w, &c, 1);
        w->need_comma = 1;
}

void jw_int(jw *w, long long v)
{
        jw_sep(w);
        jw_fmt(w, "%lld", v);
}

void jw_bool(jw *w, int v)
{
        jw_sep(w);
        jw_raw(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_emit(jw *w, const char *path)
{
        jw_raw(w, "\n", 1);
        if (!path) {
                size_t off = 0;
                while (off < w->len) {
                        ssize_t n = write(1, w->buf + off, w->len - off);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                break;
                        off += (size_t)n;
                }
                return;
        }
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, w->buf, w->len) != (ssize_t)w->len || close(fd) < 0 || rename(tmp, path) < 0) {
                fprintf(stderr, "testinit: writing %s: %s\n", path, strerror(errno));
                exit(2);
        }
}

char *slurp(const char *path, size_t max, int *ret_errno)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                *ret_errno = errno;
                return NULL;
        }
        char *buf = malloc(max + 1);
        size_t len = 0;
        while (len < max) {
                ssize_t n = read(fd, buf + len, max - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        *ret_errno = errno;
                        close(fd);
                        free(buf);
                        return NULL;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        close(fd);
        buf[len] = 0;
        *ret_errno = 0;
        return buf;
}
