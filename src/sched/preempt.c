/* Preemption: a job that fits nowhere evicts the fewest, lowest-priority jobs
 * that make room, on the node where that costs least.
 *
 * For each node (in id order) that could hold the task once lower-priority
 * work is gone, victims are taken greedily (lowest priority first, then the
 * largest, then by id) until the task fits, and then any victim that turns
 * out not to be needed is put back (highest priority first). Nodes are
 * ranked by (highest victim priority, number of victims, sum of victim
 * priorities, node id): a higher-priority victim is worse than several
 * lower-priority ones. Only the PREEMPT_CANDIDATES nodes that rank best by
 * resource arithmetic are tried exactly, which bounds the cost at 10,000
 * nodes. */
#include <stdlib.h>
#include <string.h>
#include "sched-int.h"

static int journal_push(journal *jr, const sched_state *s, uint32_t job)
{
        const sjob *j = &s->jobs[job];
        if (jr->n == jr->cap) {
                size_t ncap = jr->cap ? jr->cap * 2 : 8;
                saved_job *nv = realloc(jr->v, ncap * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                jr->v = nv;
                jr->cap = ncap;
        }
        stask *copy = malloc(j->spec.tasks * sizeof(*copy));
        if (!copy)
                return -ENOMEM;
        memcpy(copy, j->task, j->spec.tasks * sizeof(*copy));
        jr->v[jr->n++] = (saved_job){job, j->state, j->waited, copy};
        return 0;
}

static void restore(sched_state *s, const saved_job *sv)
{
        sjob *j = &s->jobs[sv->job];
        for (uint32_t t = 0; t < j->spec.tasks; t++)
                if (sv->task[t].node != UINT32_MAX)
                        sched_task_bind_at(s, sv->job, t, sv->task[t].node, sv->task[t].gpus,
                                           sv->task[t].core_n ? sv->task[t].core_lo : -1);
        j->state = sv->state;
        j->waited = sv->waited;
}

/* Release a placed job's resources; with jr, remember where it was. */
static int unplace(sched_state *s, uint32_t job, journal *jr)
{
        if (jr) {
                int r = journal_push(jr, s, job);
                if (r < 0)
                        return r;
        }
        sched_job_release(s, job);
        return 0;
}

int sched_evict_job(sched_state *s, uint32_t job, journal *jr)
{
        int r = unplace(s, job, jr);
        if (r < 0)
                return r;
        sjob *j = &s->jobs[job];
        j->state = SCHED_PENDING;   /* PREEMPTED, then straight back to the queue */
        j->waited = 0;
        return sched_queue_insert(s, job);
}

void sched_evict(sched_state *s, uint32_t job)
{
        sjob *j = &s->jobs[job];
        if (j->state != SCHED_SCHEDULED && j->state != SCHED_RUNNING)
                return;
        j->preemptions++;
        s->preemptions++;
        (void)sched_evict_job(s, job, NULL);
}

void sched_journal_undo(sched_state *s, journal *jr)
{
        while (jr->n) {
                saved_job *sv = &jr->v[--jr->n];
                sched_queue_remove(s, sv->job);
                restore(s, sv);
                free(sv->task);
        }
}

void sched_journal_commit(sched_state *s, journal *jr, const sched_observer *obs)
{
        for (size_t i = 0; i < jr->n; i++) {
                sjob *j = &s->jobs[jr->v[i].job];
                j->preemptions++;
                s->preemptions++;
                if (obs && obs->decision)
                        obs->decision(obs->ud, j->spec.id, SCHED_EVICTED, &j->spec);
                free(jr->v[i].task);
        }
        jr->n = 0;
}

typedef struct victim {
        uint32_t job;
        int32_t prio;
        int64_t size;
} victim;

static int victim_cmp(const void *a, const void *b, void *ctx)
{
        const victim *x = a, *y = b;
        const sched_state *s = ctx;
        if (x->prio != y->prio)
                return x->prio < y->prio ? -1 : 1;
        if (x->size != y->size)
                return x->size > y->size ? -1 : 1;
        return strcmp(s->jobs[x->job].spec.id, s->jobs[y->job].spec.id);
}

typedef struct rank {
        int32_t maxprio;
        uint32_t count;
        int64_t sum;
} rank;

static bool rank_less(const rank *a, const rank *b)
{
        if (a->maxprio != b->maxprio)
                return a->maxprio < b->maxprio;
        if (a->count != b->count)
                return a->count < b->count;
        return a->sum < b->sum;
}

/* Could the task fit here if every lower-priority job left? */
static bool could_fit(const sched_state *s, const snode *n, const sjob *j)
{
        if (!n->alive || n->masked || (n->feat & j->need_feat) != j->need_feat)
                return false;
        const sched_job_spec *sp = &j->spec;
        if (n->alloc[SCHED_CPU] < sp->cpu || n->alloc[SCHED_MEM] < sp->memory || n->alloc[SCHED_PIDS] < sp->pids ||
            (unsigned)__builtin_popcount(sched_gpu_match(n, j)) < sp->gpus)
                return false;
        int64_t f[SCHED_NRES];
        memcpy(f, n->free, sizeof(f));
        for (uint32_t i = 0; i < n->ntasks; i++) {
                const sjob *v = &s->jobs[n->tasks[i].job];
                if (v->spec.priority >= sp->priority)
                        continue;
                f[SCHED_CPU] += v->spec.cpu;
                f[SCHED_MEM] += v->spec.memory;
                f[SCHED_PIDS] += v->spec.pids;
                f[SCHED_GPU] += v->spec.gpus;
        }
        return f[SCHED_CPU] >= sp->cpu && f[SCHED_MEM] >= sp->memory && f[SCHED_PIDS] >= sp->pids &&
               f[SCHED_GPU] >= (int64_t)sp->gpus;
}

/* Try one node: the victims needed, in v[0..*ret_n). Leaves the state as it found it. */
static int try_node(sched_state *s, uint32_t slot, uint32_t job, victim *v, size_t nv, size_t *ret_n, rank *ret)
{
        const sjob *j = &s->jobs[job];
        journal jr = {0};
        uint32_t gpus;
        int64_t pen;
        size_t k = 0;
        int r = 0;
        bool fits = false;
        while (k < nv && !fits) {
                if ((r = unplace(s, v[k].job, &jr)) < 0)
                        goto out;
                k++;
                fits = sched_task_fits(&s->nodes[slot], j, &gpus, &pen, &s->cfg);
        }
        if (!fits)
                goto out;
        /* Put back victims that are not needed, highest priority first. */
        bool *need = calloc(k, sizeof(*need));
        if (!need) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < k; i++)
                need[i] = true;
        for (size_t i = k; i-- > 0;) {
                restore(s, &jr.v[i]);
                if (sched_task_fits(&s->nodes[slot], j, &gpus, &pen, &s->cfg)) {
                        need[i] = false;
                } else {
                        sched_job_release(s, v[i].job);
                }
        }
        size_t m = 0;
        rank rk = {-1, 0, 0};
        for (size_t i = 0; i < k; i++) {
                if (!need[i])
                        continue;
                v[m++] = v[i];
                rk.maxprio = v[i].prio > rk.maxprio ? v[i].prio : rk.maxprio;
                rk.count++;
                rk.sum += v[i].prio;
        }
        free(need);
        *ret_n = m;
        *ret = rk;
        r = 1;
out:
        /* Restore everything still evicted, in reverse. */
        for (size_t i = jr.n; i-- > 0;) {
                if (s->jobs[jr.v[i].job].nplaced == 0)
                        restore(s, &jr.v[i]);
                free(jr.v[i].task);
        }
        free(jr.v);
        return r;
}

