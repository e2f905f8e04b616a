#include "sync.h"
#include "base/fdpass.h"
#include "base/macros.h"
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

int rt_sync_send(int fd, int type, int value, const char *text)
{
        struct rt_sync_msg m = { .type = type, .value = value };
        size_t len = offsetof(struct rt_sync_msg, text);
        if (text) {
                snprintf(m.text, sizeof(m.text), "%s", text);
                len += strlen(m.text) + 1;
        }
        return RETRY_EINTR(send(fd, &m, len, MSG_NOSIGNAL)) < 0 ? NEG_ERRNO() : 0;
}

void rt_sync_send_error(int fd, const cella_error *err)
{
        rt_sync_send(fd, SYNC_ERROR, err ? err->code : EIO, err && err->msg ? err->msg : "unknown error");
}

int rt_sync_send_fd(int fd, int type, int passfd)
{
        struct rt_sync_msg m = { .type = type };
        ssize_t n = fd_send_data(fd, passfd, &m, offsetof(struct rt_sync_msg, text));
        return n < 0 ? (int)n : 0;
}

int rt_sync_recv(int fd, int want, int *ret_value, cella_error **err)
{
        return rt_sync_recv_fd(fd, want, ret_value, NULL, err);
}

int rt_sync_recv_fd(int fd, int want, int *ret_value, int *ret_fd, cella_error **err)
{
        struct rt_sync_msg m;
        memset(&m, 0, sizeof(m));
        int passed = -1;
        ssize_t n = fd_recv_data(fd, &m, sizeof(m), &passed);
        if (n < 0)
                errno = (int)-n;
        if (ret_fd)
                *ret_fd = passed;
        else if (passed >= 0)
                close(passed);
        if (n < 0)
                return err_set(err, errno, "read from container process");
        if (n == 0)
                return err_setx(err, EPIPE, "container process exited during setup");
        if ((size_t)n < offsetof(struct rt_sync_msg, text))
                return err_setx(err, EBADMSG, "short message from container process");
        m.text[sizeof(m.text) - 1] = '\0';
        if (m.type == SYNC_ERROR)
                return err_setx(err, m.value > 0 ? m.value : EIO, "%s", m.text);
        if (m.type != want)
                return err_setx(err, EBADMSG, "unexpected message %d from container process (wanted %d)", m.type, want);
        if (ret_value)
                *ret_value = m.value;
        return 0;
}
