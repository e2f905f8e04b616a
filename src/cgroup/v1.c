/* cgroup v1 (legacy) knobs: one hierarchy per controller set. */
#include "cgroup-internal.h"
#include "base/macros.h"
#include <fcntl.h>
#include <string.h>

#define F(name) "linux.resources." name

/* Write a then b; when the kernel refuses the first because of the
 * current value of the second (cfs period vs quota, memory vs memsw,
 * rt period vs runtime), write b first. */
static int write_pair(int dfd, const char *fa, const char *va, const char *fb, const char *vb, cella_error **err)
{
        int r = fa ? cg_write(dfd, fa, va, err) : 0;
        if (r == -EINVAL && fb) {
                if ((r = cg_write(dfd, fb, vb, err)) < 0)
                        return r;
                return cg_write(dfd, fa, va, err);
        }
        if (r < 0)
                return r;
        return fb ? cg_write(dfd, fb, vb, err) : 0;
}

int cg_v1_cpu(cg_dir *d, const oci_resources *r, cella_error **err)
{
        char a[32], b[32];
        int k;
        if (r->has_cpu_shares && r->cpu_shares &&
            (k = cg_writef(d->fd, "cpu.shares", err, "%llu", (unsigned long long)r->cpu_shares)) < 0)
                return err_wrap(err, F("cpu.shares"));
        bool per = r->has_cpu_period && r->cpu_period, quo = r->has_cpu_quota && r->cpu_quota;
        snprintf(a, sizeof(a), "%llu", (unsigned long long)r->cpu_period);
        snprintf(b, sizeof(b), "%lld", (long long)(r->cpu_quota < 0 ? -1 : r->cpu_quota));
        if ((per || quo) && write_pair(d->fd, per ? "cpu.cfs_period_us" : NULL, a, quo ? "cpu.cfs_quota_us" : NULL,
                                       b, err) < 0)
                return err_wrap(err, F("cpu.quota/period"));
        if (r->has_cpu_burst && cg_writef(d->fd, "cpu.cfs_burst_us", err, "%llu",
                                          (unsigned long long)r->cpu_burst) < 0)
                return err_wrap(err, F("cpu.burst"));
        per = r->has_cpu_rt_period && r->cpu_rt_period;
        quo = r->has_cpu_rt_runtime && r->cpu_rt_runtime;
        snprintf(a, sizeof(a), "%llu", (unsigned long long)r->cpu_rt_period);
        snprintf(b, sizeof(b), "%lld", (long long)r->cpu_rt_runtime);
        if ((per || quo) && write_pair(d->fd, per ? "cpu.rt_period_us" : NULL, a, quo ? "cpu.rt_runtime_us" : NULL,
                                       b, err) < 0)
                return err_wrap(err, F("cpu.realtimePeriod/realtimeRuntime"));
        if (r->has_cpu_idle && cg_writef(d->fd, "cpu.idle", err, "%lld", (long long)r->cpu_idle) < 0)
                return err_wrap(err, F("cpu.idle"));
        return 0;
}

int cg_v1_cpuset_init(int parent_fd, int fd, cella_error **err)
{
        static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *cur = NULL, *par = NULL;
                int r = cg_read(fd, files[i], &cur);
                if (r < 0)
                        return err_set(err, -r, "read %s", files[i]);
                if (cur[strspn(cur, " \n")] != '\0')
                        continue;
                if ((r = cg_read(parent_fd, files[i], &par)) < 0)
                        return err_set(err, -r, "read the parent's %s", files[i]);
                par[strcspn(par, "\n")] = '\0';
                if (*par && (r = cg_write(fd, files[i], par, err)) < 0)
                        return r;
        }
        return 0;
}

int cg_v1_cpuset(cg_dir *d, const oci_resources *r, cella_error **err)
{
        if (r->cpu_cpus && *r->cpu_cpus && cg_write(d->fd, "cpuset.cpus", r->cpu_cpus, err) < 0)
                return err_wrap(err, F("cpu.cpus"));
        if (r->cpu_mems && *r->cpu_mems && cg_write(d->fd, "cpuset.mems", r->cpu_mems, err) < 0)
                return err_wrap(err, F("cpu.mems"));
        return 0;
}

