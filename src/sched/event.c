/* Events as JSON objects: one trace line, or one event-log body.
 * Strict: unknown fields, wrong types and negative resources are errors that
 * name the field. Lists that carry no order (labels, selector, GPUs) are
 * sorted by key, so the order they were written in never matters. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sched-int.h"
#include "base/json.h"

/* The type of a value, or "nothing" for a missing field. */
static const char *tname(const json_t *v)
{
        return v ? json_type_name(v) : "nothing (missing)";
}

static int get_str(json_t *v, const char *what, char *out, size_t max, cella_error **err)
{
        if (!json_is_string(v))
                return err_setx(err, EINVAL, "%s: expected a string, got %s", what, tname(v));
        const char *s = json_string_value(v);
        size_t n = strlen(s);
        if (n == 0 || n >= max)
                return err_setx(err, EINVAL, "%s: must be 1 to %zu bytes", what, max - 1);
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20)
                        return err_setx(err, EINVAL, "%s: control character", what);
        memcpy(out, s, n + 1);
        return 0;
}

static int get_int(json_t *v, const char *what, int64_t lo, int64_t hi, int64_t *out, cella_error **err)
{
        if (!json_is_integer(v))
                return err_setx(err, EINVAL, "%s: expected an integer, got %s", what, tname(v));
        json_int_t x = json_integer_value(v);
        if (x < lo)
                return err_setx(err, EINVAL, "%s: %s (%lld)", what, lo == 0 ? "negative" : "too small", (long long)x);
        if (x > hi)
                return err_setx(err, EINVAL, "%s: too large (%lld)", what, (long long)x);
        *out = x;
        return 0;
}

static int get_seconds(json_t *v, const char *what, int64_t *out_us, cella_error **err)
{
        double x;
        if (json_is_integer(v))
                x = (double)json_integer_value(v);
        else if (json_is_real(v))
                x = json_real_value(v);
        else
                return err_setx(err, EINVAL, "%s: expected a number of seconds, got %s", what, tname(v));
        if (!(x >= 0) || x > 1e12)
                return err_setx(err, EINVAL, "%s: must be a non-negative number of seconds", what);
        *out_us = (int64_t)llround(x * 1e6);
        return 0;
}

static int label_cmp(const void *a, const void *b)
{
        return strcmp(((const sched_label *)a)->key, ((const sched_label *)b)->key);
}

static int get_labels(json_t *v, const char *what, sched_label *out, unsigned *ret_n, cella_error **err)
{
        if (!json_is_object(v))
                return err_setx(err, EINVAL, "%s: expected an object, got %s", what, tname(v));
        if (json_object_size(v) > SCHED_MAX_LABELS)
                return err_setx(err, EINVAL, "%s: more than %d entries", what, SCHED_MAX_LABELS);
        const char *k;
        json_t *x;
        unsigned n = 0;
        json_object_foreach(v, k, x) {
                char name[160];
                snprintf(name, sizeof(name), "%s.%s", what, k);
                size_t kl = strlen(k);
                if (kl == 0 || kl >= SCHED_ID_MAX)
                        return err_setx(err, EINVAL, "%s: key must be 1 to %d bytes", name, SCHED_ID_MAX - 1);
                memcpy(out[n].key, k, kl + 1);
                int r = get_str(x, name, out[n].value, SCHED_ID_MAX, err);
                if (r < 0)
                        return r;
                n++;
        }
        qsort(out, n, sizeof(*out), label_cmp);
        *ret_n = n;
        return 0;
}

static int unknown(json_t *obj, const char *const *allowed, const char *what, cella_error **err)
{
        const char *k;
        json_t *x;
        json_object_foreach(obj, k, x) {
                bool ok = false;
                for (const char *const *a = allowed; *a && !ok; a++)
                        ok = streq(*a, k);
                if (!ok)
                        return err_setx(err, EINVAL, "%s: unknown field \"%s\"", what, k);
        }
        return 0;
}

