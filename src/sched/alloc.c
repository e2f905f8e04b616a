/* One task on one node: does it fit, which GPUs and cores, bind and unbind. */
#include <stdlib.h>
#include <string.h>
#include "sched-int.h"

#define GPU_PENALTY_UNIT 100000

static unsigned popcount32(uint32_t x) { return (unsigned)__builtin_popcount(x); }

/* GPUs of the node that satisfy the job's model and memory floor. */
uint32_t sched_gpu_match(const snode *n, const sjob *j)
{
        uint32_t m = 0;
        for (unsigned i = 0; i < n->spec.ngpus; i++) {
                const sched_gpu_spec *g = &n->spec.gpus[i];
                if (j->spec.gpu_model[0] && !streq(g->model, j->spec.gpu_model))
                        continue;
                if (g->memory < j->spec.gpu_memory)
                        continue;
                m |= 1u << i;
        }
        return m;
}

static uint32_t lowest_bits(uint32_t m, unsigned k)
{
        uint32_t out = 0;
        while (k-- && m) {
                uint32_t b = m & -m;
                out |= b;
                m &= ~b;
        }
        return out;
}

/* Within a set of GPUs, prefer k that share a NUMA node (the NUMA node with
 * the fewest usable GPUs that still holds k, lowest index first). */
static uint32_t pick_numa(const snode *n, uint32_t avail, unsigned k)
{
        uint32_t best = 0;
        unsigned bestc = UINT32_MAX;
        for (unsigned i = 0; i < n->spec.ngpus; i++) {
                if (!(avail & (1u << i)))
                        continue;
                uint32_t same = 0;
                for (unsigned q = 0; q < n->spec.ngpus; q++)
                        if ((avail & (1u << q)) && n->spec.gpus[q].numa == n->spec.gpus[i].numa)
                                same |= 1u << q;
                unsigned c = popcount32(same);
                if (c >= k && c < bestc) {
                        bestc = c;
                        best = same;
                }
        }
        return lowest_bits(best ? best : avail, k);
}

/* Choose k GPUs among avail: inside one NVLink group when one can hold them,
 * the group with the fewest usable GPUs (best fit keeps whole groups free for
 * larger jobs); else spanning the fewest groups. Penalties rank nodes. */
static uint32_t pick_gpus(const snode *n, uint32_t avail, unsigned k, const sched_config *c, int64_t *penalty)
{
        uint32_t best = 0, seen = 0;
        unsigned bestc = UINT32_MAX;
        for (unsigned i = 0; i < n->spec.ngpus; i++) {
                uint32_t g = n->gmask[i];
                if (seen & (1u << i))
                        continue;
                seen |= g;
                unsigned f = popcount32(avail & g);
                if (f >= k && f < bestc) {
                        bestc = f;
                        best = g;
                }
        }
        if (best) {
                if (bestc == popcount32(best) && bestc > k)
                        *penalty += c->w_break * GPU_PENALTY_UNIT;
                return pick_numa(n, avail & best, k);
        }
        /* Span groups, largest usable share first. */
        uint32_t out = 0, used_groups = 0;
        unsigned need = k, spans = 0;
        while (need) {
                uint32_t g_best = 0;
                unsigned f_best = 0;
                for (unsigned i = 0; i < n->spec.ngpus; i++) {
                        uint32_t g = n->gmask[i];
                        if (g & used_groups)
                                continue;
                        unsigned f = popcount32(avail & g);
                        if (f > f_best) {
                                f_best = f;
                                g_best = g;
                        }
                }
                if (!g_best)
                        break;
                used_groups |= g_best;
                uint32_t take = lowest_bits(avail & g_best, need < f_best ? need : f_best);
                out |= take;
                need -= popcount32(take);
                spans++;
        }
        if (spans > 1)
                *penalty += c->w_nvlink * (int64_t)(spans - 1) * GPU_PENALTY_UNIT;
        return out;
}

static bool core_run(const snode *n, unsigned k, unsigned *ret_lo)
{
        unsigned run = 0;
        for (unsigned i = 0; i < n->ncores; i++) {
                if (n->core_used[i / 64] & (1ULL << (i % 64))) {
                        run = 0;
                        continue;
                }
                if (++run == k) {
                        *ret_lo = i + 1 - k;
                        return true;
                }
        }
        return false;
}

static bool labels_match(const snode *n, const sjob *j)
{
        for (unsigned i = 0; i < j->spec.nselector; i++) {
                bool ok = false;
                for (unsigned q = 0; q < n->spec.nlabels && !ok; q++)
                        ok = streq(n->spec.labels[q].key, j->spec.selector[i].key) &&
                             streq(n->spec.labels[q].value, j->spec.selector[i].value);
                if (!ok)
                        return false;
        }
        return true;
}

