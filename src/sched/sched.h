/* The cella scheduler: a pure function of (state, event).
 *
 * No clocks, no I/O, no threads, no randomness. Every tie is broken by a
 * stable id (node id, job id, GPU uuid), never by insertion order or hash
 * table order, so the same sequence of events gives the same placements and
 * the same state hash in any process. See docs/sched.md. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

#define SCHED_ID_MAX 64            /* ids, tenants, label keys/values, models: < 64 bytes */
#define SCHED_MAX_LABELS 16
#define SCHED_MAX_NODE_GPUS 16
#define SCHED_MAX_TASKS 256
#define SCHED_MAX_NODES 100000
#define SCHED_MAX_JOBS 4000000
#define SCHED_MAX_PAYLOAD 65536    /* bytes of the canonical JSON payload */
#define SCHED_MAX_PRIORITY 1000000

typedef enum sched_resource { SCHED_CPU, SCHED_MEM, SCHED_PIDS, SCHED_GPU, SCHED_NRES } sched_resource;

typedef enum sched_job_state {
        SCHED_PENDING, SCHED_SCHEDULED, SCHED_RUNNING, SCHED_SUCCEEDED,
        SCHED_FAILED, SCHED_CANCELLED, SCHED_PREEMPTED,
} sched_job_state;

typedef enum sched_policy { SCHED_BINPACK, SCHED_SPREAD, SCHED_FIRSTFIT } sched_policy;

typedef struct sched_label {
        char key[SCHED_ID_MAX];
        char value[SCHED_ID_MAX];
} sched_label;

typedef struct sched_gpu_spec {
        char uuid[SCHED_ID_MAX + 32];
        char model[SCHED_ID_MAX];
        uint64_t memory;          /* bytes */
        int numa;                 /* -1 unknown */
        uint32_t peers;           /* NVLink peers: bit i = i-th GPU of this node (uuid order) */
} sched_gpu_spec;

typedef struct sched_node_spec {
        char id[SCHED_ID_MAX];
        unsigned nlabels;
        sched_label labels[SCHED_MAX_LABELS];  /* sorted by key */
        int64_t capacity[SCHED_PIDS + 1];      /* cpu millicores, memory bytes, pids */
        int64_t allocatable[SCHED_PIDS + 1];
        unsigned ngpus;
        sched_gpu_spec gpus[SCHED_MAX_NODE_GPUS]; /* sorted by uuid */
} sched_node_spec;

typedef struct sched_job_spec {
        char id[SCHED_ID_MAX];
        char tenant[SCHED_ID_MAX];
        int32_t priority;
        int64_t cpu, memory, pids;  /* per task */
        uint32_t gpus;              /* per task */
        uint64_t gpu_memory;        /* minimum per GPU */
        char gpu_model[SCHED_ID_MAX];
        uint32_t tasks;             /* >= 1; > 1 is a gang: all or none */
        bool want_cpuset;           /* placement reports a CPU set */
        unsigned nselector;
        sched_label *selector;      /* nselector entries, owned; sorted by key; all must match */
        char *payload;              /* canonical JSON text, owned, may be NULL */
        int64_t duration_us;        /* trace only: how long it runs once started */
} sched_job_spec;

typedef enum sched_event_kind {
        SCHED_EV_NODE_ADD, SCHED_EV_NODE_UPDATE, SCHED_EV_NODE_REMOVE,
        SCHED_EV_SUBMIT, SCHED_EV_CANCEL, SCHED_EV_START, SCHED_EV_FINISH,
        SCHED_EV_SCHEDULE,
} sched_event_kind;

typedef struct sched_event {
        sched_event_kind kind;
        int64_t t_us;               /* simulated time (trace only; ignored by the core) */
        char id[SCHED_ID_MAX];      /* node or job id for remove/cancel/start/finish */
        bool ok;                    /* finish: succeeded */
        sched_node_spec *node;      /* add/update, owned */
        sched_job_spec *job;        /* submit, owned */
} sched_event;

void sched_event_clear(sched_event *ev);
void sched_job_spec_free(sched_job_spec *j);
const char *sched_event_kind_name(sched_event_kind k);
const char *sched_job_state_name(sched_job_state s);
const char *sched_policy_name(sched_policy p);
int sched_policy_from_name(const char *name, sched_policy *ret);

/* Events <-> JSON (one object; the trace line and log body format). */
typedef struct json_t json_t;
int sched_event_from_json(json_t *obj, sched_event *ret, cella_error **err);
json_t *sched_event_to_json(const sched_event *ev);

/* Trace: JSON lines; errors name the line. Parses the whole buffer. */
typedef struct sched_trace {
        size_t n, cap;
        sched_event *events;
} sched_trace;
int sched_trace_parse(const char *name, const char *buf, size_t len, sched_trace *ret, cella_error **err);
void sched_trace_free(sched_trace *t);

typedef struct sched_config {
        sched_policy policy;
        int64_t w_cpu, w_mem, w_gpu;   /* per-resource weights of the score */
        int64_t w_strand;              /* penalty per unit of imbalance left on a node */
        int64_t w_nvlink;              /* penalty per extra NVLink group a job spans */
        int64_t w_break;               /* penalty for breaking into a whole free NVLink group */
        bool preemption;
        uint32_t starve_passes;        /* passes a job may wait before it reserves nodes */
        uint32_t max_reservations;     /* reservations held at once */
        uint32_t search_budget;        /* index nodes a search may visit after its first fit */
} sched_config;

