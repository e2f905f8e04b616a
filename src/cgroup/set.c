/* Applying linux.resources: check that every requested limit has a
 * controller on this host, then hand each controller's part to the v1 or
 * v2 writer of the directory that carries it. */
#include "cgroup-internal.h"
#include "base/macros.h"
#include <stdio.h>
#include <string.h>

/* The host has the controller in its v2 hierarchy, but it could not be
 * enabled down to this cgroup (a parent with processes refuses, EBUSY). */
static bool v2_offers(const cg_manager *m, enum cg_ctl c)
{
        const cg_host *h;
        return m->v2 && cg_host_get(&h, false, NULL) == 0 && h->v2 && (h->v2->ctls & CG_BIT(c));
}

static int missing(const cg_manager *m, enum cg_ctl c, const char *field, cella_error **err)
{
        if (v2_offers(m, c))
                return err_setx(err, ENODEV, "linux.resources.%s: the %s controller could not be enabled for %s "
                                "(does a parent cgroup hold processes?)", field, cg_ctl_v1_names[c], m->v2->path);
        return err_setx(err, ENODEV, "linux.resources.%s: the %s controller is not available on this host", field,
                        cg_ctl_v1_names[c]);
}

#define NEED(cond, ctl, field)                                  \
        do {                                                    \
                if ((cond) && !cg_dir_for(m, ctl))              \
                        return missing(m, ctl, field, err);     \
        } while (0)

int cg_check_available(const cg_manager *m, const oci_resources *r, cella_error **err)
{
        NEED(r->has_mem_limit && r->mem_limit, CG_CTL_MEMORY, "memory.limit");
        NEED(r->has_mem_reservation && r->mem_reservation, CG_CTL_MEMORY, "memory.reservation");
        NEED(r->has_mem_swap && r->mem_swap, CG_CTL_MEMORY, "memory.swap");
        NEED(r->has_mem_kernel && r->mem_kernel, CG_CTL_MEMORY, "memory.kernel");
        NEED(r->has_mem_kernel_tcp && r->mem_kernel_tcp, CG_CTL_MEMORY, "memory.kernelTCP");
        NEED(r->has_mem_swappiness, CG_CTL_MEMORY, "memory.swappiness");
        NEED(r->has_disable_oom_killer && r->disable_oom_killer, CG_CTL_MEMORY, "memory.disableOOMKiller");
        NEED(r->has_use_hierarchy, CG_CTL_MEMORY, "memory.useHierarchy");
        NEED(r->has_cpu_shares && r->cpu_shares, CG_CTL_CPU, "cpu.shares");
        NEED(r->has_cpu_quota && r->cpu_quota, CG_CTL_CPU, "cpu.quota");
        NEED(r->has_cpu_period && r->cpu_period, CG_CTL_CPU, "cpu.period");
        NEED(r->has_cpu_burst, CG_CTL_CPU, "cpu.burst");
        NEED(r->has_cpu_rt_runtime && r->cpu_rt_runtime, CG_CTL_CPU, "cpu.realtimeRuntime");
        NEED(r->has_cpu_rt_period && r->cpu_rt_period, CG_CTL_CPU, "cpu.realtimePeriod");
        NEED(r->has_cpu_idle, CG_CTL_CPU, "cpu.idle");
        NEED(r->cpu_cpus && *r->cpu_cpus, CG_CTL_CPUSET, "cpu.cpus");
        NEED(r->cpu_mems && *r->cpu_mems, CG_CTL_CPUSET, "cpu.mems");
        NEED(r->has_pids_limit && r->pids_limit > 0, CG_CTL_PIDS, "pids.limit");
        NEED(r->has_blkio_weight || r->has_blkio_leaf_weight || r->n_blkio_weight_device ||
             r->n_throttle_read_bps || r->n_throttle_write_bps || r->n_throttle_read_iops ||
             r->n_throttle_write_iops, CG_CTL_BLKIO, "blockIO");
        NEED(r->n_hugepages, CG_CTL_HUGETLB, "hugepageLimits");
        NEED(r->has_net_class_id, CG_CTL_NET_CLS, "network.classID");
        NEED(r->n_net_priorities, CG_CTL_NET_PRIO, "network.priorities");
        NEED(r->n_devices, CG_CTL_DEVICES, "devices");
        for (size_t i = 0; i < r->n_hugepages; i++)
                if (!r->hugepages[i].page_size || !cg_valid_page_size(r->hugepages[i].page_size))
                        return err_setx(err, EINVAL, "linux.resources.hugepageLimits[%zu].pageSize: \"%s\" is not "
                                        "a size like \"2MB\"", i, r->hugepages[i].page_size ? r->hugepages[i].page_size : "");
        if (r->n_unified && !m->v2)
                return err_setx(err, ENODEV, "linux.resources.unified: needs cgroup v2, which this host does not have");
        for (size_t i = 0; i < r->n_unified; i++) {
                const char *key = r->unified[i].key;
                if (!cg_valid_unified_key(key))
                        return err_setx(err, EINVAL, "linux.resources.unified: key \"%s\" is not a cgroup file name",
                                        key);
                char ctl[32];
                size_t n = strcspn(key, ".");
                if (n >= sizeof(ctl))
                        continue;
                memcpy(ctl, key, n);
                ctl[n] = '\0';
                int c = cg_ctl_from_v2_name(ctl);
                if (c >= 0 && !(m->v2->ctls & CG_BIT(c)))
                        return err_setx(err, ENODEV, "linux.resources.unified.%s: the %s controller is not "
                                        "available in this host's cgroup v2 hierarchy", key, ctl);
        }
        return 0;
}