/* Distinct lower-priority jobs on the node, in victim order; v has room for ntasks. */
static size_t collect(const sched_state *s, const snode *n, const sjob *j, victim *v)
{
        size_t nv = 0;
        for (uint32_t i = 0; i < n->ntasks; i++) {
                const sjob *o = &s->jobs[n->tasks[i].job];
                bool dup = false;
                if (o->spec.priority >= j->spec.priority)
                        continue;
                for (size_t q = 0; q < nv && !dup; q++)
                        dup = v[q].job == n->tasks[i].job;
                if (!dup)
                        v[nv++] = (victim){n->tasks[i].job, o->spec.priority,
                                           o->spec.cpu / 1000 + o->spec.memory / (1 << 30) + (int64_t)o->spec.gpus * 64};
        }
        if (nv > 1)
                qsort_r(v, nv, sizeof(*v), victim_cmp, (void *)s);
        return nv;
}

/* The rank the greedy choice would get by resource arithmetic alone (counts,
 * not which GPUs or cores): cheap, used to pick the nodes worth trying exactly. */
static bool estimate(const sched_state *s, const snode *n, const sjob *j, const victim *v, size_t nv, rank *ret)
{
        const sched_job_spec *sp = &j->spec;
        int64_t f[SCHED_NRES];
        memcpy(f, n->free, sizeof(f));
        rank rk = {-1, 0, 0};
        for (size_t i = 0; i < nv; i++) {
                if (f[SCHED_CPU] >= sp->cpu && f[SCHED_MEM] >= sp->memory && f[SCHED_PIDS] >= sp->pids &&
                    f[SCHED_GPU] >= (int64_t)sp->gpus)
                        break;
                const sjob *o = &s->jobs[v[i].job];
                for (uint32_t t = 0; t < o->spec.tasks; t++)
                        if (o->task[t].node == (uint32_t)(n - s->nodes)) {
                                f[SCHED_CPU] += o->spec.cpu;
                                f[SCHED_MEM] += o->spec.memory;
                                f[SCHED_PIDS] += o->spec.pids;
                                f[SCHED_GPU] += o->spec.gpus;
                        }
                rk.maxprio = v[i].prio > rk.maxprio ? v[i].prio : rk.maxprio;
                rk.count++;
                rk.sum += v[i].prio;
        }
        *ret = rk;
        return f[SCHED_CPU] >= sp->cpu && f[SCHED_MEM] >= sp->memory && f[SCHED_PIDS] >= sp->pids &&
               f[SCHED_GPU] >= (int64_t)sp->gpus;
}

