/* Minimal TAP for the GPU unit tests: ok()/is_*() print one line each;
 * tap_done() prints the plan and returns the exit status. */
#pragma once
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
static inline void tap_ok(int pass, const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
#include <stdarg.h>
static inline void tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        printf("%s %d - ", pass ? "ok" : "not ok", ++tap_n);
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
        if (!pass) {
                tap_failed++;
                printf("#   failed at %s:%d\n", file, line);
        }
        fflush(stdout);
}

#define is_int(got, want, name) do { long long _g = (got), _w = (want); \
        ok(_g == _w, "%s (got %lld, want %lld)", name, _g, _w); } while (0)
#define is_str(got, want, name) do { const char *_g = (got), *_w = (want); \
        ok(_g && _w && strcmp(_g, _w) == 0, "%s (got '%s', want '%s')", name, _g ? _g : "(null)", _w ? _w : "(null)"); } while (0)
#define has_str(hay, needle, name) do { const char *_h = (hay), *_n = (needle); \
        ok(_h && strstr(_h, _n), "%s ('%s' contains '%s')", name, _h ? _h : "(null)", _n); } while (0)

static inline int tap_done(void)
{
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}
