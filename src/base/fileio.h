/* Small file helpers. All return 0 or a negative errno. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* Read a whole file (at most max bytes, else -EFBIG); NUL-terminated. */
int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len);
int write_file_at(int dirfd, const char *path, const char *data, size_t len, int flags, mode_t mode);
/* Write path.tmp, fsync-free rename over path. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);
/* Write a short string to an existing file (cgroup and /proc knobs). */
int write_str_at(int dirfd, const char *path, const char *s);
int mkdir_p(const char *path, mode_t mode);
/* Remove a tree; never crosses a mount point. Missing is not an error. */
int rm_rf_at(int dirfd, const char *path);
int fd_write_all(int fd, const void *buf, size_t len);
int fd_read_all(int fd, void *buf, size_t len);
/* Close every fd >= from that is not in keep[] (CVE-2024-21626: nothing of
 * the caller's may reach a container, not even through a chdir into
 * /proc/self/fd/N). keep[] entries < from are ignored; from is at least 3. */
void fd_close_all_except(unsigned from, const int *keep, size_t n);
