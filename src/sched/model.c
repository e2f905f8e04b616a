/* Nodes and jobs: adding, updating, removing; derived per-node fields. */
#include <stdlib.h>
#include <string.h>
#include "sched-int.h"

const char *sched_node_key(const void *s, uint32_t i) { return ((const sched_state *)s)->nodes[i].spec.id; }
const char *sched_job_key(const void *s, uint32_t i) { return ((const sched_state *)s)->jobs[i].spec.id; }

int sched_node_find(const sched_state *s, const char *id, uint32_t *ret)
{
        return idmap_get(&s->node_ids, id, sched_node_key, s, ret);
}

int sched_job_find(const sched_state *s, const char *id, uint32_t *ret)
{
        return idmap_get(&s->job_ids, id, sched_job_key, s, ret);
}

uint64_t sched_feat_bit(const char *a, const char *b)
{
        char buf[2 * SCHED_ID_MAX + 2];
        snprintf(buf, sizeof(buf), "%s=%s", a, b);
        return 1ULL << (sched_hash_str(buf) & 63);
}

/* Fields that follow from the spec: allocatable, NVLink components, feature bits. */
void sched_node_derive(snode *n)
{
        const sched_node_spec *sp = &n->spec;
        for (int r = 0; r <= SCHED_PIDS; r++)
                n->alloc[r] = sp->allocatable[r];
        n->alloc[SCHED_GPU] = sp->ngpus;
        n->feat = 0;
        for (unsigned i = 0; i < sp->nlabels; i++)
                n->feat |= sched_feat_bit(sp->labels[i].key, sp->labels[i].value);
        /* Components of the NVLink graph (links taken as undirected). */
        uint32_t adj[SCHED_MAX_NODE_GPUS];
        for (unsigned i = 0; i < sp->ngpus; i++)
                adj[i] = sp->gpus[i].peers | (1u << i);
        for (unsigned i = 0; i < sp->ngpus; i++)
                for (unsigned k = 0; k < sp->ngpus; k++)
                        if (adj[k] & (1u << i))
                                adj[i] |= 1u << k;
        for (unsigned i = 0; i < sp->ngpus; i++) {
                uint32_t g = adj[i], prev;
                do {
                        prev = g;
                        for (unsigned k = 0; k < sp->ngpus; k++)
                                if (g & (1u << k))
                                        g |= adj[k];
                } while (g != prev);
                n->gmask[i] = g;
                n->feat |= sched_feat_bit("gpu.model", sp->gpus[i].model);
        }
        int64_t cores = n->alloc[SCHED_CPU] / 1000;
        n->ncores = cores > MAX_CORES ? MAX_CORES : (uint32_t)(cores < 0 ? 0 : cores);
}

static int check_node(const sched_node_spec *sp, cella_error **err)
{
        if (!sp->id[0])
                return err_setx(err, EINVAL, "node: empty id");
        for (int r = 0; r <= SCHED_PIDS; r++)
                if (sp->capacity[r] < 0 || sp->allocatable[r] < 0 || sp->allocatable[r] > sp->capacity[r])
                        return err_setx(err, EINVAL, "node %s: allocatable must lie in [0, capacity]", sp->id);
        if (sp->ngpus > SCHED_MAX_NODE_GPUS || sp->nlabels > SCHED_MAX_LABELS)
                return err_setx(err, EINVAL, "node %s: too many GPUs or labels", sp->id);
        for (unsigned i = 0; i < sp->ngpus; i++) {
                if (i > 0 && strcmp(sp->gpus[i - 1].uuid, sp->gpus[i].uuid) >= 0)
                        return err_setx(err, EINVAL, "node %s: GPU uuids must be unique and sorted", sp->id);
                if (sp->gpus[i].peers >> sp->ngpus)
                        return err_setx(err, EINVAL, "node %s: NVLink peer out of range", sp->id);
        }
        return 0;
}

static int slot_new(sched_state *s, uint32_t *ret)
{
        for (uint32_t i = 0; s->nalive < s->nslots && i < s->nslots; i++)
                if (!s->nodes[i].alive && !s->nodes[i].tasks) {
                        *ret = i;
                        return 0;
                }
        if (s->nslots == s->capnodes) {
                uint32_t ncap = s->capnodes ? s->capnodes * 2 : 64;
                snode *nn = realloc(s->nodes, ncap * sizeof(*nn));
                if (!nn)
                        return -ENOMEM;
                s->nodes = nn;
                s->capnodes = ncap;
        }
        *ret = s->nslots++;
        return 0;
}

