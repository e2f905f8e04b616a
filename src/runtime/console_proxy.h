/* `run` in the foreground with process.terminal and no --console-socket:
 * like runc, the runtime holds the pty master itself and copies between it
 * and its own stdio until the container's init exits. */
#pragma once
#include <signal.h>
#include <sys/types.h>

/* Called with every signal blocked. Copies stdin -> master and master ->
 * stdout, keeps the window size in step (SIGWINCH), passes other signals to
 * pid, and returns when pid has exited, with its exit code in *ret_exit. */
int rt_console_proxy_wait(int master, pid_t pid, const sigset_t *all, int *ret_exit);
