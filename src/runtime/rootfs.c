#include "rootfs.h"
#include "devices.h"
#include "base/fileio.h"
#include "base/path.h"
#include <fcntl.h>
#include <linux/mount.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

/* Flags the kernel locks on a mount seen from a user namespace: a bind
 * remount must carry them again or it fails with EPERM. */
static unsigned long locked_flags(const char *path)
{
        struct statvfs sv;
        unsigned long f = 0;
        if (statvfs(path, &sv) < 0)
                return 0;
        if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
        if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
        if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
        if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
        if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
        if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
        if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
        return f;
}

/* r* options (rro, rnosuid, rnoexec, ...): mount_setattr(AT_RECURSIVE). */
static int set_recursive_attrs(int fd, const oci_mount *m, cella_error **err)
{
        struct mount_attr attr = { .attr_set = m->rec_attr_set, .attr_clr = m->rec_attr_clr };
        if (m->recursive_ro)
                attr.attr_set |= MOUNT_ATTR_RDONLY;
        if (!attr.attr_set && !attr.attr_clr)
                return 0;
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                return err_set(err, errno, "mount %s: recursive mount options", m->destination);
        return 0;
}

/* An fd opened before mounting still names the covered directory: reopen
 * the destination to reach the new mount. */
static int reopen_target(int root_fd, const oci_mount *m, char target[PROC_FD_PATH_MAX], cella_error **err)
{
        int fd = path_open_in_root(root_fd, m->destination, O_PATH, 0);
        if (fd < 0)
                return err_set(err, -fd, "mount %s: reopen after mounting", m->destination);
        path_proc_fd(fd, target);
        return fd;
}

static int mount_bind(const oci_mount *m, int root_fd, const char *target, cella_error **err)
{
        if (!m->source)
                return err_setx(err, EINVAL, "mount %s: bind mount without a source", m->destination);
        unsigned long f = MS_BIND | (m->recursive ? MS_REC : 0);
        if (mount(m->source, target, NULL, f, NULL) < 0)
                return err_set(err, errno, "mount %s on %s", m->source, m->destination);
        char mounted[PROC_FD_PATH_MAX];
        _cleanup_close_ int fd = reopen_target(root_fd, m, mounted, err);
        if (fd < 0)
                return fd;
        target = mounted;
        unsigned long want = m->flags & ~(MS_BIND | MS_REC);
        if (want || m->clear_flags) {
                unsigned long keep = locked_flags(target) & ~m->clear_flags;
                if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | keep | want, NULL) < 0)
                        return err_set(err, errno, "remount %s with its options", m->destination);
        }
        return set_recursive_attrs(fd, m, err);
}

static int mount_fs(const oci_mount *m, const char *target, cella_error **err)
{
        const char *type = m->type;
        unsigned long f = m->flags;
        if (mount(m->source ? m->source : type, target, type, f, m->data) == 0)
                return 0;
        int e = errno;
        /* sysfs cannot be mounted in a user namespace that does not own the
         * network namespace: bind the host's, read-only, as runc does. */
        if (streq(type, "sysfs") && e == EPERM) {
                if (mount("/sys", target, NULL, MS_BIND | MS_REC, NULL) == 0) {
                        mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(target), NULL);
                        return 0;
                }
        }
        /* devpts' gid= needs that gid mapped in the user namespace. */
        if (streq(type, "devpts") && e == EINVAL && m->data && strstr(m->data, "gid=")) {
                char data[512];
                size_t k = 0;
                char *copy = strdup(m->data), *save = NULL;
                data[0] = '\0';
                for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save))
                        if (!strneq(o, "gid=", 4))
                                k += snprintf(data + k, sizeof(data) > k ? sizeof(data) - k : 0, "%s%s", k ? "," : "", o);
                free(copy);
                if (mount(m->source ? m->source : type, target, type, f, data) == 0)
                        return 0;
        }
        return err_set(err, e, "mount %s (%s) on %s", m->source ? m->source : type, type, m->destination);
}

/* cgroup mounts: cgroup2 where the host is unified; else a tmpfs holding
 * each v1 hierarchy the host has mounted (and the hybrid cgroup2). */
