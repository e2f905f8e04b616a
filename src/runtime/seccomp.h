/* Seccomp filters from the OCI config, compiled with libseccomp and cached
 * by the profile's hash so a repeated start skips libseccomp's compile
 * cost (~40 ms here). Preparation happens in the runtime before the
 * container process exists; installation is the last step before execve. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <linux/filter.h>
#include "base/error.h"
#include "oci/config.h"

typedef struct rt_seccomp_prog {
        struct sock_filter *insns;      /* BPF program, malloc'ed */
        size_t n_insns;
        unsigned int flags;             /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
        bool notify;                    /* some rule uses SCMP_ACT_NOTIFY */
} rt_seccomp_prog;

/* Compile `s` (or load the cached compilation from cache_dir/<sha256>.bpf;
 * cache_dir NULL: no cache). Unknown syscall names are an error naming
 * the rule index and the name (libseccomp resolves names per arch; names
 * unknown on every listed arch are errors, as crun does for the native arch). */
int rt_seccomp_prepare(const oci_seccomp *s, const char *cache_dir, rt_seccomp_prog *ret, cella_error **err);
/* Install in the calling process (needs no_new_privs or CAP_SYS_ADMIN).
 * When prog->notify, *ret_listener_fd receives the notification fd. */
int rt_seccomp_install(const rt_seccomp_prog *prog, int *ret_listener_fd, cella_error **err);
/* Send the listener fd and the container state (OCI "containerProcessState"
 * JSON) to the Unix socket at listener_path, as the runtime-spec says. */
int rt_seccomp_send_listener(const char *listener_path, int listener_fd, const char *state_json,
                             cella_error **err);
void rt_seccomp_prog_clear(rt_seccomp_prog *p);
