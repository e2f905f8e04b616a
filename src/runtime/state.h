/* The container state store under --root (default /run/cella-runtime):
 * one directory per container holding state.json and, until `start`, the
 * exec fifo the init blocks on. State outlives the runtime process: any
 * later `state`, `kill` or `delete` reads it back. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "base/error.h"
#include "cgroup/cgroup.h"

#define RT_DEFAULT_ROOT "/run/cella-runtime"
#define RT_STATE_FILE "state.json"
#define RT_FIFO_FILE "exec.fifo"
#define RT_CONFIG_COPY "config.json"

enum rt_status { RT_CREATING, RT_CREATED, RT_RUNNING, RT_STOPPED, RT_PAUSED };
const char *rt_status_name(enum rt_status s);

typedef struct rt_state {
        char *id;
        char *bundle;           /* absolute */
        char *rootfs;           /* absolute */
        pid_t pid;              /* the container's init, as seen from the host */
        uint64_t pid_start;     /* /proc/PID/stat starttime: guards against pid reuse */
        char *created;          /* RFC 3339 */
        char *owner;
        json_t *annotations;    /* object, may be NULL */
        json_t *cgroup;         /* cg_to_json(), may be NULL */
        json_t *hooks;          /* the config's hooks (poststop runs at delete), may be NULL */
        bool started;           /* `start` ran (the fifo is gone) */
        bool no_pivot;
} rt_state;

/* "abc-1.x_Y": letters, digits, and . _ - + (runc's set); no '/', "..",
 * control characters; at most 1024 bytes. */
int rt_id_validate(const char *id, cella_error **err);

/* Open (O_PATH|O_DIRECTORY) the state root, creating it (0700) when asked. */
int rt_root_open(const char *root, bool create, int *ret_fd, cella_error **err);
int rt_state_load(int root_fd, const char *id, rt_state **ret, cella_error **err);
int rt_state_save(int root_fd, const rt_state *s, cella_error **err);
void rt_state_free(rt_state *s);
static inline void rt_state_freep(rt_state **s) { rt_state_free(*s); *s = NULL; }

/* The status now: stopped when the init is gone (or its pid was reused),
 * paused when its cgroup is frozen, created until `start`, else running. */
enum rt_status rt_state_status(int root_fd, const rt_state *s, const cg_manager *cg);
/* OCI state JSON (ociVersion, id, status, pid, bundle, annotations) plus
 * runc's extra fields (rootfs, created, owner). */
json_t *rt_state_to_oci(const rt_state *s, enum rt_status status);

uint64_t rt_proc_start_time(pid_t pid);   /* 0 when gone */