static int mount_cgroup(const oci_mount *m, int root_fd, const char *target, cella_error **err)
{
        struct stat st;
        if (stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0) {
                if (mount("cgroup2", target, "cgroup2", m->flags, NULL) < 0) {
                        if (errno != EPERM && errno != EBUSY)
                                return err_set(err, errno, "mount cgroup2 on %s", m->destination);
                        if (mount("/sys/fs/cgroup", target, NULL, MS_BIND | MS_REC, NULL) < 0)
                                return err_set(err, errno, "bind /sys/fs/cgroup on %s", m->destination);
                }
                return 0;
        }
        if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
                return err_set(err, errno, "mount tmpfs on %s", m->destination);
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return err_set(err, errno, "open /proc/self/mountinfo");
        char line[4096];
        while (fgets(line, sizeof(line), f)) {
                char mp[1024], fstype[64], super[512];
                /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
                char *dash = strstr(line, " - ");
                if (!dash || sscanf(line, "%*s %*s %*s %*s %1023s", mp) != 1 ||
                    sscanf(dash + 3, "%63s %*s %511s", fstype, super) != 2)
                        continue;
                if (!strneq(mp, "/sys/fs/cgroup/", 15) || strchr(mp + 15, '/'))
                        continue;
                bool v2 = streq(fstype, "cgroup2");
                if (!v2 && !streq(fstype, "cgroup"))
                        continue;
                char sub[1100];
                snprintf(sub, sizeof(sub), "%s/%s", m->destination, mp + 15);
                _cleanup_close_ int dfd = path_mkdir_in_root(root_fd, sub, 0755);
                if (dfd < 0)
                        return err_set(err, -dfd, "create %s", sub);
                char dpath[PROC_FD_PATH_MAX];
                path_proc_fd(dfd, dpath);
                /* Keep only the controller names from the superblock options. */
                char opts[512] = "";
                size_t k = 0;
                char *save = NULL;
                for (char *o = strtok_r(super, ",", &save); o; o = strtok_r(NULL, ",", &save))
                        if (!streq(o, "rw") && !streq(o, "ro"))
                                k += snprintf(opts + k, sizeof(opts) > k ? sizeof(opts) - k : 0, "%s%s", k ? "," : "", o);
                if (mount(v2 ? "cgroup2" : "cgroup", dpath, v2 ? "cgroup2" : "cgroup", m->flags, v2 ? NULL : opts) < 0 &&
                    mount(mp, dpath, NULL, MS_BIND | MS_REC, NULL) < 0)
                        return err_set(err, errno, "mount cgroup hierarchy %s on %s", mp, sub);
        }
        if (m->flags & MS_RDONLY)
                mount(NULL, target, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
        return 0;
}

static int is_dir_source(const oci_mount *m)
{
        if (!m->bind || !m->source)
                return 1;
        struct stat st;
        return stat(m->source, &st) < 0 || S_ISDIR(st.st_mode);
}

static int do_mount(const oci_mount *m, int root_fd, cella_error **err)
{
        if (m->idmap)
                return err_setx(err, ENOTSUP, "mount %s: idmapped mounts are not supported", m->destination);
        _cleanup_close_ int fd = path_ensure_in_root(root_fd, m->destination, is_dir_source(m), 0755);
        if (fd < 0)
                return err_set(err, -fd, "mount %s: create the mount point inside the rootfs", m->destination);
        char target[PROC_FD_PATH_MAX];
        path_proc_fd(fd, target);
        int r;
        if (m->bind)
                r = mount_bind(m, root_fd, target, err);
        else if (m->type && streq(m->type, "cgroup"))
                r = mount_cgroup(m, root_fd, target, err);
        else if (!m->type)
                return err_setx(err, EINVAL, "mount %s: no type and not a bind mount", m->destination);
        else
                r = mount_fs(m, target, err);
        if (r < 0 || !m->propagation)
                return r;
        _cleanup_close_ int mfd = reopen_target(root_fd, m, target, err);
        if (mfd < 0)
                return mfd;
        if (mount(NULL, target, NULL, m->propagation, NULL) < 0)
                return err_set(err, errno, "mount %s: set propagation", m->destination);
        return 0;
}

static bool has_mount_at(const oci_config *c, const char *dest)
{
        for (size_t i = 0; i < c->n_mounts; i++)
                if (streq(c->mounts[i].destination, dest))
                        return true;
        return false;
}

int rt_rootfs_prepare(const oci_config *c, const char *rootfs, bool userns, cella_error **err)
{
        /* Nothing we mount may propagate back to the host. */
        unsigned long prop = MS_SLAVE | MS_REC;
        if (c->linux_.rootfs_propagation_flags & (MS_PRIVATE))
                prop = MS_PRIVATE | MS_REC;
        if (mount(NULL, "/", NULL, prop, NULL) < 0)
                return err_set(err, errno, "make / %s", prop & MS_PRIVATE ? "private" : "slave");
        if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return err_set(err, errno, "bind rootfs %s", rootfs);
        _cleanup_close_ int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return err_set(err, errno, "open rootfs %s", rootfs);
        for (size_t i = 0; i < c->n_mounts; i++) {
                int r = do_mount(&c->mounts[i], root_fd, err);
                if (r < 0)
                        return r;
        }
        if (c->process.cwd) {
                int fd = path_mkdir_in_root(root_fd, c->process.cwd, 0755);
                if (fd < 0)
                        return err_set(err, -fd, "process.cwd %s: create it inside the rootfs", c->process.cwd);
                close(fd);
        }
        /* A /dev the config mounted fresh (tmpfs) gets the default devices;
         * a /dev bound from elsewhere already has its nodes. */
        bool fresh_dev = false;
        for (size_t i = 0; i < c->n_mounts; i++)
                if (streq(c->mounts[i].destination, "/dev") && !c->mounts[i].bind)
                        fresh_dev = true;
        if (fresh_dev || !has_mount_at(c, "/dev")) {
                int r = rt_devices_create_default(root_fd, userns, err);
                if (r < 0)
                        return r;
        }
        return rt_devices_create(root_fd, c->linux_.devices, c->linux_.n_devices, userns, err);
}

int rt_rootfs_pivot(const char *rootfs, bool no_pivot, cella_error **err)
{
        _cleanup_close_ int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fchdir(fd) < 0)
                return err_set(err, errno, "enter rootfs %s", rootfs);
        if (no_pivot) {
                if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
                        return err_set(err, errno, "move rootfs to /");
                if (chroot(".") < 0)
                        return err_set(err, errno, "chroot");
        } else {
                if (syscall(SYS_pivot_root, ".", ".") < 0)
                        return err_set(err, errno, "pivot_root %s", rootfs);
                /* The old root is stacked under the new one; detach it without
                 * letting the unmount propagate to the host. */
                if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                        return err_set(err, errno, "make old root slave");
                if (umount2(".", MNT_DETACH) < 0)
                        return err_set(err, errno, "detach old root");
        }
        if (chdir("/") < 0)
                return err_set(err, errno, "chdir /");
        return 0;
}

