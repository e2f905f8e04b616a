/* The placement index: a segment tree over the live nodes in node-id order.
 *
 * Each tree node aggregates its leaves: the most free of every resource (to
 * prune infeasible subtrees), the least and most free fraction and the least
 * and most allocatable of the scored resources (to bound the best score a
 * subtree can hold), and an OR of label/model bits. A search is a depth-first
 * branch and bound: subtrees that cannot fit the task, or cannot beat the
 * best (score, position) found, are skipped. Leaves are in id order, so ties
 * go to the smallest node id whatever order nodes were added in. */
#include <stdlib.h>
#include <string.h>
#include "sched-int.h"

static const int scored[3] = {SCHED_CPU, SCHED_MEM, SCHED_GPU};

static int32_t frac(int64_t free, int64_t cap)
{
        if (cap <= 0 || free <= 0)
                return 0;
        if (free >= cap)
                return PPM;
        return (int32_t)((double)free / (double)cap * (double)PPM);
}

static void agg_empty(agg *a)
{
        for (int r = 0; r < SCHED_NRES; r++)
                a->maxfree[r] = INT64_MIN;
        for (int d = 0; d < 3; d++) {
                a->mincap[d] = INT64_MAX;
                a->maxcap[d] = 0;
                a->minfrac[d] = INT32_MAX;
                a->maxfrac[d] = -1;
        }
        a->maxgpumem = 0;
        a->feat = 0;
        for (int k = 0; k < 4; k++)
                a->gcpu[k] = a->gmem[k] = INT64_MIN;
}

static const int64_t gthr[4] = {1, 2, 4, 8};

static int gclass(int64_t g)
{
        return g >= 8 ? 3 : g >= 4 ? 2 : g >= 2 ? 1 : 0;
}

static void agg_leaf(const snode *n, agg *a)
{
        agg_empty(a);
        if (!n->alive || n->masked)
                return;
        memcpy(a->maxfree, n->free, sizeof(a->maxfree));
        for (int d = 0; d < 3; d++) {
                int64_t cap = n->alloc[scored[d]];
                if (cap > 0) {
                        a->mincap[d] = cap;
                        a->maxcap[d] = cap;
                }
                a->minfrac[d] = a->maxfrac[d] = frac(n->free[scored[d]], cap);
        }
        for (unsigned i = 0; i < n->spec.ngpus; i++)
                if ((n->gpu_free & (1u << i)) && n->spec.gpus[i].memory > a->maxgpumem)
                        a->maxgpumem = n->spec.gpus[i].memory;
        a->feat = n->feat;
        for (int k = 0; k < 4; k++)
                if (n->free[SCHED_GPU] >= gthr[k]) {
                        a->gcpu[k] = n->free[SCHED_CPU];
                        a->gmem[k] = n->free[SCHED_MEM];
                }
}

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

static void agg_merge(agg *o, const agg *l, const agg *r)
{
        for (int k = 0; k < SCHED_NRES; k++)
                o->maxfree[k] = MAX(l->maxfree[k], r->maxfree[k]);
        for (int d = 0; d < 3; d++) {
                o->mincap[d] = MIN(l->mincap[d], r->mincap[d]);
                o->maxcap[d] = MAX(l->maxcap[d], r->maxcap[d]);
                o->minfrac[d] = MIN(l->minfrac[d], r->minfrac[d]);
                o->maxfrac[d] = MAX(l->maxfrac[d], r->maxfrac[d]);
        }
        o->maxgpumem = MAX(l->maxgpumem, r->maxgpumem);
        o->feat = l->feat | r->feat;
        for (int k = 0; k < 4; k++) {
                o->gcpu[k] = MAX(l->gcpu[k], r->gcpu[k]);
                o->gmem[k] = MAX(l->gmem[k], r->gmem[k]);
        }
}

static int by_id(const void *a, const void *b, void *ctx)
{
        const sched_state *s = ctx;
        return strcmp(s->nodes[*(const uint32_t *)a].spec.id, s->nodes[*(const uint32_t *)b].spec.id);
}

