/* A config that uses every field config.h declares parses into the struct
 * with every value where it belongs; unknown fields are ignored. */
#include <sys/mount.h>
#include <sys/resource.h>
#include <linux/capability.h>
#include "oci/config.h"
#include "tap.h"

static const char *data_dir;

static oci_config *load(const char *file)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", data_dir, file);
        oci_config *c = NULL;
        cella_error *err = NULL;
        int r = oci_config_load(path, &c, &err);
        if (r < 0)
                printf("# load %s: %s\n", path, err ? err->msg : "?");
        err_free(err);
        return c;
}

static void test_process(const oci_config *c)
{
        const oci_process *p = &c->process;
        CHECK(c->has_process);
        CHECK(p->terminal);
        CHECK(p->has_console_size && p->console_height == 25 && p->console_width == 80);
        CHECK(p->user.uid == 1000 && p->user.gid == 1001);
        CHECK(p->user.has_umask && p->user.umask == 022);
        CHECK(p->user.n_additional_gids == 3 && p->user.additional_gids[0] == 5 && p->user.additional_gids[2] == 7);
        CHECK_STR(p->user.username, "alice");
        CHECK(p->n_args == 3 && p->args[3] == NULL);
        CHECK_STR(p->args[0], "/bin/sh");
        CHECK_STR(p->args[2], "echo hi");
        CHECK(p->n_env == 2 && p->env[2] == NULL);
        CHECK_STR(p->env[1], "TERM=xterm");
        CHECK_STR(p->cwd, "/work");
        CHECK(p->caps.present);
        CHECK(p->caps.n_bounding == 2 && p->caps.bounding[0] == CAP_CHOWN && p->caps.bounding[1] == CAP_SYS_ADMIN);
        CHECK(p->caps.n_effective == 1 && p->caps.effective[0] == CAP_KILL);
        CHECK(p->caps.n_inheritable == 1 && p->caps.inheritable[0] == CAP_NET_RAW);
        CHECK(p->caps.n_permitted == 2 && p->caps.permitted[1] == 40);
        CHECK(p->caps.n_ambient == 1 && p->caps.ambient[0] == CAP_KILL);
        CHECK(p->n_rlimits == 2);
        CHECK(p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].soft == 1024 && p->rlimits[0].hard == 4096);
        CHECK_STR(p->rlimits[1].type, "RLIMIT_CORE");
        CHECK(p->rlimits[1].resource == RLIMIT_CORE && p->rlimits[1].hard == 9223372036854775807ull);
        CHECK(p->no_new_privileges);
        CHECK(p->has_oom_score_adj && p->oom_score_adj == -500);
        CHECK_STR(p->apparmor_profile, "cella-default");
        CHECK_STR(p->selinux_label, "system_u:system_r:svirt_lxc_net_t:s0:c124,c675");
}

static void test_top(const oci_config *c)
{
        CHECK_STR(c->oci_version, "1.2.0");
        CHECK_STR(c->root_path, "rootfs");
        CHECK(c->root_readonly);
        CHECK_STR(c->hostname, "box");
        CHECK_STR(c->domainname, "example.org");
        CHECK(c->n_annotations == 2);
        CHECK(c->n_annotations == 2 && strcmp(c->annotations[0].key, "com.example.key1") == 0 &&
              strcmp(c->annotations[0].value, "value1") == 0);
        CHECK(json_is_object(c->json) && json_object_get(c->json, "futureField"));
        CHECK(c->n_mounts == 4);
        const oci_mount *m = &c->mounts[1];
        CHECK_STR(m->destination, "/dev");
        CHECK_STR(m->type, "tmpfs");
        CHECK_STR(m->source, "tmpfs");
        CHECK(m->n_options == 4 && m->options[4] == NULL);
        CHECK(m->flags == (MS_NOSUID | MS_STRICTATIME) && !m->bind);
        CHECK_STR(m->data, "mode=755,size=65536k");
        m = &c->mounts[2];
        CHECK(m->bind && m->recursive && m->recursive_ro);
        CHECK(m->flags == (MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME));
        CHECK(m->propagation == (MS_PRIVATE | MS_REC));
        CHECK(m->rec_attr_set == MOUNT_ATTR_RDONLY && m->data == NULL);
        m = &c->mounts[3];
        CHECK(m->type == NULL && m->bind && !m->recursive && m->idmap);
        CHECK(m->clear_flags == MS_RDONLY && m->propagation == MS_SHARED);

        const oci_hooks *h = &c->hooks;
        CHECK(h->n[OCI_HOOK_PRESTART] == 1 && h->n[OCI_HOOK_CREATE_RUNTIME] == 2 && h->n[OCI_HOOK_CREATE_CONTAINER] == 1 &&
              h->n[OCI_HOOK_START_CONTAINER] == 1 && h->n[OCI_HOOK_POSTSTART] == 1 && h->n[OCI_HOOK_POSTSTOP] == 1);
        CHECK_STR(h->list[OCI_HOOK_PRESTART][0].path, "/usr/bin/fix-mounts");
        CHECK(h->list[OCI_HOOK_PRESTART][0].n_args == 2 && h->list[OCI_HOOK_PRESTART][0].n_env == 1);
        CHECK_STR(h->list[OCI_HOOK_PRESTART][0].env[0], "KEY=value");
        CHECK(!h->list[OCI_HOOK_CREATE_RUNTIME][0].has_timeout && h->list[OCI_HOOK_CREATE_RUNTIME][0].args == NULL);
        CHECK(h->list[OCI_HOOK_CREATE_RUNTIME][1].has_timeout && h->list[OCI_HOOK_CREATE_RUNTIME][1].timeout == 3);
        CHECK_STR(h->list[OCI_HOOK_POSTSTOP][0].args[1], "-f");
        CHECK_STR(oci_hook_kind_names[OCI_HOOK_CREATE_RUNTIME], "createRuntime");
}

