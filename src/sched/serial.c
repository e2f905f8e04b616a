/* The canonical serialisation of the state (the snapshot format), its hash,
 * and loading a snapshot back. Nodes are written in id order and jobs in
 * submission order; keys are sorted on output, so equal states give equal
 * bytes whatever order they were built in. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "sched-int.h"
#include "base/json.h"
#include "base/sha256.h"

#define STATE_VERSION 1

static int slot_by_id(const void *a, const void *b, void *ctx)
{
        const sched_state *s = ctx;
        return strcmp(s->nodes[*(const uint32_t *)a].spec.id, s->nodes[*(const uint32_t *)b].spec.id);
}

static json_t *task_json(const sched_state *s, const stask *t)
{
        if (t->node == UINT32_MAX)
                return json_null();
        const snode *n = &s->nodes[t->node];
        json_t *g = json_array();
        for (unsigned i = 0; i < n->spec.ngpus; i++)
                if (t->gpus & (1u << i))
                        json_array_append_new(g, json_string(n->spec.gpus[i].uuid));
        json_t *o = json_pack("{s:s,s:o}", "node", n->spec.id, "gpus", g);
        if (t->core_n)
                json_object_set_new(o, "cores", json_pack("[i,i]", t->core_lo, t->core_n));
        return o;
}

json_t *sched_state_to_json(const sched_state *s)
{
        json_t *o = json_pack("{s:s,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "format", "cella-sched-state",
                              "version", STATE_VERSION, "next_seq", (json_int_t)s->next_seq,
                              "events", (json_int_t)s->events, "passes", (json_int_t)s->passes,
                              "decisions", (json_int_t)s->decisions, "skipped", (json_int_t)s->skipped,
                              "preemptions", (json_int_t)s->preemptions, "placed_tasks",
                              (json_int_t)s->placed_tasks, "dirty", s->dirty);
        if (!o)
                return NULL;
        uint32_t *slots = malloc(((size_t)s->nalive + 1) * sizeof(*slots));
        if (!slots) {
                json_decref(o);
                return NULL;
        }
        uint32_t n = 0;
        for (uint32_t i = 0; i < s->nslots; i++)
                if (s->nodes[i].alive)
                        slots[n++] = i;
        qsort_r(slots, n, sizeof(*slots), slot_by_id, (void *)s);
        json_t *nodes = json_array();
        for (uint32_t i = 0; i < n; i++)
                json_array_append_new(nodes, sched_node_spec_to_json(&s->nodes[slots[i]].spec, json_object()));
        free(slots);
        json_object_set_new(o, "nodes", nodes);
        json_t *jobs = json_array();
        for (uint32_t i = 0; i < s->njobs; i++) {
                const sjob *j = &s->jobs[i];
                json_t *jo = sched_job_spec_to_json(&j->spec, json_object());
                json_object_set_new(jo, "state", json_string(sched_job_state_name(j->state)));
                json_object_set_new(jo, "seq", json_integer((json_int_t)j->seq));
                json_object_set_new(jo, "waited", json_integer(j->waited));
                json_object_set_new(jo, "preemptions", json_integer(j->preemptions));
                if (j->nplaced) {
                        json_t *ta = json_array();
                        for (uint32_t t = 0; t < j->spec.tasks; t++)
                                json_array_append_new(ta, task_json(s, &j->task[t]));
                        json_object_set_new(jo, "placement", ta);
                }
                if (j->nres) {
                        json_t *ra = json_array();
                        for (uint32_t k = 0; k < j->nres; k++)
                                json_array_append_new(ra, json_string(s->nodes[j->res[k]].spec.id));
                        json_object_set_new(jo, "reserved", ra);
                }
                json_array_append_new(jobs, jo);
        }
        json_object_set_new(o, "jobs", jobs);
        return o;
}

int sched_state_hash(const sched_state *s, char ret[65])
{
        json_t *o = sched_state_to_json(s);
        if (!o)
                return -ENOMEM;
        char *txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(o);
        if (!txt)
                return -ENOMEM;
        sha256_hex(txt, strlen(txt), ret);
        free(txt);
        return 0;
}

static int u64_field(json_t *o, const char *k, uint64_t *out, cella_error **err)
{
        json_t *v = json_object_get(o, k);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return err_setx(err, EINVAL, "snapshot: %s: expected a non-negative integer", k);
        *out = (uint64_t)json_integer_value(v);
        return 0;
}

static int load_job(sched_state *s, json_t *jo, size_t idx, cella_error **err)
{
        /* The job spec is the submit event's body plus state fields. */
        json_t *spec = json_deep_copy(jo);
        static const char *const extra[] = {"state", "seq", "waited", "preemptions", "placement", "reserved"};
        for (size_t i = 0; i < ARRAY_SIZE(extra); i++)
                json_object_del(spec, extra[i]);
        json_object_set_new(spec, "type", json_string("submit"));
        sched_event ev;
        int r = sched_event_from_json(spec, &ev, err);
        json_decref(spec);
        if (r < 0)
                return err_wrap(err, "snapshot: jobs[%zu]", idx);
        sjob *j;
        r = sched_job_add_raw(s, ev.job, &j, err);
        sched_event_clear(&ev);
        if (r < 0)
                return err_wrap(err, "snapshot: jobs[%zu]", idx);
        uint32_t job = (uint32_t)(j - s->jobs);
        const char *st = json_string_value(json_object_get(jo, "state"));
        int k;
        for (k = 0; k <= SCHED_PREEMPTED && !(st && streq(st, sched_job_state_name((sched_job_state)k))); k++)
                ;
        if (k > SCHED_PREEMPTED)
                return err_setx(err, EINVAL, "snapshot: jobs[%zu]: bad state", idx);
        j->state = (sched_job_state)k;
        uint64_t seq, waited, pre;
        if ((r = u64_field(jo, "seq", &seq, err)) < 0 || (r = u64_field(jo, "waited", &waited, err)) < 0 ||
            (r = u64_field(jo, "preemptions", &pre, err)) < 0)
                return r;
        j->seq = seq;
        j->waited = (uint32_t)waited;
        j->preemptions = (uint32_t)pre;
        json_t *pl = json_object_get(jo, "placement");
        if (pl && (!json_is_array(pl) || json_array_size(pl) != j->spec.tasks))
                return err_setx(err, EINVAL, "snapshot: jobs[%zu].placement: expected %u entries", idx, j->spec.tasks);
        for (uint32_t t = 0; pl && t < j->spec.tasks; t++) {
                json_t *to = json_array_get(pl, t);
                if (json_is_null(to))
                        continue;
                uint32_t slot;
                const char *nid = json_string_value(json_object_get(to, "node"));
                if (!nid || sched_node_find(s, nid, &slot) < 0)
                        return err_setx(err, EINVAL, "snapshot: jobs[%zu].placement[%u]: unknown node", idx, t);
                const snode *n = &s->nodes[slot];
                uint32_t gpus = 0;
                size_t gi;
                json_t *g;
                json_array_foreach(json_object_get(to, "gpus"), gi, g) {
                        unsigned q;
                        for (q = 0; q < n->spec.ngpus && !(json_is_string(g) &&
                                                          streq(n->spec.gpus[q].uuid, json_string_value(g))); q++)
                                ;
                        if (q == n->spec.ngpus)
                                return err_setx(err, EINVAL, "snapshot: jobs[%zu]: unknown GPU", idx);
                        gpus |= 1u << q;
                }
                json_t *cores = json_object_get(to, "cores");
                int lo = cores ? (int)json_integer_value(json_array_get(cores, 0)) : -1;
                if ((r = sched_task_bind_at(s, job, t, slot, gpus, lo)) < 0)
                        return err_set(err, -r, "snapshot");
        }
        if (j->state == SCHED_PENDING && (r = sched_queue_insert(s, job)) < 0)
                return err_set(err, -r, "snapshot");
        json_t *res = json_object_get(jo, "reserved");
        if (res && json_array_size(res)) {
                if (!(j->res = calloc(json_array_size(res), sizeof(*j->res))))
                        return err_setx(err, ENOMEM, "snapshot");
                size_t ri;
                json_t *rv;
                json_array_foreach(res, ri, rv) {
                        uint32_t slot;
                        if (!json_is_string(rv) || sched_node_find(s, json_string_value(rv), &slot) < 0)
                                return err_setx(err, EINVAL, "snapshot: jobs[%zu].reserved: unknown node", idx);
                        j->res[j->nres++] = slot;
                        s->nodes[slot].reserved_by = job + 1;
                }
                s->nreservations++;
        }
        return 0;
}