int sched_index_ensure(sched_state *s)
{
        sindex *ix = &s->ix;
        if (!ix->dirty)
                return 0;
        uint32_t n = 0, size = 1;
        uint32_t *slots = malloc(((size_t)s->nalive + 1) * sizeof(*slots));
        if (!slots)
                return -ENOMEM;
        for (uint32_t i = 0; i < s->nslots; i++)
                if (s->nodes[i].alive)
                        slots[n++] = i;
        qsort_r(slots, n, sizeof(*slots), by_id, s);
        while (size < n)
                size *= 2;
        agg *t = malloc(2 * (size_t)size * sizeof(*t));
        if (!t) {
                free(slots);
                return -ENOMEM;
        }
        for (uint32_t p = 0; p < size; p++) {
                if (p < n) {
                        s->nodes[slots[p]].pos = p;
                        agg_leaf(&s->nodes[slots[p]], &t[size + p]);
                } else {
                        agg_empty(&t[size + p]);
                }
        }
        for (uint32_t i = size - 1; i >= 1; i--)
                agg_merge(&t[i], &t[2 * i], &t[2 * i + 1]);
        free(ix->t);
        free(ix->slot_at);
        ix->t = t;
        ix->slot_at = slots;
        ix->size = size;
        ix->n = n;
        ix->dirty = false;
        return 0;
}

void sched_index_update(sched_state *s, uint32_t slot)
{
        sindex *ix = &s->ix;
        if (ix->dirty || !ix->t)
                return;
        uint32_t i = ix->size + s->nodes[slot].pos;
        agg_leaf(&s->nodes[slot], &ix->t[i]);
        for (i /= 2; i >= 1; i /= 2)
                agg_merge(&ix->t[i], &ix->t[2 * i], &ix->t[2 * i + 1]);
}

void sched_index_free(sindex *ix)
{
        free(ix->t);
        free(ix->slot_at);
        *ix = (sindex){0};
}

typedef struct search {
        sched_state *s;
        const sjob *j;
        const sched_config *c;
        int64_t req[SCHED_NRES];
        int64_t w[3];
        int64_t best;
        uint32_t best_pos, best_gpus, leaves, visits;
        int gk;                      /* GPU class of the request, -1 none */
        int64_t bcap[3], brf[3];     /* last allocatable seen per resource and its request share */
        bool found;
} search;

static bool agg_fits(const agg *a, const search *q)
{
        for (int r = 0; r < SCHED_NRES; r++)
                if (a->maxfree[r] < q->req[r])
                        return false;
        if ((a->feat & q->j->need_feat) != q->j->need_feat)
                return false;
        if (q->gk < 0)
                return true;
        return a->gcpu[q->gk] >= q->req[SCHED_CPU] && a->gmem[q->gk] >= q->req[SCHED_MEM] &&
               a->maxgpumem >= q->j->spec.gpu_memory;
}

/* A lower bound of the cost of any leaf of the subtree (see docs/sched.md). */
static int64_t bound(const agg *a, search *q)
{
        int64_t b = 0;
        switch (q->c->policy) {
        case SCHED_FIRSTFIT:
                return 0;
        case SCHED_BINPACK:
                for (int d = 0; d < 3; d++) {
                        int64_t req = q->req[scored[d]], rf = 0;
                        if (req > 0 && a->mincap[d] != INT64_MAX) {
                                if (a->mincap[d] != q->bcap[d]) {
                                        double x = (double)req / (double)a->mincap[d] * (double)PPM;
                                        q->bcap[d] = a->mincap[d];
                                        q->brf[d] = (int64_t)x + 1;
                                }
                                rf = q->brf[d];
                        }
                        b += q->w[d] * MAX(0, (int64_t)a->minfrac[d] - rf);
                }
                return b;
        case SCHED_SPREAD:
                for (int d = 0; d < 3; d++) {
                        int64_t req = q->req[scored[d]], rf = 0;
                        if (d == 2 && req == 0)
                                continue;
                        if (req > 0 && a->maxcap[d] > 0)
                                rf = (int64_t)((double)req / (double)a->maxcap[d] * (double)PPM);
                        b += q->w[d] * MAX(0, PPM - (int64_t)a->maxfrac[d] - 1 + rf);
                }
                return b;
        }
        return 0;
}

