#include "fdpass.h"
#include "macros.h"
#include <string.h>
#include <sys/socket.h>

int fd_send(int sock, int fd)
{
        char byte = 0;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
        memset(&u, 0, sizeof(u));
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                              .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return RETRY_EINTR(sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 ? NEG_ERRNO() : 0;
}

int fd_recv(int sock)
{
        char byte;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                              .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
        ssize_t n = RETRY_EINTR(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC));
        if (n < 0)
                return NEG_ERRNO();
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (n == 0 || !c || c->cmsg_type != SCM_RIGHTS)
                return -EBADMSG;
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        return fd;
}