bool sched_task_fits(const snode *n, const sjob *j, uint32_t *ret_gpus, int64_t *ret_penalty, const sched_config *c)
{
        const sched_job_spec *sp = &j->spec;
        if (!n->alive || n->free[SCHED_CPU] < sp->cpu || n->free[SCHED_MEM] < sp->memory ||
            n->free[SCHED_PIDS] < sp->pids || n->free[SCHED_GPU] < (int64_t)sp->gpus)
                return false;
        if ((n->feat & j->need_feat) != j->need_feat || !labels_match(n, j))
                return false;
        int64_t pen = 0;
        uint32_t gpus = 0;
        if (sp->gpus) {
                uint32_t avail = n->gpu_free & sched_gpu_match(n, j);
                if (popcount32(avail) < sp->gpus)
                        return false;
                gpus = pick_gpus(n, avail, sp->gpus, c, &pen);
        }
        /* Exclusive cores come out of the shared pool; shared jobs must still fit in it. */
        int64_t pool = ((int64_t)n->ncores - n->excl_cores) * 1000;
        if (sp->want_cpuset) {
                unsigned lo, k = (unsigned)(sp->cpu / 1000);
                if (!core_run(n, k, &lo) || pool - (int64_t)k * 1000 < n->shared_used)
                        return false;
        } else if (n->ncores && n->excl_cores && n->shared_used + sp->cpu > pool) {
                return false;
        }
        *ret_gpus = gpus;
        *ret_penalty = pen;
        return true;
}

int sched_task_bind(sched_state *s, uint32_t job, uint32_t task, uint32_t slot, uint32_t gpus)
{
        return sched_task_bind_at(s, job, task, slot, gpus, -1);
}

/* core_lo >= 0 puts a CPU set back exactly where it was (undoing an eviction). */
int sched_task_bind_at(sched_state *s, uint32_t job, uint32_t task, uint32_t slot, uint32_t gpus, int core_lo)
{
        snode *n = &s->nodes[slot];
        sjob *j = &s->jobs[job];
        stask *t = &j->task[task];
        if (n->ntasks == n->captasks) {
                uint32_t ncap = n->captasks ? n->captasks * 2 : 8;
                task_ref *nt = realloc(n->tasks, ncap * sizeof(*nt));
                if (!nt)
                        return -ENOMEM;
                n->tasks = nt;
                n->captasks = ncap;
        }
        n->free[SCHED_CPU] -= j->spec.cpu;
        n->free[SCHED_MEM] -= j->spec.memory;
        n->free[SCHED_PIDS] -= j->spec.pids;
        n->free[SCHED_GPU] -= j->spec.gpus;
        n->gpu_free &= ~gpus;
        t->core_lo = t->core_n = 0;
        if (j->spec.want_cpuset) {
                unsigned lo = 0, k = (unsigned)(j->spec.cpu / 1000);
                if (core_lo >= 0)
                        lo = (unsigned)core_lo;
                else
                        core_run(n, k, &lo);
                for (unsigned i = lo; i < lo + k; i++)
                        n->core_used[i / 64] |= 1ULL << (i % 64);
                n->excl_cores += k;
                t->core_lo = (uint16_t)lo;
                t->core_n = (uint16_t)k;
        } else {
                n->shared_used += j->spec.cpu;
        }
        t->node = slot;
        t->gpus = gpus;
        t->where = n->ntasks;
        n->tasks[n->ntasks++] = (task_ref){job, task};
        j->nplaced++;
        sched_index_update(s, slot);
        return 0;
}

void sched_task_unbind(sched_state *s, uint32_t job, uint32_t task)
{
        sjob *j = &s->jobs[job];
        stask *t = &j->task[task];
        if (t->node == UINT32_MAX)
                return;
        snode *n = &s->nodes[t->node];
        n->free[SCHED_CPU] += j->spec.cpu;
        n->free[SCHED_MEM] += j->spec.memory;
        n->free[SCHED_PIDS] += j->spec.pids;
        n->free[SCHED_GPU] += j->spec.gpus;
        n->gpu_free |= t->gpus;
        if (t->core_n) {
                for (unsigned i = t->core_lo; i < (unsigned)t->core_lo + t->core_n; i++)
                        n->core_used[i / 64] &= ~(1ULL << (i % 64));
                n->excl_cores -= t->core_n;
        } else {
                n->shared_used -= j->spec.cpu;
        }
        /* swap-remove from the node's list; fix the moved entry's back index */
        task_ref last = n->tasks[--n->ntasks];
        if (t->where != n->ntasks) {
                n->tasks[t->where] = last;
                s->jobs[last.job].task[last.task].where = t->where;
        }
        uint32_t slot = t->node;
        t->node = UINT32_MAX;
        t->gpus = 0;
        t->core_lo = t->core_n = 0;
        j->nplaced--;
        if (n->alive)
                sched_index_update(s, slot);
        s->dirty = true;
}

void sched_job_release(sched_state *s, uint32_t job)
{
        sjob *j = &s->jobs[job];
        for (uint32_t t = 0; t < j->spec.tasks; t++)
                sched_task_unbind(s, job, t);
}
