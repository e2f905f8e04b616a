/* oci_config_free: releases everything a (possibly half-parsed) config owns. */
#include <stdlib.h>
#include "oci/internal.h"

void oci_strv_free(char **v, size_t n)
{
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

void oci_kv_free(oci_kv *kv, size_t n)
{
        if (!kv)
                return;
        for (size_t i = 0; i < n; i++) {
                free(kv[i].key);
                free(kv[i].value);
        }
        free(kv);
}

static void process_clear(oci_process *p)
{
        oci_strv_free(p->args, p->n_args);
        oci_strv_free(p->env, p->n_env);
        free(p->cwd);
        free(p->user.additional_gids);
        free(p->user.username);
        if (p->rlimits)
                for (size_t i = 0; i < p->n_rlimits; i++)
                        free(p->rlimits[i].type);
        free(p->rlimits);
        free(p->caps.bounding);
        free(p->caps.effective);
        free(p->caps.inheritable);
        free(p->caps.permitted);
        free(p->caps.ambient);
        free(p->apparmor_profile);
        free(p->selinux_label);
}

static void resources_clear(oci_resources *r)
{
        free(r->devices);
        free(r->cpu_cpus);
        free(r->cpu_mems);
        free(r->blkio_weight_device);
        free(r->throttle_read_bps);
        free(r->throttle_write_bps);
        free(r->throttle_read_iops);
        free(r->throttle_write_iops);
        if (r->hugepages)
                for (size_t i = 0; i < r->n_hugepages; i++)
                        free(r->hugepages[i].page_size);
        free(r->hugepages);
        oci_kv_free(r->net_priorities, r->n_net_priorities);
        oci_kv_free(r->unified, r->n_unified);
}

void oci_seccomp_clear(oci_seccomp *s)
{
        oci_strv_free(s->architectures, s->n_architectures);
        oci_strv_free(s->flags, s->n_flags);
        free(s->listener_path);
        free(s->listener_metadata);
        if (s->syscalls)
                for (size_t i = 0; i < s->n_syscalls; i++) {
                        oci_strv_free(s->syscalls[i].names, s->syscalls[i].n_names);
                        free(s->syscalls[i].args);
                }
        free(s->syscalls);
}

static void linux_clear(oci_linux *l)
{
        if (l->namespaces)
                for (size_t i = 0; i < l->n_namespaces; i++)
                        free(l->namespaces[i].path);
        free(l->namespaces);
        free(l->uid_mappings);
        free(l->gid_mappings);
        if (l->devices)
                for (size_t i = 0; i < l->n_devices; i++)
                        free(l->devices[i].path);
        free(l->devices);
        free(l->cgroups_path);
        resources_clear(&l->resources);
        oci_kv_free(l->sysctl, l->n_sysctl);
        oci_seccomp_clear(&l->seccomp);
        free(l->rootfs_propagation);
        oci_strv_free(l->masked_paths, l->n_masked_paths);
        oci_strv_free(l->readonly_paths, l->n_readonly_paths);
        free(l->mount_label);
        free(l->personality_domain);
}

void oci_config_free(oci_config *c)
{
        if (!c)
                return;
        free(c->oci_version);
        free(c->root_path);
        process_clear(&c->process);
        free(c->hostname);
        free(c->domainname);
        if (c->mounts)
                for (size_t i = 0; i < c->n_mounts; i++) {
                        oci_mount *m = &c->mounts[i];
                        free(m->destination);
                        free(m->type);
                        free(m->source);
                        oci_strv_free(m->options, m->n_options);
                        free(m->data);
                }
        free(c->mounts);
        for (int k = 0; k < OCI_HOOK__COUNT; k++) {
                if (c->hooks.list[k])
                        for (size_t i = 0; i < c->hooks.n[k]; i++) {
                                oci_hook *h = &c->hooks.list[k][i];
                                free(h->path);
                                oci_strv_free(h->args, h->n_args);
                                oci_strv_free(h->env, h->n_env);
                        }
                free(c->hooks.list[k]);
        }
        oci_kv_free(c->annotations, c->n_annotations);
        linux_clear(&c->linux_);
        json_decref(c->json);
        free(c);
}