static int res_obj(json_t *v, const char *what, int64_t out[SCHED_PIDS + 1], cella_error **err)
{
        static const char *const f[] = {"cpu", "memory", "pids", NULL};
        if (!json_is_object(v))
                return err_setx(err, EINVAL, "%s: expected an object, got %s", what, tname(v));
        int r = unknown(v, f, what, err);
        if (r < 0)
                return r;
        for (int i = 0; i <= SCHED_PIDS; i++) {
                json_t *x = json_object_get(v, f[i]);
                char name[64];
                snprintf(name, sizeof(name), "%s.%s", what, f[i]);
                if (!x) {
                        if (i == SCHED_PIDS) {
                                out[i] = 32768;
                                continue;
                        }
                        return err_setx(err, EINVAL, "%s: missing", name);
                }
                if ((r = get_int(x, name, 0, INT64_MAX / 4, &out[i], err)) < 0)
                        return r;
        }
        return 0;
}

typedef struct gpu_tmp {
        sched_gpu_spec g;
        json_t *peers;
} gpu_tmp;

static int gpu_cmp(const void *a, const void *b)
{
        return strcmp(((const gpu_tmp *)a)->g.uuid, ((const gpu_tmp *)b)->g.uuid);
}

static int get_gpus(json_t *v, sched_node_spec *n, cella_error **err)
{
        static const char *const f[] = {"uuid", "model", "memory", "numa", "nvlink", NULL};
        if (!json_is_array(v))
                return err_setx(err, EINVAL, "gpus: expected an array, got %s", tname(v));
        if (json_array_size(v) > SCHED_MAX_NODE_GPUS)
                return err_setx(err, EINVAL, "gpus: more than %d", SCHED_MAX_NODE_GPUS);
        gpu_tmp t[SCHED_MAX_NODE_GPUS];
        size_t i;
        json_t *g;
        int r;
        json_array_foreach(v, i, g) {
                char what[32];
                snprintf(what, sizeof(what), "gpus[%zu]", i);
                if (!json_is_object(g))
                        return err_setx(err, EINVAL, "%s: expected an object", what);
                if ((r = unknown(g, f, what, err)) < 0)
                        return r;
                memset(&t[i], 0, sizeof(t[i]));
                int64_t x;
                char name[64];
                snprintf(name, sizeof(name), "%s.uuid", what);
                if ((r = get_str(json_object_get(g, "uuid"), name, t[i].g.uuid, sizeof(t[i].g.uuid), err)) < 0)
                        return r;
                snprintf(name, sizeof(name), "%s.model", what);
                if ((r = get_str(json_object_get(g, "model"), name, t[i].g.model, SCHED_ID_MAX, err)) < 0)
                        return r;
                snprintf(name, sizeof(name), "%s.memory", what);
                if ((r = get_int(json_object_get(g, "memory"), name, 0, INT64_MAX / 4, &x, err)) < 0)
                        return r;
                t[i].g.memory = (uint64_t)x;
                t[i].g.numa = -1;
                if (json_object_get(g, "numa")) {
                        snprintf(name, sizeof(name), "%s.numa", what);
                        if ((r = get_int(json_object_get(g, "numa"), name, -1, 4096, &x, err)) < 0)
                                return r;
                        t[i].g.numa = (int)x;
                }
                t[i].peers = json_object_get(g, "nvlink");
                if (t[i].peers && !json_is_array(t[i].peers))
                        return err_setx(err, EINVAL, "%s.nvlink: expected an array of GPU uuids", what);
        }
        size_t ng = json_array_size(v);
        qsort(t, ng, sizeof(*t), gpu_cmp);
        for (i = 1; i < ng; i++)
                if (streq(t[i].g.uuid, t[i - 1].g.uuid))
                        return err_setx(err, EINVAL, "gpus: duplicate uuid %s", t[i].g.uuid);
        for (i = 0; i < ng; i++) {
                size_t k;
                json_t *p;
                json_array_foreach(t[i].peers, k, p) {
                        const char *u = json_is_string(p) ? json_string_value(p) : "";
                        size_t q;
                        for (q = 0; q < ng && !streq(t[q].g.uuid, u); q++)
                                ;
                        if (q == ng || q == i)
                                return err_setx(err, EINVAL, "gpu %s: nvlink peer \"%s\" is not another GPU of this node",
                                                t[i].g.uuid, u);
                        t[i].g.peers |= 1u << q;
                }
                n->gpus[i] = t[i].g;
        }
        /* links are symmetric */
        for (i = 0; i < ng; i++)
                for (size_t q = 0; q < ng; q++)
                        if (n->gpus[i].peers & (1u << q))
                                n->gpus[q].peers |= 1u << i;
        n->ngpus = (unsigned)ng;
        return 0;
}

