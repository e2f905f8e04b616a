#include "devices.h"
#include "base/path.h"
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static int make_node(int root_fd, const char *path, char type, unsigned maj, unsigned min, mode_t mode,
                     uid_t uid, gid_t gid, bool userns, cella_error **err)
{
        /* Parent directory first, resolved inside the rootfs. */
        char parent[1024];
        const char *slash = strrchr(path, '/');
        if (!slash || !slash[1])
                return err_setx(err, EINVAL, "device path %s is not a file path", path);
        snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path), path);
        _cleanup_close_ int pfd = path_mkdir_in_root(root_fd, *parent ? parent : "/", 0755);
        if (pfd < 0)
                return err_set(err, -pfd, "device %s: create parent directory", path);
        /* O_PATH parent is fine for *at() calls that take a name. */
        const char *name = slash + 1;
        if (userns) {
                char host[64];
                snprintf(host, sizeof(host), "/dev/%s", name);
                int fd = openat(pfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0 && errno != EEXIST)
                        return err_set(err, errno, "device %s: create bind target", path);
                if (fd >= 0)
                        close(fd);
                _cleanup_close_ int tfd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                char target[PROC_FD_PATH_MAX];
                path_proc_fd(tfd, target);
                /* Bind the host node with the same major:minor. */
                char src[64];
                snprintf(src, sizeof(src), "/dev/char/%u:%u", maj, min);
                if (type == 'b')
                        snprintf(src, sizeof(src), "/dev/block/%u:%u", maj, min);
                if (mount(src, target, NULL, MS_BIND, NULL) < 0 && mount(host, target, NULL, MS_BIND, NULL) < 0)
                        return err_set(err, errno, "device %s: bind from host", path);
                return 0;
        }
        mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
        unlinkat(pfd, name, 0);
        if (mknodat(pfd, name, kind | (mode & 07777), makedev(maj, min)) < 0)
                return err_set(err, errno, "device %s: mknod", path);
        if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return err_set(err, errno, "device %s: chown", path);
        /* mknod honours the umask: set the mode the config asked for. */
        _cleanup_close_ int nfd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        char p[PROC_FD_PATH_MAX];
        path_proc_fd(nfd, p);
        if (nfd < 0 || chmod(p, mode & 07777) < 0)
                return err_set(err, errno, "device %s: chmod", path);
        return 0;
}

int rt_devices_create_default(int root_fd, bool userns, cella_error **err)
{
        static const struct { const char *path; unsigned maj, min; } devs[] = {
                { "/dev/null", 1, 3 }, { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
                { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
        };
        for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
                int r = make_node(root_fd, devs[i].path, 'c', devs[i].maj, devs[i].min, 0666, 0, 0, userns, err);
                if (r < 0)
                        return r;
        }
        static const struct { const char *path, *target; } links[] = {
                { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
                { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
                { "ptmx", "pts/ptmx" },
        };
        _cleanup_close_ int dev = path_mkdir_in_root(root_fd, "/dev", 0755);
        if (dev < 0)
                return err_set(err, -dev, "create /dev");
        for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
                struct stat st;
                if (fstatat(dev, links[i].path, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        continue;
                if (symlinkat(links[i].target, dev, links[i].path) < 0 && errno != EEXIST)
                        return err_set(err, errno, "symlink /dev/%s", links[i].path);
        }
        return 0;
}

int rt_devices_create(int root_fd, const oci_device *devs, size_t n, bool userns, cella_error **err)
{
        for (size_t i = 0; i < n; i++) {
                const oci_device *d = &devs[i];
                char type = d->type == 'u' ? 'c' : d->type;
                int r = make_node(root_fd, d->path, type, (unsigned)d->major, (unsigned)d->minor,
                                  d->has_file_mode ? d->file_mode : 0666, d->has_uid ? d->uid : 0,
                                  d->has_gid ? d->gid : 0, userns, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int rt_device_rules(const oci_config *c, oci_device_rule **ret, size_t *ret_n)
{
        static const oci_device_rule defaults[] = {
                { true, 'c', -1, -1, "m" }, { true, 'b', -1, -1, "m" },
                { true, 'c', 1, 3, "rwm" }, { true, 'c', 1, 8, "rwm" }, { true, 'c', 1, 7, "rwm" },
                { true, 'c', 5, 0, "rwm" }, { true, 'c', 1, 5, "rwm" }, { true, 'c', 1, 9, "rwm" },
                { true, 'c', 5, 1, "rwm" }, { true, 'c', 136, -1, "rwm" }, { true, 'c', 5, 2, "rwm" },
                { true, 'c', 10, 200, "rwm" },
        };
        const oci_resources *res = &c->linux_.resources;
        size_t n = res->n_devices + ARRAY_SIZE(defaults) + c->linux_.n_devices;
        oci_device_rule *rules = calloc(n + 1, sizeof(*rules));
        if (!rules)
                return -ENOMEM;
        size_t k = 0;
        /* With no rules at all, the container starts from deny-all as with runc. */
        if (res->n_devices == 0)
                rules[k++] = (oci_device_rule){ false, 'a', -1, -1, "rwm" };
        for (size_t i = 0; i < res->n_devices; i++)
                rules[k++] = res->devices[i];
        for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
                rules[k++] = defaults[i];
        for (size_t i = 0; i < c->linux_.n_devices; i++) {
                const oci_device *d = &c->linux_.devices[i];
                if (d->type == 'p')
                        continue;
                rules[k++] = (oci_device_rule){ true, d->type == 'u' ? 'c' : d->type, d->major, d->minor, "rwm" };
        }
        *ret = rules;
        *ret_n = k;
        return 0;
}