int sched_node_add(sched_state *s, const sched_node_spec *spec, cella_error **err)
{
        uint32_t slot;
        int r = check_node(spec, err);
        if (r < 0)
                return r;
        if (sched_node_find(s, spec->id, &slot) == 0)
                return err_setx(err, EEXIST, "node %s: duplicate id", spec->id);
        if (s->nalive >= SCHED_MAX_NODES)
                return err_setx(err, ENOSPC, "node %s: more than %d nodes", spec->id, SCHED_MAX_NODES);
        if ((r = slot_new(s, &slot)) < 0 || (r = idmap_put(&s->node_ids, spec->id, slot, sched_node_key, s)) < 0)
                return err_set(err, -r, "node %s", spec->id);
        snode *n = &s->nodes[slot];
        memset(n, 0, sizeof(*n));
        n->alive = true;
        n->spec = *spec;
        sched_node_derive(n);
        memcpy(n->free, n->alloc, sizeof(n->free));
        n->gpu_free = spec->ngpus ? (uint32_t)((1ULL << spec->ngpus) - 1) : 0;
        s->nalive++;
        s->ix.dirty = true;
        s->dirty = true;
        return 0;
}

/* Jobs holding a task on the node, deduplicated, in job index order. */
static int jobs_on(const snode *n, uint32_t **ret, size_t *ret_n)
{
        uint32_t *v = malloc((n->ntasks + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        size_t k = 0;
        for (uint32_t i = 0; i < n->ntasks; i++) {
                bool seen = false;
                for (size_t q = 0; q < k && !seen; q++)
                        seen = v[q] == n->tasks[i].job;
                if (!seen)
                        v[k++] = n->tasks[i].job;
        }
        *ret = v;
        *ret_n = k;
        return 0;
}

int sched_node_remove(sched_state *s, const char *id, cella_error **err)
{
        uint32_t slot;
        if (sched_node_find(s, id, &slot) < 0)
                return err_setx(err, ENOENT, "node %s: no such node", id);
        snode *n = &s->nodes[slot];
        _cleanup_free_ uint32_t *jobs = NULL;
        size_t nj;
        if (jobs_on(n, &jobs, &nj) < 0)
                return err_setx(err, ENOMEM, "node %s", id);
        for (size_t i = 0; i < nj; i++)
                sched_evict(s, jobs[i]);
        if (n->reserved_by)
                sched_reservation_drop(s, n->reserved_by - 1);
        idmap_del(&s->node_ids, id, sched_node_key, s);
        n->alive = false;
        free(n->tasks);
        n->tasks = NULL;
        n->ntasks = n->captasks = 0;
        s->nalive--;
        s->ix.dirty = true;
        return 0;
}

/* Re-specify a node. Jobs keep their places when every GPU they hold still
 * exists (by uuid) and their CPU set still lies inside the node; the others
 * are evicted. Free resources may go negative: nothing new fits until the
 * node drains. */
int sched_node_update(sched_state *s, const sched_node_spec *spec, cella_error **err)
{
        uint32_t slot;
        int r = check_node(spec, err);
        if (r < 0)
                return r;
        if (sched_node_find(s, spec->id, &slot) < 0)
                return err_setx(err, ENOENT, "node %s: no such node", spec->id);
        snode *n = &s->nodes[slot];
        _cleanup_free_ uint32_t *jobs = NULL;
        size_t nj;
        if (jobs_on(n, &jobs, &nj) < 0)
                return err_setx(err, ENOMEM, "node %s", spec->id);
        uint32_t remap[SCHED_MAX_NODE_GPUS];
        for (unsigned i = 0; i < n->spec.ngpus; i++) {
                remap[i] = UINT32_MAX;
                for (unsigned k = 0; k < spec->ngpus; k++)
                        if (streq(n->spec.gpus[i].uuid, spec->gpus[k].uuid))
                                remap[i] = k;
        }
        uint32_t ncores_new = (uint32_t)(spec->allocatable[SCHED_CPU] / 1000);
        for (size_t q = 0; q < nj; q++) {
                sjob *j = &s->jobs[jobs[q]];
                bool keep = true;
                for (uint32_t t = 0; t < j->spec.tasks && keep; t++) {
                        if (j->task[t].node != slot)
                                continue;
                        for (unsigned i = 0; i < n->spec.ngpus; i++)
                                if ((j->task[t].gpus & (1u << i)) && remap[i] == UINT32_MAX)
                                        keep = false;
                        if (j->task[t].core_n && (uint32_t)j->task[t].core_lo + j->task[t].core_n > ncores_new)
                                keep = false;
                }
                if (!keep)
                        sched_evict(s, jobs[q]);
        }
        /* Survivors: translate GPU masks to the new uuid order. */
        for (uint32_t i = 0; i < n->ntasks; i++) {
                stask *t = &s->jobs[n->tasks[i].job].task[n->tasks[i].task];
                uint32_t m = 0;
                for (unsigned g = 0; g < n->spec.ngpus; g++)
                        if (t->gpus & (1u << g))
                                m |= 1u << remap[g];
                t->gpus = m;
        }
        n->spec = *spec;
        sched_node_derive(n);
        memcpy(n->free, n->alloc, sizeof(n->free));
        n->gpu_free = spec->ngpus ? (uint32_t)((1ULL << spec->ngpus) - 1) : 0;
        for (uint32_t i = 0; i < n->ntasks; i++) {
                const sjob *j = &s->jobs[n->tasks[i].job];
                const stask *t = &j->task[n->tasks[i].task];
                n->free[SCHED_CPU] -= j->spec.cpu;
                n->free[SCHED_MEM] -= j->spec.memory;
                n->free[SCHED_PIDS] -= j->spec.pids;
                n->free[SCHED_GPU] -= j->spec.gpus;
                n->gpu_free &= ~t->gpus;
        }
        sched_index_update(s, slot);
        s->dirty = true;
        return 0;
}

static int check_job(const sched_job_spec *j, cella_error **err)
{
        if (!j->id[0])
                return err_setx(err, EINVAL, "job: empty id");
        if (j->cpu < 0 || j->memory < 0 || j->pids < 0)
                return err_setx(err, EINVAL, "job %s: negative resource", j->id);
        if (j->tasks < 1 || j->tasks > SCHED_MAX_TASKS)
                return err_setx(err, EINVAL, "job %s: tasks must lie in [1, %d]", j->id, SCHED_MAX_TASKS);
        if (j->gpus > SCHED_MAX_NODE_GPUS)
                return err_setx(err, EINVAL, "job %s: more than %d GPUs per task", j->id, SCHED_MAX_NODE_GPUS);
        if (j->priority < 0 || j->priority > SCHED_MAX_PRIORITY)
                return err_setx(err, EINVAL, "job %s: priority must lie in [0, %d]", j->id, SCHED_MAX_PRIORITY);
        if (j->want_cpuset && (j->cpu % 1000 || j->cpu == 0))
                return err_setx(err, EINVAL, "job %s: a CPU set needs whole cores (cpu a multiple of 1000)", j->id);
        if (j->payload && strlen(j->payload) > SCHED_MAX_PAYLOAD)
                return err_setx(err, EINVAL, "job %s: payload larger than %d bytes", j->id, SCHED_MAX_PAYLOAD);
        return 0;
}

/* Add a job record (any state); the caller sets state and queue membership. */
int sched_job_add_raw(sched_state *s, const sched_job_spec *spec, sjob **ret, cella_error **err)
{
        uint32_t idx;
        int r = check_job(spec, err);
        if (r < 0)
                return r;
        if (sched_job_find(s, spec->id, &idx) == 0)
                return err_setx(err, EEXIST, "job %s: duplicate id", spec->id);
        if (s->njobs >= SCHED_MAX_JOBS)
                return err_setx(err, ENOSPC, "job %s: more than %d jobs", spec->id, SCHED_MAX_JOBS);
        if (s->njobs == s->capjobs) {
                uint32_t ncap = s->capjobs ? s->capjobs * 2 : 256;
                sjob *nj = realloc(s->jobs, (size_t)ncap * sizeof(*nj));
                if (!nj)
                        return err_setx(err, ENOMEM, "job %s", spec->id);
                s->jobs = nj;
                s->capjobs = ncap;
        }
        sjob *j = &s->jobs[s->njobs];
        memset(j, 0, sizeof(*j));
        j->task = calloc(spec->tasks, sizeof(*j->task));
        char *payload = spec->payload ? strdup(spec->payload) : NULL;
        sched_label *sel = spec->nselector ? malloc(spec->nselector * sizeof(*sel)) : NULL;
        if (sel)
                memcpy(sel, spec->selector, spec->nselector * sizeof(*sel));
        if (!j->task || (spec->payload && !payload) || (spec->nselector && !sel)) {
                free(j->task);
                free(payload);
                free(sel);
                return err_setx(err, ENOMEM, "job %s", spec->id);
        }
        if ((r = idmap_put(&s->job_ids, spec->id, s->njobs, sched_job_key, s)) < 0) {
                free(j->task);
                free(payload);
                free(sel);
                return err_set(err, -r, "job %s", spec->id);
        }
        j->spec = *spec;
        j->spec.payload = payload;
        j->spec.selector = sel;
        for (unsigned i = 0; i < spec->nselector; i++)
                j->need_feat |= sched_feat_bit(spec->selector[i].key, spec->selector[i].value);
        if (spec->gpu_model[0])
                j->need_feat |= sched_feat_bit("gpu.model", spec->gpu_model);
        for (uint32_t t = 0; t < spec->tasks; t++)
                j->task[t].node = UINT32_MAX;
        s->njobs++;
        *ret = j;
        return 0;
}

int sched_job_submit(sched_state *s, const sched_job_spec *spec, cella_error **err)
{
        sjob *j;
        int r = sched_job_add_raw(s, spec, &j, err);
        if (r < 0)
                return r;
        j->state = SCHED_PENDING;
        j->seq = s->next_seq++;
        r = sched_queue_insert(s, (uint32_t)(j - s->jobs));
        if (r < 0)
                return err_set(err, -r, "job %s", spec->id);  /* cannot leave a half job: ENOMEM only */
        s->dirty = true;
        return 0;
}
