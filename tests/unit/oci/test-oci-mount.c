/* Mount options -> flags, as runc and crun map them. */
#include <stdlib.h>
#include <sys/mount.h>
#include "oci/config.h"
#include "tap.h"

static int parse(oci_mount *m, const char *type, const char *const *opts, cella_error **err)
{
        memset(m, 0, sizeof(*m));
        m->type = type ? strdup(type) : NULL;
        size_t n = 0;
        while (opts[n])
                n++;
        m->options = calloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
                m->options[i] = strdup(opts[i]);
        m->n_options = n;
        return oci_mount_parse_options(m, err);
}

static void clear(oci_mount *m)
{
        free(m->type);
        for (size_t i = 0; i < m->n_options; i++)
                free(m->options[i]);
        free(m->options);
        free(m->data);
}

#define OPTS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_flags(void)
{
        static const struct {
                const char *name;
                unsigned long set, clr;
        } t[] = {
                { "ro", MS_RDONLY, 0 },          { "rw", 0, MS_RDONLY },
                { "nosuid", MS_NOSUID, 0 },      { "suid", 0, MS_NOSUID },
                { "nodev", MS_NODEV, 0 },        { "dev", 0, MS_NODEV },
                { "noexec", MS_NOEXEC, 0 },      { "exec", 0, MS_NOEXEC },
                { "sync", MS_SYNCHRONOUS, 0 },   { "async", 0, MS_SYNCHRONOUS },
                { "dirsync", MS_DIRSYNC, 0 },    { "remount", MS_REMOUNT, 0 },
                { "mand", MS_MANDLOCK, 0 },      { "nomand", 0, MS_MANDLOCK },
                { "atime", 0, MS_NOATIME },      { "noatime", MS_NOATIME, 0 },
                { "diratime", 0, MS_NODIRATIME }, { "nodiratime", MS_NODIRATIME, 0 },
                { "relatime", MS_RELATIME, 0 },  { "norelatime", 0, MS_RELATIME },
                { "strictatime", MS_STRICTATIME, 0 }, { "nostrictatime", 0, MS_STRICTATIME },
                { "lazytime", MS_LAZYTIME, 0 },  { "nolazytime", 0, MS_LAZYTIME },
                { "silent", MS_SILENT, 0 },      { "loud", 0, MS_SILENT },
                { "defaults", 0, 0 },            { "nosymfollow", MS_NOSYMFOLLOW, 0 },
        };
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                oci_mount m;
                cella_error *err = NULL;
                /* Known flags are accepted on bind mounts too. */
                CHECK(parse(&m, "bind", OPTS(t[i].name), &err) == 0);
                if (m.flags != (t[i].set | MS_BIND) || m.clear_flags != t[i].clr || m.data)
                        printf("# option %s: flags %#lx clear %#lx\n", t[i].name, m.flags, m.clear_flags);
                CHECK(m.flags == (t[i].set | MS_BIND) && m.clear_flags == t[i].clr && m.data == NULL);
                clear(&m);
                err_free(err);
        }
}

static void test_order_and_data(void)
{
        oci_mount m;
        cella_error *err = NULL;
        /* Later options win. */
        CHECK(parse(&m, "tmpfs", OPTS("ro", "nosuid", "rw", "suid", "nosuid"), &err) == 0);
        CHECK(m.flags == MS_NOSUID && m.clear_flags == MS_RDONLY);
        clear(&m);
        /* Unknown options on other filesystems are data, in order. */
        CHECK(parse(&m, "devpts", OPTS("nosuid", "newinstance", "ptmxmode=0666", "noexec", "gid=5"), &err) == 0);
        CHECK_STR(m.data, "newinstance,ptmxmode=0666,gid=5");
        CHECK(m.flags == (MS_NOSUID | MS_NOEXEC) && !m.bind);
        clear(&m);
        CHECK(parse(&m, "proc", OPTS("defaults"), &err) == 0);
        CHECK(m.data == NULL && m.flags == 0);
        clear(&m);
        /* Parsing twice gives the same answer (data is rebuilt, not appended). */
        CHECK(parse(&m, "tmpfs", OPTS("size=1m"), &err) == 0);
        CHECK(oci_mount_parse_options(&m, &err) == 0);
        CHECK_STR(m.data, "size=1m");
        clear(&m);
        err_free(err);
}

