/* The pending queue and the scheduling pass.
 *
 * The queue is ordered by (priority desc, submission sequence asc). A pass
 * walks it once: a job that does not fit is skipped, so it never blocks the
 * smaller jobs behind it. Anti-starvation: a job that has waited
 * cfg.starve_passes passes reserves nodes (those that could hold it and have
 * the most free now); from its place in the queue onwards, a reserved node is
 * closed to every later job of the pass, so it drains until the starving job
 * fits. See docs/sched.md. */
#include <stdlib.h>
#include <string.h>
#include "sched-int.h"

bool sched_queue_before(const sched_state *s, uint32_t a, uint32_t b)
{
        const sjob *x = &s->jobs[a], *y = &s->jobs[b];
        if (x->spec.priority != y->spec.priority)
                return x->spec.priority > y->spec.priority;
        return x->seq < y->seq;
}

static size_t lower_bound(const sched_state *s, uint32_t job)
{
        size_t lo = 0, hi = s->npending;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (sched_queue_before(s, s->pending[mid], job))
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

int sched_queue_insert(sched_state *s, uint32_t job)
{
        if (s->npending == s->cappending) {
                size_t ncap = s->cappending ? s->cappending * 2 : 256;
                uint32_t *np = realloc(s->pending, ncap * sizeof(*np));
                if (!np)
                        return -ENOMEM;
                s->pending = np;
                s->cappending = ncap;
        }
        size_t at = lower_bound(s, job);
        memmove(s->pending + at + 1, s->pending + at, (s->npending - at) * sizeof(*s->pending));
        s->pending[at] = job;
        s->npending++;
        return 0;
}

void sched_queue_remove(sched_state *s, uint32_t job)
{
        size_t at = lower_bound(s, job);
        if (at < s->npending && s->pending[at] == job) {
                memmove(s->pending + at, s->pending + at + 1, (s->npending - at - 1) * sizeof(*s->pending));
                s->npending--;
        }
}

void sched_reservation_drop(sched_state *s, uint32_t job)
{
        sjob *j = &s->jobs[job];
        if (!j->nres)
                return;
        for (uint32_t i = 0; i < j->nres; i++) {
                snode *n = &s->nodes[j->res[i]];
                if (n->reserved_by == job + 1)
                        n->reserved_by = 0;
        }
        free(j->res);
        j->res = NULL;
        j->nres = 0;
        s->nreservations--;
}

static int64_t free_key(const snode *n)
{
        int64_t k = 0;
        for (int r = 0; r < SCHED_NRES; r++)
                if (r != SCHED_PIDS && n->alloc[r] > 0)
                        k += n->free[r] <= 0 ? 0 : (int64_t)((double)n->free[r] / (double)n->alloc[r] * PPM);
        return k;
}

/* Reserve up to `tasks` nodes that could hold a task of the job when empty,
 * preferring the most free now (ties: node id). */
static int reserve(sched_state *s, uint32_t job)
{
        sjob *j = &s->jobs[job];
        uint32_t want = j->spec.tasks, got = 0;
        uint32_t *res = calloc(want, sizeof(*res));
        int64_t *key = calloc(want, sizeof(*key));
        if (!res || !key) {
                free(res);
                free(key);
                return -ENOMEM;
        }
        for (uint32_t p = 0; p < s->ix.n; p++) {
                uint32_t slot = s->ix.slot_at[p];
                const snode *n = &s->nodes[slot];
                if (n->reserved_by || n->masked || (n->feat & j->need_feat) != j->need_feat)
                        continue;
                if (n->alloc[SCHED_CPU] < j->spec.cpu || n->alloc[SCHED_MEM] < j->spec.memory ||
                    n->alloc[SCHED_PIDS] < j->spec.pids ||
                    (unsigned)__builtin_popcount(sched_gpu_match(n, j)) < j->spec.gpus)
                        continue;
                int64_t k = free_key(n);
                /* keep the `want` best in order (insertion; want is small) */
                uint32_t at = got;
                while (at > 0 && key[at - 1] < k)
                        at--;
                if (at >= want)
                        continue;
                uint32_t last = got < want ? got : want - 1;
                memmove(res + at + 1, res + at, (last - at) * sizeof(*res));
                memmove(key + at + 1, key + at, (last - at) * sizeof(*key));
                res[at] = slot;
                key[at] = k;
                if (got < want)
                        got++;
        }
        free(key);
        if (!got) {
                free(res);
                return 0;
        }
        for (uint32_t i = 0; i < got; i++)
                s->nodes[res[i]].reserved_by = job + 1;
        j->res = res;
        j->nres = got;
        s->nreservations++;
        return 0;
}

typedef struct shape {
        int64_t req[SCHED_NRES];
        int32_t prio;
} shape;

#define NSHAPES 8

/* Simple jobs only: a job asking at least as much as one that failed in this
 * pass, at no higher priority, fails too (resources only shrink in a pass
 * until an eviction, which clears the memory). */
static bool simple(const sjob *j)
{
        return j->spec.tasks == 1 && !j->spec.nselector && !j->spec.gpu_model[0] && !j->spec.gpu_memory &&
               !j->spec.want_cpuset && !j->nres;
}

static bool dominated(const shape *sh, unsigned nsh, const sjob *j)
{
        const int64_t req[SCHED_NRES] = {j->spec.cpu, j->spec.memory, j->spec.pids, j->spec.gpus};
        for (unsigned i = 0; i < nsh; i++) {
                bool all = sh[i].prio >= j->spec.priority;
                for (int r = 0; r < SCHED_NRES && all; r++)
                        all = sh[i].req[r] <= req[r];
                if (all)
                        return true;
        }
        return false;
}

/* Place every task or none. */
static int place_job(sched_state *s, uint32_t job, const sched_observer *obs, bool *ret_evicted)
{
        sjob *j = &s->jobs[job];
        journal jr = {0};
        int r = 0;
        uint32_t t;
        for (t = 0; t < j->spec.tasks; t++) {
                uint32_t slot, gpus;
                r = sched_index_search(s, job, &slot, &gpus);
                if (r == -ENOSPC && s->cfg.preemption)
                        r = sched_preempt_for(s, job, &jr, &slot, &gpus);
                if (r < 0)
                        break;
                if ((r = sched_task_bind(s, job, t, slot, gpus)) < 0)
                        break;
        }
        if (r < 0) {
                sched_job_release(s, job);
                sched_journal_undo(s, &jr);
                free(jr.v);
                *ret_evicted = false;
                return r;
        }
        *ret_evicted = jr.n > 0;
        sched_journal_commit(s, &jr, obs);
        free(jr.v);
        return 0;
}

int sched_pass(sched_state *s, const sched_observer *obs, cella_error **err)
{
        s->passes++;
        if (!s->dirty)
                return 0;
        s->dirty = false;
        int r = sched_index_ensure(s);
        if (r < 0)
                return err_set(err, -r, "schedule");
        /* Take the queue; evictions during the pass insert into the (new) empty one. */
        uint32_t *work = s->pending;
        size_t nwork = s->npending, nkeep = 0;
        s->pending = NULL;
        s->npending = s->cappending = 0;
        uint32_t *masked = NULL;
        size_t nmasked = 0, capmasked = 0;
        shape sh[NSHAPES];
        unsigned nsh = 0, shnext = 0;
        bool any_evicted = false;
        size_t i;
        for (i = 0; i < nwork; i++) {
                uint32_t job = work[i];
                sjob *j = &s->jobs[job];
                bool placed = false, evicted = false;
                if (simple(j) && dominated(sh, nsh, j)) {
                        s->skipped++;
                } else {
                        s->decisions++;
                        r = place_job(s, job, obs, &evicted);
                        if (r < 0 && r != -ENOSPC)
                                break;
                        r = 0;
                        placed = j->nplaced == j->spec.tasks;
                        if (evicted) {
                                nsh = 0;
                                any_evicted = true;
                        }
                        if (!placed && simple(j)) {
                                sh[shnext] = (shape){{j->spec.cpu, j->spec.memory, j->spec.pids, j->spec.gpus},
                                                     j->spec.priority};
                                shnext = (shnext + 1) % NSHAPES;
                                nsh = nsh < NSHAPES ? nsh + 1 : NSHAPES;
                        }
                        if (obs && obs->decision)
                                obs->decision(obs->ud, j->spec.id, placed ? SCHED_PLACED : SCHED_UNSCHEDULABLE,
                                              &j->spec);
                }
                if (placed) {
                        j->state = SCHED_SCHEDULED;
                        j->waited = 0;
                        s->placed_tasks += j->spec.tasks;
                        sched_reservation_drop(s, job);
                        continue;
                }
                work[nkeep++] = job;
                j->waited++;
                if (!j->nres && j->waited >= s->cfg.starve_passes && s->nreservations < s->cfg.max_reservations &&
                    (r = reserve(s, job)) < 0) {
                        i++;
                        break;
                }
                /* From here on, this job's reserved nodes are closed to the rest of the pass. */
                for (uint32_t q = 0; q < j->nres; q++) {
                        snode *n = &s->nodes[j->res[q]];
                        if (n->masked)
                                continue;
                        if (nmasked == capmasked) {
                                size_t nc = capmasked ? capmasked * 2 : 16;
                                uint32_t *nm = realloc(masked, nc * sizeof(*nm));
                                if (!nm) {
                                        r = -ENOMEM;
                                        break;
                                }
                                masked = nm;
                                capmasked = nc;
                        }
                        masked[nmasked++] = j->res[q];
                        n->masked = true;
                        sched_index_update(s, j->res[q]);
                }
                if (r < 0) {
                        i++;
                        break;
                }
        }
        for (size_t q = 0; q < nmasked; q++) {
                s->nodes[masked[q]].masked = false;
                sched_index_update(s, masked[q]);
        }
        free(masked);
        /* On failure (out of memory) the unvisited rest of the queue stays queued. */
        for (size_t q = i; q < nwork; q++)
                work[nkeep++] = work[q];
        /* Merge the kept jobs (in order) with those evicted during the pass. */
        int r2 = 0;
        for (size_t q = 0; q < nkeep && r2 == 0; q++)
                r2 = sched_queue_insert(s, work[q]);
        free(work);
        s->dirty = any_evicted;
        if (r < 0 || r2 < 0)
                return err_set(err, r < 0 ? -r : -r2, "schedule");
        return 0;
}
