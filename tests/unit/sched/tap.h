/* Minimal TAP for the scheduler's unit tests, and helpers to drive a state
 * from JSON-lines text. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "sched/sched.h"

static int tap_n, tap_failed;

#define ok(cond, ...)                                                          \
        do {                                                                   \
                int _c = !!(cond);                                             \
                tap_n++;                                                       \
                if (_c) {                                                      \
                        printf("ok %d - ", tap_n);                             \
                } else {                                                       \
                        tap_failed++;                                          \
                        printf("not ok %d - ", tap_n);                         \
                }                                                              \
                printf(__VA_ARGS__);                                           \
                printf("%s\n", _c ? "" : "  (" __FILE__ ":" _TAP_STR(__LINE__) ")"); \
        } while (0)
#define _TAP_STR2(x) #x
#define _TAP_STR(x) _TAP_STR2(x)

static inline int tap_done(void)
{
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}

static inline void die(const char *what, cella_error *e)
{
        fprintf(stderr, "Bail out! %s: %s\n", what, e && e->msg ? e->msg : "?");
        exit(2);
}

/* Apply text with events that may fail, line by line (each line parsed on
 * its own, so the state, not the parser, judges the ids); returns the first
 * error (negative errno). "schedule" lines run a pass. */
static inline int feed_try(sched_state *s, const char *text, cella_error **e)
{
        int r = 0;
        for (const char *p = text; r >= 0 && *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                json_t *o = len ? json_loadb(p, len, 0, NULL) : NULL;
                sched_event ev;
                if (o) {
                        r = sched_event_from_json(o, &ev, e);
                        json_decref(o);
                        if (r >= 0) {
                                r = sched_apply(s, &ev, NULL, e);
                                sched_event_clear(&ev);
                        }
                } else if (len) {
                        r = -EINVAL;
                }
                p += len + (nl ? 1 : 0);
        }
        return r;
}

static inline void feed(sched_state *s, const char *text)
{
        cella_error *e = NULL;
        if (feed_try(s, text, &e) < 0)
                die("feed", e);
}

static inline sched_state *new_state(void (*tweak)(sched_config *))
{
        sched_config c;
        sched_config_default(&c);
        if (tweak)
                tweak(&c);
        sched_state *s = NULL;
        cella_error *e = NULL;
        if (sched_state_new(&c, &s, &e) < 0)
                die("state", e);
        return s;
}

static inline sched_job_state state_of(sched_state *s, const char *id)
{
        sched_job_info inf;
        if (sched_job_status(s, id, &inf) < 0)
                return (sched_job_state)-1;
        return inf.state;
}

static inline const char *node_of(sched_state *s, const char *id, unsigned task)
{
        const char *node = NULL, *gpus[SCHED_MAX_NODE_GPUS];
        unsigned ng;
        char cs[64];
        if (sched_job_task(s, id, task, &node, gpus, &ng, cs) < 0)
                return "(none)";
        return node;
}

static inline void hash_of(sched_state *s, char out[65])
{
        if (sched_state_hash(s, out) < 0)
                die("hash", NULL);
}
