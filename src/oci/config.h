/* The OCI runtime-spec (1.0-1.2) container configuration, parsed into
 * plain C structures. Every pointer member is owned by the config and
 * freed by oci_config_free(). Absent optional fields are NULL / 0 with a
 * has_* flag where 0 is a meaningful value. Arrays are (pointer, count). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "base/error.h"

/* Limits on what a config may make us allocate. */
#define OCI_CONFIG_MAX_BYTES (4u << 20)
#define OCI_MAX_ARRAY 4096

typedef struct oci_kv { char *key, *value; } oci_kv;

typedef struct oci_rlimit {
        int resource;           /* RLIMIT_* */
        char *type;             /* "RLIMIT_NOFILE" */
        uint64_t soft, hard;
} oci_rlimit;

typedef struct oci_user {
        uid_t uid;
        gid_t gid;
        bool has_umask;
        mode_t umask;
        gid_t *additional_gids;
        size_t n_additional_gids;
        char *username;         /* informational */
} oci_user;

/* Capability sets: arrays of CAP_* numbers (validated names). */
typedef struct oci_caps {
        bool present;
        int *bounding, *effective, *inheritable, *permitted, *ambient;
        size_t n_bounding, n_effective, n_inheritable, n_permitted, n_ambient;
} oci_caps;

typedef struct oci_process {
        bool terminal;
        bool has_console_size;
        unsigned console_height, console_width;
        char **args;            /* NULL-terminated, n_args entries */
        size_t n_args;
        char **env;             /* NULL-terminated */
        size_t n_env;
        char *cwd;              /* absolute; required */
        oci_user user;
        oci_rlimit *rlimits;
        size_t n_rlimits;
        bool no_new_privileges;
        bool has_oom_score_adj;
        int oom_score_adj;
        oci_caps caps;
        char *apparmor_profile; /* accepted, ignored with a warning where unsupported */
        char *selinux_label;
} oci_process;

typedef struct oci_mount {
        char *destination;      /* absolute path inside the container */
        char *type;             /* may be NULL (bind) */
        char *source;           /* may be NULL */
        char **options;         /* raw option strings, NULL-terminated */
        size_t n_options;
        /* Derived by oci_mount_parse_options(): */
        unsigned long flags;            /* MS_* to set */
        unsigned long clear_flags;      /* MS_* the options clear (rw, suid, dev, exec, ...) */
        unsigned long propagation;      /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE (|MS_REC) or 0 */
        bool bind;                      /* "bind" or "rbind" option, or type "bind" */
        bool recursive;                 /* "rbind" */
        bool recursive_ro;              /* "rro" (mount_setattr AT_RECURSIVE) */
        bool idmap;                     /* "idmap"/"ridmap": rejected unless supported */
        char *data;                     /* remaining options joined by ',' for mount(2) data, or NULL */
        /* Added after the first version (additive): the recursive r* options
         * ("rro", "rnosuid", "rnoexec", ...) as mount_setattr(2) attributes,
         * to apply with AT_RECURSIVE; recursive_ro mirrors MOUNT_ATTR_RDONLY. */
        uint64_t rec_attr_set, rec_attr_clr;    /* MOUNT_ATTR_* */
        bool tmpcopyup;                 /* "tmpcopyup" (crun): copy the rootfs content into the new tmpfs */
} oci_mount;

typedef struct oci_hook {
        char *path;
        char **args;            /* NULL-terminated, may be NULL */
        size_t n_args;
        char **env;             /* NULL-terminated, may be NULL */
        size_t n_env;
        bool has_timeout;
        int timeout;            /* seconds, > 0 */
} oci_hook;

enum oci_hook_kind {
        OCI_HOOK_PRESTART, OCI_HOOK_CREATE_RUNTIME, OCI_HOOK_CREATE_CONTAINER,
        OCI_HOOK_START_CONTAINER, OCI_HOOK_POSTSTART, OCI_HOOK_POSTSTOP, OCI_HOOK__COUNT
};
extern const char *const oci_hook_kind_names[OCI_HOOK__COUNT]; /* "prestart", "createRuntime", ... */

typedef struct oci_hooks {
        oci_hook *list[OCI_HOOK__COUNT];
        size_t n[OCI_HOOK__COUNT];
} oci_hooks;

enum oci_ns_type {
        OCI_NS_PID, OCI_NS_NETWORK, OCI_NS_MOUNT, OCI_NS_IPC, OCI_NS_UTS,
        OCI_NS_USER, OCI_NS_CGROUP, OCI_NS_TIME, OCI_NS__COUNT
};
extern const char *const oci_ns_type_names[OCI_NS__COUNT]; /* "pid", "network", ... */
int oci_ns_clone_flag(enum oci_ns_type t);                   /* CLONE_NEWPID, ... */
const char *oci_ns_proc_name(enum oci_ns_type t);            /* "pid", "net", "mnt", ... under /proc/PID/ns */

