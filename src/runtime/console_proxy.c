#include "console_proxy.h"
#include "base/fileio.h"
#include "base/macros.h"
#include <poll.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>

static void copy_winsize(int master)
{
        struct winsize ws;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                ioctl(master, TIOCSWINSZ, &ws);
}

/* Move what is readable on `from` to `to`; false at EOF or error. */
static bool pump(int from, int to)
{
        char buf[16384];
        ssize_t n = read(from, buf, sizeof(buf));
        if (n <= 0)
                return n < 0 && (errno == EINTR || errno == EAGAIN);
        return fd_write_all(to, buf, (size_t)n) == 0;
}

int rt_console_proxy_wait(int master, pid_t pid, const sigset_t *all, int *ret_exit)
{
        _cleanup_close_ int sfd = signalfd(-1, all, SFD_CLOEXEC);
        if (sfd < 0)
                return NEG_ERRNO();
        struct termios saved;
        bool raw = tcgetattr(STDIN_FILENO, &saved) == 0;
        if (raw) {
                struct termios t = saved;
                cfmakeraw(&t);
                tcsetattr(STDIN_FILENO, TCSANOW, &t);
                copy_winsize(master);
        }
        bool in_open = true, out_open = true;
        int status = 0;
        for (;;) {
                pid_t w = waitpid(pid, &status, WNOHANG);
                if (w == pid) {
                        /* Drain what the container wrote last. */
                        while (out_open) {
                                struct pollfd p = { .fd = master, .events = POLLIN };
                                if (poll(&p, 1, 0) <= 0 || !pump(master, STDOUT_FILENO))
                                        break;
                        }
                        break;
                }
                struct pollfd p[3] = {
                        { .fd = sfd, .events = POLLIN },
                        { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
                        { .fd = out_open ? master : -1, .events = POLLIN },
                };
                if (RETRY_EINTR(poll(p, 3, -1)) < 0)
                        break;
                if (p[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                                if (si.ssi_signo == SIGWINCH)
                                        copy_winsize(master);
                                else if (si.ssi_signo != SIGCHLD)
                                        kill(pid, (int)si.ssi_signo);
                        }
                }
                if (p[1].revents & (POLLIN | POLLHUP))
                        in_open = pump(STDIN_FILENO, master);
                if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
                        out_open = pump(master, STDOUT_FILENO);
        }
        if (raw)
                tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        *ret_exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return 0;
}
