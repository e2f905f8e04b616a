/* Pass a file descriptor over a Unix socket (SCM_RIGHTS). */
#pragma once
int fd_send(int sock, int fd);
/* Returns the received fd (O_CLOEXEC) or a negative errno. */
int fd_recv(int sock);
