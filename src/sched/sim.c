/* The simulator: a trace in simulated time through the real scheduler.
 *
 * At each instant: finishes due now, then the trace's events of that instant
 * in a canonical order (kind, then id: the order they were written in does
 * not matter), then one scheduling pass; jobs placed are started at once and
 * finish after their duration. Every event goes to opts->record first. */
#include <stdlib.h>
#include <string.h>
#include "sched-int.h"

typedef struct fin {
        int64_t t;
        uint64_t seq;           /* job seq: ties in submission order */
        uint32_t epoch;         /* job's preemption count when it started */
        uint32_t job;
} fin;

typedef struct heap {
        fin *v;
        size_t n, cap;
} heap;

static bool fin_less(const fin *a, const fin *b)
{
        return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

static int heap_push(heap *h, fin f)
{
        if (h->n == h->cap) {
                size_t nc = h->cap ? h->cap * 2 : 1024;
                fin *nv = realloc(h->v, nc * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                h->v = nv;
                h->cap = nc;
        }
        size_t i = h->n++;
        h->v[i] = f;
        while (i && fin_less(&h->v[i], &h->v[(i - 1) / 2])) {
                fin t = h->v[i];
                h->v[i] = h->v[(i - 1) / 2];
                h->v[(i - 1) / 2] = t;
                i = (i - 1) / 2;
        }
        return 0;
}

static fin heap_pop(heap *h)
{
        fin top = h->v[0];
        h->v[0] = h->v[--h->n];
        for (size_t i = 0;;) {
                size_t l = 2 * i + 1, r = l + 1, m = i;
                if (l < h->n && fin_less(&h->v[l], &h->v[m]))
                        m = l;
                if (r < h->n && fin_less(&h->v[r], &h->v[m]))
                        m = r;
                if (m == i)
                        break;
                fin t = h->v[i];
                h->v[i] = h->v[m];
                h->v[m] = t;
                i = m;
        }
        return top;
}

typedef struct sim {
        sched_state *s;
        const sched_sim_opts *o;
        heap fins;
        int64_t now_us, last_ns;
        int64_t *lat;
        size_t nlat, caplat;
        uint32_t *placed;
        size_t nplaced, capplaced;
        int64_t *submit_t, *wait_us;    /* by job index */
        size_t capjobs;
        sched_sim_result *res;
        int err;
} sim;

static const char *event_id(const sched_event *e)
{
        return e->node ? e->node->id : e->job ? e->job->id : e->id;
}

static int canon_cmp(const void *a, const void *b)
{
        const sched_event *x = *(const sched_event *const *)a, *y = *(const sched_event *const *)b;
        static const int rank[] = {[SCHED_EV_NODE_ADD] = 0, [SCHED_EV_NODE_UPDATE] = 1, [SCHED_EV_NODE_REMOVE] = 2,
                                   [SCHED_EV_FINISH] = 3, [SCHED_EV_SUBMIT] = 4, [SCHED_EV_CANCEL] = 5,
                                   [SCHED_EV_START] = 6, [SCHED_EV_SCHEDULE] = 7};
        if (rank[x->kind] != rank[y->kind])
                return rank[x->kind] - rank[y->kind];
        return strcmp(event_id(x), event_id(y));
}

static void digest(uint64_t *h, const void *p, size_t n)
{
        const unsigned char *c = p;
        for (size_t i = 0; i < n; i++) {
                *h ^= c[i];
                *h *= 1099511628211ULL;
        }
}

static void digest_decision(sim *m, const char *id, sched_outcome o)
{
        uint64_t *h = &m->res->digest;
        uint32_t idx;
        digest(h, id, strlen(id) + 1);
        digest(h, &o, sizeof(o));
        if (o != SCHED_PLACED || sched_job_find(m->s, id, &idx) < 0)
                return;
        const sjob *j = &m->s->jobs[idx];
        for (uint32_t t = 0; t < j->spec.tasks; t++) {
                const char *nid = m->s->nodes[j->task[t].node].spec.id;
                digest(h, nid, strlen(nid) + 1);
                digest(h, &j->task[t].gpus, sizeof(j->task[t].gpus));
                digest(h, &j->task[t].core_lo, sizeof(j->task[t].core_lo));
        }
}

static int push_u32(uint32_t **v, size_t *n, size_t *cap, uint32_t x)
{
        if (*n == *cap) {
                size_t nc = *cap ? *cap * 2 : 1024;
                uint32_t *nv = realloc(*v, nc * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                *v = nv;
                *cap = nc;
        }
        (*v)[(*n)++] = x;
        return 0;
}

/* Bookkeeping here is kept out of the timings: the clock restarts on the way out. */
static void on_decision(void *ud, const char *id, sched_outcome o, const sched_job_spec *spec)
{
        sim *m = ud;
        if (m->err)
                return;
        if (o != SCHED_EVICTED && m->o->now_ns) {
                int64_t now = m->o->now_ns(m->o->clock_ud);
                if (m->nlat == m->caplat) {
                        size_t nc = m->caplat ? m->caplat * 2 : 4096;
                        int64_t *nl = realloc(m->lat, nc * sizeof(*nl));
                        if (!nl) {
                                m->err = -ENOMEM;
                                return;
                        }
                        m->lat = nl;
                        m->caplat = nc;
                }
                m->lat[m->nlat++] = now - m->last_ns;
                m->res->decide_ns += now - m->last_ns;
        }
        digest_decision(m, id, o);
        uint32_t idx;
        if (o == SCHED_EVICTED) {
                m->res->evictions++;
        } else if (o == SCHED_UNSCHEDULABLE) {
                m->res->decisions++;
                m->res->unschedulable++;
        } else {
                m->res->decisions++;
                m->res->placed++;
                if (sched_job_find(m->s, id, &idx) == 0 && push_u32(&m->placed, &m->nplaced, &m->capplaced, idx) < 0)
                        m->err = -ENOMEM;
        }
        (void)spec;
        if (o != SCHED_EVICTED && m->o->now_ns)
                m->last_ns = m->o->now_ns(m->o->clock_ud);
}

static int apply(sim *m, const sched_event *ev, cella_error **err)
{
        int r;
        if (m->o->record && (r = m->o->record(m->o->record_ud, m->s, ev, err)) < 0)
                return r;
        sched_observer obs = {on_decision, m};
        int64_t cpu0 = ev->kind == SCHED_EV_SCHEDULE && m->o->cpu_ns ? m->o->cpu_ns(m->o->clock_ud) : 0;
        if (ev->kind == SCHED_EV_SCHEDULE && m->o->now_ns)
                m->last_ns = m->o->now_ns(m->o->clock_ud);
        r = sched_apply(m->s, ev, &obs, err);
        if (ev->kind == SCHED_EV_SCHEDULE && m->o->cpu_ns)
                m->res->pass_cpu_ns += m->o->cpu_ns(m->o->clock_ud) - cpu0;
        if (r < 0)
                return r;
        if (m->err)
                return err_set(err, -m->err, "simulate");
        m->res->events++;
        return 0;
}

static int track_jobs(sim *m)
{
        if (m->s->njobs <= m->capjobs)
                return 0;
        size_t nc = m->capjobs ? m->capjobs : 1024;
        while (nc < m->s->njobs)
                nc *= 2;
        int64_t *a = realloc(m->submit_t, nc * sizeof(*a));
        if (!a)
                return -ENOMEM;
        m->submit_t = a;
        int64_t *b = realloc(m->wait_us, nc * sizeof(*b));
        if (!b)
                return -ENOMEM;
        m->wait_us = b;
        for (size_t i = m->capjobs; i < nc; i++)
                m->wait_us[i] = -1;
        m->capjobs = nc;
        return 0;
}

/* After a pass: start what was placed; schedule its finish. */
static int start_placed(sim *m, cella_error **err)
{
        int r;
        for (size_t i = 0; i < m->nplaced; i++) {
                uint32_t idx = m->placed[i];
                sjob *j = &m->s->jobs[idx];
                if (j->state != SCHED_SCHEDULED)
                        continue;
                if (m->wait_us[idx] < 0)
                        m->wait_us[idx] = m->now_us - m->submit_t[idx];
                sched_event ev = {.kind = SCHED_EV_START, .t_us = m->now_us};
                snprintf(ev.id, sizeof(ev.id), "%s", j->spec.id);
                int64_t dur = j->spec.duration_us;
                if ((r = apply(m, &ev, err)) < 0)
                        return r;
                j = &m->s->jobs[idx];
                if (dur >= 0 && (r = heap_push(&m->fins, (fin){m->now_us + dur, j->seq, j->preemptions, idx})) < 0)
                        return err_set(err, -r, "simulate");
        }
        m->nplaced = 0;
        return 0;
}

static int cmp_i64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return x < y ? -1 : x > y;
}

static void sample(sim *m, int64_t dt, double acc_u[SCHED_NRES], double acc_s[SCHED_NRES])
{
        sched_stats st;
        if (dt <= 0)
                return;
        sched_get_stats(m->s, &st);
        for (int r = 0; r < SCHED_NRES; r++)
                if (st.alloc[r] > 0) {
                        acc_u[r] += (double)st.used[r] / (double)st.alloc[r] * (double)dt;
                        acc_s[r] += (double)st.stranded[r] / (double)st.alloc[r] * (double)dt;
                }
}

static int str_cmp(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* --nodes N keeps the N smallest node ids: the id of the last one kept. */
static int keep_nodes(const sched_trace *t, size_t max, const char **ret_last)
{
        const char **ids = malloc((t->n + 1) * sizeof(*ids));
        if (!ids)
                return -ENOMEM;
        size_t n = 0;
        for (size_t i = 0; i < t->n; i++)
                if (t->events[i].kind == SCHED_EV_NODE_ADD)
                        ids[n++] = t->events[i].node->id;
        qsort(ids, n, sizeof(*ids), str_cmp);
        *ret_last = max && max < n ? ids[max - 1] : NULL;
        free(ids);
        return 0;
}

static bool dropped(const sched_event *ev, const char *last_node)
{
        if (!last_node)
                return false;
        if (ev->kind == SCHED_EV_NODE_ADD || ev->kind == SCHED_EV_NODE_UPDATE)
                return strcmp(ev->node->id, last_node) > 0;
        if (ev->kind == SCHED_EV_NODE_REMOVE)
                return strcmp(ev->id, last_node) > 0;
        return false;
}

static void summarise(sim *m, int64_t t_total, const double acc_u[SCHED_NRES], const double acc_s[SCHED_NRES])
{
        sched_sim_result *res = m->res;
        res->end_us = m->now_us;
        for (int r = 0; r < SCHED_NRES; r++) {
                res->util[r] = t_total > 0 ? acc_u[r] / (double)t_total : 0;
                res->stranded[r] = t_total > 0 ? acc_s[r] / (double)t_total : 0;
        }
        if (m->nlat && m->o->keep_latencies) {
                res->lat_ns = malloc(m->nlat * sizeof(*m->lat));
                if (res->lat_ns) {
                        memcpy(res->lat_ns, m->lat, m->nlat * sizeof(*m->lat));
                        res->nlat = m->nlat;
                }
        }
        if (m->nlat) {
                qsort(m->lat, m->nlat, sizeof(*m->lat), cmp_i64);
                res->p50_ns = m->lat[m->nlat / 2];
                res->p99_ns = m->lat[(m->nlat * 99) / 100];
                res->max_ns = m->lat[m->nlat - 1];
        }
        res->jobs = m->s->njobs;
        size_t nw = 0;
        double sum = 0;
        for (uint32_t i = 0; i < m->s->njobs; i++)
                if (m->wait_us[i] >= 0) {
                        m->wait_us[nw++] = m->wait_us[i];
                        sum += (double)m->wait_us[i];
                }
        res->jobs_placed = nw;
        res->jobs_never_placed = m->s->njobs - nw;
        if (nw) {
                qsort(m->wait_us, nw, sizeof(*m->wait_us), cmp_i64);
                res->wait_mean_s = sum / (double)nw / 1e6;
                res->wait_p50_s = (double)m->wait_us[nw / 2] / 1e6;
                res->wait_p99_s = (double)m->wait_us[(nw * 99) / 100] / 1e6;
                res->wait_max_s = (double)m->wait_us[nw - 1] / 1e6;
        }
        res->passes = m->s->passes;
        res->skipped = m->s->skipped;
}

int sched_simulate(const sched_trace *t, const sched_sim_opts *o, sched_state **ret_state, sched_sim_result *ret,
                   cella_error **err)
{
        sched_sim_result res = {.digest = 1469598103934665603ULL};
        sim m = {.o = o, .res = &res};
        const sched_event **group = NULL;
        const char *last_node = NULL;
        double acc_u[SCHED_NRES] = {0}, acc_s[SCHED_NRES] = {0};
        int r = sched_state_new(&o->cfg, &m.s, err);
        if (r < 0)
                return r;
        if ((r = keep_nodes(t, o->max_nodes, &last_node)) < 0 ||
            !(group = malloc((t->n + 1) * sizeof(*group)))) {
                r = err_setx(err, ENOMEM, "simulate");
                goto out;
        }
        int64_t t_end = t->n ? t->events[t->n - 1].t_us : 0;
        int64_t period = t_end / 1000 > 1000000 ? t_end / 1000 : 1000000, last_sample = 0;
        size_t ti = 0;
        while (ti < t->n || m.fins.n) {
                int64_t next = INT64_MAX;
                if (ti < t->n)
                        next = t->events[ti].t_us;
                if (m.fins.n && m.fins.v[0].t < next)
                        next = m.fins.v[0].t;
                if (next - last_sample >= period && last_sample < t_end) {
                        sample(&m, next - last_sample, acc_u, acc_s);
                        last_sample = next;
                }
                m.now_us = next;
                while (m.fins.n && m.fins.v[0].t == next) {
                        fin f = heap_pop(&m.fins);
                        const sjob *j = &m.s->jobs[f.job];
                        if ((j->state != SCHED_RUNNING && j->state != SCHED_SCHEDULED) || j->preemptions != f.epoch)
                                continue;   /* evicted since: that run never finishes */
                        sched_event ev = {.kind = SCHED_EV_FINISH, .t_us = next, .ok = true};
                        snprintf(ev.id, sizeof(ev.id), "%s", j->spec.id);
                        if ((r = apply(&m, &ev, err)) < 0)
                                goto out;
                }
                size_t ng = 0;
                for (; ti < t->n && t->events[ti].t_us == next; ti++)
                        if (!dropped(&t->events[ti], last_node))
                                group[ng++] = &t->events[ti];
                qsort(group, ng, sizeof(*group), canon_cmp);
                for (size_t g = 0; g < ng; g++) {
                        uint32_t idx;
                        /* A trace cannot know whether its job finished first: cancelling a
                         * finished job is nothing to do, not an error. */
                        if (group[g]->kind == SCHED_EV_CANCEL && sched_job_find(m.s, group[g]->id, &idx) == 0 &&
                            (m.s->jobs[idx].state == SCHED_SUCCEEDED || m.s->jobs[idx].state == SCHED_FAILED ||
                             m.s->jobs[idx].state == SCHED_CANCELLED))
                                continue;
                        if ((r = apply(&m, group[g], err)) < 0)
                                goto out;
                        if (group[g]->kind == SCHED_EV_SUBMIT) {
                                if ((r = track_jobs(&m)) < 0) {
                                        r = err_setx(err, ENOMEM, "simulate");
                                        goto out;
                                }
                                m.submit_t[m.s->njobs - 1] = next;
                        }
                }
                if (m.s->dirty) {
                        sched_event ev = {.kind = SCHED_EV_SCHEDULE, .t_us = next};
                        if ((r = apply(&m, &ev, err)) < 0 || (r = start_placed(&m, err)) < 0)
                                goto out;
                }
        }
        summarise(&m, last_sample, acc_u, acc_s);
        if ((r = sched_state_hash(m.s, res.hash)) < 0) {
                r = err_set(err, -r, "hash");
                goto out;
        }
        *ret = res;
        if (ret_state) {
                *ret_state = m.s;
                m.s = NULL;
        }
        r = 0;
out:
        free(group);
        free(m.fins.v);
        free(m.lat);
        free(m.placed);
        free(m.submit_t);
        free(m.wait_us);
        sched_state_free(m.s);
        return r;
}
