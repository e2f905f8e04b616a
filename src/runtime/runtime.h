/* The OCI runtime operations behind cella-runtime (and, later, the shim):
 * create, start, run, state, kill, delete, exec, list, ps, pause, resume,
 * update, events. Programs parse arguments and call these. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>
#include "base/error.h"
#include "oci/config.h"

typedef struct rt_opts {
        const char *root;               /* state root; NULL: RT_DEFAULT_ROOT */
        const char *console_socket;     /* create/run/exec: receives the pty master */
        const char *pid_file;
        bool no_pivot;
        bool detach;                    /* run/exec: return once started */
        bool keep;                      /* run: keep state after exit */
        unsigned preserve_fds;          /* fds 3..3+N-1 of the caller go to the process (runc's --preserve-fds) */
} rt_opts;

/* The state root: --root, else /run/cella-runtime for root, else
 * $XDG_RUNTIME_DIR/cella-runtime (or /tmp/cella-runtime-UID) as runc does. */
const char *rt_root_path(const rt_opts *o);

int rt_create(const rt_opts *o, const char *id, const char *bundle, cella_error **err);
int rt_start(const rt_opts *o, const char *id, cella_error **err);
/* create + start; without detach waits and stores the exit code (or
 * 128+signal) in *ret_exit, then deletes the container. */
int rt_run(const rt_opts *o, const char *id, const char *bundle, int *ret_exit, cella_error **err);
int rt_get_state(const rt_opts *o, const char *id, json_t **ret, cella_error **err);
int rt_kill(const rt_opts *o, const char *id, int sig, bool all, cella_error **err);
int rt_delete(const rt_opts *o, const char *id, bool force, cella_error **err);
/* Array of OCI states. */
int rt_list(const rt_opts *o, json_t **ret, cella_error **err);
int rt_ps(const rt_opts *o, const char *id, pid_t **ret, size_t *ret_n, cella_error **err);
int rt_pause(const rt_opts *o, const char *id, bool pause, cella_error **err);
/* Apply new linux.resources (an OCI resources object). */
int rt_update(const rt_opts *o, const char *id, const json_t *resources, cella_error **err);
/* Stats in runc's `events --stats` "data" shape; *ret_oom: OOM kills so far. */
int rt_stats(const rt_opts *o, const char *id, json_t **ret, uint64_t *ret_oom, cella_error **err);

/* Run `proc` (a parsed OCI process) in the container. Without detach waits
 * and stores the exit code in *ret_exit. */
int rt_exec(const rt_opts *o, const char *id, oci_process *proc, int *ret_exit, cella_error **err);
/* Parse a process JSON (--process file) with the config parser's checks. */
int rt_process_load(const char *path, oci_config **ret_holder, cella_error **err);
/* The same from a JSON object; `name` prefixes errors. */
int rt_process_from_json(const char *name, json_t *proc, oci_config **ret_holder, cella_error **err);
/* The bundle's config.json of an existing container (exec's defaults). */
int rt_container_config(const rt_opts *o, const char *id, json_t **ret, cella_error **err);

/* Signal name ("KILL", "SIGKILL") or number -> signal; -1 when unknown. */
int rt_signal_parse(const char *s);
