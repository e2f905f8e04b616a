/* Trace parsing: good lines, and bad ones rejected with their line number. */
#include "tap.h"

static void bad(const char *text, const char *want1, const char *want2, const char *what)
{
        sched_trace t = {0};
        cella_error *e = NULL;
        int r = sched_trace_parse("trace.jsonl", text, strlen(text), &t, &e);
        ok(r < 0 && e && strstr(e->msg, want1) && strstr(e->msg, want2), "%s: %s", what, e ? e->msg : "(accepted)");
        err_free(e);
        sched_trace_free(&t);
}

#define NODE "{\"type\":\"node\",\"id\":\"n1\",\"capacity\":{\"cpu\":1000,\"memory\":1000}}\n"

int main(void)
{
        const char *good = "# a comment\n\n" NODE
                           "{\"type\":\"submit\",\"t\":1.5,\"id\":\"j1\",\"cpu\":10,\"memory\":10,\"payload\":{\"b\":1,\"a\":[1,2]}}\n"
                           "{\"type\":\"cancel\",\"t\":2,\"id\":\"j1\"}\n";
        sched_trace t = {0};
        cella_error *e = NULL;
        int r = sched_trace_parse("good", good, strlen(good), &t, &e);
        ok(r == 0 && t.n == 3, "a good trace parses (%zu events)", t.n);
        ok(r == 0 && t.events[1].t_us == 1500000 && streq(t.events[1].job->payload, "{\"a\":[1,2],\"b\":1}"),
           "time in microseconds, payload kept as canonical JSON");
        sched_trace_free(&t);
        err_free(e);

        bad(NODE "{\"type\":\"submit\",\"id\":\"j1\",\"cpu\":1,\"memory\":1,\"colour\":\"red\"}\n", "trace.jsonl:2",
            "unknown field \"colour\"", "unknown field");
        bad(NODE "\n{\"type\":\"submit\",\"id\":\"j1\",\"cpu\":-5,\"memory\":1}\n", "trace.jsonl:3", "cpu: negative",
            "negative resource");
        bad("{\"type\":\"node\",\"id\":\"n1\",\"capacity\":{\"cpu\":1000,\"memory\":-1}}\n", "trace.jsonl:1",
            "capacity.memory: negative", "negative capacity");
        bad(NODE "{\"type\":\"submit\",\"id\":\"j1\",\"cpu\":1,\"memory\":1}\n{\"type\":\"submit\",\"id\":\"j1\",\"cpu\":1,\"memory\":1}\n",
            "trace.jsonl:3", "duplicate id", "duplicate job id");
        bad(NODE NODE, "trace.jsonl:2", "duplicate id", "duplicate node id");
        bad(NODE "{\"type\":\"submit\",\"id\":\"j1\",\"cpu\":1,\n", "trace.jsonl:2", "", "broken JSON");
        bad(NODE "{\"type\":\"launch\"}\n", "trace.jsonl:2", "unknown event type", "unknown type");
        bad(NODE "{\"type\":\"cancel\",\"id\":\"nope\"}\n", "trace.jsonl:2", "no such job", "cancel of an unknown job");
        bad("{\"type\":\"submit\",\"t\":5,\"id\":\"a\",\"cpu\":1,\"memory\":1}\n{\"type\":\"submit\",\"t\":4,\"id\":\"b\",\"cpu\":1,\"memory\":1}\n",
            "trace.jsonl:2", "backwards", "time going backwards");
        bad(NODE "{\"type\":\"submit\",\"id\":\"j1\",\"cpu\":\"2\",\"memory\":1}\n", "trace.jsonl:2", "cpu: expected an integer",
            "wrong type");
        bad("{\"type\":\"node\",\"id\":\"n1\",\"capacity\":{\"cpu\":1,\"memory\":1},\"gpus\":[{\"uuid\":\"G1\",\"model\":\"X\",\"memory\":1,\"nvlink\":[\"G9\"]}]}\n",
            "trace.jsonl:1", "nvlink peer", "NVLink peer that is not a GPU of the node");
        bad(NODE "{\"type\":\"submit\",\"id\":\"j1\",\"cpu\":1,\"memory\":1,\"tasks\":0}\n", "trace.jsonl:2", "tasks", "zero tasks");
        bad(NODE "{\"type\":\"submit\",\"id\":\"j1\",\"cpu\":1500,\"memory\":1,\"cpuset\":true}\n", "trace.jsonl:2", "whole cores",
            "CPU set of a fraction of a core");

        /* Round trip: event -> JSON -> event. */
        const char *n8 = "{\"type\":\"node\",\"id\":\"n1\",\"labels\":{\"b\":\"2\",\"a\":\"1\"},\"capacity\":{\"cpu\":8000,\"memory\":1,\"pids\":100},"
                         "\"allocatable\":{\"cpu\":7000,\"memory\":1,\"pids\":90},"
                         "\"gpus\":[{\"uuid\":\"G2\",\"model\":\"X\",\"memory\":5,\"numa\":1,\"nvlink\":[\"G1\"]},{\"uuid\":\"G1\",\"model\":\"X\",\"memory\":5}]}\n";
        r = sched_trace_parse("n8", n8, strlen(n8), &t, &e);
        json_t *j = r == 0 ? sched_event_to_json(&t.events[0]) : NULL;
        char *txt = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        ok(txt && strstr(txt, "\"gpus\":[{\"memory\":5,\"model\":\"X\",\"numa\":-1,\"nvlink\":[\"G2\"],\"uuid\":\"G1\"}") &&
           strstr(txt, "\"labels\":{\"a\":\"1\",\"b\":\"2\"}"),
           "GPUs sorted by uuid, NVLink made symmetric, labels sorted: %s", txt ? txt : "");
        sched_event back;
        ok(j && sched_event_from_json(j, &back, &e) == 0 && back.node->allocatable[0] == 7000 && back.node->ngpus == 2,
           "the JSON form parses back");
        sched_event_clear(&back);
        free(txt);
        json_decref(j);
        sched_trace_free(&t);
        return tap_done();
}
