/* The "linux" section: namespaces, user mappings, devices, sysctl,
 * propagation, masked and read-only paths, time offsets, personality.
 * resources and seccomp have their own files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include "oci/internal.h"

static int parse_namespace(oci_pctx *p, const json_t *v, void *elem)
{
        oci_namespace *ns = elem;
        char *type = NULL;
        char q[OCI_QUOTE_MAX];
        int r = oci_get_str(p, v, "type", &type);
        if (r <= 0)
                return r < 0 ? r : oci_missing(p, "type");
        int t = oci_ns_from_name(type);
        if (t < 0)
                r = oci_fail_key(p, "type", "unknown namespace type %s", oci_quote(q, type));
        free(type);
        if (r < 0)
                return r;
        ns->type = (enum oci_ns_type) t;
        return oci_get_str(p, v, "path", &ns->path);
}

static int parse_idmap(oci_pctx *p, const json_t *v, void *elem)
{
        oci_idmap *m = elem;
        int r;
        if ((r = oci_get_u32(p, v, "containerID", &m->container_id)) <= 0)
                return r < 0 ? r : oci_missing(p, "containerID");
        if ((r = oci_get_u32(p, v, "hostID", &m->host_id)) <= 0)
                return r < 0 ? r : oci_missing(p, "hostID");
        if ((r = oci_get_u32(p, v, "size", &m->size)) <= 0)
                return r < 0 ? r : oci_missing(p, "size");
        return 0;
}

static int parse_device(oci_pctx *p, const json_t *v, void *elem)
{
        oci_device *d = elem;
        char *type = NULL;
        char q[OCI_QUOTE_MAX];
        int64_t x = 0;
        int r = oci_get_str(p, v, "type", &type);
        if (r <= 0)
                return r < 0 ? r : oci_missing(p, "type");
        if (strlen(type) != 1 || !strchr("cbup", type[0]))
                r = oci_fail_key(p, "type", "unknown device type %s (want c, b, u or p)", oci_quote(q, type));
        d->type = type[0];
        free(type);
        if (r < 0)
                return r;
        if ((r = oci_get_str(p, v, "path", &d->path)) <= 0)
                return r < 0 ? r : oci_missing(p, "path");
        /* A FIFO has no device numbers; the others need both. */
        if ((r = oci_get_int(p, v, "major", INT64_MIN, INT64_MAX, &d->major)) < 0)
                return r;
        if (r == 0 && d->type != 'p')
                return oci_fail_key(p, "major", "required for device type '%c'", d->type);
        if ((r = oci_get_int(p, v, "minor", INT64_MIN, INT64_MAX, &d->minor)) < 0)
                return r;
        if (r == 0 && d->type != 'p')
                return oci_fail_key(p, "minor", "required for device type '%c'", d->type);
        if ((r = oci_get_int(p, v, "fileMode", 0, 07777, &x)) < 0)
                return r;
        d->has_file_mode = r > 0;
        d->file_mode = (mode_t) x;
        if ((r = oci_get_u32(p, v, "uid", &d->uid)) < 0)
                return r;
        d->has_uid = r > 0;
        if ((r = oci_get_u32(p, v, "gid", &d->gid)) < 0)
                return r;
        d->has_gid = r > 0;
        return 0;
}

static int parse_offset(oci_pctx *p, const json_t *to, const char *key, int64_t *secs, uint32_t *nsecs)
{
        json_t *o = NULL;
        int r = oci_get_obj(p, to, key, &o);
        if (r <= 0)
                return r;
        size_t m = oci_push_key(p, key);
        int64_t ns = 0;
        if ((r = oci_get_int(p, o, "secs", INT64_MIN, INT64_MAX, secs)) >= 0)
                r = oci_get_int(p, o, "nanosecs", 0, 999999999, &ns);
        oci_pop(p, m);
        *nsecs = (uint32_t) ns;
        return r < 0 ? r : 1;
}

