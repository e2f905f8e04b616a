/* The steps that turn a setup process into the container's process:
 * limits, console, identity, capabilities, no_new_privs, seccomp, exec.
 * Shared by the container init and `exec`. */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include "base/error.h"
#include "oci/config.h"
#include "seccomp.h"

/* rlimits and oom_score_adj, while still privileged. */
int rt_process_limits(const oci_process *p, cella_error **err);
/* Look up args[0] in the process's PATH (inside the current root).
 * Errors read like runc's: exec: "foo": executable file not found in $PATH. */
int rt_process_find_exec(const oci_process *p, char **ret_path, cella_error **err);
/* Open a pty, send its master over console_sock, make the slave our
 * controlling terminal and stdio. bind_console: also bind it at /dev/console. */
int rt_process_console(const oci_process *p, int console_sock, bool bind_console, cella_error **err);
/* Identity, capabilities, cwd, umask, no_new_privs and seccomp, in the order
 * the kernel requires. When the filter has a notify rule, the listener fd
 * is sent over sync_fd (to the runtime, which forwards it). */
int rt_process_confine(const oci_process *p, const rt_seccomp_prog *seccomp, int sync_fd, cella_error **err);
/* Mark every fd above 2 close-on-exec, except the caller's fds 3..3+preserve-1
 * (which lose close-on-exec unless they are in ours[]), then execve.
 * Returns only on failure. */
int rt_process_exec(const oci_process *p, const char *path, unsigned preserve, const int *ours, size_t n_ours,
                    cella_error **err);
/* With every signal blocked by the caller (`all`): wait for pid (our child,
 * or adopted as subreaper), passing every other signal on to it; its exit
 * code, or 128+signal, goes to *ret_exit. */
void rt_process_wait(pid_t pid, const sigset_t *all, int *ret_exit);