int sched_state_from_json(const sched_config *cfg, json_t *snap, sched_state **ret, cella_error **err)
{
        _cleanup_sched_state_ sched_state *s = NULL;
        int r = sched_state_new(cfg, &s, err);
        if (r < 0)
                return r;
        json_t *fmt = json_object_get(snap, "format"), *ver = json_object_get(snap, "version");
        if (!json_is_string(fmt) || !streq(json_string_value(fmt), "cella-sched-state") ||
            json_integer_value(ver) != STATE_VERSION)
                return err_setx(err, EINVAL, "snapshot: not a cella-sched-state version %d", STATE_VERSION);
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(snap, "nodes"), i, x) {
                json_t *cp = json_deep_copy(x);
                json_object_set_new(cp, "type", json_string("node"));
                sched_event ev;
                r = sched_event_from_json(cp, &ev, err);
                json_decref(cp);
                if (r < 0)
                        return err_wrap(err, "snapshot: nodes[%zu]", i);
                r = sched_node_add(s, ev.node, err);
                sched_event_clear(&ev);
                if (r < 0)
                        return err_wrap(err, "snapshot: nodes[%zu]", i);
        }
        if ((r = sched_index_ensure(s)) < 0)
                return err_set(err, -r, "snapshot");
        json_array_foreach(json_object_get(snap, "jobs"), i, x)
                if ((r = load_job(s, x, i, err)) < 0)
                        return r;
        uint64_t v[8];
        static const char *const k[] = {"next_seq", "events", "passes", "decisions", "skipped", "preemptions",
                                        "placed_tasks"};
        for (i = 0; i < ARRAY_SIZE(k); i++)
                if ((r = u64_field(snap, k[i], &v[i], err)) < 0)
                        return r;
        s->next_seq = v[0];
        s->events = v[1];
        s->passes = v[2];
        s->decisions = v[3];
        s->skipped = v[4];
        s->preemptions = v[5];
        s->placed_tasks = v[6];
        s->dirty = json_is_true(json_object_get(snap, "dirty"));
        *ret = TAKE_PTR(s);
        return 0;
}