static int parse_time_offsets(oci_pctx *p, const json_t *v, oci_linux *l)
{
        json_t *to = NULL;
        int r = oci_get_obj(p, v, "timeOffsets", &to);
        if (r <= 0)
                return r;
        size_t m = oci_push_key(p, "timeOffsets");
        if ((r = parse_offset(p, to, "boottime", &l->boottime_secs, &l->boottime_nanosecs)) >= 0)
                r = parse_offset(p, to, "monotonic", &l->monotonic_secs, &l->monotonic_nanosecs);
        oci_pop(p, m);
        if (r < 0)
                return r;
        l->has_time_offsets = true;
        return 0;
}

static int parse_personality(oci_pctx *p, const json_t *v, oci_linux *l)
{
        json_t *o = NULL;
        char q[OCI_QUOTE_MAX];
        int r = oci_get_obj(p, v, "personality", &o);
        if (r <= 0)
                return r;
        size_t m = oci_push_key(p, "personality");
        r = oci_get_str(p, o, "domain", &l->personality_domain);
        if (r == 0)
                r = oci_missing(p, "domain");
        else if (r > 0 && strcmp(l->personality_domain, "LINUX") != 0 &&
                 strcmp(l->personality_domain, "LINUX32") != 0)
                r = oci_fail_key(p, "domain", "unknown personality domain %s (want LINUX or LINUX32)",
                                 oci_quote(q, l->personality_domain));
        oci_pop(p, m);
        return r < 0 ? r : 0;
}

static int parse_rootfs_propagation(oci_pctx *p, const json_t *v, oci_linux *l)
{
        char q[OCI_QUOTE_MAX];
        unsigned long flags = 0;
        int r = oci_get_str(p, v, "rootfsPropagation", &l->rootfs_propagation);
        if (r <= 0)
                return r;
        if (oci_propagation_from_name(l->rootfs_propagation, &flags) < 0)
                return oci_fail_key(p, "rootfsPropagation",
                                    "unknown propagation %s (want shared, slave, private or unbindable)",
                                    oci_quote(q, l->rootfs_propagation));
        /* Applied to the whole rootfs tree, as crun does. */
        l->rootfs_propagation_flags = flags | MS_REC;
        return 0;
}

int oci_parse_linux(oci_pctx *p, const json_t *v, oci_linux *l)
{
        json_t *o = NULL;
        int r;
        if ((r = OCI_GET_OBJV(p, v, "namespaces", parse_namespace, l->namespaces, l->n_namespaces)) < 0 ||
            (r = OCI_GET_OBJV(p, v, "uidMappings", parse_idmap, l->uid_mappings, l->n_uid_mappings)) < 0 ||
            (r = OCI_GET_OBJV(p, v, "gidMappings", parse_idmap, l->gid_mappings, l->n_gid_mappings)) < 0 ||
            (r = parse_time_offsets(p, v, l)) < 0 ||
            (r = OCI_GET_OBJV(p, v, "devices", parse_device, l->devices, l->n_devices)) < 0 ||
            (r = oci_get_str(p, v, "cgroupsPath", &l->cgroups_path)) < 0)
                return r;
        if ((r = oci_get_obj(p, v, "resources", &o)) < 0)
                return r;
        if (r > 0) {
                size_t m = oci_push_key(p, "resources");
                r = oci_parse_resources(p, o, &l->resources);
                oci_pop(p, m);
                if (r < 0)
                        return r;
        }
        if ((r = oci_get_kv(p, v, "sysctl", &l->sysctl, &l->n_sysctl)) < 0)
                return r;
        if ((r = oci_get_obj(p, v, "seccomp", &o)) < 0)
                return r;
        if (r > 0) {
                size_t m = oci_push_key(p, "seccomp");
                r = oci_parse_seccomp(p, o, &l->seccomp);
                oci_pop(p, m);
                if (r < 0)
                        return r;
        }
        if ((r = parse_rootfs_propagation(p, v, l)) < 0 ||
            (r = oci_get_strv(p, v, "maskedPaths", &l->masked_paths, &l->n_masked_paths)) < 0 ||
            (r = oci_get_strv(p, v, "readonlyPaths", &l->readonly_paths, &l->n_readonly_paths)) < 0 ||
            (r = oci_get_str(p, v, "mountLabel", &l->mount_label)) < 0 ||
            (r = parse_personality(p, v, l)) < 0)
                return r;
        return 0;
}