int cg_v1_memory(cg_dir *d, const oci_resources *r, cella_error **err)
{
        char a[32], b[32];
        bool lim = r->has_mem_limit && r->mem_limit, sw = r->has_mem_swap && r->mem_swap;
        int64_t swap = r->mem_swap;
        /* Memory unlimited, swap not given: memsw unlimited too (runc), or
         * the kernel refuses a limit above the current memsw. */
        if (lim && r->mem_limit < 0 && !sw && faccessat(d->fd, "memory.memsw.limit_in_bytes", F_OK, 0) == 0) {
                sw = true;
                swap = -1;
        }
        snprintf(a, sizeof(a), "%lld", (long long)(r->mem_limit < 0 ? -1 : r->mem_limit));
        snprintf(b, sizeof(b), "%lld", (long long)(swap < 0 ? -1 : swap));
        /* OCI swap is memory+swap: exactly v1's memsw knob. Raising both
         * needs memsw first, lowering needs the limit first. */
        if ((lim || sw) && write_pair(d->fd, lim ? "memory.limit_in_bytes" : NULL, a,
                                      sw ? "memory.memsw.limit_in_bytes" : NULL, b, err) < 0)
                return err_wrap(err, F("memory.limit/swap"));
        if (r->has_mem_reservation && r->mem_reservation &&
            cg_writef(d->fd, "memory.soft_limit_in_bytes", err, "%lld",
                      (long long)(r->mem_reservation < 0 ? -1 : r->mem_reservation)) < 0)
                return err_wrap(err, F("memory.reservation"));
        if (r->has_mem_kernel_tcp && r->mem_kernel_tcp &&
            cg_writef(d->fd, "memory.kmem.tcp.limit_in_bytes", err, "%lld",
                      (long long)(r->mem_kernel_tcp < 0 ? -1 : r->mem_kernel_tcp)) < 0)
                return err_wrap(err, F("memory.kernelTCP"));
        if (r->has_mem_swappiness) {
                if (r->mem_swappiness > 100)
                        return err_setx(err, EINVAL, F("memory.swappiness") ": %llu is not in 0..100",
                                        (unsigned long long)r->mem_swappiness);
                if (cg_writef(d->fd, "memory.swappiness", err, "%llu", (unsigned long long)r->mem_swappiness) < 0)
                        return err_wrap(err, F("memory.swappiness"));
        }
        if (r->has_disable_oom_killer && r->disable_oom_killer && cg_write(d->fd, "memory.oom_control", "1", err) < 0)
                return err_wrap(err, F("memory.disableOOMKiller"));
        if (r->has_use_hierarchy &&
            cg_write(d->fd, "memory.use_hierarchy", r->use_hierarchy ? "1" : "0", err) < 0)
                return err_wrap(err, F("memory.useHierarchy"));
        return 0;
}

/* CFQ's knob, else BFQ's (this host's blkio has only the latter). */
static int write_either(int dfd, const char *a, const char *b, const char *v, cella_error **err)
{
        if (faccessat(dfd, a, F_OK, 0) == 0 || faccessat(dfd, b, F_OK, 0) < 0)
                return cg_write(dfd, a, v, err);
        return cg_write(dfd, b, v, err);
}

static int throttles(int dfd, const char *file, const oci_throttle *t, size_t n, const char *field, cella_error **err)
{
        for (size_t i = 0; i < n; i++)
                if (cg_writef(dfd, file, err, "%lld:%lld %llu", (long long)t[i].major, (long long)t[i].minor,
                              (unsigned long long)t[i].rate) < 0)
                        return err_wrap(err, F("blockIO.%s[%zu]"), field, i);
        return 0;
}

