/* oci_config_validate: the semantic rules runc and the runtime-spec add on
 * top of types. Messages read "JSON.PATH: what is wrong"; the caller
 * prefixes the file name. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/macros.h"
#include "oci/internal.h"

#define HOST_NAME_LIMIT 64      /* HOST_NAME_MAX; also the UTS domain name limit */
#define IDMAP_LINES_MAX 340     /* the kernel's limit on uid_map/gid_map lines */

static int bad(cella_error **err, const char *fmt, ...) _printf_(2, 3);
static int bad(cella_error **err, const char *fmt, ...)
{
        char *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (n < 0)
                return err_setx(err, ENOMEM, "out of memory");
        int r = err_setx(err, EINVAL, "%s", msg);
        free(msg);
        return r;
}

static bool is_abs(const char *s)
{
        return s && s[0] == '/';
}

static const oci_namespace *find_ns(const oci_config *c, enum oci_ns_type t)
{
        for (size_t i = 0; i < c->linux_.n_namespaces; i++)
                if (c->linux_.namespaces[i].type == t)
                        return &c->linux_.namespaces[i];
        return NULL;
}

static int check_version(const oci_config *c, cella_error **err)
{
        char q[OCI_QUOTE_MAX];
        if (!c->oci_version || !c->oci_version[0])
                return bad(err, "ociVersion: required field missing");
        /* Any 1.x ("1.0.2-dev", "1.2.0"); a 2.x config may mean things we cannot know. */
        if (strncmp(c->oci_version, "1.", 2) != 0 && strcmp(c->oci_version, "1") != 0)
                return bad(err, "ociVersion: unsupported version %s (supported: 1.x)", oci_quote(q, c->oci_version));
        return 0;
}

static int check_process(const oci_process *p, cella_error **err)
{
        char q[OCI_QUOTE_MAX];
        if (p->n_args == 0)
                return bad(err, "process.args: must not be empty");
        if (!p->args[0][0])
                return bad(err, "process.args[0]: must not be empty");
        if (!p->cwd)
                return bad(err, "process.cwd: required field missing");
        if (!is_abs(p->cwd))
                return bad(err, "process.cwd: must be an absolute path, got %s", oci_quote(q, p->cwd));
        for (size_t i = 0; i < p->n_env; i++) {
                const char *eq = strchr(p->env[i], '=');
                if (!eq || eq == p->env[i])
                        return bad(err, "process.env[%zu]: %s is not NAME=VALUE", i, oci_quote(q, p->env[i]));
        }
        for (size_t i = 0; i < p->n_rlimits; i++) {
                const oci_rlimit *rl = &p->rlimits[i];
                if (rl->soft > rl->hard)
                        return bad(err, "process.rlimits[%zu]: soft limit %llu exceeds hard limit %llu", i,
                                   (unsigned long long) rl->soft, (unsigned long long) rl->hard);
                for (size_t j = 0; j < i; j++)
                        if (p->rlimits[j].resource == rl->resource)
                                return bad(err, "process.rlimits[%zu]: duplicate type %s (also rlimits[%zu])", i,
                                           rl->type, j);
        }
        return 0;
}

static int check_mounts(const oci_config *c, cella_error **err)
{
        char q[OCI_QUOTE_MAX];
        for (size_t i = 0; i < c->n_mounts; i++) {
                const oci_mount *m = &c->mounts[i];
                if (!is_abs(m->destination))
                        return bad(err, "mounts[%zu].destination: must be an absolute path, got %s", i,
                                   oci_quote(q, m->destination));
                if (!m->bind && (!m->type || !m->type[0]))
                        return bad(err, "mounts[%zu].type: required unless the mount is a bind mount "
                                   "(options \"bind\" or \"rbind\")", i);
                if (m->bind && (!m->source || !m->source[0]))
                        return bad(err, "mounts[%zu].source: required for a bind mount", i);
        }
        return 0;
}

static int check_idmaps(const char *key, const oci_idmap *m, size_t n, cella_error **err)
{
        if (n > IDMAP_LINES_MAX)
                return bad(err, "linux.%s: %zu entries, more than the kernel's %d", key, n, IDMAP_LINES_MAX);
        for (size_t i = 0; i < n; i++) {
                if (m[i].size == 0)
                        return bad(err, "linux.%s[%zu].size: must be at least 1", key, i);
                if ((uint64_t) m[i].container_id + m[i].size > UINT32_MAX + 1ull ||
                    (uint64_t) m[i].host_id + m[i].size > UINT32_MAX + 1ull)
                        return bad(err, "linux.%s[%zu]: range overflows 32-bit ids", key, i);
        }
        return 0;
}