static void test_linux(const oci_config *c)
{
        const oci_linux *l = &c->linux_;
        CHECK(c->has_linux);
        CHECK(l->n_namespaces == 8);
        CHECK(l->namespaces[0].type == OCI_NS_PID && l->namespaces[0].path == NULL);
        CHECK(l->namespaces[1].type == OCI_NS_NETWORK);
        CHECK_STR(l->namespaces[1].path, "/var/run/netns/neta");
        CHECK(l->namespaces[7].type == OCI_NS_TIME);
        CHECK(l->n_uid_mappings == 1 && l->uid_mappings[0].host_id == 100000 && l->uid_mappings[0].size == 65536);
        CHECK(l->n_gid_mappings == 2 && l->gid_mappings[1].container_id == 70000 && l->gid_mappings[1].host_id == 5);
        CHECK(l->has_time_offsets && l->boottime_secs == -10 && l->boottime_nanosecs == 5 &&
              l->monotonic_secs == 3600 && l->monotonic_nanosecs == 999999999);
        CHECK(l->n_devices == 3);
        CHECK(l->devices[0].type == 'c' && l->devices[0].major == 10 && l->devices[0].minor == 229);
        CHECK(l->devices[0].has_file_mode && l->devices[0].file_mode == 0666 && l->devices[0].has_uid && l->devices[0].has_gid);
        CHECK(l->devices[1].type == 'b' && !l->devices[1].has_file_mode && !l->devices[1].has_uid);
        CHECK(l->devices[2].type == 'p');
        CHECK_STR(l->cgroups_path, "/myRuntime/myContainer");
        CHECK(l->n_sysctl == 4);
        CHECK_STR(l->rootfs_propagation, "slave");
        CHECK(l->rootfs_propagation_flags == (MS_SLAVE | MS_REC));
        CHECK(l->n_masked_paths == 2 && l->masked_paths[2] == NULL);
        CHECK_STR(l->readonly_paths[1], "/proc/sysrq-trigger");
        CHECK_STR(l->mount_label, "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811");
        CHECK_STR(l->personality_domain, "LINUX32");

        const oci_resources *r = &l->resources;
        CHECK(r->present && r->n_devices == 3);
        CHECK(!r->devices[0].allow && r->devices[0].type == 'a' && r->devices[0].major == -1 && r->devices[0].minor == -1);
        CHECK_STR(r->devices[0].access, "rwm");
        CHECK(r->devices[1].allow && r->devices[1].type == 'c' && r->devices[1].major == 10 && r->devices[1].minor == 229);
        CHECK_STR(r->devices[1].access, "rw");
        CHECK(r->devices[2].type == 'b' && r->devices[2].minor == -1);
        CHECK(r->has_mem_limit && r->mem_limit == 536870912 && r->has_mem_reservation && r->mem_reservation == 268435456);
        CHECK(r->has_mem_swap && r->mem_swap == -1 && r->has_mem_kernel && r->has_mem_kernel_tcp && r->mem_kernel_tcp == 1048576);
        CHECK(r->has_mem_swappiness && r->mem_swappiness == 60);
        CHECK(r->has_disable_oom_killer && !r->disable_oom_killer && r->has_use_hierarchy && r->use_hierarchy);
        CHECK(r->has_check_before_update && r->check_before_update);
        CHECK(r->has_cpu_shares && r->cpu_shares == 1024 && r->has_cpu_quota && r->cpu_quota == 50000);
        CHECK(r->has_cpu_burst && r->cpu_burst == 10000 && r->has_cpu_period && r->cpu_period == 100000);
        CHECK(r->has_cpu_rt_runtime && r->cpu_rt_runtime == 950000 && r->has_cpu_rt_period && r->cpu_rt_period == 1000000);
        CHECK(r->has_cpu_idle && r->cpu_idle == 1);
        CHECK_STR(r->cpu_cpus, "0-3");
        CHECK_STR(r->cpu_mems, "0");
        CHECK(r->has_pids_limit && r->pids_limit == 32771);
        CHECK(r->has_blkio_weight && r->blkio_weight == 500 && r->has_blkio_leaf_weight && r->blkio_leaf_weight == 300);
        CHECK(r->n_blkio_weight_device == 2 && r->blkio_weight_device[0].weight == 700 &&
              r->blkio_weight_device[0].has_leaf_weight && !r->blkio_weight_device[1].has_leaf_weight);
        CHECK(r->n_throttle_read_bps == 1 && r->throttle_read_bps[0].rate == 600);
        CHECK(r->n_throttle_write_bps == 1 && r->throttle_write_bps[0].minor == 1);
        CHECK(r->n_throttle_read_iops == 1 && r->throttle_read_iops[0].rate == 602);
        CHECK(r->n_throttle_write_iops == 2 && r->throttle_write_iops[1].rate == 604);
        CHECK(r->n_hugepages == 2 && r->hugepages[1].limit == 1073741824);
        CHECK_STR(r->hugepages[0].page_size, "2MB");
        CHECK(r->has_net_class_id && r->net_class_id == 1048577);
        CHECK(r->n_net_priorities == 2);
        CHECK_STR(r->net_priorities[1].key, "eth1");
        CHECK_STR(r->net_priorities[1].value, "1000");
        CHECK(r->n_unified == 2);

        const oci_seccomp *s = &l->seccomp;
        CHECK(s->present && s->default_action == OCI_SECCOMP_ERRNO);
        CHECK(s->has_default_errno_ret && s->default_errno_ret == 1);
        CHECK(s->n_architectures == 3 && s->architectures[3] == NULL);
        CHECK_STR(s->architectures[2], "SCMP_ARCH_X32");
        CHECK(s->n_flags == 1);
        CHECK_STR(s->listener_path, "/run/seccomp-agent.socket");
        CHECK_STR(s->listener_metadata, "meta");
        CHECK(s->n_syscalls == 4);
        CHECK(s->syscalls[0].n_names == 2 && s->syscalls[0].action == OCI_SECCOMP_ALLOW && !s->syscalls[0].has_errno_ret);
        CHECK(s->syscalls[1].n_args == 2 && s->syscalls[1].args[0].op == OCI_OP_EQ && s->syscalls[1].args[0].value == 8);
        CHECK(s->syscalls[1].args[1].index == 5 && s->syscalls[1].args[1].value_two == 3 &&
              s->syscalls[1].args[1].op == OCI_OP_MASKED_EQ);
        CHECK(s->syscalls[2].has_errno_ret && s->syscalls[2].errno_ret == 38);
        CHECK(s->syscalls[3].action == OCI_SECCOMP_NOTIFY);
}