static int parse_node(json_t *o, sched_node_spec *n, cella_error **err)
{
        static const char *const f[] = {"type", "t", "id", "labels", "capacity", "allocatable", "gpus", NULL};
        int r = unknown(o, f, "node", err);
        if (r < 0)
                return r;
        memset(n, 0, sizeof(*n));
        if ((r = get_str(json_object_get(o, "id"), "id", n->id, SCHED_ID_MAX, err)) < 0)
                return r;
        json_t *x;
        if ((x = json_object_get(o, "labels")) && (r = get_labels(x, "labels", n->labels, &n->nlabels, err)) < 0)
                return r;
        if ((r = res_obj(json_object_get(o, "capacity"), "capacity", n->capacity, err)) < 0)
                return r;
        memcpy(n->allocatable, n->capacity, sizeof(n->capacity));
        if ((x = json_object_get(o, "allocatable")) && (r = res_obj(x, "allocatable", n->allocatable, err)) < 0)
                return r;
        for (int i = 0; i <= SCHED_PIDS; i++)
                if (n->allocatable[i] > n->capacity[i])
                        return err_setx(err, EINVAL, "allocatable: exceeds capacity");
        if ((x = json_object_get(o, "gpus")) && (r = get_gpus(x, n, err)) < 0)
                return r;
        return 0;
}

static int parse_job(json_t *o, sched_job_spec *j, cella_error **err)
{
        static const char *const f[] = {"type", "t", "id", "tenant", "priority", "cpu", "memory", "pids", "gpus",
                                        "gpu_memory", "gpu_model", "selector", "tasks", "cpuset", "payload",
                                        "duration", NULL};
        int r = unknown(o, f, "submit", err);
        if (r < 0)
                return r;
        memset(j, 0, sizeof(*j));
        j->tasks = 1;
        j->duration_us = -1;
        int64_t x;
        json_t *v;
        if ((r = get_str(json_object_get(o, "id"), "id", j->id, SCHED_ID_MAX, err)) < 0)
                return r;
        if ((v = json_object_get(o, "tenant")) && (r = get_str(v, "tenant", j->tenant, SCHED_ID_MAX, err)) < 0)
                return r;
        if ((v = json_object_get(o, "priority"))) {
                if ((r = get_int(v, "priority", 0, SCHED_MAX_PRIORITY, &x, err)) < 0)
                        return r;
                j->priority = (int32_t)x;
        }
        if ((r = get_int(json_object_get(o, "cpu"), "cpu", 0, INT64_MAX / 4, &j->cpu, err)) < 0)
                return r;
        if ((r = get_int(json_object_get(o, "memory"), "memory", 0, INT64_MAX / 4, &j->memory, err)) < 0)
                return r;
        if ((v = json_object_get(o, "pids")) && (r = get_int(v, "pids", 0, INT64_MAX / 4, &j->pids, err)) < 0)
                return r;
        if ((v = json_object_get(o, "gpus"))) {
                if ((r = get_int(v, "gpus", 0, SCHED_MAX_NODE_GPUS, &x, err)) < 0)
                        return r;
                j->gpus = (uint32_t)x;
        }
        if ((v = json_object_get(o, "gpu_memory"))) {
                if ((r = get_int(v, "gpu_memory", 0, INT64_MAX / 4, &x, err)) < 0)
                        return r;
                j->gpu_memory = (uint64_t)x;
        }
        if ((v = json_object_get(o, "gpu_model")) && (r = get_str(v, "gpu_model", j->gpu_model, SCHED_ID_MAX, err)) < 0)
                return r;
        if ((v = json_object_get(o, "selector"))) {
                if (!(j->selector = calloc(SCHED_MAX_LABELS, sizeof(*j->selector))))
                        return err_setx(err, ENOMEM, "selector");
                if ((r = get_labels(v, "selector", j->selector, &j->nselector, err)) < 0)
                        return r;
        }
        if ((v = json_object_get(o, "tasks"))) {
                if ((r = get_int(v, "tasks", 1, SCHED_MAX_TASKS, &x, err)) < 0)
                        return r;
                j->tasks = (uint32_t)x;
        }
        if ((v = json_object_get(o, "cpuset"))) {
                if (!json_is_boolean(v))
                        return err_setx(err, EINVAL, "cpuset: expected a boolean");
                j->want_cpuset = json_is_true(v);
                if (j->want_cpuset && (j->cpu == 0 || j->cpu % 1000))
                        return err_setx(err, EINVAL, "cpuset: needs cpu in whole cores (a multiple of 1000)");
        }
        if ((v = json_object_get(o, "payload"))) {
                j->payload = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
                if (!j->payload)
                        return err_setx(err, ENOMEM, "payload");
                if (strlen(j->payload) > SCHED_MAX_PAYLOAD)
                        return err_setx(err, EINVAL, "payload: larger than %d bytes", SCHED_MAX_PAYLOAD);
        }
        if ((v = json_object_get(o, "duration")) && (r = get_seconds(v, "duration", &j->duration_us, err)) < 0)
                return r;
        return 0;
}