static int check_namespaces(const oci_config *c, cella_error **err)
{
        const oci_linux *l = &c->linux_;
        char q[OCI_QUOTE_MAX];
        for (size_t i = 0; i < l->n_namespaces; i++) {
                const oci_namespace *ns = &l->namespaces[i];
                for (size_t j = 0; j < i; j++)
                        if (l->namespaces[j].type == ns->type)
                                return bad(err, "linux.namespaces[%zu]: duplicate namespace type \"%s\" "
                                           "(also namespaces[%zu])", i, oci_ns_type_names[ns->type], j);
                if (ns->path && !is_abs(ns->path))
                        return bad(err, "linux.namespaces[%zu].path: must be an absolute path, got %s", i,
                                   oci_quote(q, ns->path));
        }
        const oci_namespace *user = find_ns(c, OCI_NS_USER);
        bool mappings = l->n_uid_mappings > 0 || l->n_gid_mappings > 0;
        int r;
        if ((r = check_idmaps("uidMappings", l->uid_mappings, l->n_uid_mappings, err)) < 0 ||
            (r = check_idmaps("gidMappings", l->gid_mappings, l->n_gid_mappings, err)) < 0)
                return r;
        /* runc's rules. */
        if (!user && mappings)
                return bad(err, "linux.%s: id mappings given but no user namespace in linux.namespaces",
                           l->n_uid_mappings > 0 ? "uidMappings" : "gidMappings");
        if (user && user->path && mappings)
                return bad(err, "linux.uidMappings: mappings given for a user namespace joined by path");
        if (user && !user->path && (l->n_uid_mappings == 0 || l->n_gid_mappings == 0))
                return bad(err, "linux.namespaces: a new user namespace needs both uidMappings and gidMappings");
        if (l->has_time_offsets) {
                const oci_namespace *t = find_ns(c, OCI_NS_TIME);
                if (!t || t->path)
                        return bad(err, "linux.timeOffsets: needs a new time namespace in linux.namespaces");
        }
        return 0;
}

/* runc's sysctl rules: only settings of a namespace the container owns. */
static int check_sysctl(const oci_config *c, cella_error **err)
{
        static const char *const ipc_keys[] = {
                "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
        };
        char q[OCI_QUOTE_MAX];
        for (size_t i = 0; i < c->linux_.n_sysctl; i++) {
                const char *raw = c->linux_.sysctl[i].key;
                char key[256];
                /* "net/ipv4/ip_forward" is the same knob as "net.ipv4.ip_forward". */
                snprintf(key, sizeof(key), "%s", raw);
                for (char *s = key; *s; s++)
                        if (*s == '/')
                                *s = '.';
                bool ipc = strncmp(key, "fs.mqueue.", 10) == 0;
                for (size_t j = 0; !ipc && j < ARRAY_SIZE(ipc_keys); j++)
                        ipc = streq(key, ipc_keys[j]);
                if (ipc) {
                        if (!find_ns(c, OCI_NS_IPC))
                                return bad(err, "linux.sysctl: %s needs an ipc namespace", oci_quote(q, raw));
                        continue;
                }
                if (strncmp(key, "net.", 4) == 0) {
                        if (!find_ns(c, OCI_NS_NETWORK))
                                return bad(err, "linux.sysctl: %s needs a network namespace", oci_quote(q, raw));
                        continue;
                }
                if (streq(key, "kernel.domainname") && find_ns(c, OCI_NS_UTS))
                        continue;
                if (streq(key, "kernel.hostname"))
                        return bad(err, "linux.sysctl: \"kernel.hostname\" is not allowed; use the \"hostname\" field");
                if (streq(key, "kernel.domainname"))
                        return bad(err, "linux.sysctl: \"kernel.domainname\" needs a uts namespace");
                return bad(err, "linux.sysctl: %s is not in a namespace the container owns", oci_quote(q, raw));
        }
        return 0;
}

static bool syscall_name_ok(const char *s)
{
        if (!s[0] || strlen(s) > 64)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
                        return false;
        return true;
}

static bool action_takes_errno(enum oci_seccomp_action a)
{
        return a == OCI_SECCOMP_ERRNO || a == OCI_SECCOMP_TRACE;
}