#define PREEMPT_CANDIDATES 8

typedef struct cand {
        rank est;
        uint32_t pos;
} cand;

static bool cand_less(const cand *a, const cand *b)
{
        if (rank_less(&a->est, &b->est))
                return true;
        if (rank_less(&b->est, &a->est))
                return false;
        return a->pos < b->pos;
}

/* Rank every node that could hold the task by the estimate; try the best few
 * exactly (evicting, checking the real fit with GPUs and cores, putting back)
 * and take the best exact result, ties to the smaller node id. */
int sched_preempt_for(sched_state *s, uint32_t job, journal *jr, uint32_t *ret_slot, uint32_t *ret_gpus)
{
        const sjob *j = &s->jobs[job];
        int r = sched_index_ensure(s);
        if (r < 0)
                return r;
        victim *v = NULL, *bestv = NULL;
        size_t capv = 0, nbest = 0, ncand = 0;
        uint32_t best_slot = UINT32_MAX;
        rank best = {0};
        cand c[PREEMPT_CANDIDATES];
        for (uint32_t p = 0; p < s->ix.n; p++) {
                const snode *n = &s->nodes[s->ix.slot_at[p]];
                if (!n->ntasks || !could_fit(s, n, j))
                        continue;
                if (capv < n->ntasks) {
                        victim *nv = realloc(v, n->ntasks * sizeof(*nv));
                        if (!nv) {
                                r = -ENOMEM;
                                goto out;
                        }
                        v = nv;
                        capv = n->ntasks;
                }
                size_t nvict = collect(s, n, j, v);
                cand x = {.pos = p};
                if (!nvict || !estimate(s, n, j, v, nvict, &x.est))
                        continue;
                size_t at = ncand;
                while (at > 0 && cand_less(&x, &c[at - 1]))
                        at--;
                if (at >= PREEMPT_CANDIDATES)
                        continue;
                size_t last = ncand < PREEMPT_CANDIDATES ? ncand : PREEMPT_CANDIDATES - 1;
                memmove(c + at + 1, c + at, (last - at) * sizeof(*c));
                c[at] = x;
                if (ncand < PREEMPT_CANDIDATES)
                        ncand++;
        }
        for (size_t k = 0; k < ncand; k++) {
                uint32_t slot = s->ix.slot_at[c[k].pos];
                size_t nvict = collect(s, &s->nodes[slot], j, v);
                size_t m = 0;
                rank rk = {0};
                r = try_node(s, slot, job, v, nvict, &m, &rk);
                if (r < 0)
                        goto out;
                if (r == 0 || m == 0)
                        continue;
                if (best_slot == UINT32_MAX || rank_less(&rk, &best) ||
                    (!rank_less(&best, &rk) && s->nodes[slot].pos < s->nodes[best_slot].pos)) {
                        victim *nb = realloc(bestv, m * sizeof(*nb));
                        if (!nb) {
                                r = -ENOMEM;
                                goto out;
                        }
                        bestv = nb;
                        memcpy(bestv, v, m * sizeof(*v));
                        nbest = m;
                        best = rk;
                        best_slot = slot;
                }
        }
        r = -ENOSPC;
        if (best_slot == UINT32_MAX)
                goto out;
        for (size_t i = 0; i < nbest; i++)
                if ((r = sched_evict_job(s, bestv[i].job, jr)) < 0)
                        goto out;
        int64_t pen;
        r = sched_task_fits(&s->nodes[best_slot], j, ret_gpus, &pen, &s->cfg) ? 0 : -ENOSPC;
        *ret_slot = best_slot;
out:
        free(v);
        free(bestv);
        return r;
}
