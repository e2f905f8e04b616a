/* Borg's compaction metric: the fewest nodes on which the trace's peak fits.
 *
 * The peak is the instant where the jobs alive (submitted, and not yet past
 * their duration or cancelled: the demand as written, before any queueing)
 * load the cluster most, measured as the largest share of any resource. Those
 * jobs are submitted at once, in trace order, to the first N nodes (by id) and
 * scheduled in one pass without preemption; N is searched by bisection. */
#include <stdlib.h>
#include <string.h>
#include "sched-int.h"

typedef struct span {
        int64_t from, to;       /* alive in [from, to) */
        const sched_job_spec *job;
} span;

typedef struct edge {
        int64_t t;
        int sign;
        const sched_job_spec *job;
} edge;

static int edge_cmp(const void *a, const void *b)
{
        const edge *x = a, *y = b;
        if (x->t != y->t)
                return x->t < y->t ? -1 : 1;
        return x->sign - y->sign;   /* ends before starts at the same instant */
}

static int node_cmp(const void *a, const void *b)
{
        return strcmp((*(const sched_node_spec *const *)a)->id, (*(const sched_node_spec *const *)b)->id);
}

static int fits_on(const sched_config *cfg, const sched_node_spec *const *nodes, size_t n, const span *jobs,
                   size_t nj, int64_t peak, bool *ret, cella_error **err)
{
        _cleanup_sched_state_ sched_state *s = NULL;
        sched_config c = *cfg;
        c.preemption = false;
        c.starve_passes = UINT32_MAX;
        int r = sched_state_new(&c, &s, err);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sched_node_add(s, nodes[i], err);
        for (size_t i = 0; r >= 0 && i < nj; i++)
                if (jobs[i].from <= peak && jobs[i].to > peak)
                        r = sched_job_submit(s, jobs[i].job, err);
        if (r >= 0)
                r = sched_pass(s, NULL, err);
        if (r < 0)
                return r;
        *ret = s->npending == 0;
        return 0;
}

