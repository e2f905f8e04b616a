/* Docker's default seccomp profile (moby profiles/seccomp/default.json) as
 * an OCI linux.seccomp object, resolved the way Docker resolves it for a
 * container with Docker's 14 default capabilities on the architecture this
 * file is built for: rules that need another capability (CAP_SYS_ADMIN,
 * CAP_SYS_PTRACE, ...) are left out, rules excluded for CAP_SYS_ADMIN
 * (the namespace-less clone, clone3 -> ENOSYS) are kept, and the
 * architecture-specific rules are those of the build architecture. The
 * "minKernel 4.8" rule (ptrace, process_vm_*) is kept: every kernel cella
 * supports is newer. Also the 14 default capability names. */
#include "oci/config.h"
#include "base/macros.h"
#include <errno.h>
#include <stdint.h>

const char *const oci_docker_default_caps[] = {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
        "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
        NULL,
};

/* The unconditional allowlist, in the profile's order. */
static const char *const allow_names[] = {
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset",
        "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
        "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
        "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat",
        "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
        "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
        "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
        "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown",
        "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr",
        "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
        "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_time64", "futex_waitv",
        "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32",
        "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
        "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
        "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list",
        "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid",
        "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init",
        "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
        "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
        "io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc", "kill",
        "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
        "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek",
        "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "membarrier",
        "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
        "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify",
        "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
        "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd",
        "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep",
        "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open",
        "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
        "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
        "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2",
        "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
        "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat",
        "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
        "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
        "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
        "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
        "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
        "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
        "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
        "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
        "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
        "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32",
        "setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area",
        "set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt",
        "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn",
        "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx",
        "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill",
        "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
        "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create",
        "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
        "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat",
        "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4",
        "waitid", "waitpid", "write", "writev",
        /* minKernel 4.8 (seccomp can no longer be bypassed with ptrace) */
        "process_vm_readv", "process_vm_writev", "ptrace",
        /* CAP_SYS_CHROOT is one of the default capabilities */
        "chroot",
        NULL,
};

