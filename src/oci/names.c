/* Name tables: namespaces, capabilities, rlimits, hooks, seccomp. Own
 * tables rather than libcap's cap_from_name(), which also accepts numbers
 * and lower-case names; the spec wants "CAP_*" names only. */
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include "base/macros.h"
#include "oci/internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

const char *const oci_hook_kind_names[OCI_HOOK__COUNT] = {
        [OCI_HOOK_PRESTART] = "prestart",
        [OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
        [OCI_HOOK_CREATE_CONTAINER] = "createContainer",
        [OCI_HOOK_START_CONTAINER] = "startContainer",
        [OCI_HOOK_POSTSTART] = "poststart",
        [OCI_HOOK_POSTSTOP] = "poststop",
};

const char *const oci_ns_type_names[OCI_NS__COUNT] = {
        [OCI_NS_PID] = "pid", [OCI_NS_NETWORK] = "network", [OCI_NS_MOUNT] = "mount",
        [OCI_NS_IPC] = "ipc", [OCI_NS_UTS] = "uts",          [OCI_NS_USER] = "user",
        [OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

static const char *const ns_proc_names[OCI_NS__COUNT] = {
        [OCI_NS_PID] = "pid", [OCI_NS_NETWORK] = "net", [OCI_NS_MOUNT] = "mnt",
        [OCI_NS_IPC] = "ipc", [OCI_NS_UTS] = "uts",     [OCI_NS_USER] = "user",
        [OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

static const int ns_clone_flags[OCI_NS__COUNT] = {
        [OCI_NS_PID] = CLONE_NEWPID, [OCI_NS_NETWORK] = CLONE_NEWNET, [OCI_NS_MOUNT] = CLONE_NEWNS,
        [OCI_NS_IPC] = CLONE_NEWIPC, [OCI_NS_UTS] = CLONE_NEWUTS,     [OCI_NS_USER] = CLONE_NEWUSER,
        [OCI_NS_CGROUP] = CLONE_NEWCGROUP, [OCI_NS_TIME] = CLONE_NEWTIME,
};

int oci_ns_from_name(const char *name)
{
        for (int i = 0; i < OCI_NS__COUNT; i++)
                if (streq(name, oci_ns_type_names[i]))
                        return i;
        return -1;
}

int oci_ns_clone_flag(enum oci_ns_type t)
{
        return (unsigned) t < OCI_NS__COUNT ? ns_clone_flags[t] : 0;
}

const char *oci_ns_proc_name(enum oci_ns_type t)
{
        return (unsigned) t < OCI_NS__COUNT ? ns_proc_names[t] : NULL;
}

/* linux/capability.h numbering; CAP_CHECKPOINT_RESTORE (40) is the last in 6.x. */
static const char *const cap_names[] = {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
        "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

int oci_cap_from_name(const char *name)
{
        if (!name)
                return -1;
        for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
                if (streq(name, cap_names[i]))
                        return (int) i;
        return -1;
}

const char *oci_cap_name(int cap)
{
        return cap >= 0 && (size_t) cap < ARRAY_SIZE(cap_names) ? cap_names[cap] : NULL;
}

int oci_cap_last(void)
{
        return (int) ARRAY_SIZE(cap_names) - 1;
}

static const struct { const char *name; int resource; } rlimits[] = {
        { "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_FSIZE", RLIMIT_FSIZE },
        { "RLIMIT_DATA", RLIMIT_DATA },       { "RLIMIT_STACK", RLIMIT_STACK },
        { "RLIMIT_CORE", RLIMIT_CORE },       { "RLIMIT_RSS", RLIMIT_RSS },
        { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },
        { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_AS", RLIMIT_AS },
        { "RLIMIT_LOCKS", RLIMIT_LOCKS },     { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
        { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
        { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

int oci_rlimit_from_name(const char *name)
{
        if (!name)
                return -1;
        for (size_t i = 0; i < ARRAY_SIZE(rlimits); i++)
                if (streq(name, rlimits[i].name))
                        return rlimits[i].resource;
        return -1;
}

const char *const oci_seccomp_action_names[OCI_SECCOMP_ACTION__COUNT] = {
        [OCI_SECCOMP_KILL] = "SCMP_ACT_KILL",
        [OCI_SECCOMP_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
        [OCI_SECCOMP_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
        [OCI_SECCOMP_TRAP] = "SCMP_ACT_TRAP",
        [OCI_SECCOMP_ERRNO] = "SCMP_ACT_ERRNO",
        [OCI_SECCOMP_TRACE] = "SCMP_ACT_TRACE",
        [OCI_SECCOMP_ALLOW] = "SCMP_ACT_ALLOW",
        [OCI_SECCOMP_LOG] = "SCMP_ACT_LOG",
        [OCI_SECCOMP_NOTIFY] = "SCMP_ACT_NOTIFY",
};

int oci_seccomp_action_from_name(const char *name)
{
        for (int i = 0; i < OCI_SECCOMP_ACTION__COUNT; i++)
                if (streq(name, oci_seccomp_action_names[i]))
                        return i;
        return -1;
}

static const char *const op_names[] = {
        [OCI_OP_NE] = "SCMP_CMP_NE", [OCI_OP_LT] = "SCMP_CMP_LT", [OCI_OP_LE] = "SCMP_CMP_LE",
        [OCI_OP_EQ] = "SCMP_CMP_EQ", [OCI_OP_GE] = "SCMP_CMP_GE", [OCI_OP_GT] = "SCMP_CMP_GT",
        [OCI_OP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

int oci_seccomp_op_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(op_names); i++)
                if (streq(name, op_names[i]))
                        return (int) i;
        return -1;
}

/* The architectures runtime-spec 1.2 lists. */
static const char *const arch_names[] = {
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
        "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
        "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
        "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
        "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
        "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
};

bool oci_seccomp_arch_known(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(arch_names); i++)
                if (streq(name, arch_names[i]))
                        return true;
        return false;
}

static const char *const flag_names[] = {
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

bool oci_seccomp_flag_known(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++)
                if (streq(name, flag_names[i]))
                        return true;
        return false;
}

/* Propagation option names, as runc and crun accept them in mount options
 * and linux.rootfsPropagation. */
int oci_propagation_from_name(const char *name, unsigned long *ret_flags)
{
        static const struct { const char *name; unsigned long flags; } t[] = {
                { "private", MS_PRIVATE },        { "rprivate", MS_PRIVATE | MS_REC },
                { "shared", MS_SHARED },          { "rshared", MS_SHARED | MS_REC },
                { "slave", MS_SLAVE },            { "rslave", MS_SLAVE | MS_REC },
                { "unbindable", MS_UNBINDABLE },  { "runbindable", MS_UNBINDABLE | MS_REC },
        };
        for (size_t i = 0; i < ARRAY_SIZE(t); i++)
                if (streq(name, t[i].name)) {
                        *ret_flags = t[i].flags;
                        return 0;
                }
        return -1;
}
