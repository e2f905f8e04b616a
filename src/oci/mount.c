/* mounts[] and mount options -> MS_* flags, propagation, recursive
 * attributes (mount_setattr) and filesystem data, following runc's and
 * crun's tables. On a bind mount every option must be known (the kernel
 * ignores data there, so a typo would be silently lost); on other mounts
 * unknown options are filesystem data ("mode=755", "size=64k"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include "base/macros.h"
#include "oci/internal.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

static const struct mount_flag {
        const char *name;
        bool clear;             /* the option clears the flag ("rw" clears MS_RDONLY) */
        unsigned long flag;
} mount_flags[] = {
        { "defaults", false, 0 },
        { "ro", false, MS_RDONLY },          { "rw", true, MS_RDONLY },
        { "nosuid", false, MS_NOSUID },      { "suid", true, MS_NOSUID },
        { "nodev", false, MS_NODEV },        { "dev", true, MS_NODEV },
        { "noexec", false, MS_NOEXEC },      { "exec", true, MS_NOEXEC },
        { "sync", false, MS_SYNCHRONOUS },   { "async", true, MS_SYNCHRONOUS },
        { "dirsync", false, MS_DIRSYNC },
        { "remount", false, MS_REMOUNT },
        { "mand", false, MS_MANDLOCK },      { "nomand", true, MS_MANDLOCK },
        { "noatime", false, MS_NOATIME },    { "atime", true, MS_NOATIME },
        { "nodiratime", false, MS_NODIRATIME }, { "diratime", true, MS_NODIRATIME },
        { "relatime", false, MS_RELATIME },  { "norelatime", true, MS_RELATIME },
        { "strictatime", false, MS_STRICTATIME }, { "nostrictatime", true, MS_STRICTATIME },
        { "lazytime", false, MS_LAZYTIME },  { "nolazytime", true, MS_LAZYTIME },
        { "silent", false, MS_SILENT },      { "loud", true, MS_SILENT },
        { "acl", false, MS_POSIXACL },       { "noacl", true, MS_POSIXACL },
        { "iversion", false, MS_I_VERSION }, { "noiversion", true, MS_I_VERSION },
        { "nosymfollow", false, MS_NOSYMFOLLOW }, { "symfollow", true, MS_NOSYMFOLLOW },
};

static const struct rec_attr {
        const char *name;
        bool clear;
        uint64_t attr;
} rec_attrs[] = {
        { "rro", false, MOUNT_ATTR_RDONLY },          { "rrw", true, MOUNT_ATTR_RDONLY },
        { "rnosuid", false, MOUNT_ATTR_NOSUID },      { "rsuid", true, MOUNT_ATTR_NOSUID },
        { "rnodev", false, MOUNT_ATTR_NODEV },        { "rdev", true, MOUNT_ATTR_NODEV },
        { "rnoexec", false, MOUNT_ATTR_NOEXEC },      { "rexec", true, MOUNT_ATTR_NOEXEC },
        { "rnodiratime", false, MOUNT_ATTR_NODIRATIME }, { "rdiratime", true, MOUNT_ATTR_NODIRATIME },
        { "rrelatime", false, MOUNT_ATTR_RELATIME },  { "rnorelatime", true, MOUNT_ATTR_RELATIME },
        { "rnoatime", false, MOUNT_ATTR_NOATIME },    { "ratime", true, MOUNT_ATTR_NOATIME },
        { "rstrictatime", false, MOUNT_ATTR_STRICTATIME }, { "rnostrictatime", true, MOUNT_ATTR_STRICTATIME },
        { "rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW }, { "rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW },
};

static bool apply_flag(oci_mount *m, const char *o)
{
        for (size_t i = 0; i < sizeof(mount_flags) / sizeof(mount_flags[0]); i++) {
                const struct mount_flag *f = &mount_flags[i];
                if (strcmp(o, f->name) != 0)
                        continue;
                /* Later options win: "ro,rw" is read-write. */
                if (f->clear) {
                        m->clear_flags |= f->flag;
                        m->flags &= ~f->flag;
                } else {
                        m->flags |= f->flag;
                        m->clear_flags &= ~f->flag;
                }
                return true;
        }
        return false;
}

