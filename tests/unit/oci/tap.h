/* Minimal TAP for the oci unit tests: CHECK() records a failure and goes
 * on; the program's exit status is the number of failures (capped). */
#pragma once
#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail;

#define CHECK(cond)                                                                     \
        do {                                                                            \
                tap_n++;                                                                \
                if (cond)                                                               \
                        printf("ok %d - %s\n", tap_n, #cond);                           \
                else {                                                                  \
                        tap_fail++;                                                     \
                        printf("not ok %d - %s (%s:%d)\n", tap_n, #cond, __FILE__, __LINE__); \
                }                                                                       \
        } while (0)

#define CHECK_STR(a, b)                                                                 \
        do {                                                                            \
                const char *_a = (a), *_b = (b);                                        \
                tap_n++;                                                                \
                if (_a && _b && strcmp(_a, _b) == 0)                                    \
                        printf("ok %d - %s == \"%s\"\n", tap_n, #a, _b);                \
                else {                                                                  \
                        tap_fail++;                                                     \
                        printf("not ok %d - %s: got \"%s\", want \"%s\" (%s:%d)\n", tap_n, #a, \
                               _a ? _a : "(null)", _b ? _b : "(null)", __FILE__, __LINE__); \
                }                                                                       \
        } while (0)

static inline int tap_done(void)
{
        printf("1..%d\n", tap_n);
        if (tap_fail)
                printf("# %d of %d checks failed\n", tap_fail, tap_n);
        return tap_fail > 100 ? 100 : tap_fail;
}
