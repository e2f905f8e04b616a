#include "hooks.h"
#include "base/fileio.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static int run_one(const oci_hook *h, const char *kind, const char *state_json, cella_error **err)
{
        int in[2];
        if (pipe2(in, O_CLOEXEC) < 0)
                return err_set(err, errno, "%s hook %s: pipe", kind, h->path);
        pid_t pid = fork();
        if (pid < 0) {
                close(in[0]);
                close(in[1]);
                return err_set(err, errno, "%s hook %s: fork", kind, h->path);
        }
        if (pid == 0) {
                dup2(in[0], STDIN_FILENO);
                char *const default_argv[] = { h->path, NULL };
                char *const empty_env[] = { NULL };
                execve(h->path, h->args ? h->args : default_argv, h->env ? h->env : empty_env);
                _exit(127);
        }
        close(in[0]);
        /* A hook that does not read its stdin must not block us: ignore EPIPE. */
        void (*old)(int) = signal(SIGPIPE, SIG_IGN);
        fd_write_all(in[1], state_json, strlen(state_json));
        close(in[1]);
        signal(SIGPIPE, old);

        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        int timeout_ms = h->has_timeout ? h->timeout * 1000 : -1;
        if (pidfd >= 0) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                int n = RETRY_EINTR(poll(&p, 1, timeout_ms));
                close(pidfd);
                if (n == 0) {
                        kill(pid, SIGKILL);
                        RETRY_EINTR(waitpid(pid, NULL, 0));
                        return err_setx(err, ETIMEDOUT, "%s hook %s: timed out after %d s", kind, h->path, h->timeout);
                }
        }
        int status;
        if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
                return err_set(err, errno, "%s hook %s: wait", kind, h->path);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && access(h->path, X_OK) < 0)
                return err_set(err, errno, "%s hook %s: cannot execute", kind, h->path);
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
                return err_setx(err, EIO, "%s hook %s: exited with status %d", kind, h->path, WEXITSTATUS(status));
        if (WIFSIGNALED(status))
                return err_setx(err, EIO, "%s hook %s: killed by signal %d", kind, h->path, WTERMSIG(status));
        return 0;
}

int rt_hooks_run(const oci_hooks *hooks, enum oci_hook_kind kind, const char *state_json, cella_error **err)
{
        for (size_t i = 0; i < hooks->n[kind]; i++) {
                int r = run_one(&hooks->list[kind][i], oci_hook_kind_names[kind], state_json, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