#define V(d, fn1, fn2) ((d)->v2 ? fn2((d), r, err) : fn1((d), r, err))

/* hugetlb.<size>.max on v2, hugetlb.<size>.limit_in_bytes on v1. */
static int hugetlb_set(cg_dir *d, const oci_resources *r, cella_error **err)
{
        for (size_t i = 0; i < r->n_hugepages; i++) {
                char file[64];
                snprintf(file, sizeof(file), "hugetlb.%s.%s", r->hugepages[i].page_size,
                         d->v2 ? "max" : "limit_in_bytes");
                int k = cg_writef(d->fd, file, err, "%llu", (unsigned long long)r->hugepages[i].limit);
                if (k == -ENOENT)
                        return err_setx(err, EINVAL, "linux.resources.hugepageLimits[%zu].pageSize: \"%s\" is "
                                        "not a huge page size of this host", i, r->hugepages[i].page_size);
                if (k < 0)
                        return err_wrap(err, "linux.resources.hugepageLimits[%zu]", i);
        }
        return 0;
}

int cg_apply(cg_manager *m, const oci_resources *r, cella_error **err)
{
        int k;
        if (!m->rootless && (k = cg_check_available(m, r, err)) < 0)
                return k;
        cg_dir *d;
        if ((d = cg_dir_for(m, CG_CTL_CPU)) && (k = V(d, cg_v1_cpu, cg_v2_cpu)) < 0)
                return k;
        if ((d = cg_dir_for(m, CG_CTL_CPUSET)) && (k = V(d, cg_v1_cpuset, cg_v2_cpuset)) < 0)
                return k;
        if ((d = cg_dir_for(m, CG_CTL_MEMORY)) && (k = V(d, cg_v1_memory, cg_v2_memory)) < 0)
                return k;
        if ((d = cg_dir_for(m, CG_CTL_PIDS)) && (k = cg_pids_set(d, r, err)) < 0)
                return k;
        if ((d = cg_dir_for(m, CG_CTL_BLKIO)) && (k = V(d, cg_v1_blkio, cg_v2_io)) < 0)
                return k;
        if ((d = cg_dir_for(m, CG_CTL_HUGETLB)) && (k = hugetlb_set(d, r, err)) < 0)
                return k;
        if ((k = cg_v1_net(cg_dir_for(m, CG_CTL_NET_CLS), cg_dir_for(m, CG_CTL_NET_PRIO), r, err)) < 0)
                return k;
        if (r->n_devices && (d = cg_dir_for(m, CG_CTL_DEVICES))) {
                k = d->v2 ? cg_bpf_devices_apply(d->fd, r->devices, r->n_devices, err) : cg_v1_devices(d, r, err);
                /* Rootless: device access is the user namespace's business (as runc). */
                if (k < 0 && m->rootless && (k == -EPERM || k == -EACCES)) {
                        if (err)
                                err_freep(err);
                        k = 0;
                }
                if (k < 0)
                        return k;
        }
        if (m->v2 && m->v2->fd >= 0 && r->n_unified && (k = cg_v2_unified(m->v2, r, err)) < 0)
                return k;
        return 0;
}

int cg_set(cg_manager *m, const oci_resources *res, cella_error **err)
{
        if (!m)
                return err_setx(err, EINVAL, "cgroup: no manager");
        if (!res)
                return 0;
        return cg_apply(m, res, err);
}