/* Architecture-dependent parts: the archMap entry and "includes.arches". */
#if defined(__x86_64__)
static const char *const arch_list[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL };
static const char *const arch_names[] = { "arch_prctl", "modify_ldt", NULL };
#elif defined(__i386__)
static const char *const arch_list[] = { "SCMP_ARCH_X86", NULL };
static const char *const arch_names[] = { "modify_ldt", NULL };
#elif defined(__aarch64__)
static const char *const arch_list[] = { "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL };
static const char *const arch_names[] = { "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                                          "breakpoint", "cacheflush", "set_tls", NULL };
#elif defined(__arm__)
static const char *const arch_list[] = { "SCMP_ARCH_ARM", NULL };
static const char *const arch_names[] = { "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                                          "breakpoint", "cacheflush", "set_tls", NULL };
#elif defined(__s390x__)
static const char *const arch_list[] = { "SCMP_ARCH_S390X", "SCMP_ARCH_S390", NULL };
static const char *const arch_names[] = { "s390_pci_mmio_read", "s390_pci_mmio_write",
                                          "s390_runtime_instr", NULL };
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
static const char *const arch_list[] = { "SCMP_ARCH_PPC64LE", NULL };
static const char *const arch_names[] = { "sync_file_range2", "swapcontext", NULL };
#elif defined(__riscv) && __riscv_xlen == 64
static const char *const arch_list[] = { "SCMP_ARCH_RISCV64", NULL };
static const char *const arch_names[] = { "riscv_flush_icache", NULL };
#else
/* Unlisted architectures: the native one only (libseccomp adds it). */
static const char *const arch_list[] = { NULL };
static const char *const arch_names[] = { NULL };
#endif

/* clone's flags argument: s390 swaps the first two arguments. */
#if defined(__s390x__) || defined(__s390__)
#define CLONE_FLAGS_INDEX 1
#else
#define CLONE_FLAGS_INDEX 0
#endif
/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET must all be clear. */
#define CLONE_NS_MASK 2114060288u

/* personality(2) values Docker allows: PER_LINUX, UNAME26, PER_LINUX32,
 * UNAME26|PER_LINUX32, and 0xffffffff (query). */
static const uint64_t personality_values[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };

static int add_new(json_t *obj, const char *key, json_t *v)
{
        return v ? json_object_set_new(obj, key, v) : -1;
}

static int append_new(json_t *arr, json_t *v)
{
        return v ? json_array_append_new(arr, v) : -1;
}

static json_t *string_array(const char *const *names)
{
        json_t *a = json_array();
        if (!a)
                return NULL;
        for (size_t i = 0; names[i]; i++)
                if (append_new(a, json_string(names[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

/* {"names":[...], "action":A, ["errnoRet":E], ["args":[{index,value,op}]]} */
static json_t *rule(const char *const *names, const char *action, int errno_ret,
                    int arg_index, uint64_t value, const char *op)
{
        json_t *r = json_object();
        if (!r)
                return NULL;
        if (add_new(r, "names", string_array(names)) < 0 ||
            add_new(r, "action", json_string(action)) < 0 ||
            (errno_ret > 0 && add_new(r, "errnoRet", json_integer(errno_ret)) < 0))
                goto fail;
        if (op) {
                json_t *arg = json_object(), *args = json_array();
                if (!arg || !args ||
                    add_new(arg, "index", json_integer(arg_index)) < 0 ||
                    add_new(arg, "value", json_integer((json_int_t)value)) < 0 ||
                    add_new(arg, "op", json_string(op)) < 0 ||
                    json_array_append(args, arg) < 0 ||
                    json_object_set(r, "args", args) < 0) {
                        json_decref(arg);
                        json_decref(args);
                        goto fail;
                }
                json_decref(arg);
                json_decref(args);
        }
        return r;
fail:
        json_decref(r);
        return NULL;
}

json_t *oci_seccomp_docker_default(void)
{
        static const char *const socket_name[] = { "socket", NULL };
        static const char *const personality_name[] = { "personality", NULL };
        static const char *const clone_name[] = { "clone", NULL };
        static const char *const clone3_name[] = { "clone3", NULL };

        json_t *s = json_object(), *calls = json_array();
        if (!s || !calls)
                goto fail;
        if (add_new(s, "defaultAction", json_string("SCMP_ACT_ERRNO")) < 0 ||
            add_new(s, "defaultErrnoRet", json_integer(EPERM)) < 0 ||
            (arch_list[0] && add_new(s, "architectures", string_array(arch_list)) < 0))
                goto fail;

        if (append_new(calls, rule(allow_names, "SCMP_ACT_ALLOW", 0, 0, 0, NULL)) < 0 ||
            /* socket(AF_VSOCK, ...) is denied */
            append_new(calls, rule(socket_name, "SCMP_ACT_ALLOW", 0, 0, 40, "SCMP_CMP_NE")) < 0)
                goto fail;
        for (size_t i = 0; i < ARRAY_SIZE(personality_values); i++)
                if (append_new(calls, rule(personality_name, "SCMP_ACT_ALLOW", 0, 0,
                                           personality_values[i], "SCMP_CMP_EQ")) < 0)
                        goto fail;
        if ((arch_names[0] && append_new(calls, rule(arch_names, "SCMP_ACT_ALLOW", 0, 0, 0, NULL)) < 0) ||
            /* Without CAP_SYS_ADMIN: clone without namespace flags only, and
             * clone3 (whose flags seccomp cannot see) fails with ENOSYS so
             * that libc falls back to clone. */
            append_new(calls, rule(clone_name, "SCMP_ACT_ALLOW", 0, CLONE_FLAGS_INDEX,
                                   CLONE_NS_MASK, "SCMP_CMP_MASKED_EQ")) < 0 ||
            append_new(calls, rule(clone3_name, "SCMP_ACT_ERRNO", ENOSYS, 0, 0, NULL)) < 0)
                goto fail;
        if (json_object_set_new(s, "syscalls", calls) < 0) {
                calls = NULL;
                goto fail;
        }
        return s;
fail:
        json_decref(calls);
        json_decref(s);
        return NULL;
}