static void test_bind(void)
{
        oci_mount m;
        cella_error *err = NULL;
        CHECK(parse(&m, NULL, OPTS("ro", "bind"), &err) == 0);
        CHECK(m.bind && !m.recursive && m.flags == (MS_BIND | MS_RDONLY));
        clear(&m);
        CHECK(parse(&m, "none", OPTS("rbind", "nosuid"), &err) == 0);
        CHECK(m.bind && m.recursive && m.flags == (MS_BIND | MS_REC | MS_NOSUID));
        clear(&m);
        CHECK(parse(&m, "bind", OPTS("nosuid"), &err) == 0);
        CHECK(m.bind && !m.recursive);
        clear(&m);
        /* An unknown option on a bind mount is an error, wherever "bind" appears. */
        CHECK(parse(&m, NULL, OPTS("size=1m", "rbind"), &err) == -EINVAL);
        CHECK_STR(err ? err->msg : NULL, "options[0]: unknown bind mount option \"size=1m\"");
        clear(&m);
        CHECK(parse(&m, "bind", OPTS("ro", "noexce\x1b[0m"), &err) == -EINVAL);
        CHECK_STR(err ? err->msg : NULL, "options[1]: unknown bind mount option \"noexce?[0m\"");
        clear(&m);
        err_free(err);
}

static void test_propagation_and_recursive(void)
{
        oci_mount m;
        cella_error *err = NULL;
        static const struct { const char *name; unsigned long prop; } p[] = {
                { "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
                { "shared", MS_SHARED }, { "rshared", MS_SHARED | MS_REC },
                { "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
                { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
        };
        for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
                CHECK(parse(&m, "bind", OPTS(p[i].name), &err) == 0);
                CHECK(m.propagation == p[i].prop && m.flags == MS_BIND);
                clear(&m);
        }
        CHECK(parse(&m, "bind", OPTS("rro", "rnosuid", "rnodev", "rnoexec", "rnodiratime", "rnosymfollow"), &err) == 0);
        CHECK(m.recursive_ro);
        CHECK(m.rec_attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
                                 MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW));
        CHECK(m.rec_attr_clr == 0 && m.flags == MS_BIND);
        clear(&m);
        CHECK(parse(&m, "bind", OPTS("rro", "rrw", "rsuid", "rdev", "rexec", "rdiratime", "rsymfollow"), &err) == 0);
        CHECK(!m.recursive_ro && m.rec_attr_set == 0);
        CHECK(m.rec_attr_clr == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
                                 MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW));
        clear(&m);
        /* atime modes are one field: the last one wins and clears the field. */
        CHECK(parse(&m, "bind", OPTS("rnoatime", "rstrictatime"), &err) == 0);
        CHECK(m.rec_attr_set == MOUNT_ATTR_STRICTATIME && m.rec_attr_clr == MOUNT_ATTR__ATIME);
        clear(&m);
        CHECK(parse(&m, "bind", OPTS("rnoatime", "rrelatime"), &err) == 0);
        CHECK(m.rec_attr_set == MOUNT_ATTR_RELATIME && m.rec_attr_clr == MOUNT_ATTR__ATIME);
        clear(&m);
        CHECK(parse(&m, "tmpfs", OPTS("tmpcopyup", "mode=755"), &err) == 0);
        CHECK(m.tmpcopyup);
        CHECK_STR(m.data, "mode=755");
        clear(&m);
        CHECK(parse(&m, "bind", OPTS("idmap"), &err) == 0 && m.idmap);
        clear(&m);
        CHECK(parse(&m, "bind", OPTS("ridmap"), &err) == 0 && m.idmap);
        clear(&m);
        err_free(err);
}

int main(void)
{
        test_flags();
        test_order_and_data();
        test_bind();
        test_propagation_and_recursive();
        return tap_done();
}