static void test_minimal(void)
{
        static const char text[] = "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"/r\"}, \"hostname\": null, \"mounts\": null}";
        oci_config *c = NULL;
        cella_error *err = NULL;
        CHECK(oci_config_parse("min.json", text, sizeof(text) - 1, &c, &err) == 0);
        if (!c)
                return;
        CHECK(!c->has_process && !c->has_linux && c->hostname == NULL && c->n_mounts == 0 && c->mounts == NULL);
        CHECK(!c->linux_.seccomp.present && !c->linux_.resources.present && !c->process.caps.present);
        CHECK(oci_config_validate(c, false, &err) == 0);
        CHECK(oci_config_validate(c, true, &err) == -EINVAL);
        CHECK_STR(err ? err->msg : NULL, "process: required to create a container");
        err_free(err);
        oci_config_free(c);
        oci_config_free(NULL);
}

/* podman writes an unlimited rlimit as 2^64-1; runc and crun take it. */
static void test_big_integers(void)
{
        static const char text[] =
                "{\"ociVersion\": \"1.0.0\", \"note\": \"1.5 and 18446744073709551615 in a string\",\n"
                " \"process\": {\"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": 18446744073709551615, \"hard\": 18446744073709551615},\n"
                "  {\"type\": \"RLIMIT_NOFILE\", \"soft\": 9223372036854775808, \"hard\": 9223372036854775807}]},\n"
                " \"linux\": {\"resources\": {\"memory\": {\"swap\": -1}}, \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
                "  \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1,\n"
                "   \"value\": 18446744073709551614, \"valueTwo\": 18446744073709551615, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}}}";
        oci_config *c = NULL;
        cella_error *err = NULL;
        int r = oci_config_parse("big.json", text, sizeof(text) - 1, &c, &err);
        if (r < 0)
                printf("# %s\n", err ? err->msg : "?");
        CHECK(r == 0);
        if (c) {
                CHECK(c->process.n_rlimits == 2);
                CHECK(c->process.rlimits[0].soft == UINT64_MAX && c->process.rlimits[0].hard == UINT64_MAX);
                CHECK(c->process.rlimits[1].soft == 9223372036854775808ull && c->process.rlimits[1].hard == INT64_MAX);
                CHECK(c->linux_.resources.has_mem_swap && c->linux_.resources.mem_swap == -1);
                CHECK(c->linux_.seccomp.n_syscalls == 1 && c->linux_.seccomp.syscalls[0].n_args == 1);
                CHECK(c->linux_.seccomp.syscalls[0].args[0].value == UINT64_MAX - 1 &&
                      c->linux_.seccomp.syscalls[0].args[0].value_two == UINT64_MAX);
                /* The kept document holds them as the nearest real. */
                json_t *rl = json_array_get(json_object_get(json_object_get(c->json, "process"), "rlimits"), 0);
                CHECK(json_is_real(json_object_get(rl, "soft")) && json_real_value(json_object_get(rl, "soft")) > 1.8e19);
                CHECK_STR(json_string_value(json_object_get(c->json, "note")), "1.5 and 18446744073709551615 in a string");
                oci_config_free(c);
        }
        err_free(err);
}