static int mask_path(const char *p, cella_error **err)
{
        struct stat st;
        if (lstat(p, &st) < 0)
                return errno == ENOENT ? 0 : err_set(err, errno, "masked path %s", p);
        if (S_ISDIR(st.st_mode)) {
                if (mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0,mode=0555") < 0)
                        return err_set(err, errno, "mask directory %s", p);
        } else if (mount("/dev/null", p, NULL, MS_BIND, NULL) < 0)
                return err_set(err, errno, "mask %s", p);
        return 0;
}

static int readonly_path(const char *p, cella_error **err)
{
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
                return errno == ENOENT ? 0 : err_set(err, errno, "read-only path %s", p);
        if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | locked_flags(p), NULL) < 0)
                return err_set(err, errno, "remount %s read-only", p);
        return 0;
}

int rt_rootfs_finalize(const oci_config *c, cella_error **err)
{
        for (size_t i = 0; i < c->linux_.n_masked_paths; i++)
                if (mask_path(c->linux_.masked_paths[i], err) < 0)
                        return -EPERM;
        for (size_t i = 0; i < c->linux_.n_readonly_paths; i++)
                if (readonly_path(c->linux_.readonly_paths[i], err) < 0)
                        return -EPERM;
        if (c->linux_.rootfs_propagation_flags &&
            mount(NULL, "/", NULL, c->linux_.rootfs_propagation_flags, NULL) < 0)
                return err_set(err, errno, "set rootfs propagation %s", c->linux_.rootfs_propagation);
        if (c->root_readonly &&
            mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), NULL) < 0)
                return err_set(err, errno, "remount / read-only");
        return 0;
}

int rt_rootfs_bind_console(const char *slave_path, cella_error **err)
{
        int fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0)
                close(fd);
        if (mount(slave_path, "/dev/console", NULL, MS_BIND, NULL) < 0)
                return err_set(err, errno, "bind %s on /dev/console", slave_path);
        return 0;
}