int cg_v1_blkio(cg_dir *d, const oci_resources *r, cella_error **err)
{
        char v[64];
        if (r->has_blkio_weight) {
                snprintf(v, sizeof(v), "%u", r->blkio_weight);
                if (write_either(d->fd, "blkio.weight", "blkio.bfq.weight", v, err) < 0)
                        return err_wrap(err, F("blockIO.weight"));
        }
        if (r->has_blkio_leaf_weight && cg_writef(d->fd, "blkio.leaf_weight", err, "%u", r->blkio_leaf_weight) < 0)
                return err_wrap(err, F("blockIO.leafWeight"));
        for (size_t i = 0; i < r->n_blkio_weight_device; i++) {
                const oci_weight_dev *w = &r->blkio_weight_device[i];
                if (w->has_weight) {
                        snprintf(v, sizeof(v), "%lld:%lld %u", (long long)w->major, (long long)w->minor, w->weight);
                        if (write_either(d->fd, "blkio.weight_device", "blkio.bfq.weight_device", v, err) < 0)
                                return err_wrap(err, F("blockIO.weightDevice[%zu]"), i);
                }
                if (w->has_leaf_weight &&
                    cg_writef(d->fd, "blkio.leaf_weight_device", err, "%lld:%lld %u", (long long)w->major,
                              (long long)w->minor, w->leaf_weight) < 0)
                        return err_wrap(err, F("blockIO.weightDevice[%zu].leafWeight"), i);
        }
        int k;
        if ((k = throttles(d->fd, "blkio.throttle.read_bps_device", r->throttle_read_bps, r->n_throttle_read_bps,
                           "throttleReadBpsDevice", err)) < 0 ||
            (k = throttles(d->fd, "blkio.throttle.write_bps_device", r->throttle_write_bps,
                           r->n_throttle_write_bps, "throttleWriteBpsDevice", err)) < 0 ||
            (k = throttles(d->fd, "blkio.throttle.read_iops_device", r->throttle_read_iops,
                           r->n_throttle_read_iops, "throttleReadIOPSDevice", err)) < 0 ||
            (k = throttles(d->fd, "blkio.throttle.write_iops_device", r->throttle_write_iops,
                           r->n_throttle_write_iops, "throttleWriteIOPSDevice", err)) < 0)
                return k;
        return 0;
}

int cg_v1_devices(cg_dir *d, const oci_resources *r, cella_error **err)
{
        cg_dev_state s;
        int k = cg_dev_emulate(r->devices, r->n_devices, &s, err);
        if (k < 0)
                return k;
        /* "a" resets the list (and the default); then the exceptions. */
        const char *def = s.default_allow ? "devices.allow" : "devices.deny";
        const char *exf = s.default_allow ? "devices.deny" : "devices.allow";
        if ((k = cg_write(d->fd, def, "a", err)) < 0) {
                cg_dev_state_done(&s);
                return err_wrap(err, F("devices"));
        }
        for (size_t i = 0; i < s.n_ex; i++) {
                char rule[80];
                cg_dev_format(&s.ex[i], rule, sizeof(rule));
                if ((k = cg_write(d->fd, exf, rule, err)) < 0) {
                        cg_dev_state_done(&s);
                        return err_wrap(err, F("devices"));
                }
        }
        cg_dev_state_done(&s);
        return 0;
}

int cg_v1_net(cg_dir *cls, cg_dir *prio, const oci_resources *r, cella_error **err)
{
        if (r->has_net_class_id && cls &&
            cg_writef(cls->fd, "net_cls.classid", err, "%u", r->net_class_id) < 0)
                return err_wrap(err, F("network.classID"));
        for (size_t i = 0; prio && i < r->n_net_priorities; i++) {
                const oci_kv *kv = &r->net_priorities[i];
                if (strpbrk(kv->key, " \n") || cg_writef(prio->fd, "net_prio.ifpriomap", err, "%s %s", kv->key,
                                                          kv->value) < 0) {
                        if (err && !*err)
                                err_setx(err, EINVAL, "bad interface name \"%s\"", kv->key);
                        return err_wrap(err, F("network.priorities[%zu]"), i);
                }
        }
        return 0;
}

int cg_pids_set(cg_dir *d, const oci_resources *r, cella_error **err)
{
        if (!r->has_pids_limit || r->pids_limit == 0)
                return 0;
        int k = r->pids_limit < 0 ? cg_write(d->fd, "pids.max", "max", err)
                                  : cg_writef(d->fd, "pids.max", err, "%lld", (long long)r->pids_limit);
        return k < 0 ? err_wrap(err, F("pids.limit")) : 0;
}