static const char *const type_names[] = {"node", "node_update", "node_remove", "submit",
                                         "cancel", "start", "finish", "schedule"};

int sched_event_from_json(json_t *o, sched_event *ret, cella_error **err)
{
        if (!json_is_object(o))
                return err_setx(err, EINVAL, "expected a JSON object, got %s", tname(o));
        json_t *ty = json_object_get(o, "type");
        if (!json_is_string(ty))
                return err_setx(err, EINVAL, "type: missing or not a string");
        sched_event ev = {0};
        unsigned k;
        for (k = 0; k < ARRAY_SIZE(type_names) && !streq(type_names[k], json_string_value(ty)); k++)
                ;
        if (k == ARRAY_SIZE(type_names)) {
                if (!streq(json_string_value(ty), "node_add"))
                        return err_setx(err, EINVAL, "type: unknown event type \"%s\"", json_string_value(ty));
                k = SCHED_EV_NODE_ADD;
        }
        ev.kind = (sched_event_kind)k;
        int r;
        json_t *t = json_object_get(o, "t");
        if (t && (r = get_seconds(t, "t", &ev.t_us, err)) < 0)
                return r;
        switch (ev.kind) {
        case SCHED_EV_NODE_ADD:
        case SCHED_EV_NODE_UPDATE:
                if (!(ev.node = malloc(sizeof(*ev.node))))
                        return err_setx(err, ENOMEM, "node");
                if ((r = parse_node(o, ev.node, err)) < 0)
                        goto fail;
                break;
        case SCHED_EV_SUBMIT:
                if (!(ev.job = calloc(1, sizeof(*ev.job))))
                        return err_setx(err, ENOMEM, "job");
                if ((r = parse_job(o, ev.job, err)) < 0)
                        goto fail;
                break;
        case SCHED_EV_FINISH:
        case SCHED_EV_NODE_REMOVE:
        case SCHED_EV_CANCEL:
        case SCHED_EV_START: {
                static const char *const f[] = {"type", "t", "id", "ok", NULL};
                static const char *const g[] = {"type", "t", "id", NULL};
                if ((r = unknown(o, ev.kind == SCHED_EV_FINISH ? f : g, type_names[k], err)) < 0)
                        return r;
                if ((r = get_str(json_object_get(o, "id"), "id", ev.id, SCHED_ID_MAX, err)) < 0)
                        return r;
                json_t *ok = json_object_get(o, "ok");
                if (ok && !json_is_boolean(ok))
                        return err_setx(err, EINVAL, "ok: expected a boolean");
                ev.ok = !ok || json_is_true(ok);
                break;
        }
        case SCHED_EV_SCHEDULE: {
                static const char *const f[] = {"type", "t", NULL};
                if ((r = unknown(o, f, "schedule", err)) < 0)
                        return r;
                break;
        }
        }
        *ret = ev;
        return 0;
fail:
        sched_event_clear(&ev);
        return r;
}

