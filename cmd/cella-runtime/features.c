#include "cmd.h"
#include <seccomp.h>
#include <string.h>

/* The runtime-spec features document (features.md). */
int cmd_features(struct cmd_ctx *c, int argc, char **argv)
{
        static const char *const hooks[] = { "prestart", "createRuntime", "createContainer", "startContainer",
                                             "poststart", "poststop" };
        static const char *const mount_opts[] = {
                "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "lazytime",
                "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "nolazytime", "nomand",
                "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private", "rbind", "relatime",
                "remount", "ro", "rprivate", "rro", "rshared", "rslave", "runbindable", "rw", "shared",
                "silent", "slave", "strictatime", "suid", "symfollow", "sync", "tmpcopyup", "unbindable" };
        static const char *const actions[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
                "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
                "SCMP_ACT_TRACE", "SCMP_ACT_TRAP" };
        static const char *const ops[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
                                           "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE" };
        static const char *const archs[] = { "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",
                                             "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM" };
        static const char *const flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                             "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" };
        json_t *h = json_array(), *m = json_array(), *ns = json_array(), *caps = json_array();
        for (size_t i = 0; i < ARRAY_SIZE(hooks); i++)
                json_array_append_new(h, json_string(hooks[i]));
        for (size_t i = 0; i < ARRAY_SIZE(mount_opts); i++)
                json_array_append_new(m, json_string(mount_opts[i]));
        for (int i = 0; i < OCI_NS__COUNT; i++)
                json_array_append_new(ns, json_string(oci_ns_type_names[i]));
        for (int i = 0; i <= oci_cap_last(); i++)
                if (oci_cap_name(i))
                        json_array_append_new(caps, json_string(oci_cap_name(i)));
        json_t *sa = json_array(), *so = json_array(), *sr = json_array(), *sf = json_array();
        for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
                json_array_append_new(sa, json_string(actions[i]));
        for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
                json_array_append_new(so, json_string(ops[i]));
        for (size_t i = 0; i < ARRAY_SIZE(archs); i++)
                json_array_append_new(sr, json_string(archs[i]));
        for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
                json_array_append_new(sf, json_string(flags[i]));
        const struct scmp_version *v = seccomp_version();
        char ver[64];
        snprintf(ver, sizeof(ver), "%u.%u.%u", v->major, v->minor, v->micro);
        json_t *j = json_pack(
                "{s:s, s:s, s:o, s:o, s:{s:o, s:o, s:{s:b, s:b}, s:{s:b, s:o, s:o, s:o, s:o, s:o}, s:{s:b}, s:{s:b}, s:{s:b}},"
                " s:{s:s, s:s}}",
                "ociVersionMin", "1.0.0", "ociVersionMax", "1.2.0", "hooks", h, "mountOptions", m,
                "linux", "namespaces", ns, "capabilities", caps,
                "cgroup", "v1", 1, "v2", 1,
                "seccomp", "enabled", 1, "actions", sa, "operators", so, "archs", sr, "knownFlags", sf,
                "supportedFlags", json_deep_copy(sf),
                "apparmor", "enabled", 0, "selinux", "enabled", 0, "intelRdt", "enabled", 0,
                "annotations", "org.opencontainers.runc.version", CELLA_VERSION,
                "io.github.seccomp.libseccomp.version", ver);
        cmd_print_json(j, true);
        json_decref(j);
        return 0;
}