static bool apply_rec_attr(oci_mount *m, const char *o)
{
        for (size_t i = 0; i < sizeof(rec_attrs) / sizeof(rec_attrs[0]); i++) {
                const struct rec_attr *a = &rec_attrs[i];
                if (strcmp(o, a->name) != 0)
                        continue;
                if (a->clear) {
                        m->rec_attr_clr |= a->attr;
                        m->rec_attr_set &= ~a->attr;
                } else if (a->attr == MOUNT_ATTR_RELATIME || (a->attr & MOUNT_ATTR__ATIME)) {
                        /* The atime modes are one field: setting one clears the others. */
                        m->rec_attr_clr |= MOUNT_ATTR__ATIME;
                        m->rec_attr_set = (m->rec_attr_set & ~(uint64_t) MOUNT_ATTR__ATIME) | a->attr;
                } else {
                        m->rec_attr_set |= a->attr;
                        m->rec_attr_clr &= ~a->attr;
                }
                m->recursive_ro = (m->rec_attr_set & MOUNT_ATTR_RDONLY) != 0;
                return true;
        }
        return false;
}

static int append_data(char **data, const char *o)
{
        size_t old = *data ? strlen(*data) : 0, add = strlen(o);
        char *n = realloc(*data, old + add + 2);
        if (!n)
                return -ENOMEM;
        if (old > 0)
                n[old++] = ',';
        memcpy(n + old, o, add + 1);
        *data = n;
        return 0;
}

int oci_mount_parse_options(oci_mount *m, cella_error **err)
{
        char q[OCI_QUOTE_MAX];
        m->flags = m->clear_flags = m->propagation = 0;
        m->rec_attr_set = m->rec_attr_clr = 0;
        m->recursive_ro = m->idmap = m->tmpcopyup = false;
        m->bind = m->type && strcmp(m->type, "bind") == 0;
        m->recursive = false;
        free(m->data);
        m->data = NULL;

        /* Bind-ness first: it decides whether an unknown option is an error. */
        for (size_t i = 0; i < m->n_options; i++) {
                if (strcmp(m->options[i], "bind") == 0)
                        m->bind = true;
                else if (strcmp(m->options[i], "rbind") == 0)
                        m->bind = m->recursive = true;
        }
        for (size_t i = 0; i < m->n_options; i++) {
                const char *o = m->options[i];
                unsigned long prop = 0;
                if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0)
                        continue;
                if (apply_flag(m, o) || apply_rec_attr(m, o))
                        continue;
                if (oci_propagation_from_name(o, &prop) == 0) {
                        m->propagation = prop;
                        continue;
                }
                if (strcmp(o, "tmpcopyup") == 0) {
                        m->tmpcopyup = true;
                        continue;
                }
                if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0) {
                        m->idmap = true;
                        continue;
                }
                if (m->bind)
                        return err_setx(err, EINVAL, "options[%zu]: unknown bind mount option %s", i,
                                        oci_quote(q, o));
                if (o[0] == '\0')
                        return err_setx(err, EINVAL, "options[%zu]: empty option", i);
                if (append_data(&m->data, o) < 0)
                        return err_setx(err, ENOMEM, "options[%zu]: out of memory", i);
        }
        if (m->bind)
                m->flags |= MS_BIND | (m->recursive ? MS_REC : 0);
        return 0;
}

static int parse_mount(oci_pctx *p, const json_t *v, void *elem)
{
        oci_mount *m = elem;
        int r = oci_get_str(p, v, "destination", &m->destination);
        if (r <= 0)
                return r < 0 ? r : oci_missing(p, "destination");
        if ((r = oci_get_str(p, v, "type", &m->type)) < 0 ||
            (r = oci_get_str(p, v, "source", &m->source)) < 0 ||
            (r = oci_get_strv(p, v, "options", &m->options, &m->n_options)) < 0)
                return r;
        r = oci_mount_parse_options(m, p->err);
        if (r < 0 && p->err && *p->err) {
                /* "options[1]: ..." -> "config.json: mounts[3].options[1]: ..." */
                char *msg = TAKE_PTR((*p->err)->msg);
                r = err_setx(p->err, (*p->err)->code, "%s: %s.%s", p->name, p->path, msg ? msg : "bad options");
                free(msg);
        }
        return r;
}

int oci_parse_mounts(oci_pctx *p, const json_t *root, oci_config *c)
{
        return OCI_GET_OBJV(p, root, "mounts", parse_mount, c->mounts, c->n_mounts);
}
