#include "path.h"
#include "macros.h"
#include <stdbool.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

void path_proc_fd(int fd, char buf[PROC_FD_PATH_MAX])
{
        snprintf(buf, PROC_FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

int path_open_in_root(int root_fd, const char *path, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (unsigned)flags | O_CLOEXEC,
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        while (*path == '/')
                path++;
        if (!*path)
                path = ".";
        int fd = RETRY_EINTR((int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how)));
        return fd < 0 ? NEG_ERRNO() : fd;
}

/* Walk component by component so that each created directory is made
 * relative to a verified parent fd. */
int path_ensure_in_root(int root_fd, const char *path, int is_dir, mode_t mode)
{
        char buf[4096];
        if (strlen(path) >= sizeof(buf))
                return -ENAMETOOLONG;
        strcpy(buf, path);
        int cur = path_open_in_root(root_fd, "/", O_PATH | O_DIRECTORY, 0);
        if (cur < 0)
                return cur;
        char *save = NULL;
        char *comp = strtok_r(buf, "/", &save);
        while (comp) {
                char *next = strtok_r(NULL, "/", &save);
                bool last = next == NULL;
                if (streq(comp, ".")) {
                        comp = next;
                        continue;
                }
                /* Resolve the component relative to root so symlinks and ".."
                 * cannot escape: build the prefix path from root each time. */
                size_t off = comp - buf;
                char prefix[4096];
                memcpy(prefix, path, off + strlen(comp));
                prefix[off + strlen(comp)] = '\0';
                int fd = path_open_in_root(root_fd, prefix, O_PATH, 0);
                if (fd < 0 && fd == -ENOENT) {
                        int r;
                        if (!last || is_dir)
                                r = mkdirat(cur, comp, mode) < 0 && errno != EEXIST ? NEG_ERRNO() : 0;
                        else {
                                int ffd = openat(cur, comp, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
                                r = ffd < 0 && errno != EEXIST ? NEG_ERRNO() : 0;
                                if (ffd >= 0)
                                        close(ffd);
                        }
                        if (r < 0) {
                                close(cur);
                                return r;
                        }
                        fd = path_open_in_root(root_fd, prefix, O_PATH, 0);
                }
                if (fd < 0) {
                        close(cur);
                        return fd;
                }
                close(cur);
                cur = fd;
                comp = next;
        }
        return cur;
}

int path_mkdir_in_root(int root_fd, const char *path, mode_t mode)
{
        return path_ensure_in_root(root_fd, path, 1, mode);
}
