#include "fileio.h"
#include "macros.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

int fd_write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return NEG_ERRNO();
                }
                p += n;
                len -= n;
        }
        return 0;
}

int fd_read_all(int fd, void *buf, size_t len)
{
        char *p = buf;
        while (len > 0) {
                ssize_t n = read(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return NEG_ERRNO();
                }
                if (n == 0)
                        return -EPIPE;
                p += n;
                len -= n;
        }
        return 0;
}

int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return NEG_ERRNO();
        size_t cap = 4096, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len + 1 >= cap) {
                        if (cap > max + 1)
                                return -EFBIG;
                        cap *= 2;
                        char *nb = realloc(buf, cap);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                }
                ssize_t n = read(fd, buf + len, cap - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return NEG_ERRNO();
                }
                if (n == 0)
                        break;
                len += n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

int write_file_at(int dirfd, const char *path, const char *data, size_t len, int flags, mode_t mode)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY | flags, mode);
        if (fd < 0)
                return NEG_ERRNO();
        return fd_write_all(fd, data, len);
}

int write_str_at(int dirfd, const char *path, const char *s)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return NEG_ERRNO();
        size_t len = strlen(s);
        ssize_t n = write(fd, s, len);
        if (n < 0)
                return NEG_ERRNO();
        return (size_t)n == len ? 0 : -EIO;
}

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
        char tmp[4096];
        if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
                return -ENAMETOOLONG;
        int r = write_file_at(AT_FDCWD, tmp, data, len, O_CREAT | O_TRUNC, mode);
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        if (rename(tmp, path) < 0) {
                r = NEG_ERRNO();
                unlink(tmp);
                return r;
        }
        return 0;
}

int mkdir_p(const char *path, mode_t mode)
{
        char buf[4096];
        size_t len = strlen(path);
        if (len == 0 || len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, path, len + 1);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return NEG_ERRNO();
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return NEG_ERRNO();
        return 0;
}

static int rm_rf_children(int dfd, dev_t dev)
{
        DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return NEG_ERRNO();
        }
        int ret = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        if (st.st_dev != dev) {
                                ret = -EBUSY;
                                continue;
                        }
                        int cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (cfd >= 0) {
                                int r = rm_rf_children(cfd, dev);
                                if (r < 0 && ret == 0)
                                        ret = r;
                        }
                        if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && ret == 0)
                                ret = NEG_ERRNO();
                } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && ret == 0)
                        ret = NEG_ERRNO();
        }
        closedir(d);
        return ret;
}

int rm_rf_at(int dirfd, const char *path)
{
        int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                if (errno == ENOTDIR || errno == ELOOP)
                        return unlinkat(dirfd, path, 0) < 0 ? NEG_ERRNO() : 0;
                return NEG_ERRNO();
        }
        struct stat st;
        if (fstat(fd, &st) < 0) {
                close(fd);
                return NEG_ERRNO();
        }
        int r = rm_rf_children(fd, st.st_dev);
        if (unlinkat(dirfd, path, AT_REMOVEDIR) < 0 && r == 0)
                r = NEG_ERRNO();
        return r;
}

static int cmp_int(const void *a, const void *b)
{
        return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}

void fd_close_all_except(unsigned from, const int *keep, size_t n)
{
        int sorted[16];
        size_t k = 0;
        if (from < 3)
                from = 3;
        for (size_t i = 0; i < n && k < ARRAY_SIZE(sorted); i++)
                if (keep[i] >= 0 && (unsigned)keep[i] >= from)
                        sorted[k++] = keep[i];
        qsort(sorted, k, sizeof(int), cmp_int);
        for (size_t i = 0; i < k; i++) {
                if ((unsigned)sorted[i] > from)
                        syscall(SYS_close_range, from, (unsigned)sorted[i] - 1, 0);
                from = (unsigned)sorted[i] + 1;
        }
        syscall(SYS_close_range, from, ~0U, 0);
}