static int check_seccomp(const oci_seccomp *s, cella_error **err)
{
        char q[OCI_QUOTE_MAX];
        if (!s->present)
                return 0;
        if (s->has_default_errno_ret && !action_takes_errno(s->default_action))
                return bad(err, "linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
        if (s->default_action == OCI_SECCOMP_NOTIFY)
                return bad(err, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
        for (size_t i = 0; i < s->n_syscalls; i++) {
                const oci_seccomp_rule *rule = &s->syscalls[i];
                if (rule->n_names == 0)
                        return bad(err, "linux.seccomp.syscalls[%zu].names: must not be empty", i);
                for (size_t j = 0; j < rule->n_names; j++) {
                        if (!syscall_name_ok(rule->names[j]))
                                return bad(err, "linux.seccomp.syscalls[%zu].names[%zu]: bad syscall name %s", i, j,
                                           oci_quote(q, rule->names[j]));
                        if (rule->action == OCI_SECCOMP_NOTIFY && streq(rule->names[j], "write"))
                                return bad(err, "linux.seccomp.syscalls[%zu]: SCMP_ACT_NOTIFY cannot be used for "
                                           "\"write\" (the runtime needs it to send the listener fd)", i);
                }
                if (rule->has_errno_ret && !action_takes_errno(rule->action))
                        return bad(err, "linux.seccomp.syscalls[%zu].errnoRet: only valid with SCMP_ACT_ERRNO "
                                   "or SCMP_ACT_TRACE", i);
                if (rule->action == OCI_SECCOMP_NOTIFY && !s->listener_path)
                        return bad(err, "linux.seccomp.syscalls[%zu]: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath", i);
        }
        if (s->listener_path && !is_abs(s->listener_path))
                return bad(err, "linux.seccomp.listenerPath: must be an absolute path");
        return 0;
}

static int check_paths(const char *key, char **v, size_t n, cella_error **err)
{
        char q[OCI_QUOTE_MAX];
        for (size_t i = 0; i < n; i++)
                if (!is_abs(v[i]))
                        return bad(err, "%s[%zu]: must be an absolute path, got %s", key, i, oci_quote(q, v[i]));
        return 0;
}

static int check_linux(const oci_config *c, cella_error **err)
{
        const oci_linux *l = &c->linux_;
        char q[OCI_QUOTE_MAX];
        int r;
        if ((r = check_namespaces(c, err)) < 0 || (r = check_sysctl(c, err)) < 0 ||
            (r = check_seccomp(&l->seccomp, err)) < 0 ||
            (r = check_paths("linux.maskedPaths", l->masked_paths, l->n_masked_paths, err)) < 0 ||
            (r = check_paths("linux.readonlyPaths", l->readonly_paths, l->n_readonly_paths, err)) < 0)
                return r;
        for (size_t i = 0; i < l->n_devices; i++) {
                const oci_device *d = &l->devices[i];
                if (!is_abs(d->path))
                        return bad(err, "linux.devices[%zu].path: must be an absolute path, got %s", i,
                                   oci_quote(q, d->path));
                /* The kernel's dev_t: 12-bit major, 20-bit minor. */
                if (d->type != 'p' && (d->major < 0 || d->major > 4095 || d->minor < 0 || d->minor > 1048575))
                        return bad(err, "linux.devices[%zu]: device number %lld:%lld out of range "
                                   "(major 0-4095, minor 0-1048575)", i, (long long) d->major, (long long) d->minor);
        }
        if (l->resources.has_mem_swappiness && l->resources.mem_swappiness > 100)
                return bad(err, "linux.resources.memory.swappiness: %llu is over 100",
                           (unsigned long long) l->resources.mem_swappiness);
        return 0;
}

int oci_config_validate(const oci_config *c, bool for_create, cella_error **err)
{
        char q[OCI_QUOTE_MAX];
        int r;
        if ((r = check_version(c, err)) < 0)
                return r;
        if (!c->root_path || !c->root_path[0])
                return bad(err, "root.path: required field missing");
        if (for_create && !c->has_process)
                return bad(err, "process: required to create a container");
        if (c->has_process && (r = check_process(&c->process, err)) < 0)
                return r;
        if (c->hostname && strlen(c->hostname) > HOST_NAME_LIMIT)
                return bad(err, "hostname: longer than %d characters", HOST_NAME_LIMIT);
        if (c->domainname && strlen(c->domainname) > HOST_NAME_LIMIT)
                return bad(err, "domainname: longer than %d characters", HOST_NAME_LIMIT);
        if (c->hostname && c->hostname[0] && !find_ns(c, OCI_NS_UTS))
                return bad(err, "hostname: %s needs a uts namespace in linux.namespaces", oci_quote(q, c->hostname));
        if (c->domainname && c->domainname[0] && !find_ns(c, OCI_NS_UTS))
                return bad(err, "domainname: %s needs a uts namespace in linux.namespaces", oci_quote(q, c->domainname));
        if ((r = check_mounts(c, err)) < 0)
                return r;
        for (int k = 0; k < OCI_HOOK__COUNT; k++)
                for (size_t i = 0; i < c->hooks.n[k]; i++)
                        if (!is_abs(c->hooks.list[k][i].path))
                                return bad(err, "hooks.%s[%zu].path: must be an absolute path, got %s",
                                           oci_hook_kind_names[k], i, oci_quote(q, c->hooks.list[k][i].path));
        return check_linux(c, err);
}
