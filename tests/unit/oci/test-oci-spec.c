/* oci_spec_default: what `runc spec` writes plus Docker's hardening, and
 * it parses and validates cleanly. */
#include <stdlib.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <linux/capability.h>
#include "oci/config.h"
#include "tap.h"

static oci_config *reparse(json_t *j)
{
        char *text = json_dumps(j, JSON_INDENT(2));
        oci_config *c = NULL;
        cella_error *err = NULL;
        int r = text ? oci_config_parse("spec.json", text, strlen(text), &c, &err) : -ENOMEM;
        if (r < 0)
                printf("# parse: %s\n", err ? err->msg : "?");
        CHECK(r == 0);
        if (r == 0) {
                r = oci_config_validate(c, true, &err);
                if (r < 0)
                        printf("# validate: %s\n", err ? err->msg : "?");
                CHECK(r == 0);
        }
        free(text);
        err_free(err);
        return c;
}

static const oci_mount *find_mount(const oci_config *c, const char *dest)
{
        for (size_t i = 0; i < c->n_mounts; i++)
                if (strcmp(c->mounts[i].destination, dest) == 0)
                        return &c->mounts[i];
        return NULL;
}

static bool has_ns(const oci_config *c, enum oci_ns_type t)
{
        for (size_t i = 0; i < c->linux_.n_namespaces; i++)
                if (c->linux_.namespaces[i].type == t)
                        return true;
        return false;
}

static void check_common(const oci_config *c)
{
        const oci_process *p = &c->process;
        CHECK(c->has_process && p->terminal && p->no_new_privileges);
        CHECK(p->n_args == 1);
        CHECK_STR(p->args[0], "sh");
        CHECK_STR(p->cwd, "/");
        CHECK(p->n_env == 2);
        CHECK_STR(p->env[1], "TERM=xterm");
        CHECK(p->user.uid == 0 && p->user.gid == 0);
        CHECK(p->n_rlimits == 1 && p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].soft == 1024);
        CHECK(p->caps.n_bounding == 14 && p->caps.n_effective == 14 && p->caps.n_permitted == 14);
        CHECK(p->caps.n_ambient == 0 && p->caps.n_inheritable == 0);
        bool sys_admin = false, net_raw = false;
        for (size_t i = 0; i < p->caps.n_bounding; i++) {
                sys_admin |= p->caps.bounding[i] == CAP_SYS_ADMIN;
                net_raw |= p->caps.bounding[i] == CAP_NET_RAW;
        }
        CHECK(!sys_admin && net_raw);
        CHECK_STR(c->root_path, "rootfs");
        CHECK(c->root_readonly);
        CHECK_STR(c->hostname, "cella");
        CHECK(c->n_mounts == 7);
        CHECK(find_mount(c, "/proc") && find_mount(c, "/dev/shm") && find_mount(c, "/sys/fs/cgroup"));
        const oci_mount *m = find_mount(c, "/dev");
        CHECK(m && m->flags == (MS_NOSUID | MS_STRICTATIME));
        CHECK(m && m->data && strcmp(m->data, "mode=755,size=65536k") == 0);
        CHECK(c->linux_.n_masked_paths == 10 && c->linux_.n_readonly_paths == 5);
        CHECK(has_ns(c, OCI_NS_PID) && has_ns(c, OCI_NS_IPC) && has_ns(c, OCI_NS_UTS) && has_ns(c, OCI_NS_MOUNT) &&
              has_ns(c, OCI_NS_CGROUP));
        CHECK(c->linux_.seccomp.present);
}

/* Field by field against `runc spec` where runc is installed: what cella
 * keeps from runc must be equal, JSON for JSON. */
static void compare_runc(bool rootless)
{
        if (access("/usr/bin/runc", X_OK) != 0 && access("/usr/sbin/runc", X_OK) != 0) {
                printf("# runc not installed: comparison skipped\n");
                return;
        }
        char dir[] = "/tmp/oci-spec-XXXXXX", cmd[256], path[300];
        CHECK(mkdtemp(dir) != NULL);
        snprintf(cmd, sizeof(cmd), "cd %s && runc spec%s >/dev/null 2>&1", dir, rootless ? " --rootless" : "");
        CHECK(system(cmd) == 0);
        snprintf(path, sizeof(path), "%s/config.json", dir);
        json_error_t je;
        json_t *runc = json_load_file(path, 0, &je);
        unlink(path);
        rmdir(dir);
        CHECK(runc != NULL);
        if (!runc)
                return;
        json_t *ours = oci_spec_default(rootless, getuid(), getgid());
        static const char *const same[] = {
                "/process/terminal", "/process/user", "/process/args", "/process/env", "/process/cwd",
                "/process/rlimits", "/process/noNewPrivileges", "/root", "/mounts", "/linux/resources",
                "/linux/maskedPaths", "/linux/readonlyPaths", "/linux/uidMappings", "/linux/gidMappings",
        };
        for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
                json_t *a = runc, *b = ours;
                char buf[64];
                snprintf(buf, sizeof(buf), "%s", same[i]);
                for (char *tok = strtok(buf, "/"); tok; tok = strtok(NULL, "/")) {
                        a = a ? json_object_get(a, tok) : NULL;
                        b = b ? json_object_get(b, tok) : NULL;
                }
                bool eq = (!a && !b) || (a && b && json_equal(a, b));
                if (!eq)
                        printf("# %s differs from runc spec%s\n", same[i], rootless ? " --rootless" : "");
                CHECK(eq);
        }
        json_decref(runc);
        json_decref(ours);
}

int main(void)
{
        compare_runc(false);
        compare_runc(true);

        json_t *j = oci_spec_default(false, 0, 0);
        CHECK(j != NULL);
        oci_config *c = j ? reparse(j) : NULL;
        if (c) {
                check_common(c);
                CHECK(has_ns(c, OCI_NS_NETWORK) && !has_ns(c, OCI_NS_USER));
                CHECK(c->linux_.n_uid_mappings == 0);
                CHECK(c->linux_.resources.present && c->linux_.resources.n_devices == 1 &&
                      !c->linux_.resources.devices[0].allow);
                const oci_mount *m = find_mount(c, "/sys");
                CHECK(m && strcmp(m->type, "sysfs") == 0 && m->flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY));
                m = find_mount(c, "/dev/pts");
                CHECK(m && m->data && strstr(m->data, "gid=5"));
                oci_config_free(c);
        }
        json_decref(j);

        j = oci_spec_default(true, 1234, 5678);
        CHECK(j != NULL);
        c = j ? reparse(j) : NULL;
        if (c) {
                check_common(c);
                CHECK(!has_ns(c, OCI_NS_NETWORK) && has_ns(c, OCI_NS_USER));
                CHECK(c->linux_.n_uid_mappings == 1 && c->linux_.uid_mappings[0].host_id == 1234 &&
                      c->linux_.uid_mappings[0].container_id == 0 && c->linux_.uid_mappings[0].size == 1);
                CHECK(c->linux_.n_gid_mappings == 1 && c->linux_.gid_mappings[0].host_id == 5678);
                CHECK(!c->linux_.resources.present);
                const oci_mount *m = find_mount(c, "/sys");
                CHECK(m && m->bind && m->recursive && (m->flags & MS_RDONLY));
                m = find_mount(c, "/dev/pts");
                CHECK(m && m->data && !strstr(m->data, "gid=5"));
                oci_config_free(c);
        }
        json_decref(j);
        return tap_done();
}
