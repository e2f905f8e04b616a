/* libFuzzer target: the trace parser, then the events it accepts applied to a
 * scheduler state (errors from the state are fine; crashes and leaks are not). */
#include <stddef.h>
#include <stdint.h>
#include "sched/sched.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        sched_trace t = {0};
        cella_error *e = NULL;
        if (size > 1 << 20)
                return 0;
        if (sched_trace_parse("fuzz", (const char *)data, size, &t, &e) < 0) {
                err_free(e);
                return 0;
        }
        sched_state *s = NULL;
        if (sched_state_new(NULL, &s, &e) == 0) {
                for (size_t i = 0; i < t.n && i < 512; i++) {
                        if (sched_apply(s, &t.events[i], NULL, &e) < 0) {
                                err_free(e);
                                e = NULL;
                        }
                }
                sched_event ev = {.kind = SCHED_EV_SCHEDULE};
                if (sched_apply(s, &ev, NULL, &e) < 0)
                        err_free(e);
                char hash[65];
                sched_state_hash(s, hash);
                sched_state_free(s);
        }
        sched_trace_free(&t);
        return 0;
}
