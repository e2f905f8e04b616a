/* The state, applying events, and queries. */
#include <stdlib.h>
#include <string.h>
#include "sched-int.h"

void sched_config_default(sched_config *c)
{
        *c = (sched_config){
                .policy = SCHED_BINPACK,
                .w_cpu = 1, .w_mem = 1, .w_gpu = 2,
                .w_strand = 5, .w_nvlink = 4, .w_break = 1,
                .preemption = true,
                .starve_passes = 32,
                .max_reservations = 16,
                .search_budget = 32,
        };
}

const sched_config *sched_get_config(const sched_state *s) { return &s->cfg; }

int sched_state_new(const sched_config *cfg, sched_state **ret, cella_error **err)
{
        sched_state *s = calloc(1, sizeof(*s));
        if (!s)
                return err_setx(err, ENOMEM, "scheduler state");
        if (cfg)
                s->cfg = *cfg;
        else
                sched_config_default(&s->cfg);
        if (s->cfg.search_budget == 0)
                s->cfg.search_budget = 1;
        s->next_seq = 1;
        s->ix.dirty = true;
        *ret = s;
        return 0;
}

void sched_job_spec_free(sched_job_spec *j)
{
        if (!j)
                return;
        free(j->payload);
        free(j->selector);
        free(j);
}

void sched_state_free(sched_state *s)
{
        if (!s)
                return;
        for (uint32_t i = 0; i < s->nslots; i++)
                free(s->nodes[i].tasks);
        for (uint32_t i = 0; i < s->njobs; i++) {
                free(s->jobs[i].spec.payload);
                free(s->jobs[i].spec.selector);
                free(s->jobs[i].task);
                free(s->jobs[i].res);
        }
        free(s->nodes);
        free(s->jobs);
        free(s->pending);
        idmap_free(&s->node_ids);
        idmap_free(&s->job_ids);
        sched_index_free(&s->ix);
        free(s);
}

static bool terminal(sched_job_state st)
{
        return st == SCHED_SUCCEEDED || st == SCHED_FAILED || st == SCHED_CANCELLED;
}

static int job_event(sched_state *s, const sched_event *ev, cella_error **err)
{
        uint32_t idx;
        if (sched_job_find(s, ev->id, &idx) < 0)
                return err_setx(err, ENOENT, "%s %s: no such job", sched_event_kind_name(ev->kind), ev->id);
        sjob *j = &s->jobs[idx];
        switch (ev->kind) {
        case SCHED_EV_CANCEL:
                if (terminal(j->state))
                        return err_setx(err, EINVAL, "cancel %s: job is %s", ev->id, sched_job_state_name(j->state));
                if (j->state == SCHED_PENDING)
                        sched_queue_remove(s, idx);
                sched_job_release(s, idx);
                sched_reservation_drop(s, idx);
                j->state = SCHED_CANCELLED;
                return 0;
        case SCHED_EV_START:
                if (j->state != SCHED_SCHEDULED)
                        return err_setx(err, EINVAL, "start %s: job is %s, not SCHEDULED", ev->id,
                                        sched_job_state_name(j->state));
                j->state = SCHED_RUNNING;
                return 0;
        case SCHED_EV_FINISH:
                if (j->state != SCHED_SCHEDULED && j->state != SCHED_RUNNING)
                        return err_setx(err, EINVAL, "finish %s: job is %s, not running", ev->id,
                                        sched_job_state_name(j->state));
                sched_job_release(s, idx);
                j->state = ev->ok ? SCHED_SUCCEEDED : SCHED_FAILED;
                return 0;
        case SCHED_EV_NODE_ADD: case SCHED_EV_NODE_UPDATE: case SCHED_EV_NODE_REMOVE:
        case SCHED_EV_SUBMIT: case SCHED_EV_SCHEDULE:
                break;
        }
        return err_setx(err, EINVAL, "not a job event");
}

int sched_apply(sched_state *s, const sched_event *ev, const sched_observer *obs, cella_error **err)
{
        int r = -EINVAL;
        switch (ev->kind) {
        case SCHED_EV_NODE_ADD:
                r = ev->node ? sched_node_add(s, ev->node, err) : err_setx(err, EINVAL, "node_add without node");
                break;
        case SCHED_EV_NODE_UPDATE:
                r = ev->node ? sched_node_update(s, ev->node, err) : err_setx(err, EINVAL, "node_update without node");
                break;
        case SCHED_EV_NODE_REMOVE:
                r = sched_node_remove(s, ev->id, err);
                break;
        case SCHED_EV_SUBMIT:
                r = ev->job ? sched_job_submit(s, ev->job, err) : err_setx(err, EINVAL, "submit without job");
                break;
        case SCHED_EV_CANCEL: case SCHED_EV_START: case SCHED_EV_FINISH:
                r = job_event(s, ev, err);
                break;
        case SCHED_EV_SCHEDULE:
                r = sched_pass(s, obs, err);
                break;
        }
        if (r >= 0)
                s->events++;
        return r < 0 ? r : 0;
}

