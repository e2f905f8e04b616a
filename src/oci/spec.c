/* oci_spec_default: the config `cella-runtime spec` writes. runc's
 * `runc spec` (1.1) field for field, with Docker's hardening on top: the 14
 * default capabilities (bounding, effective, permitted; no ambient),
 * Docker's default seccomp profile, no_new_privs, a cgroup namespace. */
#include <jansson.h>
#include <string.h>
#include "oci/config.h"

#define OCI_SPEC_VERSION "1.1.0"

static json_t *strv(const char *const *v)
{
        json_t *a = json_array();
        for (size_t i = 0; a && v[i]; i++)
                if (json_array_append_new(a, json_string(v[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *caps(void)
{
        /* "o" steals; json_pack drops what it stole when it fails. */
        return json_pack("{s:o, s:o, s:o}",
                         "bounding", strv(oci_docker_default_caps),
                         "effective", strv(oci_docker_default_caps),
                         "permitted", strv(oci_docker_default_caps));
}

static json_t *process(void)
{
        static const char *const args[] = { "sh", NULL };
        static const char *const env[] = {
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL,
        };
        return json_pack("{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:o, s:[{s:s, s:i, s:i}], s:b}",
                         "terminal", 1,
                         "user", "uid", 0, "gid", 0,
                         "args", strv(args),
                         "env", strv(env),
                         "cwd", "/",
                         "capabilities", caps(),
                         "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024,
                         "noNewPrivileges", 1);
}

static json_t *mount(const char *dest, const char *type, const char *src, const char *const *opts)
{
        json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", src);
        if (m && opts && json_object_set_new(m, "options", strv(opts)) < 0) {
                json_decref(m);
                return NULL;
        }
        return m;
}

static json_t *mounts(bool rootless)
{
        static const char *const dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
        static const char *const pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                                           "gid=5", NULL };
        /* Rootless: gid 5 is usually not mapped, so devpts cannot take it. */
        static const char *const pts_rootless[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                                    "mode=0620", NULL };
        static const char *const shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
        static const char *const mq[] = { "nosuid", "noexec", "nodev", NULL };
        static const char *const sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
        /* Rootless: a user namespace that does not own the network namespace
         * cannot mount sysfs, so the host's is bind-mounted. */
        static const char *const sys_rootless[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };
        static const char *const cg[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
        return json_pack("[o, o, o, o, o, o, o]",
                         mount("/proc", "proc", "proc", NULL),
                         mount("/dev", "tmpfs", "tmpfs", dev),
                         mount("/dev/pts", "devpts", "devpts", rootless ? pts_rootless : pts),
                         mount("/dev/shm", "tmpfs", "shm", shm),
                         mount("/dev/mqueue", "mqueue", "mqueue", mq),
                         rootless ? mount("/sys", "none", "/sys", sys_rootless) : mount("/sys", "sysfs", "sysfs", sys),
                         mount("/sys/fs/cgroup", "cgroup", "cgroup", cg));
}

static json_t *namespaces(bool rootless)
{
        static const char *const types[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", "user" };
        json_t *a = json_array();
        for (size_t i = 0; a && i < sizeof(types) / sizeof(types[0]); i++) {
                /* Rootless: no network namespace (no way to set it up unprivileged). */
                if (strcmp(types[i], rootless ? "network" : "user") == 0)
                        continue;
                if (json_array_append_new(a, json_pack("{s:s}", "type", types[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

static json_t *linux_section(bool rootless, uid_t uid, gid_t gid)
{
        static const char *const masked[] = {
                "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi", NULL,
        };
        static const char *const readonly[] = {
                "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
        };
        json_t *l = json_pack("{s:o, s:o, s:o, s:o}",
                              "namespaces", namespaces(rootless),
                              "maskedPaths", strv(masked),
                              "readonlyPaths", strv(readonly),
                              "seccomp", oci_seccomp_docker_default());
        if (!l)
                return NULL;
        int r;
        if (rootless)
                r = json_object_set_new(l, "uidMappings",
                                        json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                                  (json_int_t) uid, "size", 1)) |
                    json_object_set_new(l, "gidMappings",
                                        json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                                  (json_int_t) gid, "size", 1));
        else
                r = json_object_set_new(l, "resources",
                                        json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"));
        if (r < 0) {
                json_decref(l);
                return NULL;
        }
        return l;
}

json_t *oci_spec_default(bool rootless, uid_t uid, gid_t gid)
{
        return json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}",
                         "ociVersion", OCI_SPEC_VERSION,
                         "process", process(),
                         "root", "path", "rootfs", "readonly", 1,
                         "hostname", "cella",
                         "mounts", mounts(rootless),
                         "linux", linux_section(rootless, uid, gid));
}