static int64_t leaf_cost(const snode *n, const search *q, int64_t pen)
{
        if (q->c->policy == SCHED_FIRSTFIT)
                return 0;
        int64_t cost = pen, lmax = INT64_MIN, lmin = INT64_MAX;
        for (int d = 0; d < 3; d++) {
                int r = scored[d];
                if (n->alloc[r] <= 0)
                        continue;
                int64_t left = frac(n->free[r] - q->req[r], n->alloc[r]);
                if (q->c->policy == SCHED_BINPACK)
                        cost += q->w[d] * left;
                else
                        cost += q->w[d] * (PPM - left);
                if (r != SCHED_GPU) {   /* GPUs are packed by their own term and the NVLink choice */
                        lmax = MAX(lmax, left);
                        lmin = MIN(lmin, left);
                }
        }
        /* Borg-style stranding penalty: the CPU and memory left should stay balanced. */
        if (q->c->policy == SCHED_BINPACK && lmax > lmin)
                cost += q->c->w_strand * (lmax - lmin);
        return cost;
}

/* Precondition: the subtree i may fit the task and b is its bound. */
static void dfs(search *q, uint32_t i, uint32_t lo, uint32_t span, int64_t b)
{
        const sindex *ix = &q->s->ix;
        if (q->found) {
                /* Settle for the best so far once the budget of visits after the first fit is spent. */
                if (++q->visits > q->c->search_budget)
                        return;
                if (b > q->best || (b == q->best && lo > q->best_pos))
                        return;
        }
        if (span == 1) {
                const snode *n = &q->s->nodes[ix->slot_at[lo]];
                uint32_t gpus;
                int64_t pen;
                q->leaves++;
                if (!sched_task_fits(n, q->j, &gpus, &pen, q->c))
                        return;
                int64_t cost = leaf_cost(n, q, pen);
                if (!q->found || cost < q->best || (cost == q->best && lo < q->best_pos)) {
                        q->found = true;
                        q->best = cost;
                        q->best_pos = lo;
                        q->best_gpus = gpus;
                }
                return;
        }
        uint32_t half = span / 2, l = 2 * i, r = 2 * i + 1;
        bool fl = agg_fits(&ix->t[l], q), fr = agg_fits(&ix->t[r], q);
        int64_t bl = fl ? bound(&ix->t[l], q) : 0, br = fr ? bound(&ix->t[r], q) : 0;
        /* The more promising child first; on equal bounds the left one (smaller ids). */
        if (fr && (!fl || br < bl)) {
                dfs(q, r, lo + half, half, br);
                if (fl)
                        dfs(q, l, lo, half, bl);
        } else {
                if (fl)
                        dfs(q, l, lo, half, bl);
                if (fr)
                        dfs(q, r, lo + half, half, br);
        }
}

int sched_index_search(sched_state *s, uint32_t job, uint32_t *ret_slot, uint32_t *ret_gpus)
{
        int r = sched_index_ensure(s);
        if (r < 0)
                return r;
        if (!s->ix.n)
                return -ENOSPC;
        const sjob *j = &s->jobs[job];
        search q = {
                .s = s, .j = j, .c = &s->cfg,
                .req = {j->spec.cpu, j->spec.memory, j->spec.pids, j->spec.gpus},
                .w = {s->cfg.w_cpu, s->cfg.w_mem, s->cfg.w_gpu},
                .gk = j->spec.gpus ? gclass(j->spec.gpus) : -1,
                .bcap = {-1, -1, -1},
        };
        if (agg_fits(&s->ix.t[1], &q))
                dfs(&q, 1, 0, s->ix.size, bound(&s->ix.t[1], &q));
        if (!q.found)
                return -ENOSPC;
        *ret_slot = s->ix.slot_at[q.best_pos];
        *ret_gpus = q.best_gpus;
        return 0;
}
