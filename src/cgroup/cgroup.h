/* One cgroup manager interface over cgroup v2 (unified), v1 (legacy) and
 * hybrid hosts (v1 controllers + a controller-less cgroup2 used for
 * process tracking). The layout is detected from /proc/self/mountinfo.
 *
 * A cg_manager stands for one container's cgroup: one directory in v2,
 * one per mounted v1 hierarchy (plus the unified one on hybrid hosts). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>
#include "base/error.h"
#include "oci/config.h"

enum cg_layout { CG_LAYOUT_NONE, CG_LAYOUT_V2, CG_LAYOUT_V1, CG_LAYOUT_HYBRID };
const char *cg_layout_name(enum cg_layout l);   /* "v2", "v1", "hybrid", "none" */

typedef struct cg_manager cg_manager;

/* Which layout this host (this mount namespace) has. */
int cg_detect(enum cg_layout *ret, cella_error **err);

/* Create the container's cgroup(s) and apply `res` (may be NULL).
 * `path`: the OCI linux.cgroupsPath; absolute ("/a/b": from the root of each
 * hierarchy) or relative ("a/b": below the calling process's own cgroup, as
 * runc does); NULL: "<caller's cgroup>/<id>" like runc. A limit asked for on
 * a controller the host does not have is an error naming the controller.
 * On failure nothing is left behind. `rootless`: a missing or unwritable
 * hierarchy is skipped instead of an error (returns a manager that may hold
 * nothing). */
int cg_create(const char *path, const char *id, const oci_resources *res, bool rootless,
              cg_manager **ret, cella_error **err);

/* An O_DIRECTORY fd of the v2 cgroup for clone3(CLONE_INTO_CGROUP), or -1
 * when there is none (pure v1). Owned by the manager. */
int cg_clone_fd(const cg_manager *m);
/* Move pid into the container's cgroup in every hierarchy. `skip_unified`:
 * the process was already placed in the v2 cgroup by clone3. */
int cg_attach(cg_manager *m, pid_t pid, bool skip_unified, cella_error **err);
/* Apply (or update) limits. */
int cg_set(cg_manager *m, const oci_resources *res, cella_error **err);
/* Pids in the container's cgroup (v2 cgroup.procs, or the v1 pids/devices/
 * name=systemd one). *ret malloc'ed. */
int cg_pids(const cg_manager *m, pid_t **ret, size_t *ret_n, cella_error **err);
/* Send sig to every process in the cgroup (cgroup.kill for SIGKILL on v2). */
int cg_kill_all(const cg_manager *m, int sig, cella_error **err);
/* Freeze or thaw (cgroup.freeze on v2, freezer.state on v1); waits until done. */
int cg_freeze(const cg_manager *m, bool frozen, cella_error **err);
/* Frozen now? */
int cg_is_frozen(const cg_manager *m, bool *ret, cella_error **err);
/* runc-compatible stats JSON ("cpu", "memory", "pids", "blkio", "hugetlb"),
 * the "data" of `runc events --stats`. */
int cg_stats(const cg_manager *m, json_t **ret, cella_error **err);
/* Number of OOM kills so far (memory.events oom_kill on v2,
 * memory.oom_control oom_kill on v1); 0 when no memory controller. */
int cg_oom_kills(const cg_manager *m, uint64_t *ret, cella_error **err);
/* Remove the cgroup directories (processes must be gone; retries briefly
 * on EBUSY). Missing directories are not an error. */
int cg_destroy(cg_manager *m, cella_error **err);

/* Persist in the container's state and load it back in a later process. */
json_t *cg_to_json(const cg_manager *m);
int cg_from_json(const json_t *j, cg_manager **ret, cella_error **err);
void cg_free(cg_manager *m);
static inline void cg_freep(cg_manager **m) { cg_free(*m); *m = NULL; }

/* Does the container have cgroups in v1 hierarchies (v1 or hybrid host)? */
bool cg_has_v1(const cg_manager *m);

/* Human-readable path of the container's cgroup (e.g. "/cella/abc"). */
const char *cg_path(const cg_manager *m);
