/* The scheduler's event log: SQLite in WAL mode (format "cella-sched-log",
 * version 1; docs/sched.md). Every input is appended before it is applied;
 * the state is a fold of the log, with snapshots so a restart replays only
 * the tail. This file is I/O: the pure core never includes it. */
#pragma once
#include "sched.h"

#define SCHED_LOG_VERSION 1

typedef struct sched_log sched_log;

/* create: a new log (fails if the file holds one already) recording cfg. */
int sched_log_create(const char *path, const sched_config *cfg, sched_log **ret, cella_error **err);
int sched_log_open(const char *path, sched_log **ret, cella_error **err);
void sched_log_close(sched_log *l);
static inline void sched_log_closep(sched_log **l) { sched_log_close(*l); }
#define _cleanup_sched_log_ __attribute__((cleanup(sched_log_closep)))

/* The scheduler configuration the log was written with. */
const sched_config *sched_log_config(const sched_log *l);
/* Snapshot every n events (0: never). Applies to sched_log_record. */
void sched_log_set_snapshot_every(sched_log *l, uint64_t n);

/* Append one event (its own transaction); *ret_seq gets its sequence number. */
int sched_log_append(sched_log *l, const sched_event *ev, uint64_t *ret_seq, cella_error **err);
/* Store s (which has applied every event appended so far) as a snapshot. */
int sched_log_snapshot(sched_log *l, const sched_state *s, cella_error **err);
/* What an embedding daemon calls for every input: append ev (and a snapshot
 * when one is due), then apply it to s. s must hold every event logged so far. */
int sched_log_apply(sched_log *l, sched_state *s, const sched_event *ev, const sched_observer *obs, cella_error **err);

/* For sched_sim_opts.record: snapshot when due, then append. */
int sched_log_record(void *log, const sched_state *s, const sched_event *ev, cella_error **err);

typedef struct sched_replay_info {
        uint64_t snapshot_seq;      /* 0: replayed from the start */
        uint64_t replayed;          /* events applied after the snapshot */
        uint64_t last_seq;
        bool torn;                  /* the last record failed its checksum and was ignored */
} sched_replay_info;

/* Rebuild the state: latest valid snapshot, then the tail. use_snapshots false: from the start. */
int sched_log_replay(sched_log *l, bool use_snapshots, sched_state **ret, sched_replay_info *info, cella_error **err);
