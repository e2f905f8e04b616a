/* Internal model shared by the cgroup drivers. Not part of the public
 * interface (cgroup.h); unit tests include it to reach the pure helpers. */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "cgroup.h"

/* Controllers we know, whatever hierarchy carries them. */
enum cg_ctl {
        CG_CTL_CPU, CG_CTL_CPUACCT, CG_CTL_CPUSET, CG_CTL_MEMORY, CG_CTL_DEVICES, CG_CTL_FREEZER,
        CG_CTL_BLKIO, CG_CTL_PIDS, CG_CTL_HUGETLB, CG_CTL_NET_CLS, CG_CTL_NET_PRIO,
        CG_CTL_PERF_EVENT, CG_CTL_RDMA, CG_CTL_MISC, CG_CTL__COUNT
};
#define CG_BIT(c) (1u << (c))
extern const char *const cg_ctl_v1_names[CG_CTL__COUNT];
/* The v2 name of a controller ("io" for blkio); NULL where v2 has no
 * controller file of its own (devices, freezer, net_*). */
const char *cg_ctl_v2_name(enum cg_ctl c);
int cg_ctl_from_v1_name(const char *name);      /* -1 when unknown */
int cg_ctl_from_v2_name(const char *name);      /* "cpu" -> CPU (also carries cpuacct) */

#define CG_MAX_HIER 32          /* v1 hierarchies we track */
#define CG_MAX_PATH 4096

/* One mounted hierarchy, as /proc/self/mountinfo shows it. */
typedef struct cg_hier {
        char *mnt;              /* mount point, e.g. "/sys/fs/cgroup/cpu" */
        char *root;             /* root of the mount inside the hierarchy ("/" usually) */
        char *own;              /* the caller's cgroup there (/proc/self/cgroup), or NULL */
        unsigned ctls;          /* CG_BIT set; for v2: the root's cgroup.controllers */
        bool named_systemd;     /* name=systemd */
        bool v2;
} cg_hier;

typedef struct cg_host {
        enum cg_layout layout;
        cg_hier *v1;
        size_t n_v1;
        cg_hier *v2;            /* the cgroup2 mount, or NULL */
} cg_host;

/* Parse mountinfo text and /proc/self/cgroup text (may be NULL: own paths
 * left NULL) into a host description. Mounts hidden by another mount (a
 * tmpfs over the v1 memory folder) do not count. v2 controllers are not
 * filled in (they come from the root's cgroup.controllers). */
int cg_host_parse(const char *mountinfo, const char *proc_cgroup, cg_host **ret, cella_error **err);
void cg_host_free(cg_host *h);
/* The process-wide host description: parsed once, then cached. with_own:
 * also the caller's own cgroups (own fields), read once when first asked. */
int cg_host_get(const cg_host **ret, bool with_own, cella_error **err);
void cg_host_set_own(cg_host *h, const char *proc_cgroup);
/* "cpu cpuset io" -> CG_BIT set */
unsigned cg_parse_v2_controllers(const char *text);

/* cgroupsPath -> canonical absolute path inside one hierarchy.
 * own: the caller's cgroup in that hierarchy ("/" when unknown). */
int cg_resolve_path(const char *path, const char *id, const char *own, char **ret, cella_error **err);
/* "system.slice:docker:abc" -> "/system.slice/docker-abc.scope" */
int cg_systemd_path(const char *spec, char **ret, cella_error **err);
/* Directory of cgroup `path` (absolute in the hierarchy) under a mount. */
int cg_fs_path(const cg_hier *h, const char *path, char **ret);

/* Conversions. */
uint64_t cg_shares_to_weight(uint64_t shares);
/* OCI memory.swap (memory+swap) -> memory.swap.max; -1 for "max".
 * has_swap false: *ret untouched and 0 returned with *ret_set false. */
int cg_swap_to_v2(bool has_limit, int64_t limit, bool has_swap, int64_t swap, bool *ret_set, int64_t *ret,
                  cella_error **err);
/* "2MB" style page size check. */
bool cg_valid_page_size(const char *s);
bool cg_valid_unified_key(const char *key);

/* Device rules: runc's emulator. The result is a default (allow/deny) and
 * exceptions, each exact (type c/b, major/minor or -1, access bits). */
