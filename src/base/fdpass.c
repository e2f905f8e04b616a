#include "fdpass.h"
#include "macros.h"
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

int unix_connect(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return NEG_ERRNO();
        if (RETRY_EINTR(connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0) {
                int r = NEG_ERRNO();
                close(fd);
                return r;
        }
        return fd;
}

ssize_t fd_send_data(int sock, int fd, const void *data, size_t len)
{
        struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
        union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
        memset(&u, 0, sizeof(u));
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                              .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        ssize_t n = RETRY_EINTR(sendmsg(sock, &msg, MSG_NOSIGNAL));
        return n < 0 ? NEG_ERRNO() : n;
}

ssize_t fd_recv_data(int sock, void *buf, size_t len, int *ret_fd)
{
        struct iovec iov = { .iov_base = buf, .iov_len = len };
        union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                              .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
        ssize_t n = RETRY_EINTR(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC));
        int fd = -1;
        struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                memcpy(&fd, CMSG_DATA(c), sizeof(int));
        if (n < 0)
                return NEG_ERRNO();
        *ret_fd = fd;
        return n;
}

int fd_send(int sock, int fd)
{
        ssize_t n = fd_send_data(sock, fd, "", 1);
        return n < 0 ? (int)n : 0;
}

int fd_recv(int sock)
{
        char byte;
        int fd = -1;
        ssize_t n = fd_recv_data(sock, &byte, 1, &fd);
        if (n < 0)
                return (int)n;
        if (n == 0 || fd < 0) {
                if (fd >= 0)
                        close(fd);
                return -EBADMSG;
        }
        return fd;
}
