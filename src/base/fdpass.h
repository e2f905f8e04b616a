/* Unix socket helpers: connect by path, and pass a file descriptor along
 * with a message (SCM_RIGHTS). */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* Connect a SOCK_STREAM socket (O_CLOEXEC) to path. Returns the fd or a
 * negative errno (-ENAMETOOLONG when path does not fit sun_path). */
int unix_connect(const char *path);
/* Send len bytes of data (at least 1) with fd attached. Returns the bytes
 * sent by the first sendmsg (the rest is the caller's) or a negative errno. */
ssize_t fd_send_data(int sock, int fd, const void *data, size_t len);
/* Receive up to len bytes; an attached fd (O_CLOEXEC) goes to *ret_fd, else
 * -1. Returns the bytes received (0 at EOF) or a negative errno. */
ssize_t fd_recv_data(int sock, void *buf, size_t len, int *ret_fd);
/* One byte with fd attached / the fd of such a message. */
int fd_send(int sock, int fd);
int fd_recv(int sock);
