/* An error that travels to the user: errno plus a message chain
 * ("create container abc: mount /proc: Operation not permitted").
 *
 * Functions that can fail take `cella_error **err` last and return a
 * negative errno; on failure they set *err (when err is not NULL). */
#pragma once
#include "macros.h"

typedef struct cella_error {
        int code;   /* positive errno, or 0 when none applies */
        char *msg;
} cella_error;

/* Set *err to "fmt: strerror(code)" (code > 0) or "fmt" (code == 0).
 * Returns -code, or -EINVAL when code is 0. Replaces an earlier error. */
int err_set(cella_error **err, int code, const char *fmt, ...) _printf_(3, 4);
/* Like err_set, but never appends strerror. */
int err_setx(cella_error **err, int code, const char *fmt, ...) _printf_(3, 4);
/* Prefix an existing error's message with "fmt: ". Returns -code. */
int err_wrap(cella_error **err, const char *fmt, ...) _printf_(2, 3);
void err_free(cella_error *err);
static inline void err_freep(cella_error **e) { err_free(*e); *e = NULL; }
#define _cleanup_err_ _cleanup_(err_freep)