static json_t *res_json(const int64_t v[SCHED_PIDS + 1])
{
        return json_pack("{s:I,s:I,s:I}", "cpu", (json_int_t)v[0], "memory", (json_int_t)v[1], "pids", (json_int_t)v[2]);
}

static json_t *labels_json(const sched_label *l, unsigned n)
{
        json_t *o = json_object();
        for (unsigned i = 0; i < n; i++)
                json_object_set_new(o, l[i].key, json_string(l[i].value));
        return o;
}

json_t *sched_node_spec_to_json(const sched_node_spec *n, json_t *o)
{
        json_object_set_new(o, "id", json_string(n->id));
        json_object_set_new(o, "labels", labels_json(n->labels, n->nlabels));
        json_object_set_new(o, "capacity", res_json(n->capacity));
        json_object_set_new(o, "allocatable", res_json(n->allocatable));
        json_t *gpus = json_array();
        for (unsigned i = 0; i < n->ngpus; i++) {
                const sched_gpu_spec *g = &n->gpus[i];
                json_t *peers = json_array();
                for (unsigned q = 0; q < n->ngpus; q++)
                        if (g->peers & (1u << q))
                                json_array_append_new(peers, json_string(n->gpus[q].uuid));
                json_array_append_new(gpus, json_pack("{s:s,s:s,s:I,s:i,s:o}", "uuid", g->uuid, "model", g->model,
                                                      "memory", (json_int_t)g->memory, "numa", g->numa,
                                                      "nvlink", peers));
        }
        json_object_set_new(o, "gpus", gpus);
        return o;
}

json_t *sched_job_spec_to_json(const sched_job_spec *j, json_t *o)
{
        json_object_set_new(o, "id", json_string(j->id));
        if (j->tenant[0])
                json_object_set_new(o, "tenant", json_string(j->tenant));
        json_object_set_new(o, "priority", json_integer(j->priority));
        json_object_set_new(o, "cpu", json_integer(j->cpu));
        json_object_set_new(o, "memory", json_integer(j->memory));
        json_object_set_new(o, "pids", json_integer(j->pids));
        json_object_set_new(o, "gpus", json_integer(j->gpus));
        if (j->gpu_memory)
                json_object_set_new(o, "gpu_memory", json_integer((json_int_t)j->gpu_memory));
        if (j->gpu_model[0])
                json_object_set_new(o, "gpu_model", json_string(j->gpu_model));
        if (j->nselector)
                json_object_set_new(o, "selector", labels_json(j->selector, j->nselector));
        json_object_set_new(o, "tasks", json_integer(j->tasks));
        if (j->want_cpuset)
                json_object_set_new(o, "cpuset", json_true());
        if (j->payload) {
                json_t *p = json_loads(j->payload, JSON_DECODE_ANY, NULL);
                if (p)
                        json_object_set_new(o, "payload", p);
        }
        return o;
}

json_t *sched_event_to_json(const sched_event *ev)
{
        json_t *o = json_object();
        if (!o)
                return NULL;
        json_object_set_new(o, "type", json_string(type_names[ev->kind]));
        switch (ev->kind) {
        case SCHED_EV_NODE_ADD:
        case SCHED_EV_NODE_UPDATE:
                sched_node_spec_to_json(ev->node, o);
                break;
        case SCHED_EV_SUBMIT:
                sched_job_spec_to_json(ev->job, o);
                break;
        case SCHED_EV_FINISH:
                json_object_set_new(o, "ok", json_boolean(ev->ok));
                __attribute__((fallthrough));
        case SCHED_EV_NODE_REMOVE:
        case SCHED_EV_CANCEL:
        case SCHED_EV_START:
                json_object_set_new(o, "id", json_string(ev->id));
                break;
        case SCHED_EV_SCHEDULE:
                break;
        }
        return o;
}
