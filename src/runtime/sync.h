/* Messages between the runtime and the container process it spawns, over
 * a SOCK_SEQPACKET socketpair: one fixed-size record per message, so a
 * failing child can report its error text before it exits. */
#pragma once
#include <sys/types.h>
#include "base/error.h"

enum rt_sync_type {
        SYNC_USERMAP_PLS = 1,   /* child -> parent: write my uid/gid maps */
        SYNC_USERMAP_ACK,       /* parent -> child */
        SYNC_CHILD_PID,         /* intermediate -> parent: the init's pid (value) */
        SYNC_HOOKS_PLS,         /* child: namespaces and mounts ready, run createRuntime hooks */
        SYNC_HOOKS_ACK,         /* parent -> child */
        SYNC_READY,             /* child: waiting for start (or, for run, for go) */
        SYNC_GO,                /* parent -> child: exec now (run, exec) */
        SYNC_ERROR,             /* child -> parent: value = errno, text = message */
        SYNC_SECCOMP_FD,        /* child -> parent: the seccomp listener fd rides along */
        SYNC_SETUP_ACK,         /* parent -> child: cgroups joined (and maps written) */
};

struct rt_sync_msg {
        int type;
        int value;
        char text[2048];
};

int rt_sync_send(int fd, int type, int value, const char *text);
/* Send a message with passfd attached (SCM_RIGHTS). */
int rt_sync_send_fd(int fd, int type, int passfd);
/* Receive one message; a SYNC_ERROR from the peer becomes an error whose
 * message is the peer's text. EOF: -EPIPE ("container process exited"). */
int rt_sync_recv(int fd, int want, int *ret_value, cella_error **err);
/* Like rt_sync_recv; an attached fd is stored in *ret_fd (else -1). */
int rt_sync_recv_fd(int fd, int want, int *ret_value, int *ret_fd, cella_error **err);
/* Child side: report err over the socket. */
void rt_sync_send_error(int fd, const cella_error *err);
