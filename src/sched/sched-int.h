/* Internal layout of the scheduler state; shared by the files of src/sched. */
#pragma once
#include <jansson.h>
#include "sched.h"

#define PPM 1000000
#define MAX_CORES 1024

/* String id -> index; open addressing, never iterated (so its order never matters). */
typedef struct idmap {
        uint32_t cap, n;          /* cap: power of two */
        uint32_t *slot;           /* value + 1; 0 empty; UINT32_MAX tombstone */
        uint64_t *hash;
} idmap;
int idmap_put(idmap *m, const char *key, uint32_t value, const char *(*key_of)(const void *, uint32_t), const void *ctx);
int idmap_get(const idmap *m, const char *key, const char *(*key_of)(const void *, uint32_t), const void *ctx,
              uint32_t *ret);
void idmap_del(idmap *m, const char *key, const char *(*key_of)(const void *, uint32_t), const void *ctx);
void idmap_free(idmap *m);
uint64_t sched_hash_str(const char *s);

typedef struct task_ref { uint32_t job, task; } task_ref;

typedef struct snode {
        bool alive, masked;
        sched_node_spec spec;
        int64_t alloc[SCHED_NRES];   /* allocatable; GPU: count */
        int64_t free[SCHED_NRES];
        uint32_t gpu_free;           /* mask */
        uint32_t gmask[SCHED_MAX_NODE_GPUS]; /* NVLink component of each GPU */
        uint64_t feat;               /* bloom bits of labels and GPU models */
        uint32_t pos;                /* leaf position in the index */
        uint32_t ncores;             /* whole cores, for CPU sets */
        uint64_t core_used[MAX_CORES / 64];
        uint32_t excl_cores;
        int64_t shared_used;         /* millicores of jobs without a CPU set */
        uint32_t reserved_by;        /* job index + 1, 0 none */
        uint32_t ntasks, captasks;
        task_ref *tasks;
} snode;

typedef struct stask {
        uint32_t node;               /* slot */
        uint32_t gpus;
        uint32_t where;              /* index in the node's task list */
        uint16_t core_lo, core_n;    /* CPU set: [lo, lo+n) */
} stask;

typedef struct sjob {
        sched_job_spec spec;
        sched_job_state state;
        uint64_t seq;
        uint32_t waited, preemptions, nplaced;
        stask *task;                 /* spec.tasks entries */
        uint32_t nres;
        uint32_t *res;               /* reserved node slots */
        uint64_t need_feat;
} sjob;

typedef struct agg {
        int64_t maxfree[SCHED_NRES];
        int64_t mincap[3], maxcap[3];
        int32_t minfrac[3], maxfrac[3];
        uint64_t maxgpumem;
        uint64_t feat;
        /* most free CPU and memory among nodes with at least 1, 2, 4, 8 free GPUs:
         * ties GPU feasibility to CPU and memory, so GPU jobs prune well */
        int64_t gcpu[4], gmem[4];
} agg;

typedef struct sindex {
        uint32_t size, n;            /* leaves (power of two), nodes in use */
        agg *t;                      /* 2*size */
        uint32_t *slot_at;           /* leaf position -> node slot */
        bool dirty;
} sindex;

struct sched_state {
        sched_config cfg;
        snode *nodes;
        uint32_t nslots, capnodes, nalive;
        sjob *jobs;
        uint32_t njobs, capjobs;
        idmap node_ids, job_ids;
        uint32_t *pending;           /* job indexes ordered by (priority desc, seq asc) */
        size_t npending, cappending;
        sindex ix;
        uint64_t next_seq, events, passes, decisions, skipped, preemptions, placed_tasks;
        uint32_t nreservations;
        bool dirty;                  /* something to do for the next pass */
        char cpuset_buf[64];
};

/* event.c: fill o with the spec's canonical fields */
json_t *sched_node_spec_to_json(const sched_node_spec *n, json_t *o);
json_t *sched_job_spec_to_json(const sched_job_spec *j, json_t *o);

/* model.c */
const char *sched_node_key(const void *s, uint32_t i);
const char *sched_job_key(const void *s, uint32_t i);
int sched_node_find(const sched_state *s, const char *id, uint32_t *ret);
int sched_job_find(const sched_state *s, const char *id, uint32_t *ret);
int sched_node_add(sched_state *s, const sched_node_spec *spec, cella_error **err);
int sched_node_update(sched_state *s, const sched_node_spec *spec, cella_error **err);
int sched_node_remove(sched_state *s, const char *id, cella_error **err);
int sched_job_submit(sched_state *s, const sched_job_spec *spec, cella_error **err);
int sched_job_add_raw(sched_state *s, const sched_job_spec *spec, sjob **ret, cella_error **err);
uint64_t sched_feat_bit(const char *a, const char *b);
void sched_node_derive(snode *n);

/* alloc.c: resources of one task on one node */
bool sched_task_fits(const snode *n, const sjob *j, uint32_t *ret_gpus, int64_t *ret_penalty, const sched_config *c);
int sched_task_bind(sched_state *s, uint32_t job, uint32_t task, uint32_t slot, uint32_t gpus);
int sched_task_bind_at(sched_state *s, uint32_t job, uint32_t task, uint32_t slot, uint32_t gpus, int core_lo);
void sched_task_unbind(sched_state *s, uint32_t job, uint32_t task);
void sched_job_release(sched_state *s, uint32_t job);
uint32_t sched_gpu_match(const snode *n, const sjob *j);

/* queue.c */
int sched_queue_insert(sched_state *s, uint32_t job);
void sched_queue_remove(sched_state *s, uint32_t job);
bool sched_queue_before(const sched_state *s, uint32_t a, uint32_t b);
int sched_pass(sched_state *s, const sched_observer *obs, cella_error **err);
void sched_reservation_drop(sched_state *s, uint32_t job);

/* index.c */
int sched_index_ensure(sched_state *s);
void sched_index_update(sched_state *s, uint32_t slot);
/* Best node for one task of job j (policy from cfg); -ENOSPC when none. */
int sched_index_search(sched_state *s, uint32_t job, uint32_t *ret_slot, uint32_t *ret_gpus);
void sched_index_free(sindex *ix);

/* preempt.c */
typedef struct saved_job {
        uint32_t job;
        sched_job_state state;
        uint32_t waited;
        stask *task;               /* copy of the placements */
} saved_job;
typedef struct journal {
        size_t n, cap;
        saved_job *v;
} journal;
/* Find the node where evicting the fewest, lowest-priority jobs lets one task
 * of job fit; evict them (recorded in jr so they can be put back). */
int sched_preempt_for(sched_state *s, uint32_t job, journal *jr, uint32_t *ret_slot, uint32_t *ret_gpus);
/* Evict a placed job back to the queue (PREEMPTED -> PENDING). jr may be NULL. */
int sched_evict_job(sched_state *s, uint32_t job, journal *jr);
void sched_evict(sched_state *s, uint32_t job);
void sched_journal_undo(sched_state *s, journal *jr);
void sched_journal_commit(sched_state *s, journal *jr, const sched_observer *obs);