typedef struct oci_namespace {
        enum oci_ns_type type;
        char *path;             /* join this namespace; NULL: create a new one */
} oci_namespace;

typedef struct oci_idmap { uint32_t container_id, host_id, size; } oci_idmap;

typedef struct oci_device {
        char *path;             /* absolute, inside the container */
        char type;              /* 'c', 'b', 'u', 'p' */
        int64_t major, minor;
        bool has_file_mode;
        mode_t file_mode;
        bool has_uid, has_gid;
        uid_t uid;
        gid_t gid;
} oci_device;

typedef struct oci_device_rule {
        bool allow;
        char type;              /* 'a', 'c', 'b' */
        int64_t major, minor;   /* -1: wildcard */
        char access[4];         /* subset of "rwm" */
} oci_device_rule;

typedef struct oci_throttle { int64_t major, minor; uint64_t rate; } oci_throttle;
typedef struct oci_weight_dev { int64_t major, minor; bool has_weight, has_leaf_weight; uint16_t weight, leaf_weight; } oci_weight_dev;
typedef struct oci_hugepage { char *page_size; uint64_t limit; } oci_hugepage;

/* linux.resources. Each has_* says the field was given. */
typedef struct oci_resources {
        bool present;
        oci_device_rule *devices;
        size_t n_devices;
        /* memory */
        bool has_mem_limit, has_mem_reservation, has_mem_swap, has_mem_kernel, has_mem_kernel_tcp,
             has_mem_swappiness, has_disable_oom_killer, has_use_hierarchy, has_check_before_update;
        int64_t mem_limit, mem_reservation, mem_swap, mem_kernel, mem_kernel_tcp; /* -1: unlimited */
        uint64_t mem_swappiness;
        bool disable_oom_killer, use_hierarchy, check_before_update;
        /* cpu */
        bool has_cpu_shares, has_cpu_quota, has_cpu_burst, has_cpu_period, has_cpu_rt_runtime,
             has_cpu_rt_period, has_cpu_idle;
        uint64_t cpu_shares, cpu_period, cpu_rt_period, cpu_burst;
        int64_t cpu_quota, cpu_rt_runtime, cpu_idle;
        char *cpu_cpus, *cpu_mems;
        /* pids */
        bool has_pids_limit;
        int64_t pids_limit;     /* <= 0: unlimited */
        /* blockIO */
        bool has_blkio_weight, has_blkio_leaf_weight;
        uint16_t blkio_weight, blkio_leaf_weight;
        oci_weight_dev *blkio_weight_device;
        size_t n_blkio_weight_device;
        oci_throttle *throttle_read_bps, *throttle_write_bps, *throttle_read_iops, *throttle_write_iops;
        size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops, n_throttle_write_iops;
        /* hugepageLimits */
        oci_hugepage *hugepages;
        size_t n_hugepages;
        /* network */
        bool has_net_class_id;
        uint32_t net_class_id;
        oci_kv *net_priorities; /* name -> priority (decimal string) */
        size_t n_net_priorities;
        /* unified (cgroup v2 key/values) */
        oci_kv *unified;
        size_t n_unified;
} oci_resources;

enum oci_seccomp_action {
        OCI_SECCOMP_KILL, OCI_SECCOMP_KILL_PROCESS, OCI_SECCOMP_KILL_THREAD, OCI_SECCOMP_TRAP,
        OCI_SECCOMP_ERRNO, OCI_SECCOMP_TRACE, OCI_SECCOMP_ALLOW, OCI_SECCOMP_LOG, OCI_SECCOMP_NOTIFY,
        OCI_SECCOMP_ACTION__COUNT
};
extern const char *const oci_seccomp_action_names[OCI_SECCOMP_ACTION__COUNT]; /* "SCMP_ACT_KILL", ... */

enum oci_seccomp_op { OCI_OP_NE, OCI_OP_LT, OCI_OP_LE, OCI_OP_EQ, OCI_OP_GE, OCI_OP_GT, OCI_OP_MASKED_EQ };

typedef struct oci_seccomp_arg {
        unsigned index;         /* 0..5 */
        uint64_t value, value_two;
        enum oci_seccomp_op op;
} oci_seccomp_arg;

typedef struct oci_seccomp_rule {
        char **names;           /* syscall names, NULL-terminated */
        size_t n_names;
        enum oci_seccomp_action action;
        bool has_errno_ret;
        unsigned errno_ret;
        oci_seccomp_arg *args;
        size_t n_args;
} oci_seccomp_rule;

