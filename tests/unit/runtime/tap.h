/* A tiny TAP producer for the runtime unit tests. */
#pragma once
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3), unused))
static void ok(int cond, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
        if (!cond)
                tap_failed++;
        fflush(stdout);
}

__attribute__((format(printf, 1, 2), unused))
static void skip(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        printf("ok %d # SKIP ", ++tap_n);
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
        fflush(stdout);
}

__attribute__((format(printf, 1, 2), unused))
static void diag(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        printf("# ");
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
        fflush(stdout);
}

__attribute__((unused))
static int tap_done(void)
{
        printf("1..%d\n", tap_n);
        if (tap_failed)
                printf("# %d of %d failed\n", tap_failed, tap_n);
        return tap_failed ? 1 : 0;
}