#define CG_DEV_R 1u
#define CG_DEV_W 2u
#define CG_DEV_M 4u
typedef struct cg_dev_ex { char type; int64_t major, minor; unsigned access; } cg_dev_ex;
typedef struct cg_dev_state {
        bool default_allow;
        cg_dev_ex *ex;
        size_t n_ex;
} cg_dev_state;
int cg_dev_emulate(const oci_device_rule *rules, size_t n, cg_dev_state *ret, cella_error **err);
void cg_dev_state_done(cg_dev_state *s);
/* "c 1:3 rwm" */
void cg_dev_format(const cg_dev_ex *e, char *buf, size_t len);

/* eBPF device program (struct bpf_insn as raw 8-byte records). */
typedef struct cg_bpf_insn { uint8_t code; uint8_t regs; int16_t off; int32_t imm; } cg_bpf_insn;
int cg_bpf_devices_build(const cg_dev_state *s, cg_bpf_insn **ret, size_t *ret_n, cella_error **err);
/* Load and attach to the cgroup dir fd, detaching programs attached before. */
int cg_bpf_devices_apply(int cgroup_fd, const oci_device_rule *rules, size_t n, cella_error **err);

/* A container's directory in one hierarchy. */
typedef struct cg_dir {
        char *path;             /* filesystem path of the leaf */
        int fd;                 /* O_DIRECTORY, or -1 when gone */
        unsigned ctls;          /* controllers it carries (v2: enabled for it) */
        bool v2, named_systemd;
        char **made;            /* dirs this manager created, outermost first */
        size_t n_made;
} cg_dir;

struct cg_manager {
        enum cg_layout layout;
        char *path;             /* human-readable */
        bool rootless;
        cg_dir *v2;             /* unified dir or NULL */
        cg_dir *v1;
        size_t n_v1;
};

/* Which dir carries controller c: a v1 dir, else the v2 one (where v2
 * gives it), else NULL. Devices and freezer are always on v2 cgroups. */
cg_dir *cg_dir_for(const cg_manager *m, enum cg_ctl c);

/* Per-controller writers; the dispatcher (set.c) picks v1 or v2 by the
 * dir that carries the controller. */
int cg_v1_cpu(cg_dir *d, const oci_resources *r, cella_error **err);
int cg_v1_cpuset(cg_dir *d, const oci_resources *r, cella_error **err);
int cg_v1_memory(cg_dir *d, const oci_resources *r, cella_error **err);
int cg_v1_blkio(cg_dir *d, const oci_resources *r, cella_error **err);
int cg_v1_devices(cg_dir *d, const oci_resources *r, cella_error **err);
int cg_v1_net(cg_dir *cls, cg_dir *prio, const oci_resources *r, cella_error **err);
/* Copy cpuset.cpus/mems from the parent where empty (v1 refuses tasks otherwise). */
int cg_v1_cpuset_init(int parent_fd, int fd, cella_error **err);
int cg_v2_cpu(cg_dir *d, const oci_resources *r, cella_error **err);
int cg_v2_cpuset(cg_dir *d, const oci_resources *r, cella_error **err);
int cg_v2_memory(cg_dir *d, const oci_resources *r, cella_error **err);
int cg_v2_io(cg_dir *d, const oci_resources *r, cella_error **err);
int cg_v2_unified(cg_dir *d, const oci_resources *r, cella_error **err);
int cg_pids_set(cg_dir *d, const oci_resources *r, cella_error **err);
/* Apply every limit in r (cg_set without the manager's NULL checks). */
int cg_apply(cg_manager *m, const oci_resources *r, cella_error **err);
/* Check up front that every requested limit has a controller. */
int cg_check_available(const cg_manager *m, const oci_resources *r, cella_error **err);

/* Small I/O helpers relative to a dir fd. */
int cg_write(int dfd, const char *file, const char *value, cella_error **err);
int cg_writef(int dfd, const char *file, cella_error **err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int cg_read(int dfd, const char *file, char **ret);     /* up to 1 MiB */
int cg_read_u64(int dfd, const char *file, uint64_t *ret); /* "max" -> UINT64_MAX */
/* "key value" lines: value of key, -ENOENT when absent. */
int cg_kv_get(const char *text, const char *key, uint64_t *ret);

/* Stats helpers (pure, on file texts). */
json_t *cg_stats_blkio_v1(const char *text);            /* "8:0 Read 123" lines */
void cg_stats_io_v2(const char *text, json_t **bytes, json_t **ios);
json_t *cg_stats_raw(const char *memory_stat);           /* "key value" lines -> object */
json_t *cg_stats_percpu(const char *text);               /* "1 2 3" -> [1,2,3] */
