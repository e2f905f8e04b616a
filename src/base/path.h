/* Paths inside a container rootfs, resolved without ever leaving it:
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so ".." and absolute
 * symlinks stay inside root_fd. No string joins of untrusted paths. */
#pragma once
#include <sys/types.h>

/* Open `path` (absolute or relative, interpreted inside root_fd). */
int path_open_in_root(int root_fd, const char *path, int flags, mode_t mode);
/* mkdir -p inside root_fd; returns an O_PATH fd of the final directory. */
int path_mkdir_in_root(int root_fd, const char *path, mode_t mode);
/* Make `path` exist inside root_fd as a directory (is_dir) or an empty
 * file, creating parents; returns an O_PATH fd of it. */
int path_ensure_in_root(int root_fd, const char *path, int is_dir, mode_t mode);
/* "/proc/self/fd/N" for mount(2) and friends. */
#define PROC_FD_PATH_MAX 32
void path_proc_fd(int fd, char buf[PROC_FD_PATH_MAX]);
