/* Shared between the create path (parent side) and the container init. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include "base/error.h"
#include "cgroup/cgroup.h"
#include "oci/config.h"
#include "runtime.h"
#include "seccomp.h"

#define RT_SECCOMP_CACHE "@seccomp-cache"

struct rt_create_ctx {
        const rt_opts *opts;
        const char *id;
        oci_config *cfg;
        char *bundle;           /* absolute */
        char *rootfs;           /* absolute */
        int root_fd;            /* state root */
        cg_manager *cg;
        rt_seccomp_prog seccomp;
        int sync_parent, sync_child;    /* socketpair ends */
        int console_sock;               /* connected --console-socket, or -1 */
        int console_proxy;              /* foreground run: our end (then the pty master), or -1 */
        int fifo_fd;                    /* O_PATH exec fifo, or -1 for run */
        bool userns;                    /* in a user namespace (new or joined) */
        bool wait_maps;                 /* init waits for its uid/gid maps */
        bool defer_cgroupns;            /* init unshares its cgroup ns once it is in every hierarchy */
        bool new_timens;                /* init unshares the time ns (offsets apply from execve) */
        pid_t host_pid;                 /* the init's pid in the runtime's pid namespace */
        bool run_mode;                  /* run: no fifo; wait for SYNC_GO */
        bool need_hook_sync;            /* prestart/createRuntime/createContainer hooks */
        int clone_flags;                /* namespaces to create */
        pid_t pid;                      /* init, host view */
};

/* The container init: everything from the new namespaces to execve.
 * Never returns. */
_noreturn_ void rt_init_main(struct rt_create_ctx *c);
/* Spawn the init in its namespaces (clone3 fast path, or setns + unshare
 * + fork when some namespaces are joined by path). Sets c->pid. */
int rt_spawn_init(struct rt_create_ctx *c, cella_error **err);
/* The OCI state JSON that hooks read on stdin. */
char *rt_hook_state(const struct rt_create_ctx *c, const char *status, pid_t pid);