int sched_compact(const sched_trace *t, const sched_config *cfg, sched_compact_result *ret, cella_error **err)
{
        sched_compact_result res = {0};
        const sched_node_spec **nodes = calloc(2 * t->n + 1, sizeof(*nodes));
        sched_node_spec *clones = NULL;
        span *jobs = calloc(t->n + 1, sizeof(*jobs));
        edge *edges = calloc(2 * t->n + 1, sizeof(*edges));
        size_t nn = 0, nj = 0, ne = 0;
        int r = 0;
        if (!nodes || !jobs || !edges) {
                r = err_setx(err, ENOMEM, "compact");
                goto out;
        }
        for (size_t i = 0; i < t->n; i++) {
                const sched_event *ev = &t->events[i];
                if (ev->kind == SCHED_EV_NODE_ADD)
                        nodes[nn++] = ev->node;
                else if (ev->kind == SCHED_EV_SUBMIT)
                        jobs[nj++] = (span){ev->t_us, ev->job->duration_us < 0 ? INT64_MAX
                                                                                : ev->t_us + ev->job->duration_us,
                                            ev->job};
                else if (ev->kind == SCHED_EV_CANCEL)
                        for (size_t k = 0; k < nj; k++)
                                if (streq(jobs[k].job->id, ev->id) && jobs[k].to > ev->t_us)
                                        jobs[k].to = ev->t_us;
        }
        qsort(nodes, nn, sizeof(*nodes), node_cmp);
        int64_t total[SCHED_NRES] = {0};
        for (size_t i = 0; i < nn; i++) {
                for (int k = 0; k <= SCHED_PIDS; k++)
                        total[k] += nodes[i]->allocatable[k];
                total[SCHED_GPU] += nodes[i]->ngpus;
        }
        /* Sweep the demand over time; the peak is the largest share of any resource. */
        for (size_t i = 0; i < nj; i++) {
                edges[ne++] = (edge){jobs[i].from, +1, jobs[i].job};
                if (jobs[i].to != INT64_MAX)
                        edges[ne++] = (edge){jobs[i].to, -1, jobs[i].job};
        }
        qsort(edges, ne, sizeof(*edges), edge_cmp);
        int64_t cur[SCHED_NRES] = {0};
        double best = -1;
        for (size_t i = 0; i < ne; i++) {
                const sched_job_spec *j = edges[i].job;
                int64_t k = edges[i].sign * (int64_t)j->tasks;
                cur[SCHED_CPU] += k * j->cpu;
                cur[SCHED_MEM] += k * j->memory;
                cur[SCHED_PIDS] += k * j->pids;
                cur[SCHED_GPU] += k * (int64_t)j->gpus;
                if (i + 1 < ne && edges[i + 1].t == edges[i].t)
                        continue;
                double load = 0;
                for (int q = 0; q < SCHED_NRES; q++)
                        if (q != SCHED_PIDS && total[q] > 0 && (double)cur[q] / (double)total[q] > load)
                                load = (double)cur[q] / (double)total[q];
                if (load > best) {
                        best = load;
                        res.peak_us = edges[i].t;
                        memcpy(res.demand, cur, sizeof(cur));
                }
        }
        for (size_t i = 0; i < nj; i++)
                res.peak_jobs += jobs[i].from <= res.peak_us && jobs[i].to > res.peak_us;
        /* Lower bound: the shortest prefix whose allocatable covers the demand of every resource
         * (for identical nodes: max over resources of ceil(demand / node allocatable)). */
        int64_t sum[SCHED_NRES] = {0};
        size_t lb = 0;
        for (; nn && lb < 2 * nn; lb++) {   /* past the trace's nodes: their copies, as below */
                bool covered = true;
                for (int q = 0; q < SCHED_NRES; q++)
                        covered &= sum[q] >= res.demand[q];
                if (covered)
                        break;
                for (int k = 0; k <= SCHED_PIDS; k++)
                        sum[k] += nodes[lb % nn]->allocatable[k];
                sum[SCHED_GPU] += nodes[lb % nn]->ngpus;
        }
        res.lower_bound = lb ? lb : (res.peak_jobs ? 1 : 0);
        res.nodes_available = nn;
        bool ok = false;
        if ((r = fits_on(cfg, nodes, nn, jobs, nj, res.peak_us, &ok, err)) < 0)
                goto out;
        size_t lo = res.lower_bound < nn ? res.lower_bound : nn, hi = nn;   /* hi fits */
        if (!ok) {
                /* The trace's nodes are too few for this policy: add copies of them
                 * (ids "~<k>-<id>", after every real id) up to twice as many. */
                if (!(clones = calloc(nn, sizeof(*clones)))) {
                        r = err_setx(err, ENOMEM, "compact");
                        goto out;
                }
                for (size_t i = 0; i < nn; i++) {
                        clones[i] = *nodes[i];
                        snprintf(clones[i].id, sizeof(clones[i].id), "~%06u-%.40s", (unsigned)(i % 1000000), nodes[i]->id);
                        nodes[nn + i] = &clones[i];
                }
                if ((r = fits_on(cfg, nodes, 2 * nn, jobs, nj, res.peak_us, &ok, err)) < 0)
                        goto out;
                if (!ok) {
                        res.nodes_needed = 2 * nn;
                        goto done;
                }
                lo = res.lower_bound > nn + 1 ? res.lower_bound : nn + 1;
                hi = 2 * nn;
        }
        res.fits = true;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if ((r = fits_on(cfg, nodes, mid, jobs, nj, res.peak_us, &ok, err)) < 0)
                        goto out;
                if (ok)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        res.nodes_needed = hi;
done:
        *ret = res;
out:
        free(clones);
        free(nodes);
        free(jobs);
        free(edges);
        return r;
}