typedef struct oci_seccomp {
        bool present;
        enum oci_seccomp_action default_action;
        bool has_default_errno_ret;
        unsigned default_errno_ret;
        char **architectures;   /* "SCMP_ARCH_X86_64", ...; NULL-terminated, may be NULL */
        size_t n_architectures;
        char **flags;           /* "SECCOMP_FILTER_FLAG_LOG", ... */
        size_t n_flags;
        char *listener_path;
        char *listener_metadata;
        oci_seccomp_rule *syscalls;
        size_t n_syscalls;
} oci_seccomp;

typedef struct oci_linux {
        oci_namespace *namespaces;
        size_t n_namespaces;
        oci_idmap *uid_mappings, *gid_mappings;
        size_t n_uid_mappings, n_gid_mappings;
        oci_device *devices;
        size_t n_devices;
        char *cgroups_path;     /* NULL: runtime's default */
        oci_resources resources;
        oci_kv *sysctl;
        size_t n_sysctl;
        oci_seccomp seccomp;
        char *rootfs_propagation;       /* "shared", "slave", "private", "unbindable", or NULL */
        unsigned long rootfs_propagation_flags; /* MS_* (with MS_REC) or 0 */
        char **masked_paths;
        size_t n_masked_paths;
        char **readonly_paths;
        size_t n_readonly_paths;
        char *mount_label;
        /* timeOffsets for the time namespace */
        bool has_time_offsets;
        int64_t boottime_secs, monotonic_secs;
        uint32_t boottime_nanosecs, monotonic_nanosecs;
        char *personality_domain;       /* "LINUX" / "LINUX32" or NULL */
} oci_linux;

typedef struct oci_config {
        char *oci_version;
        char *root_path;        /* as written (relative to the bundle, or absolute) */
        bool root_readonly;
        bool has_process;
        oci_process process;
        char *hostname;
        char *domainname;
        oci_mount *mounts;
        size_t n_mounts;
        oci_hooks hooks;
        oci_kv *annotations;
        size_t n_annotations;
        bool has_linux;
        oci_linux linux_;
        json_t *json;           /* the parsed document (kept for hooks' state and `state`) */
} oci_config;

/* Parse config.json text / file. Errors name the file with line:column for
 * malformed JSON, and the JSON path for a bad field, e.g.
 *   "config.json: process.args[0]: expected string, got integer"
 *   "config.json: linux.namespaces[2].type: unknown namespace type \"foo\"". */
int oci_config_parse(const char *name, const char *text, size_t len, oci_config **ret, cella_error **err);
int oci_config_load(const char *path, oci_config **ret, cella_error **err);
void oci_config_free(oci_config *c);
static inline void oci_config_freep(oci_config **c) { oci_config_free(*c); *c = NULL; }

/* Semantic checks beyond types: required fields (ociVersion, root.path,
 * process.args/cwd when a process is given), absolute paths (cwd, mount
 * destinations, device paths), duplicate namespace types, a namespace
 * path on a type that cannot be joined, user mappings without a user
 * namespace, unknown capability names (already at parse time), rlimit
 * types, sysctl names, seccomp syscall names/architectures/flags known
 * to libseccomp. `for_create` adds checks that only matter when running
 * (e.g. process must be present). */
int oci_config_validate(const oci_config *c, bool for_create, cella_error **err);

/* Parse one mount's options into flags/clear_flags/propagation/data. Done by
 * oci_config_parse for every mount; exposed for tests. */
int oci_mount_parse_options(oci_mount *m, cella_error **err);

/* Capability name <-> number ("CAP_SYS_ADMIN" <-> 21). -1 / NULL when unknown. */
int oci_cap_from_name(const char *name);
const char *oci_cap_name(int cap);
int oci_cap_last(void);   /* highest capability number this library knows */

/* Rlimit type name -> RLIMIT_*; -1 when unknown. */
int oci_rlimit_from_name(const char *name);

/* The default config `spec` writes: Docker's defaults (the 14 default
 * capabilities, masked and read-only paths, no_new_privs, default mounts
 * and devices, Docker's default seccomp allowlist, namespaces pid,
 * network, ipc, uts, mount, cgroup). rootless: adds a user namespace with
 * the calling user's mappings, no network namespace, no cgroup resources,
 * bind-mounted /sys. args default: ["sh"]. */
json_t *oci_spec_default(bool rootless, uid_t uid, gid_t gid);
/* Docker's default seccomp profile as an OCI linux.seccomp object. */
json_t *oci_seccomp_docker_default(void);
/* Docker's 14 default capabilities, NULL-terminated names. */
extern const char *const oci_docker_default_caps[];
