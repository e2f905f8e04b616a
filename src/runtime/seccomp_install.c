/* Seccomp: installing a prepared program with seccomp(2) itself (no
 * libseccomp at start time), and handing the notification listener to the
 * process at listenerPath. */
#include "runtime/seccomp_internal.h"
#include "base/fdpass.h"
#include "base/macros.h"
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

/* The state JSON sent to the listener: the runtime-spec's state is small. */
#define LISTENER_STATE_MAX (1u << 20)

static long sys_seccomp(unsigned op, unsigned flags, void *args)
{
        return syscall(SYS_seccomp, op, flags, args);
}

static const char *flag_name(unsigned f, char buf[24])
{
        switch (f) {
        case SECCOMP_FILTER_FLAG_TSYNC:                 return "SECCOMP_FILTER_FLAG_TSYNC";
        case SECCOMP_FILTER_FLAG_LOG:                   return "SECCOMP_FILTER_FLAG_LOG";
        case SECCOMP_FILTER_FLAG_SPEC_ALLOW:            return "SECCOMP_FILTER_FLAG_SPEC_ALLOW";
        case SECCOMP_FILTER_FLAG_NEW_LISTENER:          return "SECCOMP_FILTER_FLAG_NEW_LISTENER";
        case SECCOMP_FILTER_FLAG_TSYNC_ESRCH:           return "SECCOMP_FILTER_FLAG_TSYNC_ESRCH";
        case SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV:    return "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV";
        default:
                snprintf(buf, 24, "flag 0x%x", f);
                return buf;
        }
}

/* After an EINVAL: find a flag this kernel lacks. Probing with a NULL
 * program gives EFAULT for a known flag and EINVAL for an unknown one. */
static int explain_einval(unsigned flags, cella_error **err)
{
        char buf[24];
        for (unsigned bit = 1; bit && bit <= flags; bit <<= 1) {
                if (!(flags & bit))
                        continue;
                if (sys_seccomp(SECCOMP_SET_MODE_FILTER, bit, NULL) < 0 && errno == EINVAL)
                        return err_setx(err, EINVAL, "install seccomp filter: this kernel does not "
                                        "support %s", flag_name(bit, buf));
        }
        return err_set(err, EINVAL, "install seccomp filter (flags 0x%x)", flags);
}

int rt_seccomp_install(const rt_seccomp_prog *prog, int *ret_listener_fd, cella_error **err)
{
        if (!prog || prog->n_insns == 0) {
                if (ret_listener_fd)
                        *ret_listener_fd = -1;
                return 0;
        }
        if (prog->n_insns > RT_SECCOMP_MAX_INSNS)
                return err_setx(err, E2BIG, "install seccomp filter: %zu instructions (the kernel "
                                "takes %u)", prog->n_insns, RT_SECCOMP_MAX_INSNS);
        if (prog->notify && !ret_listener_fd)
                return err_setx(err, EINVAL, "install seccomp filter: SCMP_ACT_NOTIFY needs a place "
                                "for the listener fd");
        unsigned flags = prog->flags;
        if (prog->notify) {
                flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
                /* TSYNC and a listener both use the return value. */
                if (flags & SECCOMP_FILTER_FLAG_TSYNC)
                        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        } else {
                /* Only meaningful with a listener; the kernel refuses it alone. */
                flags &= ~(unsigned)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
        }
        struct sock_fprog fprog = { .len = (unsigned short)prog->n_insns, .filter = prog->insns };
        long r = sys_seccomp(SECCOMP_SET_MODE_FILTER, flags, &fprog);
        if (r < 0) {
                int e = errno;
                if (e == EACCES)
                        return err_setx(err, EACCES, "install seccomp filter: the process has neither "
                                        "no_new_privs nor CAP_SYS_ADMIN (set process.noNewPrivileges, "
                                        "or install the filter before dropping CAP_SYS_ADMIN)");
                if (e == EINVAL)
                        return explain_einval(flags, err);
                return err_set(err, e, "install seccomp filter");
        }
        if (ret_listener_fd)
                *ret_listener_fd = prog->notify ? (int)r : -1;
        return 0;
}

static int send_all(int fd, const char *p, size_t len)
{
        while (len > 0) {
                ssize_t n = RETRY_EINTR(send(fd, p, len, MSG_NOSIGNAL));
                if (n < 0)
                        return NEG_ERRNO();
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int rt_seccomp_send_listener(const char *listener_path, int listener_fd, const char *state_json,
                             cella_error **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (!listener_path || !*listener_path)
                return err_setx(err, EINVAL, "linux.seccomp.listenerPath: empty");
        if (strlen(listener_path) >= sizeof(sa.sun_path))
                return err_setx(err, ENAMETOOLONG, "linux.seccomp.listenerPath %.120s: longer than "
                                "%zu bytes", listener_path, sizeof(sa.sun_path) - 1);
        if (listener_fd < 0)
                return err_setx(err, EBADF, "seccomp listener: no listener fd");
        size_t len = state_json ? strlen(state_json) : 0;
        if (len == 0 || len > LISTENER_STATE_MAX)
                return err_setx(err, EINVAL, "seccomp listener: state JSON of %zu bytes (1..%u)", len,
                                LISTENER_STATE_MAX);
        _cleanup_close_ int sock = unix_connect(listener_path);
        if (sock < 0)
                return err_set(err, -sock, "seccomp listener: connect to %s", listener_path);
        /* The fd travels with the first bytes of the state. */
        ssize_t n = fd_send_data(sock, listener_fd, state_json, len);
        if (n < 0)
                return err_set(err, (int)-n, "seccomp listener: send to %s", listener_path);
        int r = send_all(sock, state_json + n, len - (size_t)n);
        if (r < 0)
                return err_set(err, -r, "seccomp listener: send to %s", listener_path);
        return 0;
}
