#include "error.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 4, 0)))
static int set(cella_error **err, int code, int with_strerror, const char *fmt, va_list ap)
{
        int ret = code > 0 ? -code : -EINVAL;
        if (!err)
                return ret;
        char *body = NULL;
        if (vasprintf(&body, fmt, ap) < 0)
                body = NULL;
        char *msg = NULL;
        if (body && with_strerror && code > 0) {
                if (asprintf(&msg, "%s: %s", body, strerror(code)) < 0)
                        msg = NULL;
                free(body);
        } else
                msg = body;
        err_free(*err);
        *err = calloc(1, sizeof(**err));
        if (!*err) {
                free(msg);
                return ret;
        }
        (*err)->code = code;
        (*err)->msg = msg ? msg : strdup("out of memory while formatting an error");
        return ret;
}

int err_set(cella_error **err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = set(err, code, 1, fmt, ap);
        va_end(ap);
        return r;
}

int err_setx(cella_error **err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = set(err, code, 0, fmt, ap);
        va_end(ap);
        return r;
}

int err_wrap(cella_error **err, const char *fmt, ...)
{
        if (!err || !*err)
                return -EINVAL;
        int code = (*err)->code;
        char *prefix = NULL, *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&prefix, fmt, ap) < 0)
                prefix = NULL;
        va_end(ap);
        if (prefix && asprintf(&msg, "%s: %s", prefix, (*err)->msg) >= 0) {
                free((*err)->msg);
                (*err)->msg = msg;
        }
        free(prefix);
        return code > 0 ? -code : -EINVAL;
}

void err_free(cella_error *err)
{
        if (!err)
                return;
        free(err->msg);
        free(err);
}
