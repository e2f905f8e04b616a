/* testinit's small helpers: a JSON writer into a growing buffer, and
 * whole-file reads. Output is always valid JSON whatever the input bytes. */
#pragma once
#include <stddef.h>

typedef struct {
        char *buf;
        size_t len, cap;
        int need_comma;
} jw;

void jw_raw(jw *w, const char *s, size_t n);
void jw_fmt(jw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void jw_sep(jw *w);
void jw_str_raw(jw *w, const char *s, size_t n);
void jw_str(jw *w, const char *s);
void jw_key(jw *w, const char *k);
void jw_open(jw *w, char c);
void jw_close(jw *w, char c);
void jw_int(jw *w, long long v);
void jw_bool(jw *w, int v);
/* Writes the object plus a newline to stdout, or atomically to path. */
void jw_emit(jw *w, const char *path);
/* Up to max bytes of a file, NUL-terminated; NULL with *ret_errno set on failure. */
char *slurp(const char *path, size_t max, int *ret_errno);
