/* Minimal TAP helpers for the cgroup unit tests. */
#pragma once
#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail;

#define OK(cond, ...)                                                   \
        do {                                                            \
                tap_n++;                                                \
                if (cond) {                                             \
                        printf("ok %d - ", tap_n);                      \
                } else {                                                \
                        tap_fail++;                                     \
                        printf("not ok %d - %s:%d: ", tap_n, __FILE__, __LINE__); \
                }                                                       \
                printf(__VA_ARGS__);                                    \
                printf("\n");                                           \
        } while (0)

#define EQ_U(a, b, what) OK((unsigned long long)(a) == (unsigned long long)(b), "%s: %llu == %llu", what, \
                            (unsigned long long)(a), (unsigned long long)(b))
static inline int tap_streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }
static inline const char *tap_str(const char *a) { return a ? a : "(null)"; }
#define EQ_S(a, b, what) OK(tap_streq((a), (b)), "%s: \"%s\" == \"%s\"", what, tap_str(a), tap_str(b))

static inline int tap_done(void)
{
        printf("1..%d\n", tap_n);
        return tap_fail ? 1 : 0;
}
