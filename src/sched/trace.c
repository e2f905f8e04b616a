/* Workload traces: JSON lines (docs/sched.md). The parser works on a buffer;
 * reading the file is the caller's business. Every error names the line. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "sched-int.h"

#define TRACE_MAX_EVENTS 50000000
#define TRACE_MAX_LINE (SCHED_MAX_PAYLOAD + 16384)

typedef struct idset {
        idmap m;
        char **keys;
        uint32_t n, cap;
        bool *live;
} idset;

static const char *idset_key(const void *ctx, uint32_t i) { return ((const idset *)ctx)->keys[i]; }

/* 1: added; 0: present already. */
static int idset_add(idset *s, const char *id)
{
        uint32_t i;
        if (idmap_get(&s->m, id, idset_key, s, &i) == 0) {
                if (s->live[i])
                        return 0;
                s->live[i] = true;
                return 1;
        }
        if (s->n == s->cap) {
                uint32_t nc = s->cap ? s->cap * 2 : 256;
                char **nk = realloc(s->keys, nc * sizeof(*nk));
                if (!nk)
                        return -ENOMEM;
                s->keys = nk;
                bool *nl = realloc(s->live, nc * sizeof(*nl));
                if (!nl)
                        return -ENOMEM;
                s->live = nl;
                s->cap = nc;
        }
        if (!(s->keys[s->n] = strdup(id)))
                return -ENOMEM;
        s->live[s->n] = true;
        int r = idmap_put(&s->m, id, s->n, idset_key, s);
        if (r < 0)
                return r;
        s->n++;
        return 1;
}

static bool idset_has(const idset *s, const char *id, uint32_t *ret)
{
        uint32_t i;
        if (idmap_get(&s->m, id, idset_key, s, &i) < 0 || !s->live[i])
                return false;
        if (ret)
                *ret = i;
        return true;
}

static void idset_free(idset *s)
{
        for (uint32_t i = 0; i < s->n; i++)
                free(s->keys[i]);
        free(s->keys);
        free(s->live);
        idmap_free(&s->m);
}

void sched_trace_free(sched_trace *t)
{
        for (size_t i = 0; i < t->n; i++)
                sched_event_clear(&t->events[i]);
        free(t->events);
        *t = (sched_trace){0};
}

/* Checks that need the lines before: ids, time order. */
static int check_seq(idset *nodes, idset *jobs, const sched_event *ev, cella_error **err)
{
        int r;
        uint32_t i;
        switch (ev->kind) {
        case SCHED_EV_NODE_ADD:
                if ((r = idset_add(nodes, ev->node->id)) <= 0)
                        return r < 0 ? err_setx(err, -r, "out of memory")
                                     : err_setx(err, EEXIST, "node %s: duplicate id", ev->node->id);
                return 0;
        case SCHED_EV_NODE_UPDATE:
                if (!idset_has(nodes, ev->node->id, NULL))
                        return err_setx(err, ENOENT, "node_update %s: no such node", ev->node->id);
                return 0;
        case SCHED_EV_NODE_REMOVE:
                if (!idset_has(nodes, ev->id, &i))
                        return err_setx(err, ENOENT, "node_remove %s: no such node", ev->id);
                nodes->live[i] = false;
                return 0;
        case SCHED_EV_SUBMIT:
                if ((r = idset_add(jobs, ev->job->id)) <= 0)
                        return r < 0 ? err_setx(err, -r, "out of memory")
                                     : err_setx(err, EEXIST, "job %s: duplicate id", ev->job->id);
                return 0;
        case SCHED_EV_CANCEL:
        case SCHED_EV_START:
        case SCHED_EV_FINISH:
                if (!idset_has(jobs, ev->id, NULL))
                        return err_setx(err, ENOENT, "%s %s: no such job", sched_event_kind_name(ev->kind), ev->id);
                return 0;
        case SCHED_EV_SCHEDULE:
                return 0;
        }
        return 0;
}

int sched_trace_parse(const char *name, const char *buf, size_t len, sched_trace *ret, cella_error **err)
{
        sched_trace t = {0};
        idset nodes = {0}, jobs = {0};
        int r = 0;
        size_t line = 0;
        int64_t last_t = 0;
        const char *p = buf, *end = buf + len;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                line++;
                size_t ll = (size_t)(le - p);
                const char *q = p;
                p = nl ? nl + 1 : end;
                while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
                        q++;
                if (q == le || *q == '#')
                        continue;
                if (ll > TRACE_MAX_LINE) {
                        r = err_setx(err, E2BIG, "%s:%zu: line longer than %d bytes", name, line, TRACE_MAX_LINE);
                        goto out;
                }
                if (t.n >= TRACE_MAX_EVENTS) {
                        r = err_setx(err, E2BIG, "%s:%zu: more than %d events", name, line, TRACE_MAX_EVENTS);
                        goto out;
                }
                json_error_t je;
                json_t *o = json_loadb(q, (size_t)(le - q), JSON_REJECT_DUPLICATES, &je);
                if (!o) {
                        r = err_setx(err, EINVAL, "%s:%zu:%d: %s", name, line, je.column, je.text);
                        goto out;
                }
                sched_event ev;
                r = sched_event_from_json(o, &ev, err);
                json_decref(o);
                if (r < 0) {
                        err_wrap(err, "%s:%zu", name, line);
                        goto out;
                }
                if (ev.t_us < last_t) {
                        sched_event_clear(&ev);
                        r = err_setx(err, EINVAL, "%s:%zu: t goes backwards", name, line);
                        goto out;
                }
                last_t = ev.t_us;
                if ((r = check_seq(&nodes, &jobs, &ev, err)) < 0) {
                        sched_event_clear(&ev);
                        err_wrap(err, "%s:%zu", name, line);
                        goto out;
                }
                if (t.n == t.cap) {
                        size_t nc = t.cap ? t.cap * 2 : 1024;
                        sched_event *ne = realloc(t.events, nc * sizeof(*ne));
                        if (!ne) {
                                sched_event_clear(&ev);
                                r = err_setx(err, ENOMEM, "%s:%zu", name, line);
                                goto out;
                        }
                        t.events = ne;
                        t.cap = nc;
                }
                t.events[t.n++] = ev;
        }
        *ret = t;
        t = (sched_trace){0};
out:
        sched_trace_free(&t);
        idset_free(&nodes);
        idset_free(&jobs);
        return r;
}