void sched_config_default(sched_config *c);

typedef struct sched_state sched_state;

int sched_state_new(const sched_config *cfg, sched_state **ret, cella_error **err);
void sched_state_free(sched_state *s);
static inline void sched_state_freep(sched_state **s) { sched_state_free(*s); }
#define _cleanup_sched_state_ __attribute__((cleanup(sched_state_freep)))

typedef enum sched_outcome { SCHED_PLACED, SCHED_UNSCHEDULABLE, SCHED_EVICTED } sched_outcome;

typedef struct sched_task_placement {
        uint32_t node;              /* node slot */
        uint32_t gpus;              /* bit i: i-th GPU of the node */
} sched_task_placement;

/* Called during a SCHEDULE event for each decision, in order. */
typedef struct sched_observer {
        void (*decision)(void *ud, const char *job_id, sched_outcome o, const sched_job_spec *spec);
        void *ud;
} sched_observer;

/* Apply one event. Returns 0 or a negative errno (bad event for this state:
 * unknown id, duplicate id, illegal transition). The state is unchanged on error. */
int sched_apply(sched_state *s, const sched_event *ev, const sched_observer *obs, cella_error **err);

/* Queries. */
typedef struct sched_job_info {
        const sched_job_spec *spec;
        sched_job_state state;
        uint64_t seq;
        uint32_t waited;            /* passes spent waiting since the last submit/eviction */
        uint32_t preemptions;
        uint32_t ntasks_placed;
} sched_job_info;
int sched_job_status(const sched_state *s, const char *id, sched_job_info *ret);
/* Task i's node id and GPU uuids (and CPU set "a-b" when asked for); buffers owned by s. */
int sched_job_task(const sched_state *s, const char *id, uint32_t task, const char **ret_node,
                   const char *ret_gpus[SCHED_MAX_NODE_GPUS], unsigned *ret_ngpus, char ret_cpuset[64]);

typedef struct sched_stats {
        size_t nodes, jobs, pending, running;      /* running: tasks placed (SCHEDULED or RUNNING) */
        int64_t alloc[SCHED_NRES], used[SCHED_NRES];
        int64_t stranded[SCHED_NRES];              /* free on nodes where another resource is exhausted */
        uint64_t preemptions, passes, decisions, skipped, placed_tasks;
} sched_stats;
void sched_get_stats(const sched_state *s, sched_stats *ret);
const sched_config *sched_get_config(const sched_state *s);

/* Canonical serialisation (the snapshot format) and its SHA-256. */
json_t *sched_state_to_json(const sched_state *s);
int sched_state_hash(const sched_state *s, char ret[65]);
int sched_state_from_json(const sched_config *cfg, json_t *snap, sched_state **ret, cella_error **err);
uint64_t sched_state_events(const sched_state *s);  /* events applied */

/* Simulation (sim.c): replays a trace through the real scheduler in
 * simulated time. The core stays pure: the clock used to time decisions and
 * the log that records events are supplied by the caller. */
typedef struct sched_sim_opts {
        sched_config cfg;
        size_t max_nodes;                       /* 0: all; else the first N node ids */
        int64_t (*now_ns)(void *ud);            /* NULL: no timing */
        void *clock_ud;
        /* Called with every event before it is applied (the event log). */
        int (*record)(void *ud, const sched_state *s, const sched_event *ev, cella_error **err);
        void *record_ud;
        bool keep_latencies;                    /* fill result.lat_ns (in decision order) */
        int64_t (*cpu_ns)(void *ud);            /* optional: this thread's CPU time, read around each pass */
} sched_sim_opts;

typedef struct sched_sim_result {
        uint64_t events, decisions, placed, unschedulable, evictions, passes, skipped;
        uint64_t jobs, jobs_placed, jobs_never_placed;
        int64_t end_us;
        int64_t decide_ns;                      /* total time in decisions */
        int64_t pass_cpu_ns;                    /* CPU time spent in scheduling passes (cpu_ns) */
        int64_t p50_ns, p99_ns, max_ns;
        double util[SCHED_NRES];                /* time-weighted used/allocatable */
        double stranded[SCHED_NRES];            /* time-weighted stranded/allocatable */
        double wait_mean_s, wait_p50_s, wait_p99_s, wait_max_s;
        uint64_t digest;                        /* FNV-1a over every decision: job, outcome, nodes, GPUs */
        char hash[65];                          /* state hash at the end */
        int64_t *lat_ns;                        /* keep_latencies: per decision; free() it */
        size_t nlat;
} sched_sim_result;

int sched_simulate(const sched_trace *t, const sched_sim_opts *o, sched_state **ret_state, sched_sim_result *ret,
                   cella_error **err);

/* Compaction (compact.c): the fewest nodes (a prefix of the trace's nodes in
 * id order) on which the jobs alive at the trace's peak all fit at once, and
 * the lower bound max over resources of ceil(demand / node allocatable).
 * A policy that needs more nodes than the trace has gets copies of them. */
typedef struct sched_compact_result {
        int64_t peak_us;
        size_t peak_jobs, nodes_available, nodes_needed, lower_bound;
        int64_t demand[SCHED_NRES];
        bool fits;                              /* false: not even twice the nodes hold the peak */
} sched_compact_result;

int sched_compact(const sched_trace *t, const sched_config *cfg, sched_compact_result *ret, cella_error **err);