static void test_tables(void)
{
        CHECK(oci_cap_from_name("CAP_SYS_ADMIN") == 21);
        CHECK_STR(oci_cap_name(21), "CAP_SYS_ADMIN");
        CHECK(oci_cap_from_name("cap_sys_admin") == -1 && oci_cap_from_name("21") == -1 && oci_cap_from_name(NULL) == -1);
        CHECK(oci_cap_name(-1) == NULL && oci_cap_name(oci_cap_last() + 1) == NULL);
        CHECK(oci_cap_last() >= CAP_LAST_CAP);
        for (int i = 0; i <= oci_cap_last(); i++)
                if (oci_cap_from_name(oci_cap_name(i)) != i)
                        CHECK(!"cap table round trip");
        CHECK(oci_rlimit_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE && oci_rlimit_from_name("RLIMIT_RTTIME") == RLIMIT_RTTIME);
        CHECK(oci_rlimit_from_name("NOFILE") == -1);
        CHECK(oci_ns_clone_flag(OCI_NS_MOUNT) == 0x00020000 && oci_ns_clone_flag(OCI_NS_TIME) == 0x80);
        CHECK_STR(oci_ns_proc_name(OCI_NS_NETWORK), "net");
        CHECK_STR(oci_ns_proc_name(OCI_NS_MOUNT), "mnt");
        CHECK_STR(oci_ns_type_names[OCI_NS_CGROUP], "cgroup");
        CHECK_STR(oci_seccomp_action_names[OCI_SECCOMP_KILL_PROCESS], "SCMP_ACT_KILL_PROCESS");
}

static bool parses(const char *text, size_t n)
{
        oci_config *c = NULL;
        cella_error *err = NULL;
        int r = oci_config_parse("config.json", text, n, &c, &err);
        oci_config_free(c);
        err_free(err);
        return r == 0;
}

/* Prefixes of a valid config are rejected cleanly (no crash, no leak under
 * ASan); every third one keeps this quick, the fuzzer does the rest. */
static void test_truncations(void)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/full.json", data_dir);
        FILE *f = fopen(path, "re");
        CHECK(f != NULL);
        if (!f)
                return;
        char *text = malloc(1 << 16);
        size_t len = fread(text, 1, 1 << 16, f);
        fclose(f);
        CHECK(len > 2 && text[len - 1] == '\n');
        size_t accepted = 0;
        for (size_t n = 0; n + 2 < len; n += 3)
                accepted += parses(text, n);
        CHECK(accepted == 0);
        CHECK(parses(text, len - 1) && parses(text, len));
        free(text);
}

int main(int argc, char **argv)
{
        data_dir = argc > 1 ? argv[1] : "tests/unit/oci/data";
        oci_config *c = load("full.json");
        CHECK(c != NULL);
        if (c) {
                cella_error *err = NULL;
                test_top(c);
                test_process(c);
                test_linux(c);
                int r = oci_config_validate(c, true, &err);
                if (r < 0)
                        printf("# validate: %s\n", err ? err->msg : "?");
                CHECK(r == 0);
                err_free(err);
                oci_config_free(c);
        }
        test_minimal();
        test_tables();
        test_truncations();
        test_big_integers();
        return tap_done();
}