uint64_t sched_state_events(const sched_state *s) { return s->events; }

int sched_job_status(const sched_state *s, const char *id, sched_job_info *ret)
{
        uint32_t idx;
        if (sched_job_find(s, id, &idx) < 0)
                return -ENOENT;
        const sjob *j = &s->jobs[idx];
        *ret = (sched_job_info){&j->spec, j->state, j->seq, j->waited, j->preemptions, j->nplaced};
        return 0;
}

int sched_job_task(const sched_state *s, const char *id, uint32_t task, const char **ret_node,
                   const char *ret_gpus[SCHED_MAX_NODE_GPUS], unsigned *ret_ngpus, char ret_cpuset[64])
{
        uint32_t idx;
        if (sched_job_find(s, id, &idx) < 0)
                return -ENOENT;
        const sjob *j = &s->jobs[idx];
        if (task >= j->spec.tasks)
                return -ERANGE;
        const stask *t = &j->task[task];
        if (t->node == UINT32_MAX)
                return -ENOENT;
        const snode *n = &s->nodes[t->node];
        *ret_node = n->spec.id;
        unsigned k = 0;
        for (unsigned i = 0; i < n->spec.ngpus; i++)
                if (t->gpus & (1u << i))
                        ret_gpus[k++] = n->spec.gpus[i].uuid;
        *ret_ngpus = k;
        if (ret_cpuset) {
                if (t->core_n > 1)
                        snprintf(ret_cpuset, 64, "%u-%u", t->core_lo, t->core_lo + t->core_n - 1);
                else if (t->core_n == 1)
                        snprintf(ret_cpuset, 64, "%u", t->core_lo);
                else
                        ret_cpuset[0] = 0;
        }
        return 0;
}

void sched_get_stats(const sched_state *s, sched_stats *ret)
{
        sched_stats st = {0};
        st.nodes = s->nalive;
        st.jobs = s->njobs;
        st.pending = s->npending;
        for (uint32_t i = 0; i < s->nslots; i++) {
                const snode *n = &s->nodes[i];
                if (!n->alive)
                        continue;
                bool exhausted = false;
                st.running += n->ntasks;
                for (int r = 0; r < SCHED_NRES; r++) {
                        st.alloc[r] += n->alloc[r];
                        st.used[r] += n->alloc[r] - n->free[r];
                        if (r != SCHED_PIDS && n->alloc[r] > 0 && n->free[r] * 50 < n->alloc[r])
                                exhausted = true;
                }
                /* stranded: what is left on a node where CPU, memory or GPUs ran out */
                for (int r = 0; r < SCHED_NRES && exhausted; r++)
                        if (r != SCHED_PIDS && n->free[r] * 50 >= n->alloc[r] && n->alloc[r] > 0)
                                st.stranded[r] += n->free[r];
        }
        st.preemptions = s->preemptions;
        st.passes = s->passes;
        st.decisions = s->decisions;
        st.skipped = s->skipped;
        st.placed_tasks = s->placed_tasks;
        *ret = st;
}

const char *sched_event_kind_name(sched_event_kind k)
{
        static const char *const names[] = {"node_add", "node_update", "node_remove", "submit",
                                            "cancel", "start", "finish", "schedule"};
        return (unsigned)k < ARRAY_SIZE(names) ? names[k] : "?";
}

const char *sched_job_state_name(sched_job_state st)
{
        static const char *const names[] = {"PENDING", "SCHEDULED", "RUNNING", "SUCCEEDED",
                                            "FAILED", "CANCELLED", "PREEMPTED"};
        return (unsigned)st < ARRAY_SIZE(names) ? names[st] : "?";
}

const char *sched_policy_name(sched_policy p)
{
        return p == SCHED_SPREAD ? "spread" : p == SCHED_FIRSTFIT ? "firstfit" : "binpack";
}

int sched_policy_from_name(const char *name, sched_policy *ret)
{
        if (streq(name, "binpack"))
                *ret = SCHED_BINPACK;
        else if (streq(name, "spread"))
                *ret = SCHED_SPREAD;
        else if (streq(name, "firstfit"))
                *ret = SCHED_FIRSTFIT;
        else
                return -EINVAL;
        return 0;
}

void sched_event_clear(sched_event *ev)
{
        free(ev->node);
        sched_job_spec_free(ev->job);
        ev->node = NULL;
        ev->job = NULL;
}
